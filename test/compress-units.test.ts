/** Unit cases for the compressor registry and each codec's kernel rules. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { constants, deflateRawSync, deflateSync, inflateRawSync } from 'node:zlib';
import { deflate, deflateDecompress } from '../src/core/compress/deflate.js';
import { lz4DecompressBlock, lz4CompressBlock } from '../src/core/compress/lz4.js';
import { lzo1xCompress, lzo1xDecompress } from '../src/core/compress/lzo.js';
import {
  compressorNames,
  decompressAny,
  decompressLimit,
  getCompressor,
  initZstd,
  registerCompressor,
  zbufsize,
} from '../src/core/compress/registry.js';
import { zstdCompress, zstdDecompress } from '../src/core/compress/zstd.js';
import { nodeDeflate } from '../src/node/deflate.js';
import { DecompressError, UnsupportedError, UsageError } from '../src/errors.js';

const bytes = (...a: number[]): Uint8Array => new Uint8Array(a);
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

test('zbufsize: 6.1 per-algorithm sizes and the 6.6+ fixed 60%', () => {
  assert.equal(zbufsize('deflate', 1500, '6.1'), Math.floor(150000 / 56));
  assert.equal(zbufsize('deflate', 2500, '6.1'), Math.floor(250000 / 54));
  assert.equal(zbufsize('deflate', 3500, '6.1'), Math.floor(350000 / 52));
  assert.equal(zbufsize('deflate', 4084, '6.1'), 9075); // 4 KiB zone: 4096 - 12
  assert.equal(zbufsize('deflate', 65524, '6.1'), 109206);
  assert.equal(zbufsize('deflate', 999, '6.1'), 1665);
  assert.equal(zbufsize('lzo', 65524, '6.1'), 65524 + 4095 + 69);
  assert.equal(zbufsize('lz4', 65524, '6.1'), 65524 + 256 + 16);
  assert.equal(zbufsize('lz4hc', 65524, '6.1'), 65524 + 256 + 16);
  assert.equal(zbufsize('842', 65524, '6.1'), 65524);
  assert.equal(zbufsize('zstd', 65524, '6.1'), 65524 + 255 + 32);
  assert.equal(zbufsize('zstd', 200000, '6.1'), 200000 + 781);
  for (const n of compressorNames) assert.equal(zbufsize(n, 65524, '6.12'), 109206);
  assert.equal(decompressLimit('deflate', 4084, '6.1'), 9075);
  assert.equal(decompressLimit('deflate', 4084, '6.12'), 12252);
});

test('registry: names, lookup errors, replacement, candidates', () => {
  assert.deepEqual([...compressorNames], ['deflate', 'lzo', 'lz4', 'lz4hc', '842', 'zstd']);
  for (const n of compressorNames) assert.equal(getCompressor(n).name, n);
  assert.throws(() => getCompressor('lzma'), UsageError);
  assert.throws(() => getCompressor('deflate').compress(text('x'), 100), UnsupportedError);
  registerCompressor(nodeDeflate('6.1'));
  assert.ok(getCompressor('deflate').compress(text('hello'), 100));
  registerCompressor(deflate);
  assert.throws(() => getCompressor('deflate').compress(text('x'), 100), UnsupportedError);

  const z = lz4CompressBlock(text('hello hello hello hello hello'), 100)!;
  assert.equal(decompressAny(z, 100)?.name, 'lz4');
  assert.equal(decompressAny(z, 100, ['lz4hc'])?.name, 'lz4hc');
  assert.equal(decompressAny(z, 100, ['deflate', 'zstd']), null);
  assert.equal(decompressAny(new Uint8Array(0), 100), null);
});

test('deflate: raw, zlib-wrapped (old pstore), stored-block checks, trailing bytes', () => {
  const msg = text('Oops: general protection fault '.repeat(40));
  assert.deepEqual(deflateDecompress(deflateRawSync(msg, { windowBits: 11, memLevel: 9 }), 5000), msg);
  // pstore 3.11 to 4.18 used zlib_deflateInit2 with 12 positive window bits.
  const wrapped = deflateSync(msg, { windowBits: 12, memLevel: 4 });
  assert.deepEqual(deflateDecompress(wrapped, 5000), msg);
  const badAdler = wrapped.slice();
  badAdler[badAdler.length - 1] ^= 1;
  assert.throws(() => deflateDecompress(badAdler, 5000), DecompressError);
  // Stored block: LEN must be the complement of NLEN.
  assert.deepEqual(deflateDecompress(bytes(1, 5, 0, 0xfa, 0xff, 104, 101, 108, 108, 111), 10), text('hello'));
  assert.throws(() => deflateDecompress(bytes(1, 5, 0, 0xfb, 0xff, 104, 101, 108, 108, 111), 10), /stored block lengths/);
  // zlib ignores bytes after the final block; so does the kernel.
  assert.deepEqual(deflateDecompress(bytes(1, 5, 0, 0xfa, 0xff, 104, 101, 108, 108, 111, 0xde, 0xad), 10), text('hello'));
  // A stream that never reaches its final block fails (6.1 wants Z_STREAM_END).
  assert.throws(() => deflateDecompress(bytes(0, 5, 0, 0xfa, 0xff, 104, 101, 108, 108, 111), 10), /unexpected end/);
  assert.throws(() => deflateDecompress(bytes(), 10), DecompressError);
  assert.throws(() => deflateDecompress(bytes(7), 10), /invalid block type/);
});

test('deflate: the 6.1 zero-byte workaround accepts a stream missing a last all-zero byte', () => {
  const s = text('panic line 0 ');
  const full = deflateRawSync(s, { strategy: constants.Z_FIXED });
  assert.equal(full[full.length - 1], 0);
  assert.deepEqual(deflateDecompress(full.subarray(0, full.length - 1), 100), s);
  assert.throws(() => deflateDecompress(full.subarray(0, full.length - 2), 100), DecompressError);
});

test('node deflate: 6.1 profile stays inside a 2 KiB window; 6.12 profile is plain raw deflate', () => {
  const log = text(Array.from({ length: 400 }, (_, i) => `[ ${i % 37}.000] line ${i % 23} of the log\n`).join(''));
  const z61 = nodeDeflate('6.1').compress(log, log.length)!;
  // An 11-bit inflater (like crypto deflate's) reads it.
  assert.deepEqual(new Uint8Array(inflateRawSync(z61, { windowBits: 11 })), log);
  const z612 = nodeDeflate('6.12').compress(log, log.length)!;
  assert.deepEqual(deflateDecompress(z612, log.length), log);
  assert.equal(nodeDeflate('6.1').compress(log, 10), null);
});

test('lz4: end-of-block rules of LZ4_decompress_safe', () => {
  // Literals only: "abcde".
  assert.deepEqual(lz4DecompressBlock(bytes(0x50, 97, 98, 99, 100, 101), 5), text('abcde'));
  assert.deepEqual(lz4DecompressBlock(bytes(0), 0), bytes());
  assert.throws(() => lz4DecompressBlock(bytes(), 10), DecompressError);
  assert.throws(() => lz4DecompressBlock(bytes(0x50, 97, 98, 99, 100, 101), 4), /output larger/);
  // Literals that stop short of the input end with no room for a match: not consumed.
  assert.throws(() => lz4DecompressBlock(bytes(0x40, 97, 98, 99, 100, 101), 64), /does not end with literals/);
  // 12 literals, match offset 4 len 4, then 5 literals: valid.
  const ok = bytes(0xc0, ...text('abcdefghijkl'), 4, 0, 0x50, ...text('vwxyz'));
  assert.deepEqual(lz4DecompressBlock(ok, 64), text('abcdefghijklijklvwxyz'));
  const zero = ok.slice();
  zero[13] = 0; // offset 0: lib/lz4 accepts it and the match is zeros (checked against the kernel's C in test/diff)
  assert.deepEqual(lz4DecompressBlock(zero, 64), Uint8Array.from([...text('abcdefghijkl'), 0, 0, 0, 0, ...text('vwxyz')]));
  // A literal run ending within the last 8 input bytes, then a match: the kernel's
  // shortcut skips the end-of-block check when the run starts > 16 bytes before the end.
  const shortcut = bytes(0xe0, ...text('abcdefghijklmn'), 14, 0, 0x10, ...text('z'));
  assert.deepEqual(lz4DecompressBlock(shortcut, 64), text('abcdefghijklmnabcdz'));
  // Without 32 bytes of output room the shortcut is not taken: the run must end the block.
  assert.throws(() => lz4DecompressBlock(shortcut, 31), /does not end with literals/);
  const far = ok.slice();
  far[13] = 13; // before the output start
  assert.throws(() => lz4DecompressBlock(far, 64), /before output start/);
  // A block that ends with a match breaks the last-5-literals rule.
  assert.throws(() => lz4DecompressBlock(bytes(0xc0, ...text('abcdefghijkl'), 4, 0), 16), DecompressError);
  // Compressor output keeps the rules even when it fills the capacity exactly.
  const x = text('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');
  const z = lz4CompressBlock(x, 100)!;
  assert.ok(z.length < x.length);
  assert.deepEqual(lz4DecompressBlock(z, x.length), x);
  assert.deepEqual([...z.subarray(z.length - 6)], [0x50, 97, 97, 97, 97, 97]);
});

test('lzo: v0 streams, the end marker, and lzo-rle zero runs', () => {
  assert.deepEqual(lzo1xCompress(bytes(), 10), bytes(0x11, 0, 0));
  assert.deepEqual(lzo1xDecompress(bytes(0x11, 0, 0), 0), bytes());
  assert.throws(() => lzo1xDecompress(bytes(0x11, 0), 10), /input overrun/);
  assert.throws(() => lzo1xDecompress(bytes(0x11, 0, 0, 0), 10), /not consumed/);
  // 4 literals "abcd", then an lzo-rle zero run of 4, then the end marker.
  const rle = bytes(17, 1, 21, 97, 98, 99, 100, 0x18, 0xfc, 0xff, 0, 0x11, 0, 0);
  assert.deepEqual(lzo1xDecompress(rle, 100), bytes(97, 98, 99, 100, 0, 0, 0, 0));
  // Without the version header the same instruction is a far match: look-behind overrun.
  assert.throws(() => lzo1xDecompress(rle.subarray(2), 100), /before output start/);
  // Truncation at every point fails cleanly.
  const z = lzo1xCompress(text('the quick brown fox jumps over the lazy dog, the quick brown fox'.repeat(20)), 4096)!;
  for (let i = 0; i < z.length; i++) assert.throws(() => lzo1xDecompress(z.subarray(0, i), 4096), DecompressError);
  // Long literal run (> 238 at the start) and long matches round-trip.
  const rnd = new Uint8Array(5000).map((_, i) => (i * 7919) % 251);
  const long = new Uint8Array([...rnd.subarray(0, 600), ...new Uint8Array(3000).fill(9), ...rnd.subarray(0, 600)]);
  assert.deepEqual(lzo1xDecompress(lzo1xCompress(long, 10000)!, long.length), long);
});

test('zstd: compress before initZstd is a clear error; frames are checked like the kernel', async () => {
  assert.throws(() => zstdCompress(text('x'), 100), /initZstd/);
  await initZstd();
  const msg = text('Kernel panic - not syncing: sysrq triggered crash\n'.repeat(50));
  const z = zstdCompress(msg, 1000)!;
  // What crypto zstd writes: magic, single segment with a content size, no checksum.
  assert.deepEqual([...z.subarray(0, 4)], [0x28, 0xb5, 0x2f, 0xfd]);
  assert.equal(z[4] & 0x20, 0x20, 'single segment');
  assert.equal(z[4] & 0x04, 0, 'no checksum');
  assert.deepEqual(zstdDecompress(z, msg.length), msg);
  assert.throws(() => zstdDecompress(new Uint8Array([...z, 1, 2]), 10000), /not entirely consumed/);
  assert.throws(() => zstdDecompress(z.subarray(0, z.length - 1), 10000), DecompressError);
  // Two frames concatenate; a skippable frame is skipped.
  const skip = bytes(0x50, 0x2a, 0x4d, 0x18, 2, 0, 0, 0, 7, 7);
  assert.deepEqual(zstdDecompress(new Uint8Array([...z, ...skip, ...z]), 10000), new Uint8Array([...msg, ...msg]));
  // Content size that lies.
  const lie = z.slice();
  lie[5] += 1;
  assert.throws(() => zstdDecompress(lie, 10000), DecompressError);
  // A frame without content size made of 4-byte RLE blocks of 128 KiB: stops at maxOut.
  const blocks: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const bh = ((128 << 10) << 3) | (1 << 1) | (i === 999 ? 1 : 0);
    blocks.push(bh & 0xff, (bh >> 8) & 0xff, bh >> 16, 0x41);
  }
  const bomb = bytes(0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38, ...blocks); // window 2^17 (wd 0x38)
  const t = performance.now();
  assert.throws(() => zstdDecompress(bomb, 1 << 20), /output larger/);
  assert.ok(performance.now() - t < 1000);
  assert.equal(zstdDecompress(bomb.subarray(0, 6 + 4 * 2).map((b, i) => (i === 10 ? b | 1 : b)), 1 << 20).length, 2 << 17);
});

test("deflate: 6.1's extra zero byte is a 6.1 retry; 6.6+ (one Z_FINISH call) rejects such a stream", () => {
  // "pstore" in a fixed-Huffman block, last byte cut: the end-of-block code's
  // last bits are zeros in the missing byte. Answers checked against the
  // kernel's zlib_inflate (test/diff): 6.1 crypto deflate decodes it, 6.6+ does not.
  const cut = bytes(0x2b, 0x28, 0x2e, 0xc9, 0x2f, 0x4a, 0x05);
  assert.deepEqual(deflateDecompress(cut, 100), text('pstore'));
  assert.throws(() => deflateDecompress(cut, 100, { zeroByteRetry: false }), /unexpected end of input/);
  // 6.1 retries only while output space is left: with exactly 6 bytes of room the
  // literals fill it from the real bytes, the first call ends Z_OK, and the record is refused.
  assert.throws(() => deflateDecompress(cut, 6), /unexpected end of input/);
  assert.deepEqual(deflateDecompress(cut, 7), text('pstore'));
});
