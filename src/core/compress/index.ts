/** pstore compression: the registry and each codec (842 lives in ./sw842/). */
export {
  compressorNames,
  decompressAny,
  decompressLimit,
  decompressOrder,
  getCompressor,
  initZstd,
  isCompressorName,
  registerCompressor,
  zbufsize,
  type Decompressed,
  type KernelProfile,
} from './registry.js';
export type { Compressor, CompressorName } from './types.js';
export { deflate, deflateCompressor, deflateDecompress, KERNEL_DEFLATE_PARAMS } from './deflate.js';
export { lz4, lz4hc, lz4CompressBlock, lz4hcCompressBlock, lz4DecompressBlock, lz4CompressBound } from './lz4.js';
export { lzo, lzo1xCompress, lzo1xDecompress, lzoWorstCompress } from './lzo.js';
export { zstd, zstdCompress, zstdDecompress, zstdCompressBound } from './zstd.js';
