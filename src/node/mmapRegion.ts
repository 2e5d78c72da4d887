/**
 * A Region over a MAP_SHARED mapping of a file (the optional native addon in
 * native/). A store into a shared file mapping is in the page cache as soon as
 * it executes, so it survives a killed process exactly like a positioned
 * write, for the price of a memcpy instead of a system call. sync() is
 * msync(MS_SYNC), for power loss. When the addon was not built, openMmapRegion
 * returns null and callers keep using FileRegion.
 *
 * The file must not shrink while mapped (access past its end is SIGBUS).
 */
import { closeSync, fstatSync } from 'node:fs';
import { createRequire } from 'node:module';
import { PstoreError, UsageError } from '../errors.js';
import { checkRange, type Region } from '../region/region.js';
import { describeFsError, FileAccessError, openPath } from './fileRegion.js';

/** What native/mmap.c exports. */
export interface MmapBinding {
  /** MAP_SHARED mapping of [offset, offset+length) of `fd` (any offset: the addon page-aligns). */
  map(fd: number, offset: number, length: number, writable: boolean): ArrayBuffer;
  /** msync(MS_SYNC) of the pages covering [offset, offset+length) of a mapped buffer. */
  sync(buffer: ArrayBuffer, offset: number, length: number): void;
  /** Detach the buffer (views read as empty); the mapping is released with it. */
  unmap(buffer: ArrayBuffer): void;
  pageSize(): number;
}

// Same relative path from src/node/ (tsx, tests) and dist/node/ (built package).
const ADDON = '../../native/build/Release/pstore_mmap.node';
let binding: MmapBinding | null | undefined;

/**
 * The addon, or null when it is not built or does not load here (reason in
 * mmapUnavailableReason()). Looked up at PSTORE_MMAP_ADDON (for bundled
 * applications), next to this module's package, then through the package name.
 */
export function loadMmapBinding(): MmapBinding | null {
  if (binding !== undefined) return binding;
  const req = createRequire(import.meta.url);
  const candidates: (() => string)[] = [() => ADDON, () => req.resolve('linux-pstore/package.json').replace(/package\.json$/, 'native/build/Release/pstore_mmap.node')];
  const env = typeof process !== 'undefined' ? process.env.PSTORE_MMAP_ADDON : undefined;
  if (env) candidates.unshift(() => env);
  binding = null;
  for (const where of candidates) {
    try {
      const b = req(where()) as MmapBinding;
      if (typeof b.map === 'function' && typeof b.sync === 'function' && typeof b.unmap === 'function') {
        binding = b;
        unavailable = '';
        break;
      }
      unavailable = 'the addon does not export map/sync/unmap';
    } catch (e) {
      // Keep the first reason (the usual location): later candidates rarely say more.
      if (!unavailable) unavailable = (e as Error).message.split('\n')[0];
    }
  }
  return binding;
}

let unavailable = '';

/** Why loadMmapBinding() returned null ('' when it did not). */
export function mmapUnavailableReason(): string {
  loadMmapBinding();
  return unavailable;
}

export class MmapRegion implements Region {
  private buffer: ArrayBuffer | null;
  /** The mapped bytes: stores here go straight to the file's page cache. */
  private mapped: Uint8Array;

  constructor(
    private readonly binding: MmapBinding,
    buffer: ArrayBuffer,
    readonly path: string,
    readonly writable: boolean,
    /** Closed with the region when set (openMmapRegion opened it). */
    private fd: number | null = null,
  ) {
    this.buffer = buffer;
    this.mapped = new Uint8Array(buffer);
  }

  get size(): number {
    return this.mapped.length;
  }

  /** The live mapping, for writers that update the zone in place. Throws once closed. */
  get bytes(): Uint8Array {
    if (!this.buffer) throw new PstoreError(`'${this.path}' is closed`);
    return this.mapped;
  }

  read(offset: number, length: number): Uint8Array {
    checkRange(this, offset, length, 'image');
    return this.bytes.slice(offset, offset + length);
  }

  write(offset: number, data: Uint8Array): void {
    if (!this.writable) throw new UsageError(`'${this.path}' is open read-only`);
    checkRange(this, offset, data.length, 'image');
    this.bytes.set(data, offset);
  }

  sync(): void {
    if (!this.writable || !this.buffer) return;
    try {
      this.binding.sync(this.buffer, 0, this.mapped.length);
    } catch (e) {
      throw describeFsError(e, 'sync', this.path);
    }
  }

  /** Unmap (views become empty, never dangling) and close the file if the region opened it. Idempotent. */
  close(): void {
    const buffer = this.buffer;
    if (buffer) {
      this.buffer = null;
      this.mapped = new Uint8Array(0);
      this.binding.unmap(buffer);
    }
    if (this.fd !== null) {
      const fd = this.fd;
      this.fd = null;
      try {
        closeSync(fd);
      } catch (e) {
        throw describeFsError(e, 'close', this.path);
      }
    }
  }
}

/**
 * Map [offset, offset+length) of an open file. Null when the addon is
 * unavailable; FileAccessError when the kernel refuses the mapping (e.g. a
 * file system without mmap). With `closeFd` the region closes `fd` on close().
 */
export function mapFileRegion(fd: number, path: string, offset: number, length: number, writable: boolean, closeFd = false): MmapRegion | null {
  return mapFd(fd, path, offset, length, writable, closeFd);
}

function mapFd(fd: number, path: string, offset: number, length: number, writable: boolean, ownsFd: boolean): MmapRegion | null {
  const b = loadMmapBinding();
  if (!b) return null;
  let buffer: ArrayBuffer;
  try {
    buffer = b.map(fd, offset, length, writable);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    throw new FileAccessError(`cannot map '${path}': ${(e as Error).message}`, typeof code === 'string' ? code : undefined);
  }
  return new MmapRegion(b, buffer, path, writable, ownsFd ? fd : null);
}

export interface OpenMmapOptions {
  /** Start of the mapped range in the file (default 0; need not be page-aligned). */
  offset?: number;
  /** Bytes to map (default: to the end of the file). */
  length?: number;
  /** Map read-write (default read-only). */
  write?: boolean;
}

/** Open and map a file (or a range of it). Null when the addon is unavailable. */
export function openMmapRegion(path: string, options: OpenMmapOptions = {}): MmapRegion | null {
  if (!loadMmapBinding()) return null;
  const write = options.write ?? false;
  const fd = openPath(path, write);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new FileAccessError(`cannot map '${path}': not a regular file`);
    const offset = options.offset ?? 0;
    const length = options.length ?? st.size - offset;
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length <= 0 || offset + length > st.size) {
      throw new UsageError(`cannot map '${path}': range [${offset}, +${length}) is not inside its ${st.size} bytes`);
    }
    return mapFd(fd, path, offset, length, write, true);
  } catch (e) {
    closeSync(fd);
    throw describeFsError(e, 'map', path);
  }
}
