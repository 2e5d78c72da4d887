/**
 * zstd as the kernel's crypto "zstd" uses it: one frame per record, level 3,
 * content size in the header, no checksum (zstd_get_params(3, 0) and
 * zstd_compress_cctx). Decoding goes through fzstd, frame by frame, after a
 * walk over the frame and block headers that bounds every allocation and
 * rejects what the kernel's ZSTD_decompressDCtx rejects: trailing bytes,
 * dictionaries, reserved block types, windows over 2^27, a content size that
 * does not match. Encoding uses the zstd WASM build, which needs initZstd().
 */
import { Decompress } from 'fzstd';
import { DecompressError, UnsupportedError } from '../../errors.js';
import type { Compressor } from './types.js';

const ZSTD_MAGIC = 0xfd2fb528;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
/** ZSTD_WINDOWLOG_LIMIT_DEFAULT: the kernel's decoder refuses larger windows. */
const MAX_WINDOW = 1 << 27;
/** Our own cap on the window buffer fzstd allocates for frames without a content size. */
const MAX_UNSIZED_WINDOW = 8 << 20;
const BLOCK_SIZE_MAX = 128 << 10;
export const ZSTD_LEVEL = 3;

interface FrameInfo {
  start: number;
  end: number;
  /** Frame content size, or -1 when the header does not say. */
  contentSize: number;
}

function u32(a: Uint8Array, i: number): number {
  return (a[i] | (a[i + 1] << 8) | (a[i + 2] << 16) | (a[i + 3] << 24)) >>> 0;
}

/** The kernel's zstd_compress_bound() (ZSTD_COMPRESSBOUND). */
export function zstdCompressBound(n: number): number {
  return n + (n >>> 8) + (n < 128 << 10 ? ((128 << 10) - n) >>> 11 : 0);
}

function fail(why: string, at: number): never {
  throw new DecompressError('zstd', `${why} (input offset ${at})`);
}

/** Walks all frames; throws on anything that is not a complete, acceptable frame sequence. */
function walkFrames(src: Uint8Array, maxOut: number): FrameInfo[] {
  const frames: FrameInfo[] = [];
  const n = src.length;
  let pos = 0;
  let known = 0;
  while (pos < n) {
    if (n - pos < 5) fail('input not entirely consumed', pos);
    const magic = u32(src, pos);
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      if (n - pos < 8) fail('truncated skippable frame', pos);
      const size = u32(src, pos + 4);
      if (size > n - pos - 8) fail('truncated skippable frame', pos);
      pos += 8 + size;
      continue;
    }
    if (magic !== ZSTD_MAGIC) fail('unknown frame magic', pos);
    const start = pos;
    const fhd = src[pos + 4];
    const fcsFlag = fhd >> 6;
    const single = (fhd >> 5) & 1;
    const checksum = (fhd >> 2) & 1;
    const dictFlag = fhd & 3;
    if (fhd & 8) fail('reserved frame header bit set', pos + 4);
    const dictBytes = dictFlag === 3 ? 4 : dictFlag;
    const fcsBytes = fcsFlag === 0 ? single : 1 << fcsFlag;
    let p = pos + 5;
    const headerEnd = p + (single ? 0 : 1) + dictBytes + fcsBytes;
    if (headerEnd > n) fail('truncated frame header', pos);
    let window = 0;
    if (!single) {
      const wd = src[p++];
      const base = 1 << (10 + (wd >> 3));
      window = base + (base / 8) * (wd & 7);
    }
    let dictId = 0;
    for (let i = 0; i < dictBytes; i++) dictId += src[p++] * 2 ** (8 * i);
    if (dictId !== 0) fail(`needs dictionary ${dictId}`, pos);
    let contentSize = -1;
    if (fcsBytes > 0) {
      contentSize = 0;
      for (let i = 0; i < fcsBytes; i++) contentSize += src[p++] * 2 ** (8 * i);
      if (fcsBytes === 2) contentSize += 256;
    }
    if (single) window = contentSize;
    if (window > MAX_WINDOW) fail('window too large', pos);
    if (contentSize < 0 && window > Math.max(maxOut, MAX_UNSIZED_WINDOW)) fail('window too large for an unsized frame', pos);
    if (contentSize >= 0) {
      known += contentSize;
      if (known > maxOut) fail(`output larger than ${maxOut} bytes`, pos);
    }
    pos = headerEnd;
    for (;;) {
      if (n - pos < 3) fail('truncated block header', pos);
      const bh = src[pos] | (src[pos + 1] << 8) | (src[pos + 2] << 16);
      const type = (bh >> 1) & 3;
      const size = bh >>> 3;
      if (type === 3) fail('reserved block type', pos);
      if (size > BLOCK_SIZE_MAX) fail('block too large', pos);
      pos += 3 + (type === 1 ? 1 : size);
      if (pos > n) fail('truncated block', n);
      if (bh & 1) break;
    }
    if (checksum) {
      pos += 4;
      if (pos > n) fail('truncated checksum', n);
    }
    frames.push({ start, end: pos, contentSize });
  }
  return frames;
}

class OutputFull extends Error {}

export function zstdDecompress(src: Uint8Array, maxOut: number): Uint8Array {
  const frames = walkFrames(src, maxOut);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (const f of frames) {
    let got = 0;
    const d = new Decompress((chunk) => {
      got += chunk.length;
      if (total + got > maxOut) throw new OutputFull();
      if (chunk.length) chunks.push(chunk.slice());
    });
    try {
      d.push(src.subarray(f.start, f.end), true);
    } catch (e) {
      if (e instanceof OutputFull) fail(`output larger than ${maxOut} bytes`, f.start);
      if (e instanceof Error) fail(e.message, f.start);
      throw e;
    }
    if (f.contentSize >= 0 && got !== f.contentSize) fail(`frame holds ${got} bytes, header says ${f.contentSize}`, f.start);
    total += got;
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

type ZstdCompressFn = (buf: Uint8Array, level?: number) => Uint8Array;
let wasmCompress: ZstdCompressFn | null = null;
let initPromise: Promise<void> | null = null;

/** Loads the zstd WASM encoder; compress() throws until this has resolved. */
export function initZstd(): Promise<void> {
  initPromise ??= import('@bokuweb/zstd-wasm').then(async (m) => {
    await m.init();
    wasmCompress = m.compress;
  });
  return initPromise;
}

export function zstdCompress(src: Uint8Array, maxOut: number): Uint8Array | null {
  if (!wasmCompress) throw new UnsupportedError('zstd: encoder not initialised (await initZstd() first)');
  const out = wasmCompress(src, ZSTD_LEVEL);
  return out.length > maxOut ? null : out;
}

export const zstd: Compressor = {
  name: 'zstd',
  compress: zstdCompress,
  decompress: zstdDecompress,
};
