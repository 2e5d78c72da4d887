/**
 * deflate as pstore uses it. 6.1's crypto "deflate" is raw deflate written
 * with 11 window bits and MAX_MEM_LEVEL; 6.6+ write zlib raw deflate with 15
 * window bits. Both are read here by one strict inflater. Compressing needs
 * a window-limited deflater that browsers lack, so the core compressor throws
 * UnsupportedError until one is injected (src/node/deflate.ts does that).
 */
import { DecompressError, UnsupportedError } from '../../errors.js';
import { InflateFail, inflateRaw, inflateZlib, looksLikeZlib } from './inflate.js';
import type { Compressor } from './types.js';
import { isKernelSpace } from '../../backends/ramoops/kmsgHeader.js';

/** zlib parameters the kernel's deflate writer uses, per kernel profile. */
export const KERNEL_DEFLATE_PARAMS = {
  /** crypto/deflate.c: Z_DEFAULT_COMPRESSION, -DEFLATE_DEF_WINBITS, MAX_MEM_LEVEL. */
  '6.1': { level: 6, windowBits: 11, memLevel: 9 },
  /** fs/pstore/platform.c since 6.6: Z_DEFAULT_COMPRESSION, -MAX_WBITS, DEF_MEM_LEVEL. */
  '6.12': { level: 6, windowBits: 15, memLevel: 8 },
} as const;

export interface InflateOptions {
  /**
   * The 6.1 crypto wrapper's retry with one zero byte appended when the input
   * ends inside the stream (default true). 6.6+ calls zlib_inflate once with
   * Z_FINISH and has no such retry: pass false to read as those kernels do.
   */
  zeroByteRetry?: boolean;
}

/**
 * Inflate a pstore deflate payload. Raw deflate first; when the input ends
 * inside the stream, retry once with one zero byte appended, as the 6.1
 * crypto wrapper does (zlib sometimes wants to look at one more byte); then,
 * for records of the old zlib-wrapped pstore (3.11 to 4.18), a zlib stream.
 */
export function deflateDecompress(src: Uint8Array, maxOut: number, options: InflateOptions = {}): Uint8Array {
  if (src.length === 0) throw new DecompressError('deflate', 'empty input');
  let first: InflateFail;
  try {
    return inflateRaw(src, maxOut).data;
  } catch (e) {
    if (!(e instanceof InflateFail)) throw e;
    first = e;
  }
  if (first.truncated && options.zeroByteRetry !== false) {
    const padded = new Uint8Array(src.length + 1);
    padded.set(src);
    try {
      const data = inflateRaw(padded, maxOut).data;
      // The kernel retries only while output space is left: a stream whose real
      // bytes already filled the buffer stays refused (found against zlib_inflate).
      if (!(data.length === maxOut && fillsBeforeEnd(src, maxOut))) return data;
    } catch (e) {
      if (!(e instanceof InflateFail)) throw e;
    }
  }
  if (looksLikeZlib(src)) {
    try {
      return inflateZlib(src, maxOut);
    } catch (e) {
      if (!(e instanceof InflateFail)) throw e;
    }
  }
  throw new DecompressError('deflate', `${first.why} (input offset ${first.at})`);
}

/** Whether `src`'s own bytes produce `maxOut` bytes of output before the input runs out. */
function fillsBeforeEnd(src: Uint8Array, maxOut: number): boolean {
  try {
    inflateRaw(src, maxOut - 1);
    return false;
  } catch (e) {
    if (!(e instanceof InflateFail)) throw e;
    return !e.truncated;
  }
}

const EMPTY_STORED_BLOCK = Uint8Array.of(0x00, 0x00, 0x00, 0xff, 0xff);

/**
 * ramoops finds the end of its `====…-C\n` record header with sscanf, whose
 * `\n` skips any run of white space: a compressed record starting with such a
 * byte (0x0b and 0x0d are common first bytes of raw deflate) loses it on read
 * and no longer inflates — in the kernel too. We lead such a stream with an
 * empty stored block, which every inflater accepts and which starts with 0x00.
 */
export function guardLeadingSpace(out: Uint8Array | null, maxOut: number): Uint8Array | null {
  if (!out || !out.length || !isKernelSpace(out[0])) return out;
  if (out.length + EMPTY_STORED_BLOCK.length > maxOut) return null;
  const fixed = new Uint8Array(out.length + EMPTY_STORED_BLOCK.length);
  fixed.set(EMPTY_STORED_BLOCK, 0);
  fixed.set(out, EMPTY_STORED_BLOCK.length);
  return fixed;
}

/** Builds the deflate compressor around a raw-deflate function (null when it does not fit). */
export function deflateCompressor(compressRaw: (src: Uint8Array, maxOut: number) => Uint8Array | null): Compressor {
  return { name: 'deflate', compress: (src, maxOut) => guardLeadingSpace(compressRaw(src, maxOut), maxOut), decompress: deflateDecompress };
}

/** The browser-safe default: reads everything, cannot write. */
export const deflate: Compressor = deflateCompressor(() => {
  throw new UnsupportedError('deflate: no compressor available here (register one, e.g. installNodeDeflate() from src/node/deflate.ts)');
});
