/**
 * A strict raw-deflate (RFC 1951) decoder with zlib's acceptance rules, so it
 * fails where the kernel's zlib_inflate fails: over-subscribed or incomplete
 * code sets (except a single one-bit length/distance code), a missing
 * end-of-block code, bad stored-block lengths, distances before the output
 * start, a stream that does not reach its final block, output past `maxOut`.
 * Distances may reach back further than the window the stream was written
 * with (the kernel inflates into one flat buffer, so zlib allows it too).
 * Bytes after the final block are ignored, as zlib ignores them.
 *
 * Speed comes from the fflate/zlib recipe: table lookups that yield symbol,
 * length base and extra-bit count at once (see inflateTable.ts), a bit
 * buffer in locals refilled a byte at a time, no allocation in the loop.
 */
import {
  buildTable,
  CLEN_ROOT,
  CLEN_SYMS,
  CLEN_TABLE_SIZE,
  codeSpace,
  DIST_ROOT,
  DIST_SYMS,
  DIST_TABLE_SIZE,
  isSingleOneBitCode,
  LIT_ROOT,
  LIT_SYMS,
  LIT_TABLE_SIZE,
  MAXBITS,
  OP_BASE,
  OP_EOB,
  OP_LINK,
} from './inflateTable.js';

/** Why and where (byte offset in the input) inflating stopped. */
export class InflateFail extends Error {
  constructor(
    readonly why: string,
    readonly at: number,
    /** The input ran out before the final block ended. */
    readonly truncated = false,
  ) {
    super(why);
  }
}

const CLEN_ORDER = new Uint8Array([16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]);
const LIT_MASK = (1 << LIT_ROOT) - 1;
const DIST_MASK = (1 << DIST_ROOT) - 1;
const CLEN_MASK = (1 << CLEN_ROOT) - 1;
/** Growth cap for the output buffer when maxOut is huge. */
const MAX_OUT = 0x7fffffff;

/*
 * Tables are built once per dynamic block into these (the inflater runs to
 * completion without yielding, so one set is enough); fixed-code tables are
 * built at load.
 */
const dynLit = new Int32Array(LIT_TABLE_SIZE);
const dynDist = new Int32Array(DIST_TABLE_SIZE);
const clen = new Int32Array(CLEN_TABLE_SIZE);
const lengths = new Uint8Array(320);
const fixedLit = new Int32Array(1 << LIT_ROOT);
const fixedDist = new Int32Array(1 << DIST_ROOT);
let fixedLitMax = 0;
let fixedDistMax = 0;
{
  const l = new Uint8Array(288);
  l.fill(8, 0, 144);
  l.fill(9, 144, 256);
  l.fill(7, 256, 280);
  l.fill(8, 280, 288);
  codeSpace(l, 0, 288);
  fixedLitMax = buildTable(fixedLit, LIT_ROOT, l, 0, 288, LIT_SYMS);
  // Only 30 distance codes: the patterns of 30 and 31 stay unused, as before.
  const d = new Uint8Array(30).fill(5);
  codeSpace(d, 0, 30);
  fixedDistMax = buildTable(fixedDist, DIST_ROOT, d, 0, 30, DIST_SYMS);
}

/*
 * Bit reading. The decoder keeps up to 31 input bits in a local int and
 * reads ahead whole bytes; past the end of the input it shifts in zero bytes
 * (`pos` then runs past `inEnd`). The input has run out once more bits were
 * consumed than it held: `pos > inEnd && (pos - inEnd) * 8 > bitCnt`. That is
 * checked when reading ahead, on every error (zlib reports the end of the
 * input first) and at the end, so consuming a padding bit always ends in
 * `truncated`, exactly where a decoder reading bit by bit would stop.
 */

function truncatedInput(inEnd: number): InflateFail {
  return new InflateFail('unexpected end of input', inEnd, true);
}

/** The error for `why`, unless the input had already run out. */
function failAt(why: string, pos: number, bitCnt: number, inEnd: number): InflateFail {
  if (pos > inEnd && (pos - inEnd) << 3 > bitCnt) return truncatedInput(inEnd);
  return new InflateFail(why, pos - (bitCnt >> 3));
}

/** A bit pattern no code uses: an error only if the longest code's worth of real input was there. */
function badCode(maxLen: number, pos: number, bitCnt: number, inEnd: number): InflateFail {
  const real = pos > inEnd ? bitCnt - ((pos - inEnd) << 3) : bitCnt;
  if (real < maxLen) return truncatedInput(inEnd);
  return new InflateFail('invalid Huffman code', pos - (bitCnt >> 3));
}

/** A bigger output buffer (at least `need`, at most `limit` bytes). */
function grow(out: Uint8Array, need: number, limit: number): Uint8Array {
  const bigger = new Uint8Array(Math.min(limit, Math.max(need, out.length * 2)));
  bigger.set(out);
  return bigger;
}

export interface InflateResult {
  data: Uint8Array;
  /** Input bytes up to the end of the final block. */
  consumed: number;
}

/** Inflates a raw deflate stream starting at `start`; throws InflateFail. */
export function inflateRaw(src: Uint8Array, maxOut: number, start = 0): InflateResult {
  const limit = maxOut > 0 ? Math.min(Math.floor(maxOut), MAX_OUT) : 0;
  const inEnd = src.length;
  // Log text deflates 3 to 6 times; start big enough for that, grow by doubling.
  let out: Uint8Array = new Uint8Array(Math.min(limit, Math.max(4096, (inEnd - start) * 8)));
  let outLen = out.length;
  let op = 0;
  let pos = start; // next input byte to read ahead
  let bitBuf = 0;
  let bitCnt = 0;
  let last = 0;
  do {
    while (bitCnt < 3) {
      if (pos < inEnd) bitBuf |= src[pos] << bitCnt;
      pos++;
      bitCnt += 8;
    }
    last = bitBuf & 1;
    const type = (bitBuf >>> 1) & 3;
    bitBuf >>>= 3;
    bitCnt -= 3;
    if (pos > inEnd && (pos - inEnd) << 3 > bitCnt) throw truncatedInput(inEnd);
    if (type === 0) {
      // Stored blocks start at a byte boundary; give back whole bytes read ahead.
      pos -= bitCnt >> 3;
      bitBuf = 0;
      bitCnt = 0;
      if (inEnd - pos < 4) throw new InflateFail('unexpected end of input', pos, true);
      const len = src[pos] | (src[pos + 1] << 8);
      const nlen = src[pos + 2] | (src[pos + 3] << 8);
      if (len !== (~nlen & 0xffff)) throw new InflateFail('invalid stored block lengths', pos);
      pos += 4;
      if (inEnd - pos < len) throw new InflateFail('unexpected end of input', inEnd, true);
      if (limit - op < len) throw new InflateFail(`output larger than ${maxOut} bytes`, pos);
      if (outLen - op < len) {
        out = grow(out, op + len, limit);
        outLen = out.length;
      }
      out.set(src.subarray(pos, pos + len), op);
      op += len;
      pos += len;
      continue;
    }
    let lt: Int32Array;
    let dt: Int32Array;
    let litMax: number;
    let distMax: number;
    if (type === 1) {
      lt = fixedLit;
      dt = fixedDist;
      litMax = fixedLitMax;
      distMax = fixedDistMax;
    } else if (type === 2) {
      while (bitCnt < 14) {
        if (pos < inEnd) bitBuf |= src[pos] << bitCnt;
        pos++;
        bitCnt += 8;
      }
      const nlen = (bitBuf & 31) + 257;
      const ndist = ((bitBuf >>> 5) & 31) + 1;
      const ncode = ((bitBuf >>> 10) & 15) + 4;
      bitBuf >>>= 14;
      bitCnt -= 14;
      if (nlen > 286 || ndist > 30) throw failAt('too many length or distance symbols', pos, bitCnt, inEnd);
      lengths.fill(0, 0, 19);
      for (let i = 0; i < ncode; i++) {
        if (bitCnt < 3) {
          if (pos < inEnd) bitBuf |= src[pos] << bitCnt;
          pos++;
          bitCnt += 8;
        }
        lengths[CLEN_ORDER[i]] = bitBuf & 7;
        bitBuf >>>= 3;
        bitCnt -= 3;
      }
      if (codeSpace(lengths, 0, 19) !== 0) throw failAt('invalid code lengths set', pos, bitCnt, inEnd);
      const clenMax = buildTable(clen, CLEN_ROOT, lengths, 0, 19, CLEN_SYMS);
      const total = nlen + ndist;
      let i = 0;
      while (i < total) {
        // A code (at most 7 bits) and its repeat count (at most 7 bits).
        while (bitCnt < 14) {
          if (pos < inEnd) bitBuf |= src[pos] << bitCnt;
          pos++;
          bitCnt += 8;
        }
        if (pos > inEnd && (pos - inEnd) << 3 > bitCnt) throw truncatedInput(inEnd);
        const e = clen[bitBuf & CLEN_MASK];
        const n = e & 15;
        if (n === 0) throw badCode(clenMax, pos, bitCnt, inEnd);
        bitBuf >>>= n;
        bitCnt -= n;
        const sym = e >>> 16;
        if (sym < 16) {
          lengths[i++] = sym;
          continue;
        }
        let value = 0;
        let rep: number;
        if (sym === 16) {
          if (i === 0) throw failAt('invalid bit length repeat', pos, bitCnt, inEnd);
          value = lengths[i - 1];
          rep = 3 + (bitBuf & 3);
          bitBuf >>>= 2;
          bitCnt -= 2;
        } else if (sym === 17) {
          rep = 3 + (bitBuf & 7);
          bitBuf >>>= 3;
          bitCnt -= 3;
        } else {
          rep = 11 + (bitBuf & 127);
          bitBuf >>>= 7;
          bitCnt -= 7;
        }
        if (i + rep > total) throw failAt('invalid bit length repeat', pos, bitCnt, inEnd);
        lengths.fill(value, i, i + rep);
        i += rep;
      }
      if (pos > inEnd && (pos - inEnd) << 3 > bitCnt) throw truncatedInput(inEnd);
      if (lengths[256] === 0) throw failAt('invalid code -- missing end-of-block', pos, bitCnt, inEnd);
      const ll = codeSpace(lengths, 0, nlen);
      if (ll !== 0 && (ll < 0 || !isSingleOneBitCode())) throw failAt('invalid literal/lengths set', pos, bitCnt, inEnd);
      litMax = buildTable(dynLit, LIT_ROOT, lengths, 0, nlen, LIT_SYMS);
      const dl = codeSpace(lengths, nlen, ndist);
      // zlib allows an empty distance set (then any distance code is an error).
      if (dl !== 0 && (dl < 0 || !isSingleOneBitCode()) && dl !== 1 << MAXBITS) {
        throw failAt('invalid distances set', pos, bitCnt, inEnd);
      }
      distMax = buildTable(dynDist, DIST_ROOT, lengths, nlen, ndist, DIST_SYMS);
      lt = dynLit;
      dt = dynDist;
    } else {
      throw failAt('invalid block type', pos, bitCnt, inEnd);
    }

    // The hot loop: one literal/length code per turn, bits refilled once up front.
    for (;;) {
      if (bitCnt < 20) {
        if (pos + 4 <= inEnd) {
          do {
            bitBuf |= src[pos++] << bitCnt;
            bitCnt += 8;
          } while (bitCnt < 24);
        } else {
          do {
            if (pos < inEnd) bitBuf |= src[pos] << bitCnt;
            pos++;
            bitCnt += 8;
          } while (bitCnt < 24);
          if (pos > inEnd && (pos - inEnd) << 3 > bitCnt) throw truncatedInput(inEnd);
        }
      }
      let e = lt[bitBuf & LIT_MASK];
      let n = e & 15;
      if (n === 0) throw badCode(litMax, pos, bitCnt, inEnd);
      if (e & (OP_LINK << 4)) {
        bitBuf >>>= n;
        bitCnt -= n;
        e = lt[(e >>> 16) + (bitBuf & ((1 << ((e >>> 4) & 15)) - 1))];
        n = e & 15;
        if (n === 0) throw badCode(litMax, pos, bitCnt, inEnd);
      }
      bitBuf >>>= n;
      bitCnt -= n;
      if ((e & 0x7f0) === 0) {
        // A literal (OP_LIT is 0).
        if (op >= outLen) {
          if (op >= limit) throw failAt(`output larger than ${maxOut} bytes`, pos, bitCnt, inEnd);
          out = grow(out, op + 1, limit);
          outLen = out.length;
        }
        out[op++] = e >>> 16;
        continue;
      }
      let kind = (e >>> 4) & 127;
      if (kind < OP_BASE) {
        if (kind === OP_EOB) break;
        throw failAt('invalid literal/length code', pos, bitCnt, inEnd);
      }
      let extra = kind - OP_BASE;
      const len = (e >>> 16) + (bitBuf & ((1 << extra) - 1));
      bitBuf >>>= extra;
      bitCnt -= extra;

      if (bitCnt < 15) {
        if (pos + 4 <= inEnd) {
          do {
            bitBuf |= src[pos++] << bitCnt;
            bitCnt += 8;
          } while (bitCnt < 24);
        } else {
          do {
            if (pos < inEnd) bitBuf |= src[pos] << bitCnt;
            pos++;
            bitCnt += 8;
          } while (bitCnt < 24);
          if (pos > inEnd && (pos - inEnd) << 3 > bitCnt) throw truncatedInput(inEnd);
        }
      }
      e = dt[bitBuf & DIST_MASK];
      n = e & 15;
      if (n === 0) throw badCode(distMax, pos, bitCnt, inEnd);
      if (e & (OP_LINK << 4)) {
        bitBuf >>>= n;
        bitCnt -= n;
        e = dt[(e >>> 16) + (bitBuf & ((1 << ((e >>> 4) & 15)) - 1))];
        n = e & 15;
        if (n === 0) throw badCode(distMax, pos, bitCnt, inEnd);
      }
      bitBuf >>>= n;
      bitCnt -= n;
      kind = (e >>> 4) & 127;
      if (kind < OP_BASE) throw failAt('invalid distance code', pos, bitCnt, inEnd);
      extra = kind - OP_BASE;
      if (bitCnt < extra) {
        do {
          if (pos < inEnd) bitBuf |= src[pos] << bitCnt;
          pos++;
          bitCnt += 8;
        } while (bitCnt < 24);
      }
      const dist = (e >>> 16) + (bitBuf & ((1 << extra) - 1));
      bitBuf >>>= extra;
      bitCnt -= extra;
      if (dist > op) throw failAt('invalid distance too far back', pos, bitCnt, inEnd);
      if (outLen - op < len) {
        if (limit - op < len) throw failAt(`output larger than ${maxOut} bytes`, pos, bitCnt, inEnd);
        out = grow(out, op + len, limit);
        outLen = out.length;
      }
      // Byte by byte: overlapping copies (dist < len) repeat the last `dist` bytes.
      let from = op - dist;
      const end = op + len;
      if (len > 32 && dist >= len) {
        out.copyWithin(op, from, from + len);
        op = end;
      } else {
        while (op < end) out[op++] = out[from++];
      }
    }
  } while (!last);
  if (pos > inEnd && (pos - inEnd) << 3 > bitCnt) throw truncatedInput(inEnd);
  return { data: op === out.length ? out : out.slice(0, op), consumed: pos - (bitCnt >> 3) };
}

/** Adler-32 as zlib computes it. */
export function adler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (let i = 0; i < data.length; ) {
    const end = Math.min(data.length, i + 5552);
    for (; i < end; i++) {
      a += data[i];
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** True when the first two bytes are a valid zlib header (deflate method, checksum ok). */
export function looksLikeZlib(src: Uint8Array): boolean {
  if (src.length < 2) return false;
  const cmf = src[0];
  const flg = src[1];
  return (cmf & 0x0f) === 8 && cmf >> 4 <= 7 && ((cmf << 8) | flg) % 31 === 0 && (flg & 0x20) === 0;
}

/** Inflates a zlib-wrapped stream (header, raw deflate, Adler-32). */
export function inflateZlib(src: Uint8Array, maxOut: number): Uint8Array {
  if (!looksLikeZlib(src)) throw new InflateFail('incorrect header check', 0);
  const { data, consumed } = inflateRaw(src, maxOut, 2);
  if (src.length - consumed < 4) throw new InflateFail('unexpected end of input', src.length, true);
  const want = ((src[consumed] << 24) | (src[consumed + 1] << 16) | (src[consumed + 2] << 8) | src[consumed + 3]) >>> 0;
  if (adler32(data) !== want) throw new InflateFail('incorrect data check', consumed);
  return data;
}
