/**
 * fast-check properties for every codec: round trips, the maxOut contract,
 * and that random, truncated or mutated input ends in a DecompressError or a
 * bounded result, never a hang or another exception. PSTORE_FUZZ_RUNS raises
 * the run count for long fuzzing sessions.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import fc from 'fast-check';
import { decompressAny, getCompressor, initZstd, registerCompressor } from '../src/core/compress/registry.js';
import type { Compressor, CompressorName } from '../src/core/compress/types.js';
import { constants, deflateRawSync } from 'node:zlib';
import { deflateDecompress } from '../src/core/compress/deflate.js';
import { nodeDeflate } from '../src/node/deflate.js';
import { DecompressError } from '../src/errors.js';

const RUNS = Number(process.env.PSTORE_FUZZ_RUNS ?? 200);
const WRITERS: CompressorName[] = ['deflate', 'lzo', 'lz4', 'lz4hc', 'zstd'];
const READERS: CompressorName[] = ['deflate', 'lzo', 'lz4', 'zstd', '842'];

before(async () => {
  registerCompressor(nodeDeflate('6.1'));
  await initZstd();
});

const WORDS = ['kernel', ' panic', '\n', '[    1.234567] ', 'RIP: 0010:', '0000', 'ffffffff', ' Call Trace:', '\u0000\u0000\u0000\u0000'];
/** Log-like data (repetitive, so matches of every length and distance occur) or plain random bytes. */
const payload = fc.oneof(
  fc.uint8Array({ maxLength: 3000 }),
  fc.array(fc.constantFrom(...WORDS), { maxLength: 600 }).map((w) => new TextEncoder().encode(w.join(''))),
  fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 70000 })).map(([b, n]) => new Uint8Array(n).fill(b)),
);

function bound(n: number): number {
  return n + (n >> 3) + 1024;
}

/** Decompression must either give at most maxOut bytes or throw DecompressError. */
function checkBounded(c: Compressor, src: Uint8Array, maxOut: number): void {
  try {
    const out = c.decompress(src, maxOut);
    assert.ok(out instanceof Uint8Array && out.length <= maxOut);
  } catch (e) {
    if (!(e instanceof DecompressError)) throw e;
  }
}

for (const name of WRITERS) {
  test(`${name}: decompress(compress(x)) == x, and maxOut is enforced both ways`, () => {
    const c = getCompressor(name);
    fc.assert(
      fc.property(payload, (x) => {
        const z = c.compress(x, bound(x.length));
        assert.ok(z, 'fits in a generous bound');
        assert.deepEqual(c.decompress(z, x.length), x);
        if (x.length > 0) assert.throws(() => c.decompress(z, x.length - 1), DecompressError);
        // Exactly as much room as the output needs is enough; one byte less is not.
        assert.equal(c.compress(x, z.length - 1), null);
      }),
      { numRuns: RUNS },
    );
  });
}

for (const name of READERS) {
  test(`${name}: random input gives DecompressError or a bounded result`, () => {
    const c = getCompressor(name);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.integer({ min: 0, max: 20000 }), (x, maxOut) => checkBounded(c, x, maxOut)),
      { numRuns: RUNS * 5 },
    );
  });
}

for (const name of WRITERS) {
  test(`${name}: truncated and mutated streams give DecompressError or a bounded result`, () => {
    const c = getCompressor(name);
    const reader = getCompressor(name);
    fc.assert(
      fc.property(
        payload,
        fc.nat(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
        (x, cut, flips) => {
          const z = c.compress(x, bound(x.length))!;
          const maxOut = x.length + 64;
          checkBounded(reader, z.subarray(0, z.length === 0 ? 0 : cut % z.length), maxOut);
          const m = z.slice();
          for (const [at, xor] of flips) if (m.length) m[at % m.length] ^= xor;
          checkBounded(reader, m, maxOut);
          // Every reader, not only the writer's, must cope with it.
          const any = decompressAny(m, maxOut);
          if (any) assert.ok(any.data.length <= maxOut);
        },
      ),
      { numRuns: RUNS },
    );
  });
}

test('deflate: reads what zlib writes at every level, strategy and window, across sync-flush joins', () => {
  fc.assert(
    fc.property(
      fc.array(payload, { minLength: 1, maxLength: 3 }),
      fc.integer({ min: 0, max: 9 }),
      fc.constantFrom(constants.Z_DEFAULT_STRATEGY, constants.Z_FILTERED, constants.Z_HUFFMAN_ONLY, constants.Z_RLE, constants.Z_FIXED),
      fc.integer({ min: 9, max: 15 }),
      (parts, level, strategy, windowBits) => {
        // Every part but the last ends with a sync flush (an empty stored block, not final).
        const streams = parts.map((p, i) =>
          deflateRawSync(p, { level, strategy, windowBits, finishFlush: i < parts.length - 1 ? constants.Z_SYNC_FLUSH : constants.Z_FINISH }),
        );
        const joined = new Uint8Array(streams.reduce((n, z) => n + z.length, 0));
        let o = 0;
        for (const z of streams) {
          joined.set(z, o);
          o += z.length;
        }
        const want = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
        o = 0;
        for (const p of parts) {
          want.set(p, o);
          o += p.length;
        }
        assert.deepEqual(deflateDecompress(joined, want.length), want);
      },
    ),
    { numRuns: RUNS },
  );
});

test('decompression bombs stop at maxOut, quickly', () => {
  const zeros = new Uint8Array(4 << 20);
  for (const name of WRITERS) {
    const c = getCompressor(name);
    const z = c.compress(zeros, zeros.length)!;
    assert.ok(z.length < zeros.length / 100, `${name} compresses zeros`);
    const t = performance.now();
    assert.throws(() => c.decompress(z, 65536), /output larger than 65536/, name);
    assert.ok(performance.now() - t < 500, `${name} gave up in time`);
    assert.equal(c.decompress(z, zeros.length).length, zeros.length);
  }
});
