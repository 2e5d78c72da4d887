/**
 * log-append: one logged line into the printk log ring (LogBuffer.append),
 * as the recorder stores each captured line: ~110 bytes of JSON, a fractional
 * performance.now() timestamp in ns, default 128 KiB ring (so it evicts all
 * the time). log-append-string: the same line passed as a string.
 * log-fill-dump: a ring's worth of lines, then the whole ring read back in
 * printed form (formatLog), so the cost moved from append to read counts. Baseline for all: the previous
 * LogBuffer (one object and one text copy per record, BigInt timestamp
 * split at append), kept below verbatim in behaviour, measured in the same
 * process, interleaved, best of several rounds (the machine is shared).
 */
import { opsPerSecond, type BenchCase } from './harness.js';
import { formatLog, LogBuffer, type LogRecord, type LogRecordInput } from '../src/frontends/index.js';
import { UsageError } from '../src/errors.js';

const LINE = '{"level":30,"time":1704067200000,"pid":4242,"msg":"request handled","path":"/api/items","status":200,"ms":3.2}';
const ROUNDS = Number(process.env.PSTORE_BENCH_ROUNDS ?? 5);

/** The LogBuffer this change replaced: the reference for the ratio. */
class ReferenceLogBuffer {
  readonly dataSize: number;
  readonly descCount: number;
  readonly wordSize = 8;
  readonly maxTextLen = 991;
  readonly reserveOverhead = 4;
  private slots: { rec: LogRecord; begin: number; next: number }[] = [];
  private head = 0;
  private seqNext = 0;
  private headLpos = 0;
  private static readonly enc = new TextEncoder();

  constructor(shift = 17) {
    this.dataSize = 2 ** shift;
    this.descCount = 2 ** (shift - 5);
  }

  get length(): number {
    return this.slots.length - this.head;
  }

  *records(): IterableIterator<LogRecord> {
    for (let i = this.head; i < this.slots.length; i++) yield this.slots[i].rec;
  }

  append(input: LogRecordInput): number {
    const ts = input.tsNsec;
    let ns: bigint;
    if (typeof ts === 'bigint') {
      if (ts < 0n || ts >= 1n << 64n) throw new UsageError('timestamp out of range');
      ns = ts;
    } else {
      if (!Number.isFinite(ts) || ts < 0) throw new UsageError('timestamp out of range');
      ns = BigInt(Math.floor(ts));
    }
    const facility = input.facility ?? 0;
    const level = input.level ?? 4;
    if (!Number.isInteger(facility) || facility < 0 || facility > 255) throw new UsageError('facility');
    if (!Number.isInteger(level) || level < 0 || level > 7) throw new UsageError('level');
    const callerId = input.callerId ?? 0;
    const raw = typeof input.text === 'string' ? ReferenceLogBuffer.enc.encode(input.text) : input.text;
    let len = raw.length;
    if (len > 0 && raw[len - 1] === 0x0a) len--;
    if (len > this.maxTextLen) len = this.maxTextLen;
    const text = raw.slice(0, len);
    let lineCount = 1;
    for (let i = 0; i < len; i++) if (text[i] === 0x0a) lineCount++;
    const reserve = input.reserveSize ?? Math.min(len + this.reserveOverhead, 992);
    const dataLen = Math.max(reserve, len > 0 ? len + 1 : 0);
    const rec: LogRecord = {
      seq: this.seqNext,
      tsNsec: ns,
      facility,
      level,
      text,
      callerId,
      sec: Number(ns / 1_000_000_000n),
      usec: Number((ns % 1_000_000_000n) / 1000n),
      lineCount,
    };
    if (this.length >= this.descCount) this.dropOldest();
    const begin = this.headLpos;
    let next = begin;
    if (dataLen > 0) {
      const blk = Math.ceil((dataLen + this.wordSize) / this.wordSize) * this.wordSize;
      if (blk > this.dataSize - this.wordSize) throw new UsageError('record too big');
      next = begin + blk;
      if (Math.floor(begin / this.dataSize) !== Math.floor(next / this.dataSize)) {
        next = Math.floor(next / this.dataSize) * this.dataSize + blk;
      }
      const limit = next - this.dataSize;
      while (this.head < this.slots.length) {
        const s = this.slots[this.head];
        if (s.begin === s.next) {
          if (this.hasDataAfterHead(limit)) {
            this.dropOldest();
            continue;
          }
          break;
        }
        if (s.begin >= limit) break;
        this.dropOldest();
      }
      this.headLpos = next;
    }
    this.slots.push({ rec, begin, next });
    this.seqNext++;
    return rec.seq;
  }

  private hasDataAfterHead(limit: number): boolean {
    for (let i = this.head; i < this.slots.length; i++) {
      const s = this.slots[i];
      if (s.begin !== s.next) return s.begin < limit;
    }
    return false;
  }

  private dropOldest(): void {
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.slots.length) {
      this.slots = this.slots.slice(this.head);
      this.head = 0;
    }
  }
}

interface Appender {
  append(input: LogRecordInput): number;
}

/** Appends like the recorder: a subarray of a line buffer, a fresh input object per line. */
function lineFeeder(log: Appender, asString: boolean): () => void {
  const bytes = new TextEncoder().encode(LINE + '\n' + LINE + '\n');
  const half = bytes.length / 2;
  let i = 0;
  return () => {
    const from = (i & 1) * half;
    const text = asString ? LINE : bytes.subarray(from, from + half - 1);
    log.append({ tsNsec: performance.now() * 1e6, facility: 1, level: 6, text });
    i++;
  };
}

function appendCase(name: string, asString: boolean): BenchCase {
  return {
    name,
    run() {
      const fresh = lineFeeder(new LogBuffer(), asString);
      const ref = lineFeeder(new ReferenceLogBuffer(), asString);
      let value = 0;
      let base = 0;
      for (let r = 0; r < ROUNDS; r++) {
        value = Math.max(value, opsPerSecond(fresh, 300));
        base = Math.max(base, opsPerSecond(ref, 300));
      }
      return { name, unit: 'lines/s', value, baseline: { name: 'previous LogBuffer', value: base } };
    },
  };
}

const dumpCase: BenchCase = {
  name: 'log-fill-dump',
  run() {
    // A full ring's worth of new lines (128 KiB / ~120-byte blocks) then one dump of it:
    // every record is read once after it was stored, as in a crash dump.
    const FILL = 1200;
    const log = new LogBuffer();
    const ref = new ReferenceLogBuffer();
    const feedNew = lineFeeder(log, false);
    const feedRef = lineFeeder(ref, false);
    const dumpNew = (): void => {
      for (let i = 0; i < FILL; i++) feedNew();
      formatLog(log.records(), { syslog: true });
    };
    const dumpRef = (): void => {
      for (let i = 0; i < FILL; i++) feedRef();
      formatLog(ref.records(), { syslog: true });
    };
    let value = 0;
    let base = 0;
    for (let r = 0; r < ROUNDS; r++) {
      value = Math.max(value, opsPerSecond(dumpNew, 300));
      base = Math.max(base, opsPerSecond(dumpRef, 300));
    }
    return { name: 'log-fill-dump', unit: 'rings/s', value, baseline: { name: 'previous LogBuffer', value: base } };
  },
};

export default [appendCase('log-append', false), appendCase('log-append-string', true), dumpCase] satisfies BenchCase[];
