/**
 * A strict raw-deflate (RFC 1951) decoder with zlib's acceptance rules, so it
 * fails where the kernel's zlib_inflate fails: over-subscribed or incomplete
 * code sets (except a single one-bit length/distance code), a missing
 * end-of-block code, bad stored-block lengths, distances before the output
 * start, a stream that does not reach its final block, output past `maxOut`.
 * Distances may reach back further than the window the stream was written
 * with (the kernel inflates into one flat buffer, so zlib allows it too).
 * Bytes after the final block are ignored, as zlib ignores them.
 */

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

const MAXBITS = 15;
const LEN_BASE = new Uint16Array([3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]);
const LEN_EXTRA = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]);
const DIST_BASE = new Uint16Array([1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]);
const DIST_EXTRA = new Uint8Array([0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]);
const CLEN_ORDER = new Uint8Array([16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]);

/**
 * Huffman decoding table indexed by the next `bits` input bits (LSB first):
 * entry = symbol << 4 | code length; 0 marks a bit pattern no code uses.
 */
interface Huffman {
  table: Int32Array;
  bits: number;
  count: Uint16Array;
}

function newHuffman(): Huffman {
  return { table: new Int32Array(1 << MAXBITS), bits: 0, count: new Uint16Array(MAXBITS + 1) };
}

/**
 * Builds `h` from code lengths. Returns the number of unused codes at the
 * longest length (0 = complete), or -1 when the lengths are over-subscribed.
 */
function buildHuffman(h: Huffman, lengths: Uint8Array, n: number): number {
  const count = h.count;
  count.fill(0);
  let maxLen = 0;
  for (let s = 0; s < n; s++) {
    const l = lengths[s];
    count[l]++;
    if (l > maxLen) maxLen = l;
  }
  let left = 1;
  for (let len = 1; len <= MAXBITS; len++) {
    left <<= 1;
    left -= count[len];
    if (left < 0) return -1;
  }
  h.bits = maxLen;
  const size = 1 << maxLen;
  const table = h.table;
  table.fill(0, 0, size);
  if (maxLen === 0) return left;
  const next = new Uint16Array(MAXBITS + 1);
  for (let len = 1, code = 0; len <= MAXBITS; len++) {
    code = (code + (len > 1 ? count[len - 1] : 0)) << 1;
    next[len] = code;
  }
  for (let s = 0; s < n; s++) {
    const len = lengths[s];
    if (len === 0) continue;
    let c = next[len]++;
    // Codes are sent most significant bit first: reverse them for LSB-first lookup.
    let rev = 0;
    for (let i = 0; i < len; i++) {
      rev = (rev << 1) | (c & 1);
      c >>= 1;
    }
    const entry = (s << 4) | len;
    for (let i = rev; i < size; i += 1 << len) table[i] = entry;
  }
  return left;
}

/** zlib accepts an incomplete set only when it is a single one-bit code. */
function acceptable(h: Huffman, left: number, nonzero: number): boolean {
  if (left < 0) return false;
  if (left === 0) return true;
  return nonzero === 1 && h.count[1] === 1;
}

const fixedLit = newHuffman();
const fixedDist = newHuffman();
{
  const l = new Uint8Array(288);
  l.fill(8, 0, 144);
  l.fill(9, 144, 256);
  l.fill(7, 256, 280);
  l.fill(8, 280, 288);
  buildHuffman(fixedLit, l, 288);
  buildHuffman(fixedDist, new Uint8Array(30).fill(5), 30);
}

export interface InflateResult {
  data: Uint8Array;
  /** Input bytes up to the end of the final block. */
  consumed: number;
}

/** Inflates a raw deflate stream starting at `start`; throws InflateFail. */
export function inflateRaw(src: Uint8Array, maxOut: number, start = 0): InflateResult {
  const out = new Uint8Array(Math.max(0, maxOut));
  const outEnd = out.length;
  const inEnd = src.length;
  let pos = start; // next input byte
  let bitBuf = 0;
  let bitCnt = 0;
  let op = 0;

  const bits = (need: number): number => {
    while (bitCnt < need) {
      if (pos >= inEnd) throw new InflateFail('unexpected end of input', pos, true);
      bitBuf |= src[pos++] << bitCnt;
      bitCnt += 8;
    }
    const v = bitBuf & ((1 << need) - 1);
    bitBuf >>>= need;
    bitCnt -= need;
    return v;
  };
  const decode = (h: Huffman): number => {
    const tb = h.bits;
    while (bitCnt < tb && pos < inEnd) {
      bitBuf |= src[pos++] << bitCnt;
      bitCnt += 8;
    }
    const e = h.table[bitBuf & ((1 << tb) - 1)];
    const len = e & 15;
    if (len === 0 || len > bitCnt) {
      if (bitCnt < tb) throw new InflateFail('unexpected end of input', pos, true);
      throw new InflateFail('invalid Huffman code', pos);
    }
    bitBuf >>>= len;
    bitCnt -= len;
    return e >>> 4;
  };

  const lengths = new Uint8Array(320);
  const dynLit = newHuffman();
  const dynDist = newHuffman();
  const clen = newHuffman();

  let last = 0;
  do {
    last = bits(1);
    const type = bits(2);
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
      if (outEnd - op < len) throw new InflateFail(`output larger than ${maxOut} bytes`, pos);
      out.set(src.subarray(pos, pos + len), op);
      op += len;
      pos += len;
      continue;
    }
    let lit: Huffman;
    let dist: Huffman;
    if (type === 1) {
      lit = fixedLit;
      dist = fixedDist;
    } else if (type === 2) {
      const nlen = bits(5) + 257;
      const ndist = bits(5) + 1;
      const ncode = bits(4) + 4;
      if (nlen > 286 || ndist > 30) throw new InflateFail('too many length or distance symbols', pos);
      lengths.fill(0, 0, 19);
      for (let i = 0; i < ncode; i++) lengths[CLEN_ORDER[i]] = bits(3);
      if (buildHuffman(clen, lengths, 19) !== 0) throw new InflateFail('invalid code lengths set', pos);
      let i = 0;
      while (i < nlen + ndist) {
        const sym = decode(clen);
        if (sym < 16) {
          lengths[i++] = sym;
          continue;
        }
        let value = 0;
        let rep: number;
        if (sym === 16) {
          if (i === 0) throw new InflateFail('invalid bit length repeat', pos);
          value = lengths[i - 1];
          rep = 3 + bits(2);
        } else if (sym === 17) rep = 3 + bits(3);
        else rep = 11 + bits(7);
        if (i + rep > nlen + ndist) throw new InflateFail('invalid bit length repeat', pos);
        while (rep--) lengths[i++] = value;
      }
      if (lengths[256] === 0) throw new InflateFail('invalid code -- missing end-of-block', pos);
      const litLens = lengths.subarray(0, nlen);
      let nz = 0;
      for (let k = 0; k < nlen; k++) if (litLens[k]) nz++;
      if (!acceptable(dynLit, buildHuffman(dynLit, litLens, nlen), nz)) throw new InflateFail('invalid literal/lengths set', pos);
      const distLens = lengths.slice(nlen, nlen + ndist);
      nz = 0;
      for (let k = 0; k < ndist; k++) if (distLens[k]) nz++;
      const dl = buildHuffman(dynDist, distLens, ndist);
      // zlib allows an empty distance set (then any distance code is an error).
      if (nz !== 0 && !acceptable(dynDist, dl, nz)) throw new InflateFail('invalid distances set', pos);
      lit = dynLit;
      dist = dynDist;
    } else {
      throw new InflateFail('invalid block type', pos);
    }

    for (;;) {
      const sym = decode(lit);
      if (sym < 256) {
        if (op >= outEnd) throw new InflateFail(`output larger than ${maxOut} bytes`, pos);
        out[op++] = sym;
        continue;
      }
      if (sym === 256) break;
      const li = sym - 257;
      if (li >= 29) throw new InflateFail('invalid literal/length code', pos);
      const len = LEN_BASE[li] + bits(LEN_EXTRA[li]);
      const di = decode(dist);
      if (di >= 30) throw new InflateFail('invalid distance code', pos);
      const d = DIST_BASE[di] + bits(DIST_EXTRA[di]);
      if (d > op) throw new InflateFail('invalid distance too far back', pos);
      if (outEnd - op < len) throw new InflateFail(`output larger than ${maxOut} bytes`, pos);
      let from = op - d;
      if (d >= len) {
        out.copyWithin(op, from, from + len);
        op += len;
      } else {
        for (let k = 0; k < len; k++) out[op++] = out[from++];
      }
    }
  } while (!last);
  return { data: out.slice(0, op), consumed: pos - (bitCnt >> 3) };
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
