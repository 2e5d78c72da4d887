/**
 * The WebAssembly SIMD parity path against the portable TypeScript one and
 * a byte-at-a-time reference LFSR (the kernel's encode_rs8 algorithm), and
 * the batch check the zone reader uses.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { GF_EXP, GF_LOG, GF_NN, ReedSolomon, SIMD_AFTER_BYTES } from '../src/ecc/index.js';
import { simdModuleBytes } from '../src/ecc/rsSimd.js';
import { LayoutError } from '../src/errors.js';
import { fixturePath } from './helpers/fixtures.js';

const RUNS = Number(process.env.ECC_RUNS ?? 300);

/** encode_rs8 as lib/reed_solomon writes it: index-form generator, one byte and one root at a time. */
function referenceParity(nroots: number, data: Uint8Array, off = 0, len = data.length): Uint8Array {
  const g = new Uint8Array(nroots + 1);
  g[0] = 1;
  for (let i = 0; i < nroots; i++) {
    g[i + 1] = 1;
    for (let j = i; j > 0; j--) g[j] = g[j - 1] ^ (g[j] ? GF_EXP[(GF_LOG[g[j]] + i) % GF_NN] : 0);
    g[0] = GF_EXP[(GF_LOG[g[0]] + i) % GF_NN];
  }
  const gi = g.map((c) => GF_LOG[c]);
  const par = new Uint8Array(nroots);
  for (let i = 0; i < len; i++) {
    const fb = GF_LOG[data[off + i] ^ par[0]];
    if (fb !== GF_NN) for (let j = 1; j < nroots; j++) par[j] ^= GF_EXP[(fb + gi[nroots - j]) % GF_NN];
    par.copyWithin(0, 1);
    par[nroots - 1] = fb !== GF_NN ? GF_EXP[(fb + gi[0]) % GF_NN] : 0;
  }
  return par;
}

/** Codecs that build their SIMD module at once (the shared ones wait for SIMD_AFTER_BYTES). */
const simdNow = new Map<number, ReedSolomon>();
function simdCodec(nroots: number): ReedSolomon {
  let rs = simdNow.get(nroots);
  if (!rs) simdNow.set(nroots, (rs = new ReedSolomon(nroots, { simdAfter: 0 })));
  return rs;
}

const portable = new Map<number, ReedSolomon>();
function tsCodec(nroots: number): ReedSolomon {
  let rs = portable.get(nroots);
  if (!rs) portable.set(nroots, (rs = new ReedSolomon(nroots, { simd: false })));
  return rs;
}

test('Node 20 has WebAssembly SIMD: the shared codecs up to 64 roots use it, wider ones and opt-outs do not', () => {
  for (const n of [1, 2, 8, 15, 16, 17, 32, 33, 48, 64]) assert.equal(simdCodec(n).simd, true, `nroots ${n}`);
  for (const n of [65, 80, 200]) assert.equal(simdCodec(n).simd, false, `nroots ${n}`);
  assert.equal(new ReedSolomon(16, { simd: false }).simd, false);
});

test('a new codec runs TypeScript for its first SIMD_AFTER_BYTES, then SIMD, with the same parity', () => {
  const rs = new ReedSolomon(16);
  const data = Uint8Array.from({ length: 128 }, (_, i) => (i * 31 + 7) & 0xff);
  const want = referenceParity(16, data);
  const parity = new Uint8Array(16);
  let seen = 0;
  for (; seen + 128 < SIMD_AFTER_BYTES; seen += 128) {
    if (seen % (1 << 20) === 0) {
      rs.encode(data, 0, 128, parity, 0);
      assert.deepEqual(parity, want);
    } else assert.equal(rs.check(data, 0, 128, want, 0), true);
    assert.equal(rs.simd, false, `after ${seen + 128} bytes`);
  }
  rs.encode(data, 0, 128, parity, 0);
  assert.equal(rs.simd, true);
  assert.deepEqual(parity, want);
  assert.equal(rs.check(data, 0, 128, want, 0), true);
  // A single large batch check crosses the threshold at once.
  const big = new ReedSolomon(8);
  const zone = new Uint8Array(SIMD_AFTER_BYTES + 8 * Math.ceil(SIMD_AFTER_BYTES / 247));
  assert.equal(big.checkBlocks(zone, 0, SIMD_AFTER_BYTES, 247, SIMD_AFTER_BYTES), -1);
  assert.equal(big.simd, true);
});

test('kernel vectors (encode-rs8-n16) through the SIMD encoder', () => {
  const rs = simdCodec(16);
  const vectors = readFileSync(fixturePath('reed-solomon', 'encode-rs8-n16.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { data: string; parity: string });
  assert.ok(vectors.length >= 50);
  for (const v of vectors) {
    const data = Uint8Array.from(Buffer.from(v.data, 'hex'));
    const parity = new Uint8Array(16);
    rs.encode(data, 0, data.length, parity, 0);
    assert.equal(Buffer.from(parity).toString('hex'), v.parity);
    assert.ok(rs.check(data, 0, data.length, parity, 0));
  }
});

test('every block length 1..255-nroots: SIMD encode == reference (both encode paths, short and split)', () => {
  for (const nroots of [1, 2, 7, 8, 16, 17, 32, 33, 64]) {
    const rs = simdCodec(nroots);
    const data = new Uint8Array(GF_NN + 3);
    for (let i = 0; i < data.length; i++) data[i] = (i * 167 + nroots * 31) ^ (i >> 3);
    const parity = new Uint8Array(nroots);
    for (let len = 1; len <= rs.maxLength; len++) {
      const off = len % 3;
      rs.encode(data, off, len, parity, 0);
      assert.deepEqual(parity, referenceParity(nroots, data, off, len), `nroots ${nroots}, length ${len}`);
      assert.ok(rs.check(data, off, len, parity, 0));
    }
  }
});

test('SIMD modules stay under 4 KiB: browsers refuse larger synchronous compiles on the main thread', () => {
  for (let n = 1; n <= 64; n++) {
    const bytes = simdModuleBytes(n);
    assert.ok(bytes.length < 4096, `nroots ${n}: ${bytes.length} bytes`);
    assert.ok(WebAssembly.validate(bytes));
  }
});

test('without WebAssembly the codec falls back to TypeScript with the same results', () => {
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'WebAssembly');
  assert.ok(saved);
  let rs: ReedSolomon;
  try {
    Object.defineProperty(globalThis, 'WebAssembly', { value: undefined, configurable: true, writable: true });
    rs = new ReedSolomon(16, { simdAfter: 0 });
  } finally {
    Object.defineProperty(globalThis, 'WebAssembly', saved);
  }
  assert.equal(rs.simd, false);
  const data = Uint8Array.from({ length: 128 }, (_, i) => i * 7);
  const parity = new Uint8Array(16);
  rs.encode(data, 0, 128, parity, 0);
  assert.deepEqual(parity, referenceParity(16, data));
  const zone = new Uint8Array(128 + 16);
  zone.set(data);
  zone.set(parity, 128);
  assert.equal(rs.checkBlocks(zone, 0, 128, 128, 128), -1);
  zone[5] ^= 1;
  assert.equal(rs.checkBlocks(zone, 0, 128, 128, 128), 0);
});

const nrootsArb = fc.oneof(fc.integer({ min: 1, max: 16 }), fc.constantFrom(16, 16, 8, 17, 32, 33, 64, 65), fc.integer({ min: 1, max: 80 }));

test('property: SIMD encode == TS encode == reference, any nroots 1..64, length and offsets', () => {
  fc.assert(
    fc.property(
      nrootsArb.chain((nroots) =>
        fc.record({
          nroots: fc.constant(nroots),
          data: fc.uint8Array({ minLength: 1, maxLength: GF_NN - nroots }),
          dataOffset: fc.nat(17),
          parityOffset: fc.nat(17),
        }),
      ),
      ({ nroots, data, dataOffset, parityOffset }) => {
        const buf = new Uint8Array(dataOffset + data.length + 5).fill(0xa5);
        buf.set(data, dataOffset);
        const want = referenceParity(nroots, data);
        const fast = new Uint8Array(parityOffset + nroots + 3).fill(0x3c);
        const slow = fast.slice();
        simdCodec(nroots).encode(buf, dataOffset, data.length, fast, parityOffset);
        tsCodec(nroots).encode(buf, dataOffset, data.length, slow, parityOffset);
        assert.deepEqual(fast.subarray(parityOffset, parityOffset + nroots), want);
        assert.deepEqual(slow, fast, 'same parity, nothing written outside it');
        assert.deepEqual([...fast.subarray(0, parityOffset)], new Array<number>(parityOffset).fill(0x3c));
      },
    ),
    { numRuns: RUNS },
  );
});

test('property: check() agrees between SIMD and TS, on codewords and on corrupted blocks', () => {
  fc.assert(
    fc.property(
      nrootsArb.chain((nroots) =>
        fc.record({
          nroots: fc.constant(nroots),
          data: fc.uint8Array({ minLength: 1, maxLength: GF_NN - nroots }),
          flip: fc.option(fc.record({ pos: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) })),
        }),
      ),
      ({ nroots, data, flip }) => {
        const parity = referenceParity(nroots, data);
        if (flip) {
          const p = flip.pos % (data.length + nroots);
          if (p < data.length) data[p] ^= flip.xor;
          else parity[p - data.length] ^= flip.xor;
        }
        const fast = simdCodec(nroots).check(data, 0, data.length, parity, 0);
        const slow = tsCodec(nroots).check(data, 0, data.length, parity, 0);
        assert.equal(fast, flip === null);
        assert.equal(slow, fast);
      },
    ),
    { numRuns: RUNS },
  );
});

/**
 * A zone-shaped buffer: `pad` bytes, then blocks of `blockSize` (the last one
 * `dataLength % blockSize` when that is not zero), then packed parity.
 */
function makeZone(nroots: number, pad: number, dataLength: number, blockSize: number, seed: number) {
  const blocks = Math.ceil(dataLength / blockSize);
  const parityOffset = pad + dataLength + (seed % 7);
  const zone = new Uint8Array(parityOffset + blocks * nroots + (seed % 3));
  let x = seed | 1;
  for (let i = 0; i < zone.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    zone[i] = x;
  }
  const ts = tsCodec(nroots);
  for (let b = 0; b < blocks; b++) {
    const pos = pad + b * blockSize;
    ts.encode(zone, pos, Math.min(blockSize, pad + dataLength - pos), zone, parityOffset + b * nroots);
  }
  return { zone, parityOffset, blocks };
}

/** Every block checkBlocks reports, resuming after each like the zone reader does. */
function allBad(rs: ReedSolomon, zone: Uint8Array, dataOffset: number, dataLength: number, blockSize: number, parityOffset: number): number[] {
  const bad: number[] = [];
  let b = 0;
  for (;;) {
    const from = b * blockSize;
    if (from >= dataLength) return bad;
    const r = rs.checkBlocks(zone, dataOffset + from, dataLength - from, blockSize, parityOffset + b * rs.nroots);
    if (r < 0) return bad;
    bad.push(b + r);
    b += r + 1;
  }
}

test('property: checkBlocks finds exactly the blocks that are not codewords (SIMD and TS)', () => {
  fc.assert(
    fc.property(
      fc.oneof(fc.constantFrom(16, 16, 8, 32, 64), fc.integer({ min: 1, max: 70 })),
      fc.integer({ min: 1, max: 3000 }),
      fc.nat(),
      fc.nat(20),
      fc.uniqueArray(fc.nat(), { maxLength: 12 }),
      fc.integer({ min: 1, max: 255 }),
      (nroots, dataLength, seed, pad, hits, xor) => {
        // Any size, or (a third of the time) whole 16-byte steps like ramoops' 128: the side-by-side path.
        const cap = Math.min(GF_NN - nroots, 200);
        const blockSize = seed % 3 === 0 ? 16 * (1 + ((seed >>> 2) % (cap >> 4))) : 1 + (seed % cap);
        const { zone, parityOffset, blocks } = makeZone(nroots, pad, dataLength, blockSize, seed);
        const expected = new Set<number>();
        for (const h of hits) {
          // One corrupted symbol (data or parity) per block: a single error is
          // always detected, two in one block could cancel out.
          const b = h % blocks;
          if (expected.has(b)) continue;
          expected.add(b);
          const blockLen = Math.min(blockSize, dataLength - b * blockSize);
          const at = (h >>> 8) % (blockLen + nroots);
          if (at < blockLen) zone[pad + b * blockSize + at] ^= xor;
          else zone[parityOffset + b * nroots + at - blockLen] ^= xor;
        }
        const want = [...expected].sort((a, b) => a - b);
        assert.deepEqual(allBad(simdCodec(nroots), zone, pad, dataLength, blockSize, parityOffset), want);
        assert.deepEqual(allBad(tsCodec(nroots), zone, pad, dataLength, blockSize, parityOffset), want);
        // Same as check() block by block.
        const perBlock: number[] = [];
        for (let b = 0; b < blocks; b++) {
          const pos = pad + b * blockSize;
          if (!simdCodec(nroots).check(zone, pos, Math.min(blockSize, pad + dataLength - pos), zone, parityOffset + b * nroots)) perBlock.push(b);
        }
        assert.deepEqual(perBlock, want);
      },
    ),
    { numRuns: Math.max(50, RUNS >> 1) },
  );
});

test('checkBlocks on a 1 MiB ramoops-shaped zone (ecc 16): clean, one bad block, every block bad', () => {
  const rs = simdCodec(16);
  const dataLength = (1 << 20) - 12 - 16 - 8192 * 16 - 16; // about a 1 MiB zone's data area
  const { zone, parityOffset, blocks } = makeZone(16, 12, dataLength, 128, 0x1234567);
  assert.equal(rs.checkBlocks(zone, 12, dataLength, 128, parityOffset), -1);
  const last = blocks - 1;
  zone[12 + last * 128] ^= 1;
  assert.equal(rs.checkBlocks(zone, 12, dataLength, 128, parityOffset), last);
  zone[12 + 777 * 128 + 127] ^= 0x80;
  assert.deepEqual(allBad(rs, zone, 12, dataLength, 128, parityOffset), [777, last]);
  // Garbage everywhere: every block is reported, one at a time, and quickly.
  zone.fill(0x5a, parityOffset);
  const t0 = performance.now();
  const bad = allBad(rs, zone, 12, dataLength, 128, parityOffset);
  assert.equal(bad.length, blocks);
  assert.deepEqual(bad.slice(0, 3), [0, 1, 2]);
  assert.ok(performance.now() - t0 < 5000, 'resuming after each bad block must not re-copy the zone');
});

test('checkBlocks: empty run is clean; bad arguments are LayoutErrors', () => {
  for (const rs of [simdCodec(16), tsCodec(16), simdCodec(32), simdCodec(64), simdCodec(70)]) {
    const zone = new Uint8Array(1000);
    assert.equal(rs.checkBlocks(zone, 10, 0, 128, 500), -1);
    assert.equal(rs.checkBlocks(zone, 0, 400, 100, 500), -1, 'zeros are codewords');
    assert.throws(() => rs.checkBlocks(zone, 0, 400, 0, 500), LayoutError);
    assert.throws(() => rs.checkBlocks(zone, 0, 400, 240, 500), LayoutError);
    assert.throws(() => rs.checkBlocks(zone, 0, 1001, 100, 0), LayoutError);
    assert.throws(() => rs.checkBlocks(zone, 0, 400, 100, 1000 - 4 * rs.nroots + 1), LayoutError);
    assert.throws(() => rs.checkBlocks(zone, -1, 400, 100, 500), LayoutError);
    assert.throws(() => rs.checkBlocks(zone, 0.5, 400, 100, 500), LayoutError);
    assert.throws(() => rs.checkBlocks(zone, 0, Number.NaN, 100, 500), LayoutError);
  }
});
