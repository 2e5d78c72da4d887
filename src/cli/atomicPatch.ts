import { chmodSync, closeSync, constants, copyFileSync, fsyncSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describeFsError, openImageFile } from '../node/fileRegion.js';
import { lockImage } from '../node/imageLock.js';

/**
 * Apply byte patches to an image. A regular file is patched in a copy
 * (a reflink where the file system has them) that then replaces it by
 * rename: a crash leaves either the old or the new image. Devices are
 * patched in place (they cannot be renamed).
 */
export function writePatchesAtomically(path: string, patches: Array<{ offset: number; bytes: Uint8Array }>): void {
  const st = statSync(path);
  if (!st.isFile()) {
    const dev = openImageFile(path, { write: true });
    try {
      for (const p of patches) dev.write(p.offset, p.bytes);
      dev.sync();
    } finally {
      dev.close();
    }
    return;
  }
  const tmp = join(dirname(path), `.${basename(path)}.pstore-${process.pid}.tmp`);
  // Held until the rename: a writer of the old file (a flight recorder) would lose what it writes.
  const lock = lockImage(path);
  try {
    copyFileSync(path, tmp, constants.COPYFILE_FICLONE);
    chmodSync(tmp, st.mode & 0o7777);
    const f = openImageFile(tmp, { write: true });
    try {
      for (const p of patches) f.write(p.offset, p.bytes);
      f.sync();
    } finally {
      f.close();
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw describeFsError(e, 'repair', path);
  } finally {
    lock.release();
  }
  // Make the rename itself durable.
  try {
    const d = openSync(dirname(path), 'r');
    try {
      fsyncSync(d);
    } finally {
      closeSync(d);
    }
  } catch {
    // Some file systems refuse fsync on directories; the data is already synced.
  }
}
