/**
 * The kernel log as printk keeps it (kernel/printk/printk_ringbuffer.c): a
 * sequence-numbered run of records in a bounded ring. Old records fall out
 * when the data ring (2^LOG_BUF_SHIFT bytes) or the descriptor ring
 * (2^(LOG_BUF_SHIFT-5) entries) is full, the way prb_reserve evicts them.
 *
 * Storage mirrors the kernel's two rings so that append allocates nothing:
 * record texts live in one byte ring at the offset of their data block, and
 * per-record fields in typed-array descriptor columns. A LogRecord object
 * (with its own copy of the text) is built only when a record is read.
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

const NS_PER_SEC_BIG = 1_000_000_000n;
const TWO_POW_64 = 1n << 64n;
const encoder = new TextEncoder();
/** Strings up to this many UTF-16 units are encoded into a reused scratch buffer. */
const SCRATCH_CHARS = 4096;
/** Shorter texts are copied byte by byte: cheaper than a subarray view plus set(). */
const SMALL_COPY = 48;
/** First allocation of the rings; they grow (up to their nominal size) only as they fill. */
const INITIAL_DESCS = 256;
const INITIAL_DATA = 16384;

export class LogBuffer {
  readonly dataSize: number;
  readonly descCount: number;
  readonly wordSize: number;
  readonly maxTextLen: number;
  readonly reserveOverhead: number;
  /** First sequence number still readable after `dmesg -C` (syslog clear). */
  clearSeq = 0;

  /** Oldest held sequence number (the descriptor ring tail). */
  private seqFirst = 0;
  private seqNext = 0;
  /** Data ring head logical position (monotonic; plain numbers stay exact far past any real log). */
  private headLpos = 0;

  // Descriptor ring, one column per field; slot of seq is seq & descMask.
  // Capacity is a power of two <= descCount and doubles when full.
  private descMask: number;
  /** local_clock ns when below 2^53 (exact in a double); NaN means "see tsBig". */
  private tsNs: Float64Array;
  private tsBig: (bigint | undefined)[] = [];
  private facilityOf: Uint8Array;
  private levelOf: Uint8Array;
  private callerOf: Float64Array;
  /** Text offset in `data`, or -1 for text kept in `looseText` (a record without a data block). */
  private textOff: Int32Array;
  private textLen: Int32Array;
  /** Logical position range of the data block; begin === next for data-less records. */
  private beginLpos: Float64Array;
  private nextLpos: Float64Array;
  /** Records built by get(), so repeated reads return the same object (checked by seq). */
  private built: (LogRecord | undefined)[] = [];
  private looseText: (Uint8Array | undefined)[] = [];

  /** The data ring; offsets are logical positions mod dataSize. Grows up to dataSize. */
  private data: Uint8Array;
  private scratch: Uint8Array | null = null;

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

    const cap = Math.min(this.descCount, INITIAL_DESCS);
    this.descMask = cap - 1;
    this.tsNs = new Float64Array(cap);
    this.facilityOf = new Uint8Array(cap);
    this.levelOf = new Uint8Array(cap);
    this.callerOf = new Float64Array(cap);
    this.textOff = new Int32Array(cap);
    this.textLen = new Int32Array(cap);
    this.beginLpos = new Float64Array(cap);
    this.nextLpos = new Float64Array(cap);
    this.data = new Uint8Array(Math.min(this.dataSize, INITIAL_DATA));
  }

  /** Sequence number of the oldest record still held. */
  get firstSeq(): number {
    return this.seqFirst;
  }

  /** Sequence number the next appended record will get (prb_next_seq). */
  get nextSeq(): number {
    return this.seqNext;
  }

  /** Records currently held. */
  get length(): number {
    return this.seqNext - this.seqFirst;
  }

  /** The record with this sequence number, if still held. */
  get(seq: number): LogRecord | undefined {
    if (!(seq >= this.seqFirst && seq < this.seqNext)) return undefined;
    // A fractional seq would index nothing in an array; keep it that way.
    if (!Number.isInteger(seq)) return undefined;
    const slot = seq & this.descMask;
    const cached = this.built[slot];
    if (cached !== undefined && cached.seq === seq) return cached;
    const rec = this.build(seq, slot);
    this.built[slot] = rec;
    return rec;
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
    const ts = input.tsNsec;
    let ns: number;
    let big: bigint | undefined;
    if (typeof ts === 'number') {
      if (!Number.isFinite(ts) || ts < 0) throw new UsageError(`timestamp ${ts} ns out of range`);
      // Every double is an exact integer once floored; BigInt() of it later is exact too.
      ns = Math.floor(ts);
    } else {
      if (ts < 0n || ts >= TWO_POW_64) throw new UsageError(`timestamp ${ts} ns out of range`);
      if (ts <= BigInt(Number.MAX_SAFE_INTEGER)) {
        ns = Number(ts);
      } else {
        ns = NaN;
        big = ts;
      }
    }
    const facility = input.facility ?? 0;
    const level = input.level ?? MESSAGE_LOGLEVEL_DEFAULT;
    if (!Number.isInteger(facility) || facility < 0 || facility > 255) {
      throw new UsageError(`facility ${facility} out of range 0..255`);
    }
    if (!Number.isInteger(level) || level < 0 || level > 7) {
      throw new UsageError(`level ${level} out of range 0..7`);
    }
    const callerId = input.callerId ?? 0;

    let raw: Uint8Array;
    let rawLen: number;
    const t = input.text;
    if (typeof t === 'string') {
      if (t.length <= SCRATCH_CHARS) {
        // encodeInto never stops early when the buffer has 3 bytes per UTF-16 unit.
        const s = (this.scratch ??= new Uint8Array(SCRATCH_CHARS * 3));
        rawLen = encoder.encodeInto(t, s).written;
        raw = s;
      } else {
        raw = encoder.encode(t);
        rawLen = raw.length;
      }
    } else {
      raw = t;
      rawLen = t.length;
    }
    // printk_sprint drops one trailing newline: it becomes the record end.
    let len = rawLen;
    if (len > 0 && raw[len - 1] === 0x0a) len--;
    if (len > this.maxTextLen) len = this.maxTextLen;

    const reserve = input.reserveSize ?? Math.min(len + this.reserveOverhead, LOG_LINE_MAX);
    const dataLen = Math.max(reserve, len > 0 ? len + 1 : 0);

    // desc_reserve: the ring holds at most descCount descriptors.
    if (this.seqNext - this.seqFirst >= this.descCount) this.seqFirst++;

    const begin = this.headLpos;
    let next = begin;
    let off = -1;
    if (dataLen > 0) {
      const ws = this.wordSize;
      const size = this.dataSize;
      const blk = Math.ceil((dataLen + ws) / ws) * ws;
      if (blk > size - ws) {
        throw new UsageError(`record of ${dataLen} bytes cannot fit a ${size}-byte log buffer`);
      }
      next = begin + blk;
      // get_next_lpos: a block never straddles the wrap; ending exactly on it counts as wrapping.
      if (Math.floor(begin / size) !== Math.floor(next / size)) {
        next = Math.floor(next / size) * size + blk;
      }
      // data_push_tail: evict until the new block's end is within one ring of the tail.
      const limit = next - size;
      const bl = this.beginLpos;
      const nl = this.nextLpos;
      const mask = this.descMask;
      while (this.seqFirst < this.seqNext) {
        const s = this.seqFirst & mask;
        const b = bl[s];
        if (b === nl[s]) {
          // A data-less record ahead of evicted data goes with it (approximation of desc recycling).
          if (this.hasDataAfterHead(limit)) {
            this.seqFirst++;
            continue;
          }
          break;
        }
        if (b >= limit) break;
        this.seqFirst++;
      }
      // A wrapped block keeps the old head as its begin: the skipped tail space is charged to it.
      this.headLpos = next;
      // Held blocks all lie in [next - size, next), so their ring offsets never overlap.
      // The text sits after the block's id word, as in the kernel's data ring.
      off = ((next - blk) % size) + ws;
    }

    if (this.seqNext - this.seqFirst >= this.descMask + 1) this.growDescs();
    const seq = this.seqNext;
    const slot = seq & this.descMask;
    if (off >= 0) {
      if (off + len > this.data.length) this.growData(off + len);
      const d = this.data;
      if (len <= SMALL_COPY) {
        for (let i = 0; i < len; i++) d[off + i] = raw[i];
      } else {
        d.set(len === raw.length ? raw : raw.subarray(0, len), off);
      }
    } else if (len > 0) {
      // Only a non-numeric reserveSize gets here: text without a data block.
      this.looseText[slot] = raw.slice(0, len);
    }
    this.tsNs[slot] = ns;
    if (big !== undefined) this.tsBig[slot] = big;
    this.facilityOf[slot] = facility;
    this.levelOf[slot] = level;
    this.callerOf[slot] = callerId;
    this.textOff[slot] = off;
    this.textLen[slot] = len;
    this.beginLpos[slot] = begin;
    this.nextLpos[slot] = next;
    this.seqNext = seq + 1;
    return seq;
  }

  /** True when some record with data still starts before `limit` (so eviction continues). */
  private hasDataAfterHead(limit: number): boolean {
    const mask = this.descMask;
    for (let seq = this.seqFirst; seq < this.seqNext; seq++) {
      const s = seq & mask;
      const b = this.beginLpos[s];
      if (b !== this.nextLpos[s]) return b < limit;
    }
    return false;
  }

  /** A LogRecord for a held seq, with its own copy of the text. */
  private build(seq: number, slot: number): LogRecord {
    const len = this.textLen[slot];
    const off = this.textOff[slot];
    const text = off >= 0 ? this.data.slice(off, off + len) : len > 0 ? (this.looseText[slot] as Uint8Array).slice() : new Uint8Array(0);
    let lineCount = 1;
    for (let i = 0; i < text.length; i++) if (text[i] === 0x0a) lineCount++;

    let ns = this.tsNs[slot];
    let tsNsec: bigint;
    let sec: number;
    let usec: number;
    if (ns === ns && ns <= Number.MAX_SAFE_INTEGER) {
      if (ns === 0) ns = 0; // -0 from Math.floor(-0)
      tsNsec = BigInt(ns);
      // Exact in doubles: below 2^53 sec < 2^24, where a quotient short of the next
      // integer by >= 1e-9 is more than half an ulp away from it, so floor never rounds up.
      sec = Math.floor(ns / 1e9);
      const rem = ns - sec * 1e9;
      usec = Math.floor(rem / 1000);
    } else {
      tsNsec = ns === ns ? BigInt(ns) : (this.tsBig[slot] as bigint);
      sec = Number(tsNsec / NS_PER_SEC_BIG);
      usec = Number((tsNsec % NS_PER_SEC_BIG) / 1000n);
    }
    return {
      seq,
      tsNsec,
      facility: this.facilityOf[slot],
      level: this.levelOf[slot],
      text,
      callerId: this.callerOf[slot],
      sec,
      usec,
      lineCount,
    };
  }

  /** Doubles the descriptor columns (never past descCount), re-slotting held records. */
  private growDescs(): void {
    const oldMask = this.descMask;
    const cap = Math.min(this.descCount, (oldMask + 1) * 2);
    const mask = cap - 1;
    const move = <T extends Float64Array | Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      for (let seq = this.seqFirst; seq < this.seqNext; seq++) b[seq & mask] = a[seq & oldMask];
      return b;
    };
    const moveList = <T>(a: (T | undefined)[]): (T | undefined)[] => {
      const b: (T | undefined)[] = [];
      for (let seq = this.seqFirst; seq < this.seqNext; seq++) {
        const v = a[seq & oldMask];
        if (v !== undefined) b[seq & mask] = v;
      }
      return b;
    };
    const f64 = (n: number) => new Float64Array(n);
    const i32 = (n: number) => new Int32Array(n);
    const u8 = (n: number) => new Uint8Array(n);
    this.tsNs = move(this.tsNs, f64);
    this.callerOf = move(this.callerOf, f64);
    this.beginLpos = move(this.beginLpos, f64);
    this.nextLpos = move(this.nextLpos, f64);
    this.textOff = move(this.textOff, i32);
    this.textLen = move(this.textLen, i32);
    this.facilityOf = move(this.facilityOf, u8);
    this.levelOf = move(this.levelOf, u8);
    this.tsBig = moveList(this.tsBig);
    this.built = moveList(this.built);
    this.looseText = moveList(this.looseText);
    this.descMask = mask;
  }

  /** Grows the data ring to hold `end` bytes (offsets stay put: they are lpos mod dataSize). */
  private growData(end: number): void {
    const n = Math.min(this.dataSize, Math.max(end, this.data.length * 2));
    const d = new Uint8Array(n);
    d.set(this.data);
    this.data = d;
  }
}
