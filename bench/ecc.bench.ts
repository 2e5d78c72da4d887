/**
 * Reed-Solomon throughput on ramoops' shape: 128-byte blocks, 16 roots.
 * Baseline: a byte-at-a-time LFSR in index form, the way lib/reed_solomon's
 * encode_rs8 does it, run in the same process.
 */
import { reedSolomon } from '../src/ecc/index.js';
import { GF_EXP, GF_LOG, GF_NN } from '../src/ecc/galois.js';
import { opsPerSecond, type BenchCase } from './harness.js';

const NROOTS = 16;
const BLOCK = 128;
const TOTAL = 1 << 20;
const BLOCKS = TOTAL / BLOCK;

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
const parity = new Uint8Array(BLOCKS * NROOTS);
const rs = reedSolomon(NROOTS);
const ref = new ReferenceEncoder(NROOTS);
for (let b = 0; b < BLOCKS; b++) rs.encode(data, b * BLOCK, BLOCK, parity, b * NROOTS);

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

const cases: BenchCase[] = [
  {
    name: 'ecc-encode',
    run() {
      const out = new Uint8Array(NROOTS);
      const n = 1024; // 128 KiB per call
      const fast = mbps(n, () => {
        for (let b = 0; b < n; b++) rs.encode(data, b * BLOCK, BLOCK, out, 0);
      });
      const base = mbps(n, () => {
        for (let b = 0; b < n; b++) ref.encode(data, b * BLOCK, BLOCK, out, 0);
      });
      return { name: 'ecc-encode', unit: 'MB/s', value: fast, baseline: { name: 'byte-at-a-time LFSR', value: base } };
    },
  },
  {
    name: 'ecc-verify-clean',
    run() {
      let bad = 0;
      const fast = mbps(BLOCKS, () => {
        for (let b = 0; b < BLOCKS; b++) {
          if (!rs.check(data, b * BLOCK, BLOCK, parity, b * NROOTS)) {
            if (rs.decode(data, b * BLOCK, BLOCK, parity, b * NROOTS) < 0) bad++;
          }
        }
      });
      const scratch = new Uint8Array(NROOTS);
      const base = mbps(BLOCKS, () => {
        for (let b = 0; b < BLOCKS; b++) {
          if (!ref.check(data, b * BLOCK, BLOCK, parity, b * NROOTS, scratch)) bad++;
        }
      });
      if (bad) throw new Error(`ecc-verify-clean: ${bad} blocks did not verify`);
      return { name: 'ecc-verify-clean', unit: 'MB/s', value: fast, baseline: { name: 'byte-at-a-time LFSR', value: base } };
    },
  },
];

export default cases;
