import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  formatLog,
  formatRecord,
  KmsgDumpIter,
  LOG_LINE_MAX,
  LogBuffer,
  MESSAGE_LOGLEVEL_DEFAULT,
  prefixLength,
  printPrefix,
  recordPrintText,
  recordPrintTextSize,
  type LogRecord,
} from '../src/frontends/index.js';
import { UsageError } from '../src/errors.js';

const dec = new TextDecoder('latin1');
const one = (fields: Parameters<LogBuffer['append']>[0]): LogRecord => {
  const log = new LogBuffer();
  return log.get(log.append(fields))!;
};

describe('printk text form', () => {
  it('prefixes: syslog, time, both, neither (info_print_prefix)', () => {
    const r = one({ tsNsec: 12_345_678_901n, facility: 0, level: 6, text: 'hello' });
    assert.equal(dec.decode(formatRecord(r, { syslog: true })), '<6>[   12.345678] hello\n');
    assert.equal(dec.decode(formatRecord(r, { syslog: false })), '[   12.345678] hello\n');
    assert.equal(dec.decode(formatRecord(r, { syslog: true, time: false })), '<6>hello\n');
    assert.equal(dec.decode(formatRecord(r, { syslog: false, time: false })), 'hello\n');
  });

  it('facility << 3 | level, and seconds wider than 5 digits', () => {
    const r = one({ tsNsec: 123_456_000_000_999n, facility: 1, level: 4, text: 'user' });
    assert.equal(dec.decode(formatRecord(r, { syslog: true })), '<12>[123456.000000] user\n');
    const big = one({ tsNsec: 18_446_744_073_709_551_615n, facility: 255, level: 7, text: '' });
    assert.equal(dec.decode(formatRecord(big, { syslog: true })), '<2047>[18446744073.709551] \n');
  });

  it('caller id (CONFIG_PRINTK_CALLER) is [%6s] of T<tid> or C<cpu>', () => {
    const t = one({ tsNsec: 0, level: 6, text: 'x', callerId: 1 });
    assert.equal(dec.decode(formatRecord(t, { syslog: true, caller: true })), '<6>[    0.000000][    T1] x\n');
    const c = one({ tsNsec: 0, level: 6, text: 'x', callerId: 0x80000003 });
    assert.equal(dec.decode(formatRecord(c, { syslog: false, time: false, caller: true })), '[    C3] x\n');
    const long = one({ tsNsec: 0, level: 6, text: 'x', callerId: 1234567 });
    assert.equal(dec.decode(formatRecord(long, { syslog: false, time: false, caller: true })), '[T1234567] x\n');
    assert.equal(prefixLength(long, { syslog: false, time: false, caller: true }), 11);
  });

  it('multi-line records: every line gets the prefix (record_print_text)', () => {
    const r = one({ tsNsec: 1_000_000_000, level: 3, text: 'first\nsecond\n\nlast' });
    assert.equal(r.lineCount, 4);
    const out = dec.decode(formatRecord(r, { syslog: true }));
    assert.equal(out, '<3>[    1.000000] first\n<3>[    1.000000] second\n<3>[    1.000000] \n<3>[    1.000000] last\n');
    assert.equal(out.length, recordPrintTextSize(r, { syslog: true }));
  });

  it('record_print_text drops lines that do not fit, never cuts one, and NUL-terminates', () => {
    const r = one({ tsNsec: 0, level: 6, text: 'aa\nbbbb' });
    const dst = new Uint8Array(64).fill(0xff);
    assert.equal(recordPrintText(r, { syslog: true }, dst, 0, 30), 21);
    assert.equal(dec.decode(dst.subarray(0, 21)), '<6>[    0.000000] aa\n');
    assert.equal(dst[21], 0);
    assert.equal(recordPrintText(r, { syslog: true }, dst, 0, 45), 44);
    assert.equal(recordPrintText(r, { syslog: true }, dst, 0, 44), 21, 'needs room for the NUL');
    const single = one({ tsNsec: 0, level: 6, text: 'x'.repeat(100) });
    assert.equal(recordPrintText(single, { syslog: true }, dst, 0, 50), 0);
    assert.equal(recordPrintText(single, { syslog: true }, dst, 0, 0), 0);
  });

  it('getLine cuts like record_print_text and can measure without a buffer', () => {
    const log = new LogBuffer();
    log.append({ tsNsec: 0, level: 6, text: 'aa\nbbbb' });
    const iter = new KmsgDumpIter(log);
    assert.equal(iter.getLine(true, null), 44);
    iter.rewind();
    assert.equal(iter.getLine(true, new Uint8Array(30)), 21);
    assert.equal(iter.getLine(true, new Uint8Array(30)), false);
  });

  it('text bytes pass through unchanged (not UTF-8 is fine)', () => {
    const bytes = Uint8Array.from([0xff, 0x00, 0xc3, 0x28, 0x7f]);
    const r = one({ tsNsec: 0, level: 6, text: bytes });
    const out = formatRecord(r, { syslog: false, time: false });
    assert.deepEqual(out, Uint8Array.from([...bytes, 0x0a]));
  });

  it('printPrefix agrees with prefixLength for any record', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        (ts, facility, level, callerId, syslog, time, caller) => {
          const r = one({ tsNsec: ts, facility, level, text: '', callerId });
          const dst = new Uint8Array(64);
          const opts = { syslog, time, caller };
          const n = printPrefix(r, opts, dst, 0);
          assert.equal(n, prefixLength(r, opts));
          assert.ok(n <= 48);
          if (time) {
            const s = dec.decode(dst.subarray(0, n));
            const m = /\[ *(\d+)\.(\d{6})\]/.exec(s);
            assert.ok(m);
            assert.equal(BigInt(m[1]), ts / 1_000_000_000n);
            assert.equal(BigInt(m[2]), (ts % 1_000_000_000n) / 1000n);
          }
        },
      ),
    );
  });
});

describe('LogBuffer', () => {
  it('append: defaults, one trailing newline dropped, text copied and capped', () => {
    const log = new LogBuffer();
    const src = new TextEncoder().encode('msg\n\n');
    const seq = log.append({ tsNsec: 5, text: src });
    src[0] = 0x41;
    const r = log.get(seq)!;
    assert.equal(r.level, MESSAGE_LOGLEVEL_DEFAULT);
    assert.equal(r.facility, 0);
    assert.equal(dec.decode(r.text), 'msg\n');
    const long = log.get(log.append({ tsNsec: 6, text: 'z'.repeat(5000) }))!;
    assert.equal(long.text.length, LOG_LINE_MAX - 1);
    assert.equal(log.firstSeq, 0);
    assert.equal(log.nextSeq, 2);
    assert.deepEqual([...log].map((x) => x.seq), [0, 1]);
  });

  it('rejects bad levels, facilities, timestamps and ring sizes with UsageError', () => {
    const log = new LogBuffer();
    assert.throws(() => log.append({ tsNsec: 0, level: 8, text: '' }), UsageError);
    assert.throws(() => log.append({ tsNsec: 0, facility: 256, text: '' }), UsageError);
    assert.throws(() => log.append({ tsNsec: -1, text: '' }), UsageError);
    assert.throws(() => log.append({ tsNsec: Number.NaN, text: '' }), UsageError);
    assert.throws(() => log.append({ tsNsec: 1n << 64n, text: '' }), UsageError);
    assert.throws(() => new LogBuffer({ logBufShift: 40 }), UsageError);
    assert.throws(() => new LogBuffer({ logBufShift: 6 }).append({ tsNsec: 0, text: 'x'.repeat(60) }), UsageError);
  });

  it('data ring eviction follows prb block placement (a block ending on the wrap moves to the start)', () => {
    const log = new LogBuffer({ logBufShift: 10 }); // 1 KiB data, 32 descriptors
    // 52 text bytes + 4 reserved extra = 56, + 8-byte id = 64-byte blocks: 16 fill the ring exactly.
    for (let i = 0; i < 15; i++) log.append({ tsNsec: i, text: 'a'.repeat(52) });
    assert.equal(log.length, 15);
    assert.equal(log.firstSeq, 0);
    log.append({ tsNsec: 15, text: 'a'.repeat(52) });
    // The 16th block would end exactly at 1024: it is placed at the next wrap, evicting the oldest.
    assert.equal(log.firstSeq, 1);
    assert.equal(log.length, 15);
    for (let i = 16; i < 100; i++) log.append({ tsNsec: i, text: 'a'.repeat(52) });
    assert.equal(log.length, 15);
    assert.equal(log.firstSeq, 85);
    assert.equal(log.nextSeq, 100);
  });

  it('the descriptor ring bounds the record count (2^(shift-5))', () => {
    const log = new LogBuffer({ logBufShift: 10 });
    for (let i = 0; i < 40; i++) log.append({ tsNsec: i, text: '' });
    assert.equal(log.length, 32);
    assert.equal(log.firstSeq, 8);
    assert.equal(log.get(7), undefined);
    assert.equal(log.get(8)!.seq, 8);
  });

  it('property: held records are the newest, contiguous, and fit the ring', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 400 }),
        fc.integer({ min: 9, max: 13 }),
        (lens, shift) => {
          const log = new LogBuffer({ logBufShift: shift });
          const size = 2 ** shift;
          for (let i = 0; i < lens.length; i++) {
            if (lens[i] + 4 + 8 > size / 2) continue;
            log.append({ tsNsec: i, text: 'q'.repeat(lens[i]) });
          }
          const held = [...log.records()];
          assert.equal(held.length, log.length);
          assert.ok(held.length <= 2 ** (shift - 5));
          held.forEach((r, i) => assert.equal(r.seq, log.firstSeq + i));
          let bytes = 0;
          for (const r of held) if (r.text.length) bytes += Math.ceil((r.text.length + 4 + 8) / 8) * 8;
          assert.ok(bytes <= size);
          if (held.length) assert.equal(held[held.length - 1].seq, log.nextSeq - 1);
        },
      ),
    );
  });

  it('formatLog of a 128 KiB ring equals the concatenated records', () => {
    const log = new LogBuffer();
    for (let i = 0; i < 5000; i++) log.append({ tsNsec: i * 1_000_003, level: i & 7, text: `line ${i} ${'x'.repeat(i % 90)}` });
    const parts = [...log.records()].map((r) => dec.decode(formatRecord(r, { syslog: true })));
    assert.equal(dec.decode(formatLog(log.records(), { syslog: true })), parts.join(''));
    assert.ok(log.firstSeq > 0, 'old records were evicted');
  });
});
