import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { sw842, sw842Bound, sw842Compress, sw842Decompress, crc32Be } from '../src/core/compress/sw842/index.js';
import { DecompressError } from '../src/errors.js';
import { readFixture } from './helpers/fixtures.js';

const SCENARIO = ['kernel-6.1-full', 'compress-842'] as const;
const MiB = 1 << 20;
const RUNS = Number(process.env.SW842_RUNS ?? 200);

/** The compressed payload of dmesg zone 0: {sig, start, size} header, `====sec.usec-C\n`, then 842. */
function fixturePayload(): { header: string; payload: Uint8Array } {
  const img = readFixture(...SCENARIO, 'image.bin');
  const zone = img.subarray(0, 0x10000);
  const dv = new DataView(zone.buffer, zone.byteOffset, zone.byteLength);
  const start = dv.getUint32(4, true);
  const size = dv.getUint32(8, true);
  const data = zone.subarray(12);
  const record = new Uint8Array(size);
  record.set(data.subarray(start, size), 0);
  record.set(data.subarray(0, start), size - start);
  const nl = record.indexOf(10);
  return { header: Buffer.from(record.subarray(0, nl + 1)).toString('latin1'), payload: record.subarray(nl + 1) };
}

const isDecompressError = (e: unknown): boolean => e instanceof DecompressError && e.algorithm === '842';

/** Builds hand-made streams, MSB first, like the format. */
class Bits {
  private bits: number[] = [];
  put(v: number, n: number): this {
    for (let i = n - 1; i >= 0; i--) this.bits.push(Math.floor(v / 2 ** i) % 2);
    return this;
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(Math.ceil(this.bits.length / 8));
    this.bits.forEach((b, i) => {
      if (b) out[i >> 3] |= 0x80 >> (i & 7);
    });
    return out;
  }
}
const END = 0x1e;

// ---- real kernel data -------------------------------------------------------

test('842: decompresses the dmesg record Linux 6.1 wrote, identical to what the kernel showed', () => {
  const { header, payload } = fixturePayload();
  assert.match(header, /^====\d+\.\d+-C\n$/);
  const out = sw842.decompress(payload, MiB);
  const expected = readFixture(...SCENARIO, 'expected', 'dmesg-ramoops-0');
  assert.equal(out.length, expected.length);
  assert.ok(Buffer.from(out).equals(Buffer.from(expected)));
});

test('842: recompressing the kernel text gives the kernel bytes exactly', () => {
  const { payload } = fixturePayload();
  const text = readFixture(...SCENARIO, 'expected', 'dmesg-ramoops-0');
  const c = sw842.compress(text, text.length);
  assert.ok(c);
  assert.equal(c.length, payload.length);
  assert.ok(Buffer.from(c).equals(Buffer.from(payload)));
});

test('842: the fixture record is refused when maxOut is one byte short, or the stream is cut', () => {
  const { payload } = fixturePayload();
  const expected = readFixture(...SCENARIO, 'expected', 'dmesg-ramoops-0');
  assert.equal(sw842Decompress(payload, expected.length).length, expected.length);
  assert.throws(() => sw842Decompress(payload, expected.length - 1), isDecompressError);
  assert.throws(() => sw842Decompress(payload.subarray(0, payload.length - 16), MiB), isDecompressError);
  // A flipped data bit surfaces as a crc mismatch, not as wrong text.
  const bad = payload.slice();
  bad[4000] ^= 0x10;
  assert.throws(() => sw842Decompress(bad, MiB), isDecompressError);
});

// ---- properties -------------------------------------------------------------

const textLike = fc
  .array(
    fc.constantFrom(
      '<6>[    0.000000] ',
      'Linux version 6.1 ',
      'the quick brown fox ',
      'jumps over the lazy dog',
      '\n',
      ' ',
      'RIP: 0010:sysrq_handle_crash+0x11/0x11\n',
      '0000000000000000 ',
      'ffffffff',
      'a',
      'b',
    ),
    { maxLength: 1200, size: 'max' },
  )
  .map((parts) => new Uint8Array(Buffer.from(parts.join(''), 'latin1')));
/** Blocks drawn from a small set: exercises repeats, zeros and all index kinds. */
const blocky = fc
  .tuple(fc.array(fc.uint8Array({ minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 6 }), fc.array(fc.nat(5), { maxLength: 2600, size: 'max' }), fc.nat(7))
  .map(([pieces, picks, tail]) => {
    const parts = picks.map((p) => (p === 5 ? new Uint8Array(8) : pieces[p % pieces.length]));
    const all = Buffer.concat([...parts, new Uint8Array(tail).fill(0x41)]);
    return new Uint8Array(all.subarray(0, 20000));
  });
/** Random bytes of any length up to 20000 (fast-check's default sizing would keep them tiny). */
const randomBytes = fc.tuple(fc.nat(20000), fc.integer()).map(([n, seed]) => {
  const x = new Uint8Array(n);
  let s = seed | 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    x[i] = s >>> 24;
  }
  return x;
});
const anyData = fc.oneof(
  randomBytes,
  fc.uint8Array({ maxLength: 64 }),
  textLike,
  blocky,
  fc.tuple(fc.nat(20000), fc.integer({ min: 0, max: 255 })).map(([n, b]) => new Uint8Array(n).fill(b)),
);

test('842 property: decompress(compress(x)) == x, output within the bound and a multiple of 8', () => {
  let longest = 0;
  let ragged = 0;
  fc.assert(
    fc.property(anyData, (x) => {
      longest = Math.max(longest, x.length);
      if (x.length % 8 !== 0) ragged++;
      const c = sw842Compress(x, sw842Bound(x.length));
      assert.ok(c);
      assert.equal(c.length % 8, 0);
      assert.ok(c.length <= sw842Bound(x.length));
      const d = sw842Decompress(c, x.length);
      assert.ok(Buffer.from(d).equals(Buffer.from(x)));
    }),
    { numRuns: RUNS },
  );
  // The generators really reach long inputs and lengths that need SHORT_DATA.
  assert.ok(longest > 10000, `longest input ${longest}`);
  assert.ok(ragged > RUNS / 4, `${ragged} non-multiple-of-8 lengths`);
});

test('842 property: compress honours maxOut exactly (null when one byte short)', () => {
  fc.assert(
    fc.property(anyData, (x) => {
      const c = sw842Compress(x, MiB);
      assert.ok(c);
      assert.ok(Buffer.from(sw842Compress(x, c.length) ?? []).equals(Buffer.from(c)));
      assert.equal(sw842Compress(x, c.length - 1), null);
    }),
    { numRuns: RUNS },
  );
});

test('842 property: decompress honours maxOut', () => {
  fc.assert(
    fc.property(anyData.filter((x) => x.length > 0), fc.nat(), (x, cut) => {
      const c = sw842Compress(x, MiB);
      assert.ok(c);
      const limit = cut % x.length;
      assert.throws(() => sw842Decompress(c, limit), isDecompressError);
    }),
    { numRuns: RUNS },
  );
});

test('842 property: mutated or truncated streams give DecompressError or some output, nothing else', () => {
  const base = fc.oneof(textLike, blocky, randomBytes.map((x) => x.subarray(0, 3000)));
  fc.assert(
    fc.property(
      base,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 8 }),
      fc.option(fc.nat()),
      (x, flips, cutAt) => {
        const c = sw842Compress(x, MiB);
        assert.ok(c);
        let s = c.slice();
        for (const [at, xor] of flips) s[at % s.length] ^= xor;
        if (cutAt !== null) s = s.subarray(0, cutAt % (s.length + 1));
        const limit = 64 * 1024;
        try {
          const out = sw842Decompress(s, limit);
          assert.ok(out.length <= limit);
        } catch (e) {
          assert.ok(isDecompressError(e), String(e));
        }
      },
    ),
    { numRuns: RUNS * 2 },
  );
});

test('842 property: arbitrary bytes never escape as anything but DecompressError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (s) => {
      try {
        assert.ok(sw842Decompress(s, 32 * 1024).length <= 32 * 1024);
      } catch (e) {
        assert.ok(isDecompressError(e), String(e));
      }
    }),
    { numRuns: RUNS * 5 },
  );
});

test('842: every truncation of a stream before its crc ends is refused', () => {
  const x = new Uint8Array(Buffer.from('hello 842 world, hello 842 world! '.repeat(40)));
  const c = sw842Compress(x, MiB);
  assert.ok(c);
  let firstOk = -1;
  for (let n = 0; n <= c.length; n++) {
    try {
      sw842Decompress(c.subarray(0, n), MiB);
      firstOk = n;
      break;
    } catch (e) {
      assert.ok(isDecompressError(e));
    }
  }
  // Only the zero padding after END+crc may be dropped.
  assert.ok(firstOk > c.length - 8 && firstOk <= c.length, `accepted a ${firstOk}-byte prefix of ${c.length}`);
});

// ---- unit cases -------------------------------------------------------------

test('crc32Be: the kernel crc32_be (poly 0x04c11db7, MSB first, no inversion)', () => {
  const check = new Uint8Array(Buffer.from('123456789'));
  assert.equal(crc32Be(0, check), 0x89a1897f); // = ~CRC-32/POSIX check value 0x765e7680
  assert.equal(crc32Be(0xffffffff, check), 0x0376e6e7); // CRC-32/MPEG-2 check value
  assert.equal(crc32Be(0, new Uint8Array(0)), 0);
});

test('842: the empty input is END + crc 0, padded to 8 bytes', () => {
  const c = sw842Compress(new Uint8Array(0), 8);
  assert.deepEqual([...(c ?? [])], [...new Bits().put(END, 5).put(0, 32).bytes(), 0, 0, 0]);
  assert.equal(sw842Decompress(c!, 0).length, 0);
  assert.equal(sw842Compress(new Uint8Array(0), 7), null);
});

test('842: short lengths use the short-data template; zeros and repeats as the kernel', () => {
  // 3 bytes: SHORT_DATA(3) then bytes.
  const three = new Uint8Array([1, 2, 3]);
  const want = new Bits().put(0x1d, 5).put(3, 3).put(1, 8).put(2, 8).put(3, 8).put(END, 5).put(crc32Be(0, three), 32);
  const got = sw842Compress(three, 64)!;
  const wantBytes = want.bytes(); // 69 bits → 9 bytes, padded to 16
  assert.deepEqual([...got], [...wantBytes, ...new Uint8Array(16 - wantBytes.length)]);
  // 66 zero blocks: ZEROS, REPEAT(63) = 64 more (a full run), then a new run REPEAT(0) for the last.
  const z = new Uint8Array(8 * 66);
  const zc = sw842Compress(z, 64)!;
  const zw = new Bits().put(0x1c, 5).put(0x1b, 5).put(63, 6).put(0x1b, 5).put(0, 6).put(END, 5).put(0, 32).bytes();
  assert.deepEqual([...zc.subarray(0, zw.length)], [...zw]);
  assert.ok(Buffer.from(sw842Decompress(zc, z.length)).equals(Buffer.from(z)));
});

test('842: I2 indexes resolve in a ring of the last 512 bytes, as the kernel does', () => {
  // 65 literal blocks (520 bytes) with distinct 2-byte words, then template
  // 0x12 (I2 I2 I2 I2) with indexes 0, 4, 255, 3.
  const blocks = 65;
  const text = new Uint8Array(blocks * 8);
  for (let w = 0; w < text.length / 2; w++) {
    text[2 * w] = (w >> 8) + 1;
    text[2 * w + 1] = w & 0xff;
  }
  const b = new Bits();
  for (let i = 0; i < blocks; i++) {
    b.put(0, 5);
    for (let k = 0; k < 8; k += 2) b.put((text[i * 8 + k] << 8) | text[i * 8 + k + 1], 16);
  }
  b.put(0x12, 5).put(0, 8).put(4, 8).put(255, 8).put(3, 8);
  // Total written = 520 > 512: slot 0 (offset 0 < 8) → byte 512; slot 4 (offset 8) → byte 8;
  // slot 255 → byte 510; slot 3 → byte 518.
  const expected = Buffer.concat([text, text.subarray(512, 514), text.subarray(8, 10), text.subarray(510, 512), text.subarray(518, 520)]);
  b.put(END, 5).put(crc32Be(0, new Uint8Array(expected)), 32);
  const out = sw842Decompress(b.bytes(), MiB);
  assert.ok(Buffer.from(out).equals(expected));
});

test('842: malformed streams are refused with DecompressError', () => {
  const cases: Array<[string, Uint8Array]> = [
    ['empty input', new Uint8Array(0)],
    ['index before any output', new Bits().put(0x19, 5).put(0, 8).put(END, 5).put(0, 32).bytes()],
    ['repeat with no output', new Bits().put(0x1b, 5).put(0, 6).put(END, 5).put(0, 32).bytes()],
    ['repeat after 3 bytes', new Bits().put(0x1d, 5).put(3, 3).put(0, 24).put(0x1b, 5).put(0, 6).put(END, 5).put(0, 32).bytes()],
    ['template 0x1a', new Bits().put(0x1a, 5).put(0, 64).bytes()],
    ['template 0x1f', new Bits().put(0x1f, 5).put(0, 64).bytes()],
    ['short data of 0 bytes', new Bits().put(0x1d, 5).put(0, 3).put(END, 5).put(0, 32).bytes()],
    ['missing crc', new Bits().put(END, 5).put(0, 16).bytes()],
    ['wrong crc', new Bits().put(0x1c, 5).put(END, 5).put(1, 32).bytes()],
    ['no END', new Bits().put(0x1c, 5).put(0x1c, 5).bytes()],
  ];
  for (const [what, s] of cases) assert.throws(() => sw842Decompress(s, MiB), isDecompressError, what);
  // ZEROS then END with crc32_be of 8 zeros (= 0): accepted.
  assert.equal(sw842Decompress(new Bits().put(0x1c, 5).put(END, 5).put(0, 32).bytes(), 8).length, 8);
  assert.throws(() => sw842Decompress(new Bits().put(0x1c, 5).put(END, 5).put(0, 32).bytes(), 7), isDecompressError);
  // Repeat 64 blocks needs 520 bytes of room.
  const rep = new Bits().put(0x1c, 5).put(0x1b, 5).put(63, 6).put(END, 5).put(0, 32).bytes();
  assert.equal(sw842Decompress(rep, 520).length, 520);
  assert.throws(() => sw842Decompress(rep, 519), isDecompressError);
});

test('842: invalid maxOut is refused, not allocated', () => {
  assert.throws(() => sw842Decompress(new Uint8Array(8), -1), isDecompressError);
  assert.throws(() => sw842Decompress(new Uint8Array(8), Number.NaN), isDecompressError);
  assert.equal(sw842Compress(new Uint8Array(8), -1), null);
});
