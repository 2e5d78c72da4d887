import { UnsupportedError } from '../errors.js';
import { checkRange, type Region } from './region.js';

/**
 * A read-only cache of a region in aligned blocks, for analyses that read the
 * same few zones again and again (layout inference reads each candidate zone
 * once per hypothesis). Each block is read from the parent once, so a file
 * costs one positioned read per block instead of one per zone per hypothesis.
 * Memory is bounded: past `maxBytes` the oldest blocks are dropped.
 * Reads return fresh copies, views share the cached blocks; writes are refused.
 */
export class BlockCacheRegion implements Region {
  private readonly blocks = new Map<number, Uint8Array>();
  private cached = 0;

  constructor(
    readonly parent: Region,
    readonly blockSize = 64 << 10,
    readonly maxBytes = 64 << 20,
  ) {
    if (!Number.isInteger(blockSize) || blockSize <= 0) throw new RangeError(`block size must be a positive integer (got ${blockSize})`);
  }

  get size(): number {
    return this.parent.size;
  }

  read(offset: number, length: number): Uint8Array {
    checkRange(this, offset, length);
    const out = new Uint8Array(length);
    const bs = this.blockSize;
    for (let pos = offset; pos < offset + length; ) {
      const index = Math.floor(pos / bs);
      const block = this.block(index);
      const from = pos - index * bs;
      const n = Math.min(block.length - from, offset + length - pos);
      out.set(block.subarray(from, from + n), pos - offset);
      pos += n;
    }
    return out;
  }

  /** A view of the cached block where the range lies in one, else a copy. */
  view(offset: number, length: number): Uint8Array {
    checkRange(this, offset, length);
    const index = Math.floor(offset / this.blockSize);
    const from = offset - index * this.blockSize;
    if (from + length > this.blockSize) return this.read(offset, length);
    return this.block(index).subarray(from, from + length);
  }

  write(offset: number): void {
    throw new UnsupportedError(`a block cache is read-only (write at 0x${offset.toString(16)})`);
  }

  sync(): void {}

  private block(index: number): Uint8Array {
    let b = this.blocks.get(index);
    if (b) return b;
    const start = index * this.blockSize;
    b = this.parent.read(start, Math.min(this.blockSize, this.size - start));
    this.blocks.set(index, b);
    this.cached += b.length;
    // Map keeps insertion order: the first keys are the oldest blocks.
    for (const [k, old] of this.blocks) {
      if (this.cached <= this.maxBytes || k === index) break;
      this.blocks.delete(k);
      this.cached -= old.length;
    }
    return b;
  }
}
