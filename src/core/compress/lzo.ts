/**
 * LZO1X as the kernel's crypto "lzo" uses it: lzo1x_1_compress output (no
 * header), read with lzo1x_decompress_safe semantics. The decoder also takes
 * the lzo-rle bitstream (leading bytes 17, version; zero runs), which the
 * kernel's decoder accepts from the same entry point. Every read and write is
 * bounds-checked; input that ends early is an error, never a wait for more.
 */
import { DecompressError } from '../../errors.js';
import type { Compressor } from './types.js';

const M2_MAX_OFFSET = 0x0800;
const M3_MAX_OFFSET = 0x4000;
const M4_MAX_OFFSET_V0 = 0xbfff;
const MIN_ZERO_RUN_LENGTH = 4;

/** The kernel's lzo1x_worst_compress(). */
export function lzoWorstCompress(n: number): number {
  return n + Math.floor(n / 16) + 64 + 3 + 2;
}

class LzoFail extends Error {
  constructor(
    readonly why: string,
    readonly at: number,
  ) {
    super(why);
  }
}

export function lzo1xDecompress(src: Uint8Array, maxOut: number): Uint8Array {
  try {
    return decode(src, maxOut);
  } catch (e) {
    if (e instanceof LzoFail) throw new DecompressError('lzo', `${e.why} (input offset ${e.at})`);
    throw e;
  }
}

function decode(src: Uint8Array, maxOut: number): Uint8Array {
  const n = src.length;
  const out = new Uint8Array(Math.max(0, maxOut));
  const end = out.length;
  let ip = 0;
  let op = 0;
  const needIp = (k: number): void => {
    if (n - ip < k) throw new LzoFail('input overrun', ip);
  };
  const needOp = (k: number): void => {
    if (end - op < k) throw new LzoFail(`output larger than ${maxOut} bytes`, ip);
  };
  const byte = (): number => {
    if (ip >= n) throw new LzoFail('input overrun', ip);
    return src[ip++];
  };
  /** A run of zero bytes adds 255 each, closed by one non-zero byte. */
  const longCount = (): number => {
    const start = ip;
    while (byte() === 0);
    return (ip - 1 - start) * 255 + src[ip - 1];
  };
  const copyMatch = (from: number, len: number): void => {
    if (from < 0) throw new LzoFail('match before output start', ip);
    needOp(len);
    if (op - from >= len) {
      out.copyWithin(op, from, from + len);
      op += len;
    } else {
      for (let i = 0; i < len; i++) out[op++] = out[from++];
    }
  };

  if (n < 3) throw new LzoFail('input overrun', 0);
  let version = 0;
  if (n >= 5 && src[0] === 17) {
    version = src[1];
    ip = 2;
  }

  let state = 0;
  let t = 0;
  let next = 0;
  // Phase of the decoder, replacing the kernel's gotos.
  let phase: 'instr' | 'literals' | 'trailing' = 'instr';
  if (src[ip] > 17) {
    t = src[ip++] - 17;
    if (t < 4) {
      next = t;
      phase = 'trailing';
    } else {
      phase = 'literals';
    }
  }

  for (;;) {
    if (phase === 'literals') {
      needOp(t);
      needIp(t + 3);
      out.set(src.subarray(ip, ip + t), op);
      op += t;
      ip += t;
      state = 4;
      phase = 'instr';
      continue;
    }
    if (phase === 'trailing') {
      // The low two bits of a match: 0..3 literals copied right after it.
      state = next;
      needIp(next + 3);
      needOp(next);
      for (let i = 0; i < next; i++) out[op++] = src[ip++];
      phase = 'instr';
      continue;
    }

    t = byte();
    let from: number;
    if (t < 16) {
      if (state === 0) {
        if (t === 0) t = 15 + longCount();
        t += 3;
        phase = 'literals';
        continue;
      }
      next = t & 3;
      if (state !== 4) {
        from = op - 1 - (t >> 2) - (byte() << 2);
        copyMatch(from, 2);
        phase = 'trailing';
        continue;
      }
      from = op - (1 + M2_MAX_OFFSET) - (t >> 2) - (byte() << 2);
      t = 3;
    } else if (t >= 64) {
      next = t & 3;
      from = op - 1 - ((t >> 2) & 7) - (byte() << 3);
      t = (t >> 5) + 1;
    } else if (t >= 32) {
      t = (t & 31) + 2;
      if (t === 2) t += 31 + longCount();
      needIp(2);
      const d = src[ip] | (src[ip + 1] << 8);
      ip += 2;
      from = op - 1 - (d >> 2);
      next = d & 3;
    } else {
      needIp(2);
      let d = src[ip] | (src[ip + 1] << 8);
      if ((d & 0xfffc) === 0xfffc && (t & 0xf8) === 0x18 && version !== 0) {
        // lzo-rle: a run of zero bytes.
        needIp(3);
        const run = ((t & 7) | (src[ip + 2] << 3)) + MIN_ZERO_RUN_LENGTH;
        needOp(run);
        out.fill(0, op, op + run);
        op += run;
        next = d & 3;
        ip += 3;
        phase = 'trailing';
        continue;
      }
      from = op - ((t & 8) << 11);
      t = (t & 7) + 2;
      if (t === 2) {
        t += 7 + longCount();
        needIp(2);
        d = src[ip] | (src[ip + 1] << 8);
      }
      ip += 2;
      from -= d >> 2;
      next = d & 3;
      if (from === op) {
        // End-of-stream marker: it must be the 3-byte form and end the input.
        if (t !== 3) throw new LzoFail('malformed end marker', ip);
        if (ip !== n) throw new LzoFail('input not consumed after end marker', ip);
        return out.slice(0, op);
      }
      from -= 0x4000;
    }
    copyMatch(from, t);
    phase = 'trailing';
  }
}

function hash(v: number): number {
  return Math.imul(v, 0x1824429d) >>> 18;
}

/**
 * A greedy LZO1X-1 style compressor (single-probe hash, matches of 4+ bytes,
 * offsets up to 0xbfff). Its output is a v0 stream, like crypto "lzo".
 */
export function lzo1xCompress(src: Uint8Array, maxOut: number): Uint8Array | null {
  const n = src.length;
  const dst = new Uint8Array(lzoWorstCompress(n));
  let op = 0;
  let lastMatchTail = -1; // byte whose low 2 bits carry the literals after a match

  const emitLiterals = (from: number, to: number): void => {
    const len = to - from;
    if (len === 0) return;
    if (op === 0 && len <= 238) {
      dst[op++] = 17 + len;
    } else if (len <= 3) {
      dst[lastMatchTail] |= len;
    } else if (len <= 18) {
      dst[op++] = len - 3;
    } else {
      dst[op++] = 0;
      let rem = len - 18;
      for (; rem > 255; rem -= 255) dst[op++] = 0;
      dst[op++] = rem;
    }
    dst.set(src.subarray(from, to), op);
    op += len;
  };
  const emitLength = (rem: number): void => {
    for (; rem > 255; rem -= 255) dst[op++] = 0;
    dst[op++] = rem;
  };
  const emitMatch = (dist: number, len: number): void => {
    if (len <= 8 && dist <= M2_MAX_OFFSET) {
      const d = dist - 1;
      dst[op++] = ((len - 1) << 5) | ((d & 7) << 2);
      dst[op++] = d >> 3;
    } else if (dist <= M3_MAX_OFFSET) {
      const d = dist - 1;
      if (len <= 33) dst[op++] = 32 | (len - 2);
      else {
        dst[op++] = 32;
        emitLength(len - 33);
      }
      dst[op++] = (d << 2) & 0xff;
      dst[op++] = d >> 6;
    } else {
      const d = dist - 0x4000;
      const hi = (d >> 11) & 8;
      if (len <= 9) dst[op++] = 16 | hi | (len - 2);
      else {
        dst[op++] = 16 | hi;
        emitLength(len - 9);
      }
      dst[op++] = (d << 2) & 0xff;
      dst[op++] = (d >> 6) & 0xff;
    }
    lastMatchTail = op - 2;
  };

  let anchor = 0;
  if (n > 20) {
    const dict = new Int32Array(1 << 14).fill(-1);
    const ipEnd = n - 20;
    let ip = 1;
    while (ip < ipEnd) {
      const dv = src[ip] | (src[ip + 1] << 8) | (src[ip + 2] << 16) | (src[ip + 3] << 24);
      const h = hash(dv);
      const cand = dict[h];
      dict[h] = ip;
      if (
        cand < 0 ||
        ip - cand > M4_MAX_OFFSET_V0 ||
        (src[cand] | (src[cand + 1] << 8) | (src[cand + 2] << 16) | (src[cand + 3] << 24)) !== dv
      ) {
        ip += 1 + ((ip - anchor) >> 5);
        continue;
      }
      let len = 4;
      while (ip + len < n && src[cand + len] === src[ip + len]) len++;
      emitLiterals(anchor, ip);
      emitMatch(ip - cand, len);
      if (op > maxOut) return null;
      ip += len;
      anchor = ip;
    }
  }
  emitLiterals(anchor, n);
  dst[op++] = 16 | 1; // end marker: an M4 match of distance 0x4000
  dst[op++] = 0;
  dst[op++] = 0;
  return op > maxOut ? null : dst.slice(0, op);
}

export const lzo: Compressor = {
  name: 'lzo',
  compress: lzo1xCompress,
  decompress: lzo1xDecompress,
};
