/**
 * Buffer sizes of the kernel's compression path (fs/pstore/platform.c), for a
 * backend whose `bufsize` is the dmesg record payload (ramoops: zone size
 * minus the 12-byte header). These decide how much log text is compressed
 * and how much output a reader accepts before it gives up (`.enc.z`).
 */
import { lz4CompressBound } from './lz4.js';
import { lzoWorstCompress } from './lzo.js';
import type { CompressorName } from './types.js';
import { zstdCompressBound } from './zstd.js';

/** 6.1 behaves as every kernel up to 6.5; 6.12 as every kernel from 6.6. */
export type KernelProfile = '6.1' | '6.12';

/** DMESG_COMP_PERCENT of 6.6+: the big buffer is bufsize * 100 / 60. */
const DMESG_COMP_PERCENT = 60;

/** 6.1's zbufsize_deflate: expected compression ratio by buffer size. */
function zbufsizeDeflate61(size: number): number {
  let cmpr: number;
  if (size >= 1000 && size <= 2000) cmpr = 56;
  else if (size >= 2001 && size <= 3000) cmpr = 54;
  else if (size >= 3001 && size <= 3999) cmpr = 52;
  else if (size >= 4000 && size <= 10000) cmpr = 45;
  else cmpr = 60;
  return Math.floor((size * 100) / cmpr);
}

/**
 * Size of the kernel's `big_oops_buf` (the uncompressed dump buffer) for a
 * backend buffer of `size` bytes. From 6.6 every name means deflate (the
 * kernel falls back to it), so the name does not matter there.
 */
export function zbufsize(name: CompressorName, size: number, kernelProfile: KernelProfile): number {
  if (kernelProfile === '6.12') return Math.floor((size * 100) / DMESG_COMP_PERCENT);
  switch (name) {
    case 'deflate':
      return zbufsizeDeflate61(size);
    case 'lzo':
      return lzoWorstCompress(size);
    case 'lz4':
    case 'lz4hc':
      return lz4CompressBound(size);
    case '842':
      return size;
    case 'zstd':
      return zstdCompressBound(size);
  }
}

/**
 * The most output the kernel's reader accepts when it decompresses a record:
 * big_oops_buf in 6.1; 3 * bufsize in 6.6+ (decompress_record). More than this
 * and the record is shown compressed, as `.enc.z`.
 */
export function decompressLimit(name: CompressorName, size: number, kernelProfile: KernelProfile): number {
  return kernelProfile === '6.12' ? 3 * size : zbufsize(name, size, kernelProfile);
}
