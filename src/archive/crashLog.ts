/**
 * What a kernel log says about its crash: the kernel version and command
 * line (when the dump reaches back to boot, or from the `CPU: … Comm: …`
 * line every Oops and panic prints), the panic and Oops lines, and the call
 * trace of the problem as function names.
 */

export interface CrashLog {
  kernelVersion: string | null;
  cmdline: string | null;
  /** `Kernel panic - not syncing: …` without the prefix. */
  panic: string | null;
  /** The first line of the Oops / BUG / WARNING that caused it. */
  oops: string | null;
  /** The line a person reads first: the Oops line, else the panic line. */
  headline: string | null;
  /** Where it faulted (`RIP:`/`pc :`/`NIP` function), when in the kernel. */
  faultFunction: string | null;
  /** Function names of the problem's call trace, innermost first. */
  callTrace: string[];
  /** The call trace had only unreliable (`?`) frames (kernels built without frame pointers). */
  traceUnreliable: boolean;
}

/** `<4>[    2.588818] ` and `[    2.588818] ` prefixes. */
const PREFIX = /^(?:<\d+>)?(?:\[\s*\d+\.\d+\]\s?)?(?:\[\s*[CT]\d+\]\s?)?/;

const OOPS_LINE = /^(?:BUG: |kernel BUG at |general protection fault|WARNING: |Unable to handle kernel |Internal error: |Oops: |divide error: |invalid opcode: |stack segment: |double fault: )/;
const PANIC_LINE = /^Kernel panic - not syncing: ?(.*)$/;
const FAULT_LINE = /^(?:RIP: [0-9a-f]{4}:|pc : |NIP \[[0-9a-f]+\] |epc : |PC is at )([A-Za-z0-9_.$]+)\+0x/;
/** ` [<ffffffff8>] ` (older kernels and arm) before the symbol. */
const FRAME = /^\s*(\? )?(?:\[<[0-9a-f]+>\]\s*)?(\? )?([A-Za-z_][A-Za-z0-9_.$]*)\+0x[0-9a-f]+\/0x[0-9a-f]+(?:\s+\[([A-Za-z0-9_]+)\])?/;

function stripPrefix(line: string): string {
  return line.replace(PREFIX, '');
}

/** Function names with the compiler's clone suffixes removed (`.cold`, `.isra.0`, `.constprop.0`, `.part.0`). */
export function baseFunctionName(name: string): string {
  return name.replace(/\.(?:cold|isra|constprop|part|lto_priv|llvm)(?:\.\d+)*$/g, '').replace(/\.(?:cold|isra|constprop|part|lto_priv|llvm)(?:\.\d+)*/g, '');
}

export function parseCrashLog(text: string): CrashLog {
  const lines = text.split('\n').map(stripPrefix);
  const out: CrashLog = { kernelVersion: null, cmdline: null, panic: null, oops: null, headline: null, faultFunction: null, callTrace: [], traceUnreliable: false };
  let panicAt = -1;
  let cpuVersion: string | null = null;
  const oopsLines: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (!out.kernelVersion) {
      const v = /^Linux version (\S+)/.exec(l);
      if (v) out.kernelVersion = v[1];
    }
    if (!out.cmdline) {
      const c = /^(?:Kernel )?[Cc]ommand line: (.*)$/.exec(l);
      if (c) out.cmdline = c[1].trim();
    }
    if (!cpuVersion) {
      const c = /^CPU: \d+ (?:UID: \d+ )?PID: \d+ Comm: .*?(?:Not tainted|Tainted: [A-Z ]*?)\s+(\d+\.\d+\S*)/.exec(l);
      if (c) cpuVersion = c[1];
    }
    const p = PANIC_LINE.exec(l);
    if (p) {
      // The first panic is the one that stopped the machine; later lines are its aftermath.
      if (panicAt < 0) {
        out.panic = p[1].trim();
        panicAt = i;
      }
    } else if (OOPS_LINE.test(l) && panicAt < 0) {
      oopsLines.push(i);
    }
  }
  // The dump follows the last problem: an Oops record's own Oops, or the Oops a
  // panic (`Fatal exception`) came from. `BUG: …` and `Oops: … [#N]` lines a few
  // lines apart are one report; its first line names it.
  let oopsAt = -1;
  for (let k = oopsLines.length - 1; k >= 0; k--) {
    oopsAt = oopsLines[k];
    if (k === 0 || oopsLines[k] - oopsLines[k - 1] > 6) break;
  }
  // A panic caused by an Oops says so (panic_on_oops: `Fatal exception`); any other panic is its own problem.
  if (oopsAt >= 0 && panicAt >= 0 && !/fatal exception|oops|BUG/i.test(out.panic ?? '')) oopsAt = -1;
  if (oopsAt >= 0) out.oops = lines[oopsAt].trim();
  out.kernelVersion ??= cpuVersion;
  out.headline = out.oops ?? (out.panic !== null ? `Kernel panic - not syncing: ${out.panic}` : null);
  const from = oopsAt >= 0 ? oopsAt : panicAt;
  if (from >= 0) readTrace(lines, from, out);
  return out;
}

/** The fault line and the first call trace after line `from`. */
function readTrace(lines: string[], from: number, out: CrashLog): void {
  let i = from;
  for (; i < lines.length && i < from + 80; i++) {
    const f = FAULT_LINE.exec(lines[i]);
    if (f && !out.faultFunction) out.faultFunction = baseFunctionName(f[1]);
    if (/^(?:Call Trace:|Call trace:|Backtrace:)/.test(lines[i])) break;
  }
  const reliable: string[] = [];
  const all: string[] = [];
  for (i++; i < lines.length; i++) {
    const l = lines[i];
    if (/^\s*<\/?(?:TASK|IRQ|NMI|SOFTIRQ|EOI)>\s*$/.test(l)) continue;
    const m = FRAME.exec(l);
    if (!m) break;
    const name = baseFunctionName(m[3]);
    all.push(name);
    if (!m[1] && !m[2]) reliable.push(name);
  }
  out.traceUnreliable = reliable.length === 0 && all.length > 0;
  out.callTrace = reliable.length ? reliable : all;
}
