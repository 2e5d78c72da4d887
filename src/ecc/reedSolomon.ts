/**
 * Reed-Solomon over GF(2^8) with ramoops' code parameters (lib/reed_solomon
 * as set up by fs/pstore/ram_core.c): symsize 8, field polynomial 0x11d,
 * fcr 0, prim 1, `nroots` parity symbols, shortened blocks of 1..255-nroots
 * data bytes, parity stored one byte per symbol.
 *
 * Encoding is the kernel's LFSR, but run 4 input bytes at a time: the parity
 * register is a linear function over GF(2) of (register, input), so the
 * effect of each input byte position is precomputed (CRC "slicing").
 * Where the engine has WebAssembly SIMD (rsSimd.ts), encode, check and
 * checkBlocks run there instead, 16 bytes a step, once the codec has seen
 * enough data to repay building the module (SIMD_AFTER_BYTES); the
 * TypeScript LFSR stays as the fallback, the warm-up and for decode.
 *
 * Decoding follows the kernel's decode_rs8 step for step (Berlekamp-Massey,
 * Chien search, Forney, final syndrome check) so that beyond the correction
 * capacity it fails or mis-corrects exactly where the kernel does.
 */
import { LayoutError } from '../errors.js';
import { GF_EXP, GF_EXP2, GF_LOG, GF_NN } from './galois.js';
import { SimdParity } from './rsSimd.js';

/**
 * Bytes the TypeScript LFSR handles before the SIMD module is built. Building
 * it (slicing tables, module emission and compilation) costs about as much as
 * the TypeScript path spends on 8 MiB; a short command verifying one region
 * never pays it, a long-running writer pays it once it has written as much.
 */
export const SIMD_AFTER_BYTES = 8 << 20;

/** GF_LOG of zero: "no term" in index form. */
const A0 = GF_NN;

/** What decode() returns when the kernel's decode_rs8 would return -EBADMSG. */
export const RS_UNCORRECTABLE = -1;

/** The kernel's -EBADMSG, for callers that print or compare kernel results. */
export const EBADMSG = 74;

export class ReedSolomon {
  /** Number of parity symbols (ramoops' ecc_size). */
  readonly nroots: number;
  /** Longest block of data bytes one codeword can protect. */
  readonly maxLength: number;

  /** Generator polynomial coefficients, poly form, genpoly[nroots] = 1. */
  private readonly genpoly: Uint8Array;
  /** 32-bit words of parity register (at least 4, zero padded). */
  private readonly words: number;
  /** One-byte step: contribution of feedback byte f, `words` words per entry. */
  private readonly step1: Int32Array;
  /** Four-byte step: 4 tables (input byte 0..3) of 256 entries of `words` words. */
  private readonly step4: Int32Array;
  /**
   * Parity register after the last run(), little-endian words. A typed array
   * rather than number fields: int32 values outside V8's small-integer range
   * would be boxed on every store.
   */
  private readonly reg: Int32Array;
  /** WebAssembly SIMD parity for up to 64 roots, when the engine has it; undefined until built. */
  private vec: SimdParity | null | undefined;
  /** Bytes still to run in TypeScript before the SIMD module is built. */
  private simdCountdown: number;
  /** The one-byte step as bytes, kept until the SIMD module is built from it. */
  private contrib: Uint8Array | null;

  // Decoder scratch, nroots + 1 entries each (no allocation per call).
  private readonly syn: Int32Array;
  private readonly lambda: Int32Array;
  private readonly bpoly: Int32Array;
  private readonly tpoly: Int32Array;
  private readonly omega: Int32Array;
  private readonly root: Int32Array;
  private readonly chien: Int32Array;
  private readonly loc: Int32Array;

  /**
   * `options.simd: false` keeps the portable TypeScript encoder even where
   * WebAssembly SIMD is available (tests and benchmarks compare the two);
   * `simdAfter` overrides SIMD_AFTER_BYTES (0: build the module now).
   */
  constructor(nroots: number, options?: { simd?: boolean; simdAfter?: number }) {
    if (!Number.isInteger(nroots) || nroots < 1 || nroots >= GF_NN) {
      throw new LayoutError(`Reed-Solomon: nroots ${nroots} out of range 1..${GF_NN - 1}`);
    }
    this.nroots = nroots;
    this.maxLength = GF_NN - nroots;
    this.genpoly = generatorPoly(nroots);
    const words = Math.max(4, (nroots + 3) >> 2);
    this.words = words;
    this.reg = new Int32Array(words);
    this.step1 = new Int32Array(256 * words);
    this.step4 = new Int32Array(4 * 256 * words);
    this.contrib = this.buildTables();
    this.simdCountdown = options?.simdAfter ?? SIMD_AFTER_BYTES;
    if (options?.simd === false) this.vec = null;
    else if (this.simdCountdown <= 0) this.buildSimd();
    const n = nroots + 1;
    this.syn = new Int32Array(n);
    this.lambda = new Int32Array(n);
    this.bpoly = new Int32Array(n);
    this.tpoly = new Int32Array(n);
    this.omega = new Int32Array(n);
    this.root = new Int32Array(n);
    this.chien = new Int32Array(n);
    this.loc = new Int32Array(n);
  }

  /**
   * Parity of `length` data bytes into parity[parityOffset .. +nroots]: the
   * bytes persistent_ram_encode_rs8 stores (register zeroed first, invmsk 0).
   */
  encode(data: Uint8Array, dataOffset: number, length: number, parity: Uint8Array, parityOffset: number): void {
    this.validate(data, dataOffset, length, parity, parityOffset);
    const vec = this.vec === undefined ? this.simdAfter(length) : this.vec;
    if (vec) {
      vec.encode(data, dataOffset, length, parity, parityOffset);
      return;
    }
    this.run(data, dataOffset, length);
    const nroots = this.nroots;
    const reg = this.reg;
    for (let k = 0; k < nroots; k++) parity[parityOffset + k] = reg[k >> 2] >>> ((k & 3) << 3);
  }

  /**
   * True when data + parity is a codeword (all syndromes zero), i.e. the
   * kernel's decode would return 0 without touching anything.
   */
  check(data: Uint8Array, dataOffset: number, length: number, parity: Uint8Array, parityOffset: number): boolean {
    this.validate(data, dataOffset, length, parity, parityOffset);
    const vec = this.vec === undefined ? this.simdAfter(length) : this.vec;
    if (vec) return vec.check(data, dataOffset, length, parity, parityOffset);
    this.run(data, dataOffset, length);
    return this.parityMatches(parity, parityOffset);
  }

  /**
   * Batch check of a run of blocks packed like a persistent RAM zone: block i
   * is zone[dataOffset + i*blockSize, + blockSize) (the last one ends at
   * dataOffset + dataLength, so it may be shorter) and its parity is
   * zone[parityOffset + i*nroots, + nroots). Returns the index of the first
   * block that is not a codeword, or -1 when all are; resume after a bad
   * block by calling again from the next one. Same answers as check() per
   * block, in one call instead of one per block.
   */
  checkBlocks(zone: Uint8Array, dataOffset: number, dataLength: number, blockSize: number, parityOffset: number): number {
    const nroots = this.nroots;
    const ok = (v: number): boolean => v >= 0 && (v | 0) === v;
    const blocks = ok(blockSize) && blockSize > 0 ? Math.ceil(dataLength / blockSize) : 0;
    if (
      !ok(dataOffset) ||
      !ok(dataLength) ||
      !ok(parityOffset) ||
      !(blockSize >= 1 && blockSize <= this.maxLength) ||
      !ok(blockSize) ||
      dataOffset + dataLength > zone.length ||
      parityOffset + blocks * nroots > zone.length
    ) {
      throw new LayoutError(
        `Reed-Solomon(${nroots}): bad block run: ${dataLength} bytes at ${dataOffset} in blocks of ${blockSize}, parity at ${parityOffset}, of ${zone.length}`,
      );
    }
    const vec = this.vec === undefined ? this.simdAfter(dataLength) : this.vec;
    if (vec) return vec.checkBlocks(zone, dataOffset, dataLength, blockSize, parityOffset);
    for (let b = 0; b < blocks; b++) {
      const pos = dataOffset + b * blockSize;
      this.run(zone, pos, Math.min(blockSize, dataOffset + dataLength - pos));
      if (!this.parityMatches(zone, parityOffset + b * nroots)) return b;
    }
    return -1;
  }

  /**
   * The kernel's decode_rs8 as ram_core calls it (no erasures, parity passed
   * as a copy). Returns the number of symbols corrected (data bytes fixed in
   * place; errors found in the parity count but the parity array is left as
   * it is, since the kernel only fixes its private copy), or RS_UNCORRECTABLE
   * (-1) where the kernel returns -EBADMSG, in which case nothing is written.
   */
  decode(data: Uint8Array, dataOffset: number, length: number, parity: Uint8Array, parityOffset: number): number {
    this.validate(data, dataOffset, length, parity, parityOffset);
    this.run(data, dataOffset, length);
    if (this.parityMatches(parity, parityOffset)) return 0;
    return this.correct(data, dataOffset, length, parity, parityOffset);
  }

  private validate(data: Uint8Array, dataOffset: number, length: number, parity: Uint8Array, parityOffset: number): void {
    if (
      !(length >= 1 && length <= this.maxLength) ||
      (length | 0) !== length ||
      !(dataOffset >= 0) ||
      (dataOffset | 0) !== dataOffset ||
      dataOffset + length > data.length ||
      !(parityOffset >= 0) ||
      (parityOffset | 0) !== parityOffset ||
      parityOffset + this.nroots > parity.length
    ) {
      throw new LayoutError(
        `Reed-Solomon(${this.nroots}): bad block: ${length} bytes at ${dataOffset} of ${data.length}, parity at ${parityOffset} of ${parity.length}`,
      );
    }
  }

  /** Run the parity LFSR over the data from a zero register. */
  private run(data: Uint8Array, p: number, length: number): void {
    if (this.words !== 4) {
      this.runWide(data, p, length);
      return;
    }
    const t = this.step4;
    const end = p + length;
    const end4 = p + (length & ~3);
    let r0 = 0, r1 = 0, r2 = 0, r3 = 0;
    while (p < end4) {
      const x = r0 ^ (data[p] | (data[p + 1] << 8) | (data[p + 2] << 16) | (data[p + 3] << 24));
      p += 4;
      const a = (x & 0xff) << 2;
      const b = 1024 + ((x >>> 6) & 0x3fc);
      const c = 2048 + ((x >>> 14) & 0x3fc);
      const d = 3072 + ((x >>> 22) & 0x3fc);
      r0 = r1 ^ t[a] ^ t[b] ^ t[c] ^ t[d];
      r1 = r2 ^ t[a + 1] ^ t[b + 1] ^ t[c + 1] ^ t[d + 1];
      r2 = r3 ^ t[a + 2] ^ t[b + 2] ^ t[c + 2] ^ t[d + 2];
      r3 = t[a + 3] ^ t[b + 3] ^ t[c + 3] ^ t[d + 3];
    }
    const s = this.step1;
    while (p < end) {
      const f = ((r0 ^ data[p++]) & 0xff) << 2;
      r0 = ((r0 >>> 8) | (r1 << 24)) ^ s[f];
      r1 = ((r1 >>> 8) | (r2 << 24)) ^ s[f + 1];
      r2 = ((r2 >>> 8) | (r3 << 24)) ^ s[f + 2];
      r3 = (r3 >>> 8) ^ s[f + 3];
    }
    const reg = this.reg;
    reg[0] = r0;
    reg[1] = r1;
    reg[2] = r2;
    reg[3] = r3;
  }

  /** Same as run() for registers wider than 128 bits (more than 16 roots). */
  private runWide(data: Uint8Array, p: number, length: number): void {
    const w = this.words;
    const reg = this.reg;
    const t = this.step4;
    const s = this.step1;
    const last = w - 1;
    reg.fill(0);
    const end = p + length;
    const end4 = p + (length & ~3);
    while (p < end4) {
      const x = reg[0] ^ (data[p] | (data[p + 1] << 8) | (data[p + 2] << 16) | (data[p + 3] << 24));
      p += 4;
      const a = (x & 0xff) * w;
      const b = (256 + ((x >>> 8) & 0xff)) * w;
      const c = (512 + ((x >>> 16) & 0xff)) * w;
      const d = (768 + (x >>> 24)) * w;
      for (let k = 0; k < last; k++) reg[k] = reg[k + 1] ^ t[a + k] ^ t[b + k] ^ t[c + k] ^ t[d + k];
      reg[last] = t[a + last] ^ t[b + last] ^ t[c + last] ^ t[d + last];
    }
    while (p < end) {
      const f = ((reg[0] ^ data[p++]) & 0xff) * w;
      for (let k = 0; k < last; k++) reg[k] = ((reg[k] >>> 8) | (reg[k + 1] << 24)) ^ s[f + k];
      reg[last] = (reg[last] >>> 8) ^ s[f + last];
    }
  }

  private parityMatches(parity: Uint8Array, o: number): boolean {
    const nroots = this.nroots;
    const reg = this.reg;
    let k = 0;
    for (; k + 4 <= nroots; k += 4, o += 4) {
      if (reg[k >> 2] !== (parity[o] | (parity[o + 1] << 8) | (parity[o + 2] << 16) | (parity[o + 3] << 24))) return false;
    }
    for (; k < nroots; k++, o++) {
      if (((reg[k >> 2] >>> ((k & 3) << 3)) & 0xff) !== parity[o]) return false;
    }
    return true;
  }

  /** decode_rs8 past the "syndrome is non-zero" point. */
  private correct(data: Uint8Array, dataOffset: number, len: number, parity: Uint8Array, parityOffset: number): number {
    const nroots = this.nroots;
    const pad = GF_NN - nroots - len;
    const s = this.syn;
    const lambda = this.lambda;
    const b = this.bpoly;
    const t = this.tpoly;
    const omega = this.omega;
    const root = this.root;
    const reg = this.chien;
    const loc = this.loc;

    // Syndromes S_i = r(alpha^i), i = 0..nroots-1 (fcr 0, prim 1), to index form.
    for (let i = 0; i < nroots; i++) {
      let v = 0;
      for (let j = 0; j < len; j++) {
        v = v === 0 ? data[dataOffset + j] : data[dataOffset + j] ^ GF_EXP2[GF_LOG[v] + i];
      }
      for (let j = 0; j < nroots; j++) {
        v = v === 0 ? parity[parityOffset + j] : parity[parityOffset + j] ^ GF_EXP2[GF_LOG[v] + i];
      }
      s[i] = GF_LOG[v];
    }

    // Berlekamp-Massey: lambda in poly form, b in index form.
    lambda.fill(0);
    lambda[0] = 1;
    b.fill(A0);
    b[0] = 0;
    let el = 0;
    for (let r = 1; r <= nroots; r++) {
      let discr = 0;
      for (let i = 0; i < r; i++) {
        if (lambda[i] !== 0 && s[r - i - 1] !== A0) discr ^= GF_EXP2[GF_LOG[lambda[i]] + s[r - i - 1]];
      }
      const dr = GF_LOG[discr];
      if (dr === A0) {
        b.copyWithin(1, 0, nroots);
        b[0] = A0;
        continue;
      }
      t[0] = lambda[0];
      for (let i = 0; i < nroots; i++) {
        t[i + 1] = b[i] !== A0 ? lambda[i + 1] ^ GF_EXP2[dr + b[i]] : lambda[i + 1];
      }
      if (2 * el <= r - 1) {
        el = r - el;
        for (let i = 0; i <= nroots; i++) {
          b[i] = lambda[i] === 0 ? A0 : (GF_LOG[lambda[i]] - dr + GF_NN) % GF_NN;
        }
      } else {
        b.copyWithin(1, 0, nroots);
        b[0] = A0;
      }
      lambda.set(t);
    }

    // lambda to index form; its degree is the number of errors it claims.
    let degLambda = 0;
    for (let i = 0; i <= nroots; i++) {
      lambda[i] = GF_LOG[lambda[i]];
      if (lambda[i] !== A0) degLambda = i;
    }
    if (degLambda === 0) return RS_UNCORRECTABLE;

    // Chien search, in the kernel's order: root alpha^i is position i-1 of
    // the full-length codeword; a root inside the shortened-away padding
    // fails at once, and the search stops after degLambda roots.
    for (let j = 1; j <= nroots; j++) reg[j] = lambda[j];
    let count = 0;
    for (let i = 1; i <= GF_NN; i++) {
      let q = 1;
      for (let j = degLambda; j > 0; j--) {
        if (reg[j] !== A0) {
          reg[j] = (reg[j] + j) % GF_NN;
          q ^= GF_EXP[reg[j]];
        }
      }
      if (q !== 0) continue;
      const k = i - 1;
      if (k < pad) return RS_UNCORRECTABLE;
      root[count] = i;
      loc[count] = k;
      if (++count === degLambda) break;
    }
    if (count !== degLambda) return RS_UNCORRECTABLE;

    // Error evaluator omega = S * lambda mod x^nroots, index form.
    const degOmega = degLambda - 1;
    for (let i = 0; i <= degOmega; i++) {
      let v = 0;
      for (let j = i; j >= 0; j--) {
        if (s[i - j] !== A0 && lambda[j] !== A0) v ^= GF_EXP2[s[i - j] + lambda[j]];
      }
      omega[i] = GF_LOG[v];
    }

    // Forney: error values (poly form) into b[0..count-1].
    let corrected = 0;
    const derivTop = Math.min(degLambda, nroots - 1) & ~1;
    for (let j = count - 1; j >= 0; j--) {
      const rj = root[j];
      let num1 = 0;
      for (let i = degOmega; i >= 0; i--) {
        if (omega[i] !== A0) num1 ^= GF_EXP[(omega[i] + i * rj) % GF_NN];
      }
      if (num1 === 0) {
        b[j] = 0;
        continue;
      }
      // X_l^(fcr-1) with fcr 0: alpha^-root.
      const num2 = GF_EXP[(GF_NN - rj) % GF_NN];
      let den = 0;
      for (let i = derivTop; i >= 0; i -= 2) {
        if (lambda[i + 1] !== A0) den ^= GF_EXP[(lambda[i + 1] + i * rj) % GF_NN];
      }
      // A zero derivative is not special-cased: log(0) = 255 cancels like the kernel's.
      b[j] = GF_EXP[(GF_LOG[num1] + GF_LOG[num2] + GF_NN - GF_LOG[den]) % GF_NN];
      corrected++;
    }

    // The error pattern must reproduce every syndrome, or nothing is applied.
    for (let i = 0; i < nroots; i++) {
      let v = 0;
      for (let j = 0; j < count; j++) {
        if (b[j] === 0) continue;
        v ^= GF_EXP[(GF_LOG[b[j]] + i * (GF_NN - loc[j] - 1)) % GF_NN];
      }
      if (v !== GF_EXP[s[i]]) return RS_UNCORRECTABLE;
    }

    // Apply to data only: parity positions are fixed in the kernel's copy.
    const dataEnd = GF_NN - nroots;
    for (let i = 0; i < count; i++) {
      if (loc[i] < dataEnd) data[dataOffset + loc[i] - pad] ^= b[i];
    }
    return corrected;
  }

  /** True when encode/check run in WebAssembly SIMD (now: not during the warm-up). */
  get simd(): boolean {
    return this.vec != null;
  }

  /** Counts `bytes` against the warm-up; the SIMD module once it is over, else null (TypeScript this time). */
  private simdAfter(bytes: number): SimdParity | null {
    this.simdCountdown -= bytes;
    return this.simdCountdown > 0 ? null : this.buildSimd();
  }

  private buildSimd(): SimdParity | null {
    this.vec = this.contrib ? SimdParity.create(this.nroots, this.contrib, this.words * 4) : null;
    this.contrib = null;
    return this.vec;
  }

  /** Builds step1/step4; returns the one-byte step as bytes (256 entries of words*4). */
  private buildTables(): Uint8Array {
    const nroots = this.nroots;
    const w = this.words;
    const bytes = w * 4;
    const g = this.genpoly;
    // Feedback byte f adds f * genpoly[nroots-1-m] to register byte m.
    const contrib = new Uint8Array(256 * bytes);
    for (let f = 1; f < 256; f++) {
      const lf = GF_LOG[f];
      for (let m = 0; m < nroots; m++) {
        const gm = g[nroots - 1 - m];
        contrib[f * bytes + m] = gm === 0 ? 0 : GF_EXP2[lf + GF_LOG[gm]];
      }
    }
    packWords(contrib, 0, this.step1, 0, 256 * w);
    // step4 table k, value v: register after 4 zero-input steps from a
    // register whose byte k is v and all else zero. Linear in v over GF(2):
    // simulate the 8 single-bit values, XOR the others together (a command
    // that reads one image pays for these tables at every start).
    const t = this.step4;
    const regBytes = new Uint8Array(bytes);
    for (let k = 0; k < 4; k++) {
      const base = k * 256 * w;
      for (let bit = 0; bit < 8; bit++) {
        regBytes.fill(0);
        regBytes[k] = 1 << bit;
        for (let step = 0; step < 4; step++) {
          const f = regBytes[0];
          regBytes.copyWithin(0, 1);
          regBytes[bytes - 1] = 0;
          for (let m = 0; m < nroots; m++) regBytes[m] ^= contrib[f * bytes + m];
        }
        packWords(regBytes, 0, t, base + (1 << bit) * w, w);
      }
      for (let v = 3; v < 256; v++) {
        if ((v & (v - 1)) === 0) continue;
        const hi = 1 << (31 - Math.clz32(v));
        const e = base + v * w;
        const a = base + hi * w;
        const c = base + (v ^ hi) * w;
        for (let i = 0; i < w; i++) t[e + i] = t[a + i] ^ t[c + i];
      }
    }
    return contrib;
  }
}

/** Little-endian bytes to 32-bit words. */
function packWords(src: Uint8Array, srcOffset: number, dst: Int32Array, dstOffset: number, count: number): void {
  for (let i = 0; i < count; i++) {
    const p = srcOffset + i * 4;
    dst[dstOffset + i] = src[p] | (src[p + 1] << 8) | (src[p + 2] << 16) | (src[p + 3] << 24);
  }
}

/** prod_{i<nroots} (x - alpha^i), coefficient of x^k at [k], poly form. */
function generatorPoly(nroots: number): Uint8Array {
  const g = new Uint8Array(nroots + 1);
  g[0] = 1;
  for (let i = 0; i < nroots; i++) {
    // Multiply by (x + alpha^i).
    g[i + 1] = 1;
    for (let j = i; j > 0; j--) {
      g[j] = g[j - 1] ^ (g[j] === 0 ? 0 : GF_EXP[(GF_LOG[g[j]] + i) % GF_NN]);
    }
    g[0] = GF_EXP[(GF_LOG[g[0]] + i) % GF_NN];
  }
  return g;
}

const cache = new Map<number, ReedSolomon>();

/** Shared codec for `nroots` parity symbols (tables are built once). */
export function reedSolomon(nroots: number): ReedSolomon {
  let rs = cache.get(nroots);
  if (!rs) {
    rs = new ReedSolomon(nroots);
    cache.set(nroots, rs);
  }
  return rs;
}
