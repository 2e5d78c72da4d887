/**
 * A crash signature in the spirit of ChromeOS's kernel collector:
 * `kernel-<first meaningful function>-<8 hex digits>`, the digits hashing the
 * dump reason, the normalised headline and the top meaningful frames. What
 * changes between boots, machines and builds of the same code is left out:
 * addresses and KASLR offsets, `+0x…/0x…`, timestamps, PIDs, CPU numbers,
 * compiler clone suffixes (`.cold`, `.isra.0`), unreliable-frame markers, and
 * the frames every crash passes through (dump_stack, panic, the fault entry).
 */
import { createHash } from 'node:crypto';
import type { CrashLog } from './crashLog.js';

/** Frames that report a crash rather than cause it. */
const GENERIC = new Set([
  'dump_stack', 'dump_stack_lvl', 'show_stack', 'show_trace_log_lvl', 'panic', 'nmi_panic', 'vpanic', '__warn', 'warn_slowpath_fmt',
  'report_bug', 'handle_bug', 'exc_invalid_op', 'asm_exc_invalid_op', 'die', '__die', '__die_body', 'oops_end', 'no_context',
  '__bad_area_nosemaphore', 'bad_area_nosemaphore', 'page_fault_oops', 'kernelmode_fixup_or_oops', 'do_user_addr_fault',
  'exc_page_fault', 'asm_exc_page_fault', 'do_trap', 'do_error_trap', 'exc_general_protection', 'asm_exc_general_protection',
  '_printk', 'printk', 'vprintk', 'vprintk_emit', 'vprintk_default', 'show_regs', '__show_regs', 'kmsg_dump', 'kmsg_dump_reason',
  'do_exit', 'make_task_dead', 'rewind_stack_and_make_dead', 'rewind_stack_do_exit', 'bust_spinlocks', 'oops_begin',
]);

/** How many frames after the first meaningful one enter the hash. */
const TOP_FRAMES = 5;

/** A log line with everything that varies between runs of the same crash replaced. */
export function normaliseLine(line: string): string {
  return line
    .replace(/\+0x[0-9a-f]+\/0x[0-9a-f]+/gi, '')
    .replace(/\b(?:0x)?[0-9a-f]{8,16}\b/gi, 'X')
    .replace(/0x[0-9a-f]+/gi, 'X')
    .replace(/\[#\d+\]/g, '[#N]')
    .replace(/\b(?:CPU|PID|pid|cpu|UID|uid)[:= ]+\d+/g, (m) => m.replace(/\d+/, 'N'))
    .replace(/\d+/g, 'N')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The frames that say where it happened: the fault function, then the trace without generic frames. */
export function meaningfulFrames(log: CrashLog): string[] {
  const frames = log.faultFunction ? [log.faultFunction, ...log.callTrace] : [...log.callTrace];
  const out: string[] = [];
  for (const f of frames) {
    if (GENERIC.has(f) || out[out.length - 1] === f) continue;
    out.push(f);
  }
  return out;
}

/** Without a trace: the panic or Oops message as a name (`sysrq_triggered_crash`), else the reason (`shutdown`). */
function headlineWords(log: CrashLog, reason: string | undefined): string {
  const text = log.oops ?? log.panic ?? '';
  const words = normaliseLine(text)
    .replace(/[^A-Za-z_ ]+/g, ' ')
    .trim()
    .split(/\s+/)
    .filter((w) => w && w !== 'N' && w !== 'X');
  const name = words.join('_').slice(0, 40).replace(/_+$/, '');
  return name || (reason ? reason.toLowerCase().replace(/[^a-z0-9_]/g, '_') : 'unknown');
}

/** `kernel-sysrq_handle_crash-1a2b3c4d`. `reason` is the dump reason (Panic, Oops, …). */
export function crashSignature(reason: string | undefined, log: CrashLog, fallback?: Uint8Array): string {
  const frames = meaningfulFrames(log).slice(0, TOP_FRAMES);
  const h = createHash('sha256');
  h.update(`${(reason ?? 'unknown').toLowerCase()}\n`);
  h.update(`${log.headline ? normaliseLine(log.headline) : ''}\n`);
  h.update(frames.join('\n'));
  if (!frames.length && !log.headline && fallback) h.update(fallback);
  return `kernel-${frames[0] ?? headlineWords(log, reason)}-${h.digest('hex').slice(0, 8)}`;
}
