/**
 * The bottom layer (src/region): reads are copies, views are the bytes
 * themselves, windows and caches give the same bytes as what they wrap.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { TruncatedImageError, UnsupportedError } from '../src/errors.js';
import { BlockCacheRegion } from '../src/region/blockCache.js';
import { MemoryRegion, readView, WindowRegion, type Region } from '../src/region/region.js';
import { OverlayRegion } from '../src/scan/overlayRegion.js';

test('memory region: reads are copies, views are the bytes, both refuse ranges outside', () => {
  const bytes = new Uint8Array(8);
  const r = new MemoryRegion(bytes);
  r.write(1, new Uint8Array([7]));
  assert.deepEqual([...r.read(0, 4)], [0, 7, 0, 0]);
  const copy = r.read(0, 4);
  copy[0] = 9;
  assert.equal(bytes[0], 0, 'a read is a copy');
  const view = r.view(2, 4);
  bytes[2] = 5;
  assert.equal(view[0], 5, 'a view is the bytes');
  assert.throws(() => r.read(7, 2), TruncatedImageError);
  assert.throws(() => r.view(7, 2), TruncatedImageError);
  assert.throws(() => r.view(-1, 1), TruncatedImageError);
});

/** A region without view() that counts the reads reaching it. */
class CountingRegion implements Region {
  reads = 0;
  constructor(private readonly inner: MemoryRegion) {}
  get size(): number {
    return this.inner.size;
  }
  read(offset: number, length: number): Uint8Array {
    this.reads++;
    return this.inner.read(offset, length);
  }
  write(offset: number, data: Uint8Array): void {
    this.inner.write(offset, data);
  }
  sync(): void {}
}

test('property: a block cache, a window and an overlay read and view the bytes they wrap', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 5000, size: 'max' }),
      fc.integer({ min: 1, max: 700 }),
      fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 20, size: 'max' }),
      (bytes, blockSize, ranges) => {
        const base = new MemoryRegion(bytes);
        const cache = new BlockCacheRegion(new CountingRegion(base), blockSize, 2 * blockSize);
        const winAt = Math.floor(bytes.length / 3);
        const win = new WindowRegion(base, winAt, bytes.length - winAt);
        const overlay = new OverlayRegion(new BlockCacheRegion(base, blockSize));
        for (const [a, b] of ranges) {
          const offset = a % bytes.length;
          const length = b % (bytes.length - offset + 1);
          const want = bytes.subarray(offset, offset + length);
          for (const r of [cache, overlay]) {
            assert.deepEqual(r.read(offset, length), want);
            assert.deepEqual(readView(r, offset, length), want);
          }
          if (offset >= winAt) assert.deepEqual(readView(win, offset - winAt, length), want);
        }
      },
    ),
  );
});

test('block cache: one parent read per block, memory bounded, writes refused', () => {
  const parent = new CountingRegion(new MemoryRegion(new Uint8Array(10_000).map((_, i) => i)));
  const cache = new BlockCacheRegion(parent, 1000, 3000);
  for (let i = 0; i < 5; i++) cache.read(1500, 1000);
  assert.equal(parent.reads, 2, 'blocks 1 and 2, once');
  assert.equal(cache.view(2000, 1000).length, 1000);
  assert.equal(parent.reads, 2, 'a view inside a cached block reads nothing');
  cache.read(5000, 3000); // blocks 5, 6, 7: 1 and 2 are dropped
  assert.equal(parent.reads, 5);
  cache.read(1500, 10);
  assert.equal(parent.reads, 6, 'a dropped block is read again');
  assert.throws(() => cache.write(0), UnsupportedError);
  assert.throws(() => cache.read(9990, 11), TruncatedImageError);
});

test('overlay: a view shows the overlay writes, and the parent stays untouched', () => {
  const bytes = new Uint8Array(100);
  const overlay = new OverlayRegion(new MemoryRegion(bytes));
  overlay.write(10, new Uint8Array([1, 2, 3]));
  assert.deepEqual([...overlay.view(9, 5)], [0, 1, 2, 3, 0]);
  assert.deepEqual([...overlay.view(50, 2)], [0, 0]);
  assert.equal(bytes[10], 0);
});
