/**
 * Text form of log records as printk prints them for dumps and syslog
 * (kernel/printk/printk.c: info_print_prefix, record_print_text,
 * get_record_print_text_size). Every line of a record gets the prefix
 * `<N>[%5lu.%06lu] ` (syslog) or `[%5lu.%06lu] `, and the record ends in '\n'.
 */
import type { LogRecord } from './logBuffer.js';

export interface PrintOptions {
  /** Prefix `<N>` with N = facility << 3 | level. */
  syslog: boolean;
  /** printk.time: the `[sec.usec]` stamp. Default true. */
  time?: boolean;
  /** CONFIG_PRINTK_CALLER: the `[%6s]` caller (`T<tid>` or `C<cpu>`). Default false. */
  caller?: boolean;
}

/** The fields the prefix is made of (a LogRecord satisfies it). */
export type PrefixFields = Pick<LogRecord, 'facility' | 'level' | 'sec' | 'usec' | 'callerId'>;

/** PREFIX_MAX with CONFIG_PRINTK_CALLER; no prefix we build is longer. */
export const PREFIX_MAX = 48;

const NL = 0x0a;

function decimalDigits(n: number): number {
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}

/** Writes `n` in decimal right-aligned in `width` (space padded) at dst[off]; returns chars written. */
function putDecimal(dst: Uint8Array, off: number, n: number, width: number, pad: number): number {
  const d = decimalDigits(n);
  const w = d > width ? d : width;
  let i = off + w;
  do {
    dst[--i] = 0x30 + (n % 10);
    n = Math.floor(n / 10);
  } while (n > 0);
  while (i > off) dst[--i] = pad;
  return w;
}

/** Length of the prefix info_print_prefix would build. */
export function prefixLength(rec: PrefixFields, opts: PrintOptions): number {
  const time = opts.time ?? true;
  let len = 0;
  if (opts.syslog) len += 2 + decimalDigits(((rec.facility << 3) | rec.level) >>> 0);
  if (time) len += 2 + Math.max(5, decimalDigits(rec.sec)) + 1 + 6;
  if (opts.caller) len += 2 + Math.max(6, 1 + decimalDigits((rec.callerId & 0x7fffffff) >>> 0));
  if (time || opts.caller) len += 1;
  return len;
}

/** Writes the prefix at dst[off] (room for PREFIX_MAX bytes needed); returns its length. */
export function printPrefix(rec: PrefixFields, opts: PrintOptions, dst: Uint8Array, off: number): number {
  const time = opts.time ?? true;
  let p = off;
  if (opts.syslog) {
    dst[p++] = 0x3c; // '<'
    p += putDecimal(dst, p, ((rec.facility << 3) | rec.level) >>> 0, 0, 0x20);
    dst[p++] = 0x3e; // '>'
  }
  if (time) {
    dst[p++] = 0x5b; // '['
    p += putDecimal(dst, p, rec.sec, 5, 0x20);
    dst[p++] = 0x2e; // '.'
    p += putDecimal(dst, p, rec.usec, 6, 0x30);
    dst[p++] = 0x5d; // ']'
  }
  if (opts.caller) {
    const id = (rec.callerId & 0x7fffffff) >>> 0;
    const digits = 1 + decimalDigits(id);
    dst[p++] = 0x5b;
    for (let i = digits; i < 6; i++) dst[p++] = 0x20;
    dst[p++] = rec.callerId & 0x80000000 ? 0x43 : 0x54; // 'C' cpu, 'T' task
    p += putDecimal(dst, p, id, 0, 0x20);
    dst[p++] = 0x5d;
  }
  if (time || opts.caller) dst[p++] = 0x20;
  return p - off;
}

/** get_record_print_text_size: prefix per line, the text, and the final newline. */
export function recordPrintTextSize(rec: LogRecord, opts: PrintOptions): number {
  return prefixLength(rec, opts) * rec.lineCount + rec.text.length + 1;
}

const scratch = new Uint8Array(PREFIX_MAX);

/**
 * record_print_text into dst[off .. off+bufSize): each line prefixed, a
 * trailing newline, lines that no longer fit dropped, the last fitting line
 * cut, and a NUL after the text (not counted). Returns the bytes produced.
 */
export function recordPrintText(
  rec: LogRecord,
  opts: PrintOptions,
  dst: Uint8Array,
  off: number,
  bufSize: number,
): number {
  const text = rec.text;
  const prefixLen = printPrefix(rec, opts, scratch, 0);
  // prb_read copies at most bufSize bytes of text.
  let textLen = Math.min(text.length, bufSize);
  let pos = 0;
  let len = 0;
  let truncated = false;
  for (;;) {
    const nl = text.subarray(pos, pos + textLen).indexOf(NL);
    let lineLen: number;
    if (nl >= 0) {
      lineLen = nl;
    } else {
      if (truncated) break;
      lineLen = textLen;
    }
    if (len + prefixLen + textLen + 2 > bufSize) {
      if (len + prefixLen + lineLen + 2 > bufSize) break;
      textLen = bufSize - len - prefixLen - 2;
      truncated = true;
    }
    const o = off + len;
    dst.set(scratch.subarray(0, prefixLen), o);
    dst.set(text.subarray(pos, pos + lineLen), o + prefixLen);
    dst[o + prefixLen + lineLen] = NL;
    len += prefixLen + lineLen + 1;
    if (textLen === lineLen) break;
    pos += lineLen + 1;
    textLen -= lineLen + 1;
  }
  if (bufSize > 0) dst[off + len] = 0;
  return len;
}

/** One record in printed form (never cut). */
export function formatRecord(rec: LogRecord, opts: PrintOptions): Uint8Array {
  const size = recordPrintTextSize(rec, opts);
  const out = new Uint8Array(size + 1);
  const n = recordPrintText(rec, opts, out, 0, size + 1);
  return out.subarray(0, n);
}

/** Records in printed form, concatenated (what `dmesg -r` or a big enough dump shows). */
export function formatLog(records: Iterable<LogRecord>, opts: PrintOptions): Uint8Array {
  const list = Array.isArray(records) ? (records as LogRecord[]) : [...records];
  let total = 0;
  for (const r of list) total += recordPrintTextSize(r, opts);
  const out = new Uint8Array(total + 1);
  let len = 0;
  for (const r of list) len += recordPrintText(r, opts, out, len, total + 1 - len);
  return out.subarray(0, len);
}
