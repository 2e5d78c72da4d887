/**
 * Kernel log text back into records: the forms printk and dmesg print,
 * `<N>[ sec.usec] text` (syslog, `dmesg -r`, pstore dumps), `[ sec.usec] text`
 * (dmesg), `<N>text` (printk.time=0) and plain text. Works on bytes, so
 * messages that are not UTF-8 survive unchanged.
 */
import { MESSAGE_LOGLEVEL_DEFAULT } from './logBuffer.js';
import type { LogBuffer, LogRecordInput } from './logBuffer.js';

export interface ParsedLogLine extends LogRecordInput {
  tsNsec: bigint;
  facility: number;
  level: number;
  text: Uint8Array;
  /** The line had a `<N>` prefix. */
  syslog: boolean;
  /** The line had a `[sec.usec]` stamp (otherwise tsNsec continues from the line before). */
  time: boolean;
  /** The line had a `[%6s]` caller id (CONFIG_PRINTK_CALLER). */
  caller: boolean;
}

export interface LogParseOptions {
  /** Level for lines without `<N>`. Default MESSAGE_LOGLEVEL_DEFAULT (4). */
  defaultLevel?: number;
  /** Facility for lines without `<N>`. Default 0 (kernel). */
  defaultFacility?: number;
}

const LT = 0x3c;
const GT = 0x3e;
const LB = 0x5b;
const RB = 0x5d;
const SP = 0x20;
const DOT = 0x2e;
const CR = 0x0d;
const NL = 0x0a;
/** Largest whole-second count whose nanoseconds fit the kernel's u64 ts_nsec. */
const MAX_SEC = 18446744073n;
const encoder = new TextEncoder();

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;

/** `<N>` at p: [N, end] or null. N up to 2047 (u8 facility, 3-bit level). */
function parseSyslogPrefix(b: Uint8Array, p: number): [number, number] | null {
  if (b[p] !== LT) return null;
  let i = p + 1;
  let n = 0;
  while (i < b.length && isDigit(b[i]) && i - p <= 4) n = n * 10 + (b[i++] - 0x30);
  if (i === p + 1 || b[i] !== GT || n > 2047) return null;
  return [n, i + 1];
}

/** `[%5lu.%06lu]` at p: [ns, end] or null. */
function parseTime(b: Uint8Array, p: number): [bigint, number] | null {
  if (b[p] !== LB) return null;
  let i = p + 1;
  while (b[i] === SP) i++;
  const s0 = i;
  while (isDigit(b[i]) && i - s0 < 21) i++;
  if (i === s0 || b[i] !== DOT) return null;
  let sec = 0n;
  for (let k = s0; k < i; k++) sec = sec * 10n + BigInt(b[k] - 0x30);
  i++;
  let usec = 0;
  for (let k = 0; k < 6; k++, i++) {
    if (!isDigit(b[i])) return null;
    usec = usec * 10 + (b[i] - 0x30);
  }
  if (b[i] !== RB || sec > MAX_SEC) return null;
  const ns = sec * 1_000_000_000n + BigInt(usec) * 1000n;
  if (ns >= 1n << 64n) return null;
  return [ns, i + 1];
}

/** `[%6s]` caller (`T<tid>` / `C<cpu>`) at p: [callerId, end] or null. */
function parseCaller(b: Uint8Array, p: number): [number, number] | null {
  if (b[p] !== LB) return null;
  let i = p + 1;
  while (b[i] === SP) i++;
  const kind = b[i];
  if (kind !== 0x54 && kind !== 0x43) return null;
  i++;
  const d0 = i;
  let id = 0;
  while (isDigit(b[i]) && i - d0 < 10) id = id * 10 + (b[i++] - 0x30);
  if (i === d0 || b[i] !== RB || id > 0x7fffffff) return null;
  return [kind === 0x43 ? (id | 0x80000000) >>> 0 : id, i + 1];
}

/** One line (no line terminator; a trailing CR is dropped). */
export function parseLogLine(
  line: Uint8Array | string,
  prevTsNsec: bigint = 0n,
  opts: LogParseOptions = {},
): ParsedLogLine {
  let b = typeof line === 'string' ? encoder.encode(line) : line;
  if (b.length > 0 && b[b.length - 1] === CR) b = b.subarray(0, b.length - 1);
  let p = 0;
  let facility = opts.defaultFacility ?? 0;
  let level = opts.defaultLevel ?? MESSAGE_LOGLEVEL_DEFAULT;
  let tsNsec = prevTsNsec;
  const sl = parseSyslogPrefix(b, p);
  if (sl) {
    facility = sl[0] >> 3;
    level = sl[0] & 7;
    p = sl[1];
  }
  const tm = parseTime(b, p);
  if (tm) {
    tsNsec = tm[0];
    p = tm[1];
  }
  const cl = parseCaller(b, p);
  let callerId: number | undefined;
  if (cl) {
    callerId = cl[0];
    p = cl[1];
  }
  // info_print_prefix ends with one space whenever a stamp or caller is printed.
  if ((tm || cl) && b[p] === SP) p++;
  const out: ParsedLogLine = {
    tsNsec,
    facility,
    level,
    text: b.slice(p),
    syslog: sl !== null,
    time: tm !== null,
    caller: cl !== null,
  };
  if (callerId !== undefined) out.callerId = callerId;
  return out;
}

/**
 * Every line of a log (LF or CRLF; a final line without newline counts, the
 * empty remainder after the last newline does not).
 */
export function parseLog(input: Uint8Array | string, opts: LogParseOptions = {}): ParsedLogLine[] {
  const b = typeof input === 'string' ? encoder.encode(input) : input;
  const out: ParsedLogLine[] = [];
  let ts = 0n;
  let start = 0;
  while (start < b.length) {
    let end = b.indexOf(NL, start);
    if (end < 0) end = b.length;
    const rec = parseLogLine(b.subarray(start, end), ts, opts);
    ts = rec.tsNsec;
    out.push(rec);
    start = end + 1;
  }
  return out;
}

/** Parses `input` and appends every line to `log`; returns the number of records added. */
export function loadLog(log: LogBuffer, input: Uint8Array | string, opts: LogParseOptions = {}): number {
  const lines = parseLog(input, opts);
  for (const l of lines) {
    log.append({ tsNsec: l.tsNsec, facility: l.facility, level: l.level, text: l.text, callerId: l.callerId });
  }
  return lines.length;
}
