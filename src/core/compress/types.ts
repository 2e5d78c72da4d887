/**
 * One pstore compressor. pstore stores no algorithm id on the medium (only
 * the `-C`/`-D` flag of the record header), so every codec must reject input
 * that is not its own instead of producing garbage: that is what lets
 * `decompressAny` find the right one.
 */
export type CompressorName = 'deflate' | 'lzo' | 'lz4' | 'lz4hc' | '842' | 'zstd';

export interface Compressor {
  readonly name: CompressorName;
  /**
   * Compress `src`. Returns null when the result does not fit in `maxOut`
   * bytes, the case where the kernel's compressor fails and pstore stores
   * the record uncompressed.
   */
  compress(src: Uint8Array, maxOut: number): Uint8Array | null;
  /**
   * Decompress `src`. Throws DecompressError on corrupt or truncated input and
   * when the output would exceed `maxOut` bytes (the kernel then shows the
   * record as `.enc.z`). Never allocates much more than `maxOut`.
   */
  decompress(src: Uint8Array, maxOut: number): Uint8Array;
}
