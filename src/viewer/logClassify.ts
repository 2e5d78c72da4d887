/**
 * Kernel log lines → what the record view colours: the printk level of a
 * `<N>` prefix and the lines of a panic, an oops report or a call trace.
 * Pure string work, no DOM.
 */

/** `report`: the context lines of a crash report (CPU, registers, code, modules). */
export type LineKind = 'header' | 'panic' | 'oops' | 'report' | 'trace' | 'warn' | 'ecc' | null;

export interface LineClass {
  /** printk level 0..7 from a `<N>` prefix (facility bits dropped); null without one. */
  level: number | null;
  kind: LineKind;
}

const PREFIX = /^<(\d{1,4})>/;
/** `[   12.345678]` after the level, and a `[Tnn]`/`[Cnn]` caller id. */
const TIME = /^\[\s*\d+\.\d+\](?:\[\s*[TC]\d+\])?\s?/;
const DUMP_HEADER = /^(Panic|Oops|Emergency|Shutdown|Restart|Halt|Poweroff|Unknown)#\d+ Part\d+$/;
const PANIC = /Kernel panic - not syncing|^---\[ end Kernel panic|^Kernel Offset:|^Rebooting in \d+ seconds/;
const OOPS = /^(Oops[: ]|BUG: |kernel BUG at|general protection fault|Unable to handle kernel|Internal error: |#PF: |stack segment: |invalid opcode: |divide error: |double fault)/;
const WARN = /^(WARNING: |------------\[ cut here \]------------|---\[ end trace )/;
const TRACE_START = /^(Call [Tt]race:|Backtrace:|Exception stack)/;
const FRAME = /^\s*(\? )?[\w.$]+\+0x[0-9a-f]+\/0x[0-9a-f]+|^\s*<\/?(TASK|IRQ|NMI|SOFTIRQ|EOI)>|^\s*\[<[0-9a-f]+>\]|^\s*0x[0-9a-f]+$/;
const REGISTERS = /^(RIP|RSP|RAX|RDX|RBP|R\d\d|FS|CS|CR2|Code|pc|lr|sp|x\d+|Modules linked in|CPU: \d+ PID|Hardware name|PGD |Workqueue):?/;

/** The message after the level prefix and the timestamp. */
export function messageOf(line: string): string {
  return line.replace(PREFIX, '').replace(TIME, '');
}

export function classifyLines(lines: readonly string[]): LineClass[] {
  const out: LineClass[] = new Array(lines.length);
  let inTrace = false;
  let inReport = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const m = PREFIX.exec(line);
    const level = m ? Number(m[1]) & 7 : null;
    const msg = messageOf(line);
    let kind: LineKind = null;
    if (i === 0 && DUMP_HEADER.test(line)) kind = 'header';
    else if (/^ECC: /.test(line)) kind = 'ecc';
    else if (PANIC.test(msg)) {
      kind = 'panic';
      inTrace = false;
      inReport = true;
    } else if (OOPS.test(msg)) {
      kind = 'oops';
      inReport = true;
    } else if (WARN.test(msg)) {
      kind = 'warn';
      inReport = !msg.startsWith('---[ end trace');
      inTrace = false;
    } else if (TRACE_START.test(msg)) {
      kind = 'trace';
      inTrace = true;
    } else if (inTrace && FRAME.test(msg)) {
      kind = 'trace';
      if (/^\s*<\/TASK>/.test(msg)) inTrace = false;
    } else if (inReport && REGISTERS.test(msg)) {
      kind = 'report';
    } else {
      inTrace = false;
      // A report goes on while the same warning level continues.
      if (level !== 4) inReport = false;
    }
    out[i] = { level, kind };
  }
  return out;
}

/** Whether bytes look like text rather than binary (compressed or raw pmsg bytes). */
export function looksLikeText(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, 8192);
  let odd = 0;
  for (let i = 0; i < n; i++) {
    const c = bytes[i];
    if (c === 0) return false;
    if (c < 9 || (c > 13 && c < 32) || c === 127) odd++;
  }
  return odd <= n / 50;
}
