/**
 * Android pmsg → logcat. Android's liblog writes every log entry it sends to
 * /dev/pmsg0 as one framed binary record; pstore keeps those bytes as they
 * came. This decodes the frames and prints them in logcat's default
 * `threadtime` format. Browser-safe.
 *
 * Framing, verified against AOSP (repository aosp-mirror/platform_system_core):
 * - liblog/include/private/android_logger.h (alibaba/atlas carries the same
 *   file with the pmsg struct): `android_pmsg_log_header_t`, packed
 *   {u8 magic; u16 len; u16 uid; u16 pid} = 7 bytes, magic LOGGER_MAGIC 'l';
 *   then `android_log_header_t`, packed {u8 id (typeof_log_id_t); u16 tid;
 *   log_time realtime {u32 tv_sec; u32 tv_nsec}} = 11 bytes.
 * - liblog/pmsg_writer.cpp pmsgWrite: `len` = 7 + 11 + payload bytes (both
 *   headers included); the payload is <prio u8><tag>\0<message>\0 for text
 *   logs, <tag u32 LE><typed event data> for binary ones; payload capped at
 *   LOGGER_ENTRY_MAX_PAYLOAD. __android_log_pmsg_file_write sends files as
 *   text records with tag "<dir>:<file>" and tv_nsec as a sequence number.
 * - liblog/pmsg_reader.cpp PmsgRead: how Android itself reads the records
 *   back from /sys/fs/pstore: a header is accepted when magic == 'l',
 *   19 < len <= 19 + LOGGER_ENTRY_MAX_PAYLOAD, id < LOG_ID_MAX, tv_nsec <
 *   1e9 and, except for the events and security buffers, the priority byte is
 *   not UNKNOWN (0), DEFAULT (1) or >= SILENT (8); otherwise it moves on one
 *   byte and looks for the next 'l'. We resync the same way.
 * - liblog/include/android/log.h: android_LogPriority 0..8 (UNKNOWN, DEFAULT,
 *   VERBOSE, DEBUG, INFO, WARN, ERROR, FATAL, SILENT) and log_id_t (MAIN 0,
 *   RADIO 1, EVENTS 2, SYSTEM 3, CRASH 4, STATS 5, SECURITY 6, KERNEL 7,
 *   LOG_ID_MAX 8).
 * - liblog/logprint.cpp: android_log_processLogBuffer (tag/message split,
 *   fallbacks for missing NULs), android_log_processBinaryLogBuffer and
 *   android_log_printBinaryEvent (event types INT 0, LONG 1, STRING 2,
 *   LIST 3, FLOAT 4; tag printed "[N]" without a tag map; '!' marks a
 *   malformed event, '^' a truncated one; priority INFO, WARN for security),
 *   and android_log_formatLogLine FORMAT_THREADTIME:
 *   "%s %s%5d %5d %c %-8.*s: " with time "%m-%d %H:%M:%S.%03ld", one prefix
 *   per message line.
 */

export const LOGGER_MAGIC = 0x6c; // 'l'
export const PMSG_HEADER_SIZE = 7;
export const LOG_HEADER_SIZE = 11;
/** Both headers: where the payload starts. */
export const PMSG_FRAME_HEADER = PMSG_HEADER_SIZE + LOG_HEADER_SIZE;
/**
 * LOGGER_ENTRY_MAX_PAYLOAD: 4068 in current liblog (log_read.h), 4076 in
 * older releases; the larger bound accepts records from both.
 */
export const LOGGER_ENTRY_MAX_PAYLOAD = 4076;

export const LogId = { MAIN: 0, RADIO: 1, EVENTS: 2, SYSTEM: 3, CRASH: 4, STATS: 5, SECURITY: 6, KERNEL: 7, MAX: 8 } as const;
export const LogPriority = { UNKNOWN: 0, DEFAULT: 1, VERBOSE: 2, DEBUG: 3, INFO: 4, WARN: 5, ERROR: 6, FATAL: 7, SILENT: 8 } as const;
export const EventType = { INT: 0, LONG: 1, STRING: 2, LIST: 3, FLOAT: 4 } as const;

const PRI_CHARS = '??VDIWEFS';

/** One decoded logger entry. */
export interface LogcatEntry {
  /** Offset of its pmsg header in the decoded bytes. */
  offset: number;
  uid: number;
  pid: number;
  tid: number;
  logId: number;
  sec: number;
  nsec: number;
  /** android_LogPriority. */
  priority: number;
  tag: string;
  message: string;
  /** From a binary buffer (events, stats, security). */
  binary: boolean;
}

/** A run of bytes that held no acceptable record header. */
export interface SkippedRun {
  offset: number;
  length: number;
}

export interface PmsgDecodeResult {
  entries: LogcatEntry[];
  skipped: SkippedRun[];
  skippedBytes: number;
}

export interface LogcatOptions {
  /** Event tag numbers → names (from event-log-tags); without it tags print as [N]. */
  eventTags?: ReadonlyMap<number, string>;
}

const isBinaryBuffer = (id: number): boolean => id === LogId.EVENTS || id === LogId.STATS || id === LogId.SECURITY;

const u16 = (b: Uint8Array, i: number): number => b[i] | (b[i + 1] << 8);
const u32 = (b: Uint8Array, i: number): number => (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;

/** PmsgRead's acceptance test for a header at `i`; returns the record length or 0. */
function acceptHeader(b: Uint8Array, i: number): number {
  if (i + PMSG_FRAME_HEADER + 1 > b.length || b[i] !== LOGGER_MAGIC) return 0;
  const len = u16(b, i + 1);
  if (len <= PMSG_FRAME_HEADER + 1 || len > PMSG_FRAME_HEADER + 1 + LOGGER_ENTRY_MAX_PAYLOAD) return 0;
  const id = b[i + 7];
  if (id >= LogId.MAX) return 0;
  if (u32(b, i + 14) >= 1_000_000_000) return 0;
  if (id !== LogId.EVENTS && id !== LogId.SECURITY) {
    const prio = b[i + PMSG_FRAME_HEADER];
    if (prio === LogPriority.UNKNOWN || prio === LogPriority.DEFAULT || prio >= LogPriority.SILENT) return 0;
  }
  // A record cut by the end of the zone (the ring wrapped or the write was torn) is not a record.
  if (i + len > b.length) return 0;
  return len;
}

const utf8 = new TextDecoder('utf-8');

/** android_log_processLogBuffer on a text payload (<prio><tag>\0<msg>\0). */
function textEntry(p: Uint8Array): { priority: number; tag: string; message: string } {
  const len = p.length;
  let msgStart = -1;
  let msgEnd = -1;
  for (let i = 1; i < len; i++) {
    if (p[i] === 0) {
      if (msgStart === -1) msgStart = i + 1;
      else {
        msgEnd = i;
        break;
      }
    }
  }
  let tagEnd = msgStart - 1;
  if (msgStart === -1) {
    // No NUL after the tag: logcat ends the tag at the first odd character.
    for (let i = 1; i < len; i++) {
      if (p[i] <= 0x20 || p[i] === 0x3a || p[i] >= 0x7f) {
        tagEnd = i;
        msgStart = i + 1;
        break;
      }
    }
    if (msgStart === -1) {
      msgStart = len - 1;
      tagEnd = len - 1;
    }
  }
  // An unterminated message loses its last byte to the forced NUL, as in logcat.
  if (msgEnd === -1) msgEnd = len - 1;
  const tag = utf8.decode(p.subarray(1, Math.max(1, tagEnd)));
  const message = msgEnd > msgStart ? utf8.decode(p.subarray(msgStart, msgEnd)) : '';
  return { priority: p[0], tag, message };
}

const MAX_LIST_DEPTH = 16;

/** android_log_printBinaryEvent without a format string: values, lists as [a,b]. Sets `err` on malformed data. */
function printEvent(p: Uint8Array, pos: { i: number; err: boolean }, out: string[], depth: number): void {
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  if (pos.i >= p.length) {
    pos.err = true;
    return;
  }
  const type = p[pos.i++];
  const left = p.length - pos.i;
  switch (type) {
    case EventType.INT:
      if (left < 4) break;
      out.push(String(v.getInt32(pos.i, true)));
      pos.i += 4;
      return;
    case EventType.LONG:
      if (left < 8) break;
      out.push(String(v.getBigInt64(pos.i, true)));
      pos.i += 8;
      return;
    case EventType.FLOAT: {
      if (left < 4) break;
      out.push(cFloat(v.getFloat32(pos.i, true)));
      pos.i += 4;
      return;
    }
    case EventType.STRING: {
      if (left < 4) break;
      let n = u32(p, pos.i);
      pos.i += 4;
      const avail = p.length - pos.i;
      if (n > avail) {
        n = avail;
        pos.err = true;
      }
      out.push(utf8.decode(p.subarray(pos.i, pos.i + n)));
      pos.i += n;
      return;
    }
    case EventType.LIST: {
      if (left < 1 || depth >= MAX_LIST_DEPTH) break;
      const count = p[pos.i++];
      out.push('[');
      for (let k = 0; k < count; k++) {
        printEvent(p, pos, out, depth + 1);
        if (pos.err) return;
        if (k < count - 1) out.push(',');
      }
      out.push(']');
      return;
    }
    default:
      break;
  }
  pos.err = true;
}

/** printf("%f") of a float. */
function cFloat(f: number): string {
  if (Number.isNaN(f)) return 'nan';
  if (!Number.isFinite(f)) return f < 0 ? '-inf' : 'inf';
  return f.toFixed(6);
}

/** android_log_processBinaryLogBuffer: "[tag]" (or its name) and the printed values. */
function binaryEntry(p: Uint8Array, logId: number, options: LogcatOptions): { priority: number; tag: string; message: string } {
  const priority = logId === LogId.SECURITY ? LogPriority.WARN : LogPriority.INFO;
  if (p.length < 4) return { priority, tag: '', message: '!' };
  const tagIndex = u32(p, 0);
  const tag = options.eventTags?.get(tagIndex) ?? `[${tagIndex}]`;
  const out: string[] = [];
  const pos = { i: 4, err: false };
  if (p.length > 4) printEvent(p, pos, out, 0);
  if (pos.err) out.push('!');
  return { priority, tag, message: out.join('') };
}

/**
 * Split pmsg bytes into logger entries. Bytes where no acceptable header
 * starts are skipped (a wrapped ring starts mid-record; a torn write leaves
 * half a record), as liblog's own reader does. Never throws on input.
 */
export function decodePmsg(bytes: Uint8Array, options: LogcatOptions = {}): PmsgDecodeResult {
  const entries: LogcatEntry[] = [];
  const skipped: SkippedRun[] = [];
  let skippedBytes = 0;
  let runStart = -1;
  let i = 0;
  while (i < bytes.length) {
    const len = acceptHeader(bytes, i);
    if (!len) {
      if (runStart < 0) runStart = i;
      i++;
      continue;
    }
    if (runStart >= 0) {
      skipped.push({ offset: runStart, length: i - runStart });
      skippedBytes += i - runStart;
      runStart = -1;
    }
    const logId = bytes[i + 7];
    const payload = bytes.subarray(i + PMSG_FRAME_HEADER, i + len);
    const body = isBinaryBuffer(logId) ? binaryEntry(payload, logId, options) : textEntry(payload);
    entries.push({
      offset: i,
      uid: u16(bytes, i + 3),
      pid: u16(bytes, i + 5),
      tid: u16(bytes, i + 8),
      logId,
      sec: u32(bytes, i + 10),
      nsec: u32(bytes, i + 14),
      binary: isBinaryBuffer(logId),
      ...body,
    });
    i += len;
  }
  if (runStart >= 0) {
    skipped.push({ offset: runStart, length: bytes.length - runStart });
    skippedBytes += bytes.length - runStart;
  }
  return { entries, skipped, skippedBytes };
}

const pad2 = (n: number): string => (n < 10 ? '0' : '') + n;

/** `MM-DD HH:MM:SS.mmm` in UTC (logcat uses the local zone; a crash report should not depend on the reader's). */
export function logcatTime(sec: number, nsec: number): string {
  const d = new Date(sec * 1000);
  const ms = String(Math.floor(nsec / 1_000_000)).padStart(3, '0');
  return `${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}.${ms}`;
}

/** One entry as logcat's threadtime lines: one line per message line, each with the prefix. */
export function formatThreadtime(e: LogcatEntry): string {
  const prefix = `${logcatTime(e.sec, e.nsec)} ${String(e.pid).padStart(5)} ${String(e.tid).padStart(5)} ${PRI_CHARS[e.priority] ?? '?'} ${e.tag.padEnd(8)}: `;
  const msg = e.message;
  const lines = msg.length === 0 ? [''] : (msg.endsWith('\n') ? msg.slice(0, -1) : msg).split('\n');
  let out = '';
  for (const line of lines) out += prefix + line + '\n';
  return out;
}

/** pmsg bytes → logcat threadtime text, plus what had to be skipped. */
export function pmsgToLogcat(bytes: Uint8Array, options: LogcatOptions = {}): { text: string; entries: number; skipped: SkippedRun[]; skippedBytes: number } {
  const r = decodePmsg(bytes, options);
  let text = '';
  for (const e of r.entries) text += formatThreadtime(e);
  return { text, entries: r.entries.length, skipped: r.skipped, skippedBytes: r.skippedBytes };
}

// ---- writer side (liblog's pmsgWrite), for tests and `pstore write pmsg` users ----

export interface PmsgRecordFields {
  logId: number;
  uid: number;
  pid: number;
  tid: number;
  sec: number;
  nsec: number;
}

/** One pmsg frame: both headers, `len` covering headers and payload (payload capped as liblog caps it). */
export function encodePmsgRecord(f: PmsgRecordFields, payload: Uint8Array): Uint8Array {
  const body = payload.length > LOGGER_ENTRY_MAX_PAYLOAD ? payload.subarray(0, LOGGER_ENTRY_MAX_PAYLOAD) : payload;
  const out = new Uint8Array(PMSG_FRAME_HEADER + body.length);
  const v = new DataView(out.buffer);
  out[0] = LOGGER_MAGIC;
  v.setUint16(1, out.length, true);
  v.setUint16(3, f.uid, true);
  v.setUint16(5, f.pid, true);
  out[7] = f.logId;
  v.setUint16(8, f.tid, true);
  v.setUint32(10, f.sec >>> 0, true);
  v.setUint32(14, f.nsec >>> 0, true);
  out.set(body, PMSG_FRAME_HEADER);
  return out;
}

const utf8enc = new TextEncoder();

/** A text log payload: <prio><tag>\0<message>\0. */
export function textPayload(priority: number, tag: string, message: string): Uint8Array {
  const t = utf8enc.encode(tag);
  const m = utf8enc.encode(message);
  const out = new Uint8Array(1 + t.length + 1 + m.length + 1);
  out[0] = priority;
  out.set(t, 1);
  out.set(m, t.length + 2);
  return out;
}

export type EventValue = { int: number } | { long: bigint } | { float: number } | { string: string } | { list: EventValue[] };

/** A binary event payload: <tag u32><typed value>, as android_log_write_list builds it. */
export function eventPayload(tag: number, value: EventValue): Uint8Array {
  const parts: number[] = [];
  const push32 = (n: number): void => {
    parts.push(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
  };
  push32(tag >>> 0);
  const put = (x: EventValue): void => {
    if ('int' in x) {
      parts.push(EventType.INT);
      push32(x.int | 0);
    } else if ('long' in x) {
      parts.push(EventType.LONG);
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigInt64(0, x.long, true);
      parts.push(...b);
    } else if ('float' in x) {
      parts.push(EventType.FLOAT);
      const b = new Uint8Array(4);
      new DataView(b.buffer).setFloat32(0, x.float, true);
      parts.push(...b);
    } else if ('string' in x) {
      const s = utf8enc.encode(x.string);
      parts.push(EventType.STRING);
      push32(s.length);
      parts.push(...s);
    } else {
      parts.push(EventType.LIST, x.list.length);
      for (const e of x.list) put(e);
    }
  };
  put(value);
  return Uint8Array.from(parts);
}
