/**
 * LogBuffer's byte ring and descriptor columns against a plain model: an
 * array of record objects with copied texts, evicted by the prb rules. Any
 * append sequence (with eviction, wrap placement, explicit reserveSize,
 * oversized records that throw) must leave both holding the same records.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { LogBuffer, type LogBufferOptions, type LogRecord, type LogRecordInput } from '../src/frontends/index.js';
import { UsageError } from '../src/errors.js';

interface ModelRecord extends LogRecord {
  begin: number;
  next: number;
}

/** The log ring as a list: the obvious version of what LogBuffer must do. */
class ModelLog {
  readonly dataSize: number;
  readonly descCount: number;
  readonly wordSize: number;
  readonly maxTextLen: number;
  readonly reserveOverhead: number;
  held: ModelRecord[] = [];
  nextSeq = 0;
  head = 0;

  constructor(opts: LogBufferOptions) {
    const shift = opts.logBufShift ?? 17;
    this.dataSize = 2 ** shift;
    this.descCount = 2 ** (shift - 5);
    this.wordSize = opts.wordSize ?? 8;
    this.maxTextLen = opts.maxTextLen ?? 991;
    this.reserveOverhead = opts.reserveOverhead ?? 4;
  }

  get firstSeq(): number {
    return this.held.length ? this.held[0].seq : this.nextSeq;
  }

  append(input: LogRecordInput): number {
    const ns = typeof input.tsNsec === 'bigint' ? input.tsNsec : BigInt(Math.floor(input.tsNsec));
    if (ns < 0n || ns >= 1n << 64n) throw new UsageError('ts');
    const facility = input.facility ?? 0;
    const level = input.level ?? 4;
    const raw = typeof input.text === 'string' ? new TextEncoder().encode(input.text) : input.text;
    let len = raw.length;
    if (len > 0 && raw[len - 1] === 0x0a) len--;
    len = Math.min(len, this.maxTextLen);
    const text = Uint8Array.from(raw.subarray(0, len));
    const reserve = input.reserveSize ?? Math.min(len + this.reserveOverhead, 992);
    const dataLen = Math.max(reserve, len > 0 ? len + 1 : 0);

    if (this.held.length >= this.descCount) this.held.shift();
    let begin = this.head;
    let next = begin;
    if (dataLen > 0) {
      const blk = Math.ceil((dataLen + this.wordSize) / this.wordSize) * this.wordSize;
      if (blk > this.dataSize - this.wordSize) throw new UsageError('too big');
      next = begin + blk;
      const wraps = Math.floor(begin / this.dataSize) !== Math.floor(next / this.dataSize);
      if (wraps) next = Math.floor(next / this.dataSize) * this.dataSize + blk;
      const limit = next - this.dataSize;
      // Evict from the oldest while some data block still starts before limit.
      for (;;) {
        const firstData = this.held.find((r) => r.begin !== r.next);
        if (!firstData || firstData.begin >= limit) break;
        this.held.shift();
      }
      this.head = next;
    } else {
      begin = next = this.head;
    }
    const seq = this.nextSeq++;
    this.held.push({
      seq,
      tsNsec: ns,
      facility,
      level,
      text,
      callerId: input.callerId ?? 0,
      sec: Number(ns / 1_000_000_000n),
      usec: Number((ns % 1_000_000_000n) / 1000n),
      lineCount: 1 + text.filter((b) => b === 0x0a).length,
      begin,
      next,
    });
    return seq;
  }
}

const plain = (r: LogRecord | undefined) =>
  r && {
    seq: r.seq,
    tsNsec: r.tsNsec,
    facility: r.facility,
    level: r.level,
    text: Array.from(r.text),
    callerId: r.callerId,
    sec: r.sec,
    usec: r.usec,
    lineCount: r.lineCount,
  };

function assertSame(log: LogBuffer, model: ModelLog): void {
  assert.equal(log.nextSeq, model.nextSeq);
  assert.equal(log.firstSeq, model.firstSeq);
  assert.equal(log.length, model.held.length);
  assert.deepEqual([...log.records()].map(plain), model.held.map(plain));
  assert.equal(log.get(model.firstSeq - 1), undefined);
  assert.equal(log.get(model.nextSeq), undefined);
}

const textArb = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.uint8Array({ maxLength: 120 }),
  fc.constantFrom('', '\n', 'a\n', 'a\n\n', 'x\ny\nz', 'é€😀\n'),
  fc.integer({ min: 0, max: 1500 }).map((n) => 'L'.repeat(n) + (n & 1 ? '\n' : '')),
  // A view into a larger buffer, as the recorder passes.
  fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.nat(), fc.nat()).map(([b, x, y]) => {
    const from = x % b.length;
    return b.subarray(from, from + (y % (b.length - from + 1)));
  }),
);

const tsArb = fc.oneof(
  fc.double({ min: 0, max: 2 ** 60, noNaN: true }),
  fc.nat().map((n) => n * 1000 + 0.75),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  fc.bigInt({ min: 2n ** 53n - 10n, max: 2n ** 53n + 10n }),
  fc.integer({ min: 0, max: 9_007_199 }).map((s) => s * 1e9 + (s % 3) - 1),
);

const inputArb: fc.Arbitrary<LogRecordInput> = fc.record(
  {
    tsNsec: tsArb,
    facility: fc.integer({ min: 0, max: 255 }),
    level: fc.integer({ min: 0, max: 7 }),
    text: textArb,
    callerId: fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(-1, 0.5, -0)),
    reserveSize: fc.oneof(fc.integer({ min: -5, max: 1200 }), fc.constant(0)),
  },
  { requiredKeys: ['tsNsec', 'text'] },
);

const optsArb: fc.Arbitrary<LogBufferOptions> = fc.record(
  {
    logBufShift: fc.integer({ min: 6, max: 15 }),
    wordSize: fc.constantFrom(4 as const, 8 as const),
    maxTextLen: fc.integer({ min: 0, max: 1100 }),
    reserveOverhead: fc.integer({ min: 0, max: 40 }),
  },
  { requiredKeys: [] },
);

/** Appends to both; a throw must come from both, as a UsageError, leaving the same state. */
function appendBoth(log: LogBuffer, model: ModelLog, input: LogRecordInput): void {
  let want: unknown = null;
  let got: unknown = null;
  let wantSeq = -1;
  let gotSeq = -1;
  try {
    wantSeq = model.append(input);
  } catch (e) {
    want = e;
  }
  try {
    gotSeq = log.append(input);
  } catch (e) {
    got = e;
  }
  assert.equal(got === null, want === null, `throw mismatch: ${String(got)} vs ${String(want)}`);
  if (got !== null) assert.ok(got instanceof UsageError);
  assert.equal(gotSeq, wantSeq);
}

describe('LogBuffer ring vs list model', () => {
  it('property: same records after any append sequence (eviction, wrap, reserveSize, throws)', () => {
    fc.assert(
      fc.property(optsArb, fc.array(inputArb, { maxLength: 300, size: 'large' }), fc.integer({ min: 1, max: 50 }), (opts, inputs, every) => {
        const log = new LogBuffer(opts);
        const model = new ModelLog(opts);
        inputs.forEach((input, i) => {
          appendBoth(log, model, input);
          if (i % every === 0) assertSame(log, model);
        });
        assertSame(log, model);
      }),
      { numRuns: 300 },
    );
  });

  it('property: small lines in a tiny ring keep evicting like the model (many laps)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 6, max: 9 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.boolean()), { minLength: 50, maxLength: 2000, size: 'medium' }),
        (shift, lines) => {
          const log = new LogBuffer({ logBufShift: shift });
          const model = new ModelLog({ logBufShift: shift });
          lines.forEach(([n, empty], i) => {
            // reserveSize 0 with empty text makes a data-less record.
            const input: LogRecordInput = empty
              ? { tsNsec: i, text: '', reserveSize: 0 }
              : { tsNsec: i * 1e6, text: String.fromCharCode(97 + (i % 26)).repeat(n) + '\nz' };
            appendBoth(log, model, input);
          });
          assertSame(log, model);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a big ring grows its storage and still matches (past the first allocation, while evicting)', () => {
    // Pass 0 compares right after each growth only (no record read before, so none cached);
    // pass 1 compares often. Big records first (the ring evicts while few are held), then
    // small ones, so the descriptor columns grow with the oldest record mid-column.
    for (const often of [false, true]) {
      const opts = { logBufShift: 18 };
      const log = new LogBuffer(opts);
      const model = new ModelLog(opts);
      let x = 12345;
      let prevHeld = 0;
      for (let i = 0; i < 20000; i++) {
        x = (x * 1103515245 + 12345) >>> 0;
        const n = i < 3000 ? 600 + ((x >>> 8) % 390) : i < 12000 ? (x >>> 8) % 20 : (x >>> 8) % 400;
        // Some timestamps past 2^53 and some block-less texts, which live outside the typed columns.
        const tsNsec = i % 7 === 0 ? (1n << 60n) + BigInt(i) : i * 1_000_001;
        const reserveSize = i % 11 === 0 ? Number.NaN : undefined;
        appendBoth(log, model, { tsNsec, level: x & 7, text: 'r'.repeat(n), reserveSize });
        const held = log.length;
        const afterGrowth = held > prevHeld && held > 256 && ((held - 1) & (held - 2)) === 0;
        prevHeld = held;
        if (afterGrowth || (often && i % 997 === 0)) assertSame(log, model);
      }
      assertSame(log, model);
      assert.ok(log.firstSeq > 0);
    }
  });

  it('records read earlier keep their text after the ring reuses its bytes', () => {
    const log = new LogBuffer({ logBufShift: 8 });
    const buf = new TextEncoder().encode('first record\n');
    const seq = log.append({ tsNsec: 1, text: buf.subarray(0, 12) });
    const rec = log.get(seq)!;
    assert.equal(log.get(seq), rec, 'the same object on every read');
    buf.fill(0x41);
    for (let i = 0; i < 50; i++) log.append({ tsNsec: 2 + i, text: 'overwrite '.repeat(3) });
    assert.equal(log.get(seq), undefined);
    assert.equal(new TextDecoder().decode(rec.text), 'first record');
  });

  it('text-only records with a non-numeric reserveSize keep their text (no data block)', () => {
    const log = new LogBuffer({ logBufShift: 8 });
    const model = new ModelLog({ logBufShift: 8 });
    for (let i = 0; i < 40; i++) appendBoth(log, model, { tsNsec: i, text: `n${i}`, reserveSize: i % 3 ? Number.NaN : undefined });
    assertSame(log, model);
  });

  it('long strings encode whole (3 bytes per UTF-16 unit, lone surrogates, past the scratch size)', () => {
    const opts = { logBufShift: 16, maxTextLen: 20000 };
    const log = new LogBuffer(opts);
    const model = new ModelLog(opts);
    for (const t of ['€'.repeat(4095) + '\n', '😀'.repeat(2048), '\ud800x'.repeat(2048), '€'.repeat(4096) + '\n', 'a'.repeat(4097)]) {
      appendBoth(log, model, { tsNsec: 0, text: t });
    }
    assertSame(log, model);
    assert.equal(log.get(0)!.text.length, 4095 * 3);
  });

  it('sec/usec from numeric timestamps equal the BigInt split, at every second boundary', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Math.floor(Number.MAX_SAFE_INTEGER / 1e9) }), fc.oneof(fc.integer({ min: -3000, max: 3000 }), fc.integer({ min: -2, max: 2 })), (s, d) => {
        const ns = Math.max(0, Math.min(Number.MAX_SAFE_INTEGER, s * 1e9 + d));
        const log = new LogBuffer();
        const r = log.get(log.append({ tsNsec: ns, text: '' }))!;
        const big = BigInt(ns);
        assert.equal(r.tsNsec, big);
        assert.equal(r.sec, Number(big / 1_000_000_000n));
        assert.equal(r.usec, Number((big % 1_000_000_000n) / 1000n));
      }),
      { numRuns: 2000 },
    );
    const log = new LogBuffer();
    const neg0 = log.get(log.append({ tsNsec: -0, text: '' }))!;
    assert.ok(Object.is(neg0.sec, 0) && Object.is(neg0.usec, 0) && neg0.tsNsec === 0n);
    // Quotients that round up to the next second in a double (the remainder goes negative).
    for (const ns of [9e15 - 1, 8_999_999_999_999_999, 2 ** 53 - 1, 4_503_599_999_999_999]) {
      const r = log.get(log.append({ tsNsec: ns, text: '' }))!;
      assert.equal(r.sec, Number(BigInt(ns) / 1_000_000_000n), String(ns));
      assert.equal(r.usec, Number((BigInt(ns) % 1_000_000_000n) / 1000n), String(ns));
    }
    const huge = log.get(log.append({ tsNsec: 1e19, text: '' }))!;
    assert.equal(huge.tsNsec, 10_000_000_000_000_000_000n);
    assert.equal(huge.sec, 10_000_000_000);
  });
});
