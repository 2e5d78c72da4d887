/**
 * Where records come from: a live /sys/fs/pstore (files the kernel shows;
 * removing one frees the backend), a directory laid out like one (`pstore
 * extract` output, a copy), or the files an image's reader produces.
 */
import { statfsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { PstoreFile } from '../core/record.js';
import { PstoreError } from '../errors.js';
import type { ArchiveFs } from './archiveFs.js';
import { parsePstoreName } from './names.js';
import { timeFromDate, timeFromNs, type SourceFile } from './sourceFile.js';

/** PSTOREFS_MAGIC (include/uapi/linux/magic.h). */
export const PSTOREFS_MAGIC = 0x6165676c;
export const DEFAULT_PSTORE_DIR = '/sys/fs/pstore';

export interface DirSource {
  kind: 'dir';
  path: string;
  /** A mounted pstore file system: removing a file erases the record. */
  live: boolean;
}

export interface FilesSource {
  kind: 'files';
  /** For messages and crash.json (the image path). */
  label: string;
  files: SourceFile[];
}

export type ArchiveSource = DirSource | FilesSource;

/** Whether `dir` is a mounted pstore file system. */
export function isPstoreMount(dir: string): boolean {
  try {
    return statfsSync(dir).type === PSTOREFS_MAGIC;
  } catch {
    return false;
  }
}

export function dirSource(path: string): DirSource {
  const abs = resolve(path);
  return { kind: 'dir', path: abs, live: isPstoreMount(abs) };
}

/** Files an image reader made (RamoopsImage/BlkImage.files()); mount-time files get `now`. */
export function imageSource(label: string, files: readonly PstoreFile[], now: Date): FilesSource {
  return {
    kind: 'files',
    label,
    files: files.map((f) => ({ name: f.name, content: f.content, mtime: f.mtime ?? timeFromDate(now), recordTime: f.mtime !== null })),
  };
}

/**
 * Every regular file of a source directory with its bytes and nanosecond
 * mtime. Dot files are skipped. Files one level down are read too when their
 * names are pstore names: systemd-pstore's archive keeps records in
 * subdirectories (next to a dmesg.txt of its own, which is not a record).
 */
export function readDirSource(afs: ArchiveFs, dir: string): SourceFile[] {
  const out: SourceFile[] = [];
  const read = (rel: string, topLevel: boolean): void => {
    const abs = rel ? join(dir, rel) : dir;
    let names: string[];
    try {
      names = afs.readdirSync(abs) as string[];
    } catch (e) {
      throw new PstoreError(`cannot list '${abs}': ${(e as Error).message}`);
    }
    for (const name of names.sort()) {
      if (name.startsWith('.')) continue;
      const relPath = rel ? `${rel}/${name}` : name;
      const path = join(dir, relPath);
      try {
        const st = afs.statSync(path, { bigint: true });
        if (st.isDirectory() && topLevel) {
          read(relPath, false);
          continue;
        }
        if (!st.isFile() || (!topLevel && !parsePstoreName(name))) continue;
        const content = new Uint8Array(afs.readFileSync(path));
        const file: SourceFile = { name, content, mtime: timeFromNs(st.mtimeNs), recordTime: true };
        if (rel) file.path = relPath;
        out.push(file);
      } catch (e) {
        throw new PstoreError(`cannot read '${path}': ${(e as Error).message}`);
      }
    }
  };
  read('', true);
  return out;
}
