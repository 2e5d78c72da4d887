import { TruncatedImageError } from '../errors.js';

/**
 * The bottom layer: a range of bytes that zones live in. Reads return copies so
 * upper layers can decode ECC in place without touching the medium; writes go
 * straight through (a file region does a positioned write per call).
 */
export interface Region {
  readonly size: number;
  /** Copy of [offset, offset+length). Throws TruncatedImageError outside the region. */
  read(offset: number, length: number): Uint8Array;
  /**
   * [offset, offset+length) without a copy, where the region holds its bytes
   * in memory: the caller must not modify it, and it is valid until the next
   * write. Optional; read through `readView` to fall back on `read`.
   */
  view?(offset: number, length: number): Uint8Array;
  /** Write `data` at `offset`. Throws TruncatedImageError outside the region. */
  write(offset: number, data: Uint8Array): void;
  /** Make writes durable (fdatasync for files); no-op in memory. */
  sync(): void;
}

export function checkRange(region: { size: number }, offset: number, length: number, what = 'region'): void {
  if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > region.size) {
    throw new TruncatedImageError(
      `${what} access [0x${offset.toString(16)}, +0x${length.toString(16)}) is outside the ${region.size}-byte ${what}`,
      offset,
    );
  }
}

/** Bytes for reading only: a view where the region has one, else a copy. */
export function readView(region: Region, offset: number, length: number): Uint8Array {
  return region.view ? region.view(offset, length) : region.read(offset, length);
}

/** A fresh Uint8Array holding bytes [start, end) — never a view, even for a Node Buffer. */
export function copyBytes(src: Uint8Array, start = 0, end = src.length): Uint8Array {
  return new Uint8Array(src.subarray(start, end));
}

/** Bytes held in memory (browser, tests, or a whole small image file). */
export class MemoryRegion implements Region {
  constructor(readonly bytes: Uint8Array) {}
  get size(): number {
    return this.bytes.length;
  }
  read(offset: number, length: number): Uint8Array {
    checkRange(this, offset, length);
    // Always a copy: Buffer#slice would return a view of the caller's bytes.
    return copyBytes(this.bytes, offset, offset + length);
  }
  view(offset: number, length: number): Uint8Array {
    checkRange(this, offset, length);
    return this.bytes.subarray(offset, offset + length);
  }
  write(offset: number, data: Uint8Array): void {
    checkRange(this, offset, data.length);
    this.bytes.set(data, offset);
  }
  sync(): void {}
}

/** A window [offset, offset+size) of another region: a ramoops region inside a RAM dump. */
export class WindowRegion implements Region {
  constructor(
    readonly parent: Region,
    readonly offset: number,
    readonly size: number,
  ) {
    checkRange(parent, offset, size, 'image');
  }
  read(offset: number, length: number): Uint8Array {
    checkRange(this, offset, length);
    return this.parent.read(this.offset + offset, length);
  }
  view(offset: number, length: number): Uint8Array {
    checkRange(this, offset, length);
    return readView(this.parent, this.offset + offset, length);
  }
  write(offset: number, data: Uint8Array): void {
    checkRange(this, offset, data.length);
    this.parent.write(this.offset + offset, data);
  }
  sync(): void {
    this.parent.sync();
  }
}
