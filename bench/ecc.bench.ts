/**
 * Reed-Solomon throughput on ramoops' shape: 128-byte blocks, 16 roots.
 * Baseline: a byte-at-a-time LFSR in index form, the way lib/reed_solomon's
 * encode_rs8 does it, run in the same process.
 *
 * ecc-encode and ecc-verify-clean use the default codec (WebAssembly SIMD
 * where available); the -ts cases force the portable TypeScript fallback.
 */
import { ReedSolomon } from '../src/ecc/index.js';
import { GF_EXP, GF_LOG, GF_NN } from '../src/ecc/galois.js';
import { przGeometry } from '../src/zone/eccLayout.js';
import { opsPerSecond, type BenchCase } from './harness.js';

const NROOTS = 16;
const BLOCK = 128;
const TOTAL = 1 << 20;

/** Straightforward encoder: the kernel's algorithm, one byte and one root at a time. */
class ReferenceEncoder {
  private readonly genpoly: Uint8Array; // index form
  private readonly par: Uint16Array;
  constructor(readonly nroots: number) {
    const g = new Uint8Array(nroots + 1);
    g[0] = 1;
    for (let i = 0; i < nroots; i++) {
      g[i + 1] = 1;
      for (let j = i; j > 0; j--) g[j] = g[j - 1] ^ (g[j] ? GF_EXP[(GF_LOG[g[j]] + i) % GF_NN] : 0);
      g[0] = GF_EXP[(GF_LOG[g[0]] + i) % GF_NN];
    }
    this.genpoly = g.map((c) => GF_LOG[c]);
    this.par = new Uint16Array(nroots);
  }
  encode(data: Uint8Array, off: number, len: number, parity: Uint8Array, poff: number): void {
    const { nroots, genpoly, par } = this;
    par.fill(0);
    for (let i = 0; i < len; i++) {
      const fb = GF_LOG[data[off + i] ^ par[0]];
      if (fb !== GF_NN) {
        for (let j = 1; j < nroots; j++) par[j] ^= GF_EXP[(fb + genpoly[nroots - j]) % GF_NN];
      }
      par.copyWithin(0, 1);
      par[nroots - 1] = fb !== GF_NN ? GF_EXP[(fb + genpoly[0]) % GF_NN] : 0;
    }
    for (let j = 0; j < nroots; j++) parity[poff + j] = par[j];
  }
  check(data: Uint8Array, off: number, len: number, parity: Uint8Array, poff: number, scratch: Uint8Array): boolean {
    this.encode(data, off, len, scratch, 0);
    for (let j = 0; j < this.nroots; j++) if (scratch[j] !== parity[poff + j]) return false;
    return true;
  }
}

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = 0x12345678;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x;
  }
  return out;
}

const data = randomBytes(TOTAL);
const rs = new ReedSolomon(NROOTS, { simdAfter: 0 });
const rsTs = new ReedSolomon(NROOTS, { simd: false });
const ref = new ReferenceEncoder(NROOTS);

/** A clean 1 MiB persistent RAM zone with ecc 16, laid out like the kernel's. */
const g = przGeometry(TOTAL, NROOTS);
const zone = randomBytes(TOTAL);
const zoneBlocks = Math.ceil(g.dataSize / g.blockSize);
const blockLen = (b: number): number => Math.min(g.blockSize, g.dataSize - b * g.blockSize);
for (let b = 0; b < zoneBlocks; b++) rs.encode(zone, g.dataOffset + b * g.blockSize, blockLen(b), zone, g.parityOffset + b * NROOTS);

/**
 * The zone reader's loop (persistentRamZone eccOld): batch-check from the
 * current block, decode only a block reported bad, resume after it.
 * Returns the number of blocks that could not be fixed.
 */
function verifyZone(codec: ReedSolomon): number {
  let bad = 0;
  let nextBad = -1;
  const end = g.dataOffset + g.dataSize;
  for (let b = 0; b < zoneBlocks; b++) {
    const pos = g.dataOffset + b * g.blockSize;
    const pOff = g.parityOffset + b * NROOTS;
    if (b > nextBad) {
      const r = codec.checkBlocks(zone, pos, end - pos, g.blockSize, pOff);
      nextBad = r < 0 ? Infinity : b + r;
    }
    if (b < nextBad) continue;
    if (codec.decode(zone, pos, blockLen(b), zone.slice(pOff, pOff + NROOTS), 0) < 0) bad++;
  }
  return bad;
}

const MB = 1e6;

/**
 * MB/s of data for a pass over `blocks` blocks done by `fn`: the best of a
 * few short rounds, since other processes on a shared machine only slow runs down.
 */
function mbps(blocks: number, fn: () => void, rounds = 5, minMs = 150): number {
  let best = 0;
  for (let r = 0; r < rounds; r++) best = Math.max(best, opsPerSecond(fn, minMs));
  return (best * blocks * BLOCK) / MB;
}

function encodeCase(name: string, codec: ReedSolomon): BenchCase {
  return {
    name,
    run() {
      const out = new Uint8Array(NROOTS);
      const n = 1024; // 128 KiB per call
      const fast = mbps(n, () => {
        for (let b = 0; b < n; b++) codec.encode(data, b * BLOCK, BLOCK, out, 0);
      });
      const base = mbps(n, () => {
        for (let b = 0; b < n; b++) ref.encode(data, b * BLOCK, BLOCK, out, 0);
      });
      return { name, unit: 'MB/s', value: fast, baseline: { name: 'byte-at-a-time LFSR', value: base } };
    },
  };
}

/** MB/s of data bytes verified in a clean 1 MiB zone. */
function verifyCase(name: string, codec: ReedSolomon): BenchCase {
  return {
    name,
    run() {
      let bad = 0;
      const best = (fn: () => void): number => {
        let ops = 0;
        for (let r = 0; r < 5; r++) ops = Math.max(ops, opsPerSecond(fn, 150));
        return (ops * g.dataSize) / MB;
      };
      const fast = best(() => {
        bad += verifyZone(codec);
      });
      const scratch = new Uint8Array(NROOTS);
      const base = best(() => {
        for (let b = 0; b < zoneBlocks; b++) {
          if (!ref.check(zone, g.dataOffset + b * g.blockSize, blockLen(b), zone, g.parityOffset + b * NROOTS, scratch)) bad++;
        }
      });
      if (bad) throw new Error(`${name}: ${bad} blocks did not verify`);
      return { name, unit: 'MB/s', value: fast, baseline: { name: 'byte-at-a-time LFSR', value: base } };
    },
  };
}

const cases: BenchCase[] = [
  encodeCase('ecc-encode', rs),
  encodeCase('ecc-encode-ts', rsTs),
  verifyCase('ecc-verify-clean', rs),
  verifyCase('ecc-verify-clean-ts', rsTs),
];

export default cases;
