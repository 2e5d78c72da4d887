/**
 * The deflate writer for Node: node:zlib with the kernel's own parameters, so
 * a 6.1 kernel (which inflates with 11 window bits) can read what we write.
 */
import { constants, deflateRawSync } from 'node:zlib';
import { KERNEL_DEFLATE_PARAMS, deflateCompressor } from '../core/compress/deflate.js';
import { registerCompressor } from '../core/compress/registry.js';
import type { Compressor } from '../core/compress/types.js';

export type DeflateProfile = keyof typeof KERNEL_DEFLATE_PARAMS;

export function nodeDeflate(profile: DeflateProfile = '6.1'): Compressor {
  const { level, windowBits, memLevel } = KERNEL_DEFLATE_PARAMS[profile];
  return deflateCompressor((src, maxOut) => {
    const out = deflateRawSync(src, { level, windowBits, memLevel, strategy: constants.Z_DEFAULT_STRATEGY });
    return out.length > maxOut ? null : new Uint8Array(out.buffer, out.byteOffset, out.length);
  });
}

/** Makes getCompressor('deflate') able to compress, with the given kernel's parameters. */
export function installNodeDeflate(profile: DeflateProfile = '6.1'): void {
  registerCompressor(nodeDeflate(profile));
}
