/**
 * The kernel's software 842 compressor (lib/842), as pstore uses it with
 * `pstore.compress=842`: whole-record streams with a trailing crc32_be.
 */
import type { Compressor } from '../types.js';
import { sw842Compress } from './compress.js';
import { sw842Decompress } from './decompress.js';

export { sw842Bound, sw842Compress } from './compress.js';
export { sw842Decompress } from './decompress.js';
export { crc32Be } from './crc32be.js';

export const sw842: Compressor = {
  name: '842',
  compress: sw842Compress,
  decompress: sw842Decompress,
};
