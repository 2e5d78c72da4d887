/**
 * LZ4 raw block format, as the kernel's crypto "lz4"/"lz4hc" write it
 * (lib/lz4: no frame, no size prefix). The decoder applies the checks of the
 * kernel's LZ4_decompress_safe with the output capacity `maxOut`: the last
 * sequence is literals only and must end exactly at the end of the input;
 * a sequence whose literals come within 12 bytes of the output end, or within
 * 8 bytes of the input end, must be that last one; a match may not end within
 * the last 5 bytes of the output capacity. It is stricter in one place: an
 * offset of 0 is rejected (the kernel copies stale bytes, no encoder writes it).
 */
import { DecompressError } from '../../errors.js';
import type { Compressor, CompressorName } from './types.js';

const MINMATCH = 4;
const LASTLITERALS = 5;
const MFLIMIT = 12;
const MAX_DISTANCE = 65535;
/** Smallest input that can hold a match: LZ4 stores anything shorter as literals. */
const MIN_INPUT_FOR_MATCH = MFLIMIT + 1;

/** Worst-case compressed size (the kernel's LZ4_COMPRESSBOUND). */
export function lz4CompressBound(n: number): number {
  return n > 0x7e000000 ? 0 : n + Math.floor(n / 255) + 16;
}

export function lz4DecompressBlock(src: Uint8Array, maxOut: number, algorithm: CompressorName = 'lz4'): Uint8Array {
  const iend = src.length;
  const fail = (why: string, at: number): never => {
    throw new DecompressError(algorithm, `${why} (input offset ${at})`);
  };
  if (maxOut <= 0) {
    if (iend === 1 && src[0] === 0) return new Uint8Array(0);
    return fail('output larger than 0 bytes', 0);
  }
  if (iend === 0) fail('empty input', 0);

  const out = new Uint8Array(maxOut);
  let ip = 0;
  let op = 0;
  for (;;) {
    const token = src[ip++];
    let len = token >>> 4;
    // The kernel's two-stage shortcut: a literal run of 0..14 that starts more
    // than 16 input bytes before the end, with 32 bytes of output room, is
    // copied without the end-of-block checks below, so a run ending within the
    // last 8 input bytes may still be followed by a match (found by comparing
    // with lib/lz4 on mutated blocks).
    const shortcut = len !== 15 && ip < iend - 16 && op <= maxOut - 32;
    if (len === 15) {
      if (ip >= iend - 15) fail('literal length runs past the input', ip);
      let s: number;
      do {
        s = src[ip++];
        len += s;
      } while (ip < iend - 15 && s === 255);
    }
    const cpy = op + len;
    if (!shortcut && (cpy > maxOut - MFLIMIT || ip + len > iend - (2 + 1 + LASTLITERALS))) {
      // Only the final, literals-only sequence may come this close to either end.
      if (ip + len !== iend) fail(ip + len > iend ? 'literals run past the input' : 'block does not end with literals', ip);
      if (cpy > maxOut) fail(`output larger than ${maxOut} bytes`, ip);
      out.set(src.subarray(ip, iend), op);
      op = cpy;
      break;
    }
    for (let i = 0; i < len; i++) out[op + i] = src[ip + i];
    ip += len;
    op = cpy;

    const offset = src[ip] | (src[ip + 1] << 8);
    ip += 2;
    // Offset 0 passes the kernel's check (match + dictSize < lowPrefix): it
    // stores the offset (0) as 4 bytes at the match position and copies the
    // match from itself, so the match is zeros — here too (the output starts
    // zero-filled and nothing is written past op).
    if (offset > op) fail(`match offset ${offset} before output start`, ip - 2);
    let mlen = token & 15;
    if (mlen === 15) {
      let s: number;
      do {
        s = src[ip++];
        if (ip > iend - LASTLITERALS) fail('match length runs past the input', ip);
        mlen += s;
      } while (s === 255);
    }
    mlen += MINMATCH;
    const mend = op + mlen;
    if (mend > maxOut - LASTLITERALS) {
      fail(mend > maxOut ? `output larger than ${maxOut} bytes` : 'match within the last 5 bytes', ip);
    }
    let m = op - offset;
    if (offset >= mlen) {
      out.copyWithin(op, m, m + mlen);
      op = mend;
    } else {
      // Overlapping copy repeats the last `offset` bytes: byte by byte.
      while (op < mend) out[op++] = out[m++];
    }
  }
  return out.slice(0, op);
}

function hash4(v: number, bits: number): number {
  return Math.imul(v, 2654435761) >>> (32 - bits);
}

function read32(a: Uint8Array, i: number): number {
  return a[i] | (a[i + 1] << 8) | (a[i + 2] << 16) | (a[i + 3] << 24);
}

/** Appends one sequence (literals anchor..ip, then a match unless mlen is 0). */
function writeSequence(dst: Uint8Array, op: number, src: Uint8Array, anchor: number, ip: number, offset: number, mlen: number): number {
  const lit = ip - anchor;
  const tokenPos = op++;
  let token: number;
  if (lit >= 15) {
    token = 0xf0;
    let r = lit - 15;
    for (; r >= 255; r -= 255) dst[op++] = 255;
    dst[op++] = r;
  } else {
    token = lit << 4;
  }
  dst.set(src.subarray(anchor, ip), op);
  op += lit;
  if (mlen > 0) {
    dst[op++] = offset & 0xff;
    dst[op++] = offset >>> 8;
    let ml = mlen - MINMATCH;
    if (ml >= 15) {
      token |= 15;
      ml -= 15;
      for (; ml >= 255; ml -= 255) dst[op++] = 255;
      dst[op++] = ml;
    } else {
      token |= ml;
    }
  }
  dst[tokenPos] = token;
  return op;
}

/** Greedy single-probe compressor (the shape of LZ4_compress_default). */
export function lz4CompressBlock(src: Uint8Array, maxOut: number): Uint8Array | null {
  return compressWith(src, maxOut, 1);
}

/**
 * Hash-chain compressor that looks at up to 256 earlier positions for the
 * longest match (what LZ4HC level 9 spends its time on). Same block format.
 */
export function lz4hcCompressBlock(src: Uint8Array, maxOut: number): Uint8Array | null {
  return compressWith(src, maxOut, 256);
}

function compressWith(src: Uint8Array, maxOut: number, attempts: number): Uint8Array | null {
  const n = src.length;
  const dst = new Uint8Array(lz4CompressBound(n));
  let op = 0;
  let anchor = 0;
  if (n >= MIN_INPUT_FOR_MATCH) {
    const HASH_BITS = attempts > 1 ? 15 : 12;
    const head = new Int32Array(1 << HASH_BITS).fill(-1);
    const chain = attempts > 1 ? new Int32Array(n) : null;
    const mflimit = n - MFLIMIT; // last position where a match may start
    const matchlimit = n - LASTLITERALS; // a match must end by here
    const insert = (p: number): void => {
      const h = hash4(read32(src, p), HASH_BITS);
      if (chain) chain[p] = head[h];
      head[h] = p;
    };
    let ip = 0;
    let misses = 0;
    let nextInsert = 0;
    while (ip <= mflimit) {
      while (nextInsert < ip) insert(nextInsert++);
      const seq = read32(src, ip);
      let cand = head[hash4(seq, HASH_BITS)];
      let bestLen = 0;
      let bestPos = -1;
      for (let tries = attempts; cand >= 0 && ip - cand <= MAX_DISTANCE && tries > 0; tries--) {
        if (read32(src, cand) === seq) {
          let l = MINMATCH;
          while (ip + l < matchlimit && src[cand + l] === src[ip + l]) l++;
          if (l > bestLen) {
            bestLen = l;
            bestPos = cand;
            if (ip + l >= matchlimit) break;
          }
        }
        if (!chain) break;
        cand = chain[cand];
      }
      if (bestLen < MINMATCH) {
        // Skip faster through incompressible data, as LZ4 does.
        ip += 1 + (misses++ >> 6);
        continue;
      }
      misses = 0;
      let start = ip;
      let ref = bestPos;
      while (start > anchor && ref > 0 && src[start - 1] === src[ref - 1]) {
        start--;
        ref--;
        bestLen++;
      }
      op = writeSequence(dst, op, src, anchor, start, start - ref, bestLen);
      if (op > maxOut) return null;
      ip = start + bestLen;
      anchor = ip;
    }
  }
  op = writeSequence(dst, op, src, anchor, n, 0, 0);
  return op > maxOut ? null : dst.slice(0, op);
}

export const lz4: Compressor = {
  name: 'lz4',
  compress: lz4CompressBlock,
  decompress: (src, maxOut) => lz4DecompressBlock(src, maxOut, 'lz4'),
};

export const lz4hc: Compressor = {
  name: 'lz4hc',
  compress: lz4hcCompressBlock,
  decompress: (src, maxOut) => lz4DecompressBlock(src, maxOut, 'lz4hc'),
};
