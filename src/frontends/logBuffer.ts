/**
 * The kernel log as printk keeps it (kernel/printk/printk_ringbuffer.c): a
 * sequence-numbered run of records in a bounded ring. Old records fall out
 * when the data ring (2^LOG_BUF_SHIFT bytes) or the descriptor ring
 * (2^(LOG_BUF_SHIFT-5) entries) is full, the way prb_reserve evicts them.
 */
import { UsageError } from '../errors.js';

/** CONFIG_LOG_BUF_SHIFT default: a 128 KiB text ring. */
export const LOG_BUF_SHIFT_DEFAULT = 17;
/** PRB_AVGBITS: the descriptor ring has one entry per 32 bytes of text ring. */
export const PRB_AVGBITS = 5;
/** LOG_LINE_MAX without CONFIG_PRINTK_CALLER (CONSOLE_LOG_MAX 1024 - PREFIX_MAX 32). */
export const LOG_LINE_MAX = 992;
/** MESSAGE_LOGLEVEL_DEFAULT: the level of a printk without KERN_<LEVEL>. */
export const MESSAGE_LOGLEVEL_DEFAULT = 4;

/** One record to append; text is one message without its trailing newline. */
export interface LogRecordInput {
  /** Nanoseconds since boot (local_clock). */
  tsNsec: bigint | number;
  /** Syslog facility; 0 for kernel messages, 1 (user) for /dev/kmsg writes without a prefix. */
  facility?: number;
  /** 0 (emerg) .. 7 (debug). Default MESSAGE_LOGLEVEL_DEFAULT. */
  level?: number;
  /** Message bytes (string is encoded as UTF-8). May hold embedded newlines. */
  text: string | Uint8Array;
  /** CONFIG_PRINTK_CALLER id: thread id, or 0x80000000 | cpu. */
  callerId?: number;
  /** Bytes vprintk_store reserved in the text ring; default text length + reserveOverhead. */
  reserveSize?: number;
}

/** A record as stored. */
export interface LogRecord {
  readonly seq: number;
  readonly tsNsec: bigint;
  readonly facility: number;
  readonly level: number;
  readonly text: Uint8Array;
  readonly callerId: number;
  /** Whole seconds of tsNsec (what print_time shows left of the dot). */
  readonly sec: number;
  /** Microseconds part of tsNsec (right of the dot). */
  readonly usec: number;
  /** 1 + number of newlines in text (count_lines). */
  readonly lineCount: number;
}

export interface LogBufferOptions {
  /** log2 of the text ring size (CONFIG_LOG_BUF_SHIFT / log_buf_len). Default 17. */
  logBufShift?: number;
  /** sizeof(unsigned long) of the machine: 8 (64-bit) or 4. Default 8. */
  wordSize?: 4 | 8;
  /** Longest text kept per record; longer text is cut. Default LOG_LINE_MAX - 1. */
  maxTextLen?: number;
  /**
   * Bytes reserved beyond the stored text when reserveSize is not given:
   * KERN_SOH + level char + '\n' + NUL = 4 for a typical pr_info("...\n").
   */
  reserveOverhead?: number;
}

const NS_PER_SEC = 1_000_000_000n;
const encoder = new TextEncoder();

interface Slot {
  rec: LogRecord;
  /** Logical position range of its data block; begin === next for data-less records. */
  begin: number;
  next: number;
}

export class LogBuffer {
  readonly dataSize: number;
  readonly descCount: number;
  readonly wordSize: number;
  readonly maxTextLen: number;
  readonly reserveOverhead: number;
  /** First sequence number still readable after `dmesg -C` (syslog clear). */
  clearSeq = 0;

  private slots: Slot[] = [];
  /** Index in `slots` of the oldest live record (slots is compacted lazily). */
  private head = 0;
  private seqNext = 0;
  /** Data ring head logical position (monotonic; plain numbers stay exact far past any real log). */
  private headLpos = 0;

  constructor(opts: LogBufferOptions = {}) {
    const shift = opts.logBufShift ?? LOG_BUF_SHIFT_DEFAULT;
    if (!Number.isInteger(shift) || shift < PRB_AVGBITS + 1 || shift > 30) {
      throw new UsageError(`logBufShift ${shift} out of range ${PRB_AVGBITS + 1}..30`);
    }
    this.dataSize = 2 ** shift;
    this.descCount = 2 ** (shift - PRB_AVGBITS);
    this.wordSize = opts.wordSize ?? 8;
    this.maxTextLen = opts.maxTextLen ?? LOG_LINE_MAX - 1;
    this.reserveOverhead = opts.reserveOverhead ?? 4;
  }

  /** Sequence number of the oldest record still held. */
  get firstSeq(): number {
    return this.head < this.slots.length ? this.slots[this.head].rec.seq : this.seqNext;
  }

  /** Sequence number the next appended record will get (prb_next_seq). */
  get nextSeq(): number {
    return this.seqNext;
  }

  /** Records currently held. */
  get length(): number {
    return this.slots.length - this.head;
  }

  /** The record with this sequence number, if still held. */
  get(seq: number): LogRecord | undefined {
    const first = this.firstSeq;
    if (seq < first || seq >= this.seqNext) return undefined;
    return this.slots[this.head + (seq - first)].rec;
  }

  /** Oldest held record with seq >= `seq` (prb_read_valid: lost records are skipped). */
  readValid(seq: number): LogRecord | undefined {
    return this.get(Math.max(seq, this.firstSeq));
  }

  /** Records from `fromSeq` (default the oldest) up to the newest. */
  *records(fromSeq = 0): IterableIterator<LogRecord> {
    for (let seq = Math.max(fromSeq, this.firstSeq); seq < this.seqNext; seq++) {
      const r = this.get(seq);
      if (r) yield r;
    }
  }

  [Symbol.iterator](): IterableIterator<LogRecord> {
    return this.records();
  }

  /** SYSLOG_ACTION_CLEAR (`dmesg -C`): later dumps start after what is held now. */
  clear(): void {
    this.clearSeq = this.seqNext;
  }

  /** Store one record (vprintk_store); returns its sequence number. */
  append(input: LogRecordInput): number {
    const ns = toNsec(input.tsNsec);
    const facility = input.facility ?? 0;
    const level = input.level ?? MESSAGE_LOGLEVEL_DEFAULT;
    if (!Number.isInteger(facility) || facility < 0 || facility > 255) {
      throw new UsageError(`facility ${facility} out of range 0..255`);
    }
    if (!Number.isInteger(level) || level < 0 || level > 7) {
      throw new UsageError(`level ${level} out of range 0..7`);
    }
    const callerId = input.callerId ?? 0;
    const raw = typeof input.text === 'string' ? encoder.encode(input.text) : input.text;
    // printk_sprint drops one trailing newline: it becomes the record end.
    let len = raw.length;
    if (len > 0 && raw[len - 1] === 0x0a) len--;
    if (len > this.maxTextLen) len = this.maxTextLen;
    const text = raw.slice(0, len);

    let lineCount = 1;
    for (let i = 0; i < len; i++) if (text[i] === 0x0a) lineCount++;

    const reserve = input.reserveSize ?? Math.min(len + this.reserveOverhead, LOG_LINE_MAX);
    const dataLen = Math.max(reserve, len > 0 ? len + 1 : 0);

    const rec: LogRecord = {
      seq: this.seqNext,
      tsNsec: ns,
      facility,
      level,
      text,
      callerId,
      sec: Number(ns / NS_PER_SEC),
      usec: Number((ns % NS_PER_SEC) / 1000n),
      lineCount,
    };

    // desc_reserve: the ring holds at most descCount descriptors.
    if (this.length >= this.descCount) this.dropOldest();

    const begin = this.headLpos;
    let next = begin;
    if (dataLen > 0) {
      const blk = alignUp(dataLen + this.wordSize, this.wordSize);
      if (blk > this.dataSize - this.wordSize) {
        throw new UsageError(`record of ${dataLen} bytes cannot fit a ${this.dataSize}-byte log buffer`);
      }
      next = begin + blk;
      // get_next_lpos: a block never straddles the wrap; ending exactly on it counts as wrapping.
      if (Math.floor(begin / this.dataSize) !== Math.floor(next / this.dataSize)) {
        next = Math.floor(next / this.dataSize) * this.dataSize + blk;
      }
      // data_push_tail: evict until the new block's end is within one ring of the tail.
      const limit = next - this.dataSize;
      while (this.head < this.slots.length) {
        const s = this.slots[this.head];
        if (s.begin === s.next) {
          // A data-less record ahead of evicted data goes with it (approximation of desc recycling).
          if (this.hasDataAfterHead(limit)) {
            this.dropOldest();
            continue;
          }
          break;
        }
        if (s.begin >= limit) break;
        this.dropOldest();
      }
      // A wrapped block keeps the old head as its begin: the skipped tail space is charged to it.
      this.headLpos = next;
    }
    this.slots.push({ rec, begin, next });
    this.seqNext++;
    return rec.seq;
  }

  /** True when some record with data still starts before `limit` (so eviction continues). */
  private hasDataAfterHead(limit: number): boolean {
    for (let i = this.head; i < this.slots.length; i++) {
      const s = this.slots[i];
      if (s.begin !== s.next) return s.begin < limit;
    }
    return false;
  }

  private dropOldest(): void {
    this.head++;
    // Compact occasionally so memory stays bounded by the ring, not the history.
    if (this.head > 1024 && this.head * 2 > this.slots.length) {
      this.slots = this.slots.slice(this.head);
      this.head = 0;
    }
  }
}

function toNsec(ts: bigint | number): bigint {
  if (typeof ts === 'bigint') {
    if (ts < 0n || ts >= 1n << 64n) throw new UsageError(`timestamp ${ts} ns out of range`);
    return ts;
  }
  if (!Number.isFinite(ts) || ts < 0) throw new UsageError(`timestamp ${ts} ns out of range`);
  return BigInt(Math.floor(ts));
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}
