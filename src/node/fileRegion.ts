/**
 * A Region backed by a file, read and written with positioned I/O so a
 * multi-gigabyte memory dump is never loaded whole: zones are read on demand.
 */
import { closeSync, fdatasyncSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { PstoreError, TruncatedImageError, UsageError } from '../errors.js';
import { describeFsError, FileAccessError } from './fsErrors.js';
import { checkRange, type Region } from '../region/region.js';
import { lockImage, type ImageLock } from './imageLock.js';

export { describeFsError, FileAccessError } from './fsErrors.js';

export interface OpenImageOptions {
  /** Open read-write (write commands); read commands never modify the file. */
  write?: boolean;
}

export class FileRegion implements Region {
  private fd: number | null;

  constructor(
    fd: number,
    readonly size: number,
    readonly path: string,
    readonly writable: boolean,
    /** The one-writer lock taken for a writable regular file, released by close(). */
    private lock: ImageLock | null = null,
  ) {
    this.fd = fd;
  }

  private handle(): number {
    if (this.fd === null) throw new PstoreError(`'${this.path}' is closed`);
    return this.fd;
  }

  read(offset: number, length: number): Uint8Array {
    checkRange(this, offset, length, 'image');
    const out = new Uint8Array(length);
    const fd = this.handle();
    let done = 0;
    while (done < length) {
      let n: number;
      try {
        n = readSync(fd, out, done, length - done, offset + done);
      } catch (e) {
        throw describeFsError(e, 'read', this.path);
      }
      // The file shrank under us: treat it as a truncated image, never loop.
      if (n === 0) throw new TruncatedImageError(`'${this.path}' ends before 0x${(offset + length).toString(16)} (it shrank while reading)`, offset + done);
      done += n;
    }
    return out;
  }

  write(offset: number, data: Uint8Array): void {
    if (!this.writable) throw new UsageError(`'${this.path}' is open read-only`);
    checkRange(this, offset, data.length, 'image');
    const fd = this.handle();
    let done = 0;
    while (done < data.length) {
      try {
        done += writeSync(fd, data, done, data.length - done, offset + done);
      } catch (e) {
        throw describeFsError(e, 'write', this.path);
      }
    }
  }

  sync(): void {
    if (!this.writable || this.fd === null) return;
    try {
      fdatasyncSync(this.fd);
    } catch (e) {
      throw describeFsError(e, 'sync', this.path);
    }
  }

  close(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    try {
      closeSync(fd);
    } catch (e) {
      throw describeFsError(e, 'close', this.path);
    } finally {
      this.lock?.release();
      this.lock = null;
    }
  }
}

/** open(2) for reading, or reading and writing (never creating or truncating); errors as one line. */
export function openPath(path: string, write: boolean): number {
  try {
    return openSync(path, write ? 'r+' : 'r');
  } catch (e) {
    throw describeFsError(e, 'open', path);
  }
}

/**
 * Opens an image file (a ramoops region, a RAM dump, a block device) as a
 * Region. Read-only unless `write` is set. Errors are one-line PstoreErrors.
 */
export function openImageFile(path: string, options: OpenImageOptions = {}): FileRegion {
  const write = options.write ?? false;
  const fd = openPath(path, write);
  let lock: ImageLock | null = null;
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new FileAccessError(`cannot open '${path}': is a directory`, 'EISDIR');
    if (!st.isFile() && !st.isBlockDevice() && !st.isCharacterDevice()) {
      throw new FileAccessError(`cannot open '${path}': not a regular file or device`);
    }
    // Block devices report size 0 from fstat; their size is not needed until
    // a read, so take it from the end of the device.
    let size = st.size;
    if (!st.isFile()) size = deviceSize(fd, path);
    // One writer per image file: a running flight recorder or another write
    // command holds `<image>.lock`, and two writers would interleave zones.
    if (write && st.isFile()) lock = lockImage(path);
    return new FileRegion(fd, size, path, write, lock);
  } catch (e) {
    lock?.release();
    closeSync(fd);
    throw describeFsError(e, 'open', path);
  }
}

/** Size of a device: binary search for the last readable byte (no ioctl in Node). */
function deviceSize(fd: number, path: string): number {
  const one = new Uint8Array(1);
  const readable = (pos: number): boolean => {
    try {
      return readSync(fd, one, 0, 1, pos) === 1;
    } catch {
      return false;
    }
  };
  if (!readable(0)) throw new FileAccessError(`cannot read '${path}': empty or unreadable device`);
  let lo = 0;
  let hi = 1;
  while (readable(hi)) {
    lo = hi;
    hi *= 2;
    if (hi > 2 ** 52) throw new FileAccessError(`cannot size '${path}'`);
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (readable(mid)) lo = mid;
    else hi = mid;
  }
  return lo + 1;
}

/**
 * Makes bytes [from, to) of a file real blocks: zeros are written where the
 * file is extended, and holes of a sparse file are written back. A file
 * system that is full then fails here with ENOSPC, once, instead of a later
 * write failing half way — or, through a shared mapping, killing the process
 * with SIGBUS.
 */
export function allocateFile(fd: number, path: string, size: number): void {
  const st = fstatSync(fd);
  if (st.size >= size && st.blocks * 512 >= size) return;
  const chunk = new Uint8Array(1 << 16);
  try {
    for (let pos = 0; pos < size; pos += chunk.length) {
      const n = Math.min(chunk.length, size - pos);
      const have = pos < st.size ? readSync(fd, chunk, 0, Math.min(n, st.size - pos), pos) : 0;
      chunk.fill(0, have, n);
      let done = 0;
      while (done < n) done += writeSync(fd, chunk, done, n - done, pos + done);
    }
  } catch (e) {
    throw describeFsError(e, 'allocate', path);
  }
}
