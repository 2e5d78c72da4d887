import { checkRange, readView, type Region } from '../region/region.js';

/**
 * A region whose writes stay in memory: listing records makes the backend
 * zap and repair zones the way the kernel does, and a scan must never touch
 * the dump it reads.
 */
export class OverlayRegion implements Region {
  private readonly patches: Array<{ offset: number; data: Uint8Array }> = [];

  constructor(readonly parent: Region) {}

  get size(): number {
    return this.parent.size;
  }

  read(offset: number, length: number): Uint8Array {
    checkRange(this, offset, length);
    // Copy: some regions hand out views, and callers decode in place.
    const out = new Uint8Array(length);
    out.set(this.parent.read(offset, length));
    for (const p of this.patches) {
      const from = Math.max(offset, p.offset);
      const to = Math.min(offset + length, p.offset + p.data.length);
      if (from < to) out.set(p.data.subarray(from - p.offset, to - p.offset), from - offset);
    }
    return out;
  }

  /** The parent's bytes where no write overlaps the range, else a patched copy. */
  view(offset: number, length: number): Uint8Array {
    checkRange(this, offset, length);
    const patched = this.patches.some((p) => p.offset < offset + length && offset < p.offset + p.data.length);
    return patched ? this.read(offset, length) : readView(this.parent, offset, length);
  }

  write(offset: number, data: Uint8Array): void {
    checkRange(this, offset, data.length);
    this.patches.push({ offset, data: data.slice() });
  }

  sync(): void {}
}
