import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { GF_EXP, GF_LOG, GF_NN, RS_UNCORRECTABLE, ReedSolomon, gfMul, reedSolomon } from '../src/ecc/index.js';
import { LayoutError } from '../src/errors.js';

const RUNS = Number(process.env.ECC_RUNS ?? 200);

/**
 * Oracle: parity as the remainder of D(x) * x^nroots divided by
 * g(x) = prod_{i<nroots} (x - alpha^i), by schoolbook long division
 * (data[0] is the highest power; parity[0] the highest remainder term).
 */
function oracleParity(nroots: number, data: Uint8Array): Uint8Array {
  // g high-degree first: gh[0] = 1 (monic).
  let gh = [1];
  for (let i = 0; i < nroots; i++) {
    const root = GF_EXP[i];
    const next = new Array<number>(gh.length + 1).fill(0);
    for (let j = 0; j < gh.length; j++) {
      next[j] ^= gh[j];
      next[j + 1] ^= gfMul(gh[j], root);
    }
    gh = next;
  }
  const msg = new Uint8Array(data.length + nroots);
  msg.set(data);
  for (let i = 0; i < data.length; i++) {
    const coef = msg[i];
    if (coef === 0) continue;
    for (let j = 1; j <= nroots; j++) msg[i + j] ^= gfMul(gh[j], coef);
  }
  return msg.slice(data.length);
}

/** r(alpha^i) for the codeword data ++ parity. */
function syndrome(data: Uint8Array, parity: Uint8Array, i: number): number {
  let v = 0;
  for (const c of [...data, ...parity]) v = gfMul(v, GF_EXP[i % GF_NN]) ^ c;
  return v;
}

const nrootsArb = fc.oneof(fc.constantFrom(1, 2, 8, 16, 32, 64), fc.integer({ min: 1, max: 80 }));

/** A codec, a data length that fits it, data, and offsets inside bigger buffers. */
const blockArb = nrootsArb.chain((nroots) =>
  fc.record({
    nroots: fc.constant(nroots),
    data: fc.uint8Array({ minLength: 1, maxLength: GF_NN - nroots }),
    dataOffset: fc.nat(7),
    parityOffset: fc.nat(7),
  }),
);

test('fast encoder == long-division oracle, any nroots, length and offsets', () => {
  fc.assert(
    fc.property(blockArb, ({ nroots, data, dataOffset, parityOffset }) => {
      const rs = reedSolomon(nroots);
      const buf = new Uint8Array(dataOffset + data.length + 3).fill(0xee);
      buf.set(data, dataOffset);
      const parity = new Uint8Array(parityOffset + nroots + 2).fill(0x77);
      rs.encode(buf, dataOffset, data.length, parity, parityOffset);
      assert.deepEqual(parity.subarray(parityOffset, parityOffset + nroots), oracleParity(nroots, data));
      assert.deepEqual([...parity.subarray(0, parityOffset)], new Array<number>(parityOffset).fill(0x77));
      assert.deepEqual([...parity.subarray(parityOffset + nroots)], [0x77, 0x77]);
      assert.ok(rs.check(buf, dataOffset, data.length, parity, parityOffset));
    }),
    { numRuns: RUNS },
  );
});

test('codewords have zero syndromes at alpha^0..alpha^(nroots-1)', () => {
  fc.assert(
    fc.property(blockArb, ({ nroots, data }) => {
      const parity = new Uint8Array(nroots);
      reedSolomon(nroots).encode(data, 0, data.length, parity, 0);
      for (let i = 0; i < nroots; i++) assert.equal(syndrome(data, parity, i), 0, `S${i}`);
    }),
    { numRuns: Math.max(20, RUNS >> 2) },
  );
});

/** Up to `max` errors at distinct positions of a data+parity codeword. */
function errorsArb(total: number, max: number) {
  return fc.uniqueArray(fc.record({ pos: fc.nat(total - 1), xor: fc.integer({ min: 1, max: 255 }) }), {
    maxLength: max,
    selector: (e) => e.pos,
  });
}

for (const nroots of [8, 16, 32]) {
  for (const wanted of [1, 12, 128, 239]) {
    const len = Math.min(wanted, GF_NN - nroots);
    test(`corrupt <= ${nroots / 2} symbols then decode restores data (nroots ${nroots}, length ${len})`, () => {
      const rs = reedSolomon(nroots);
      fc.assert(
        fc.property(fc.uint8Array({ minLength: len, maxLength: len }), errorsArb(len + nroots, nroots / 2), (data, errors) => {
          const parity = new Uint8Array(nroots);
          rs.encode(data, 0, len, parity, 0);
          const bad = data.slice();
          const badParity = parity.slice();
          for (const { pos, xor } of errors) {
            if (pos < len) bad[pos] ^= xor;
            else badParity[pos - len] ^= xor;
          }
          assert.equal(rs.check(bad, 0, len, badParity, 0), errors.length === 0);
          const before = badParity.slice();
          assert.equal(rs.decode(bad, 0, len, badParity, 0), errors.length);
          assert.deepEqual(bad, data);
          assert.deepEqual(badParity, before, 'parity is never written');
        }),
        { numRuns: RUNS },
      );
    });
  }
}

test('beyond capacity: decode never throws, fails without touching data', () => {
  fc.assert(
    fc.property(
      blockArb.chain((b) => fc.record({ b: fc.constant(b), errors: errorsArb(b.data.length + b.nroots, b.data.length + b.nroots) })),
      ({ b: { nroots, data }, errors }) => {
        const rs = reedSolomon(nroots);
        const len = data.length;
        const parity = new Uint8Array(nroots);
        rs.encode(data, 0, len, parity, 0);
        for (const { pos, xor } of errors) {
          if (pos < len) data[pos] ^= xor;
          else parity[pos - len] ^= xor;
        }
        const before = data.slice();
        const n = rs.decode(data, 0, len, parity, 0);
        assert.ok(Number.isInteger(n) && n >= RS_UNCORRECTABLE && n <= nroots, `result ${n}`);
        if (n === RS_UNCORRECTABLE) assert.deepEqual(data, before);
        if (n === 0) assert.ok(rs.check(data, 0, len, parity, 0));
      },
    ),
    { numRuns: RUNS },
  );
});

test('GF(2^8) tables: exp/log are inverse, log(0) and exp(255) are the kernel sentinels', () => {
  assert.equal(GF_LOG[0], 255);
  assert.equal(GF_EXP[255], 0);
  assert.equal(GF_EXP[0], 1);
  assert.equal(GF_EXP[8], 0x1d); // x^8 = x^4+x^3+x^2+1 under 0x11d
  const seen = new Set<number>();
  for (let i = 0; i < 255; i++) {
    assert.equal(GF_LOG[GF_EXP[i]], i);
    seen.add(GF_EXP[i]);
  }
  assert.equal(seen.size, 255);
  assert.equal(gfMul(0, 7), 0);
  assert.equal(gfMul(2, 0x80), 0x1d);
});

test('bad parameters are LayoutErrors, never a hang or a stray exception', () => {
  for (const n of [0, -1, 255, 1.5, Number.NaN]) assert.throws(() => new ReedSolomon(n), LayoutError);
  const rs = reedSolomon(16);
  const data = new Uint8Array(300);
  const parity = new Uint8Array(16);
  assert.throws(() => rs.encode(data, 0, 0, parity, 0), LayoutError);
  assert.throws(() => rs.encode(data, 0, 240, parity, 0), LayoutError);
  assert.throws(() => rs.decode(data, 290, 20, parity, 0), LayoutError);
  assert.throws(() => rs.check(data, 0, 20, parity, 1), LayoutError);
  assert.throws(() => rs.check(data, -1, 20, parity, 0), LayoutError);
  assert.throws(() => rs.check(data, 0.5, 20, parity, 0), LayoutError);
  assert.throws(() => rs.decode(data, 0, Number.NaN, parity, 0), LayoutError);
  assert.equal(rs.maxLength, 239);
  assert.equal(rs.decode(data, 0, 239, parity.fill(0), 0), 0); // all-zero block is a codeword
});

test('reedSolomon() caches one codec per nroots', () => {
  assert.equal(reedSolomon(16), reedSolomon(16));
  assert.notEqual(reedSolomon(16), reedSolomon(8));
  assert.equal(reedSolomon(8).nroots, 8);
});

test('two errors in a 1-byte block with 2 roots: detected, or mis-corrected as one symbol', () => {
  // nroots 2, 1 data byte: one corrupted parity symbol plus one data symbol is
  // beyond capacity; whatever the result, a returned count must leave a codeword.
  const rs = reedSolomon(2);
  let failures = 0;
  for (let v = 0; v < 256; v++) {
    const data = Uint8Array.of(v);
    const parity = new Uint8Array(2);
    rs.encode(data, 0, 1, parity, 0);
    data[0] ^= 0x5a;
    parity[1] ^= 0xa5;
    const n = rs.decode(data, 0, 1, parity, 0);
    if (n === RS_UNCORRECTABLE) failures++;
    else assert.equal(n, 1);
  }
  assert.ok(failures > 0, 'some double errors must be detected as uncorrectable');
});
