/**
 * `pstore archive`: move every record out of the source into one directory
 * per crash, without ever losing one.
 *
 * Order of work (the proof of "never lose a record" follows it):
 *  1. take the archive's lock (a second run waits);
 *  2. remove temp directories of a killed run;
 *  3. index what is archived already (crash.json lists each original's name and sha256);
 *  4. read the source; files already in the index are not written again;
 *  5. write each new crash durably (store.ts);
 *  6. only when every write succeeded: remove the source files (archived before or now);
 *  7. retention.
 * A kill between any two steps leaves each record either in the source, or in
 * the archive, or both; a rerun finishes the job without writing a record twice.
 * A write error (ENOSPC, EIO) stops before step 6: the source is untouched.
 */
import { join } from 'node:path';
import { constants } from 'node:fs';
import { PstoreError } from '../errors.js';
import { ImageLockedError, lockImage, type ImageLock } from '../node/imageLock.js';
import { fsyncDir, nodeFs, sleepSync, type ArchiveFs, type StepHook } from './archiveFs.js';
import { prepareCrash } from './crashRecord.js';
import { groupEvents } from './events.js';
import { applyRetention, type RetentionOptions } from './retention.js';
import { readDirSource, type ArchiveSource } from './source.js';
import { sha256 } from './crashRecord.js';
import { fsError, listCrashes, removeStaleTemps, writeCrash, type StoredCrash } from './store.js';

export const DEFAULT_ARCHIVE_DIR = '/var/lib/pstore';
export const LOCK_NAME = '.archive';

export interface ArchiveOptions extends RetentionOptions {
  /** The archive directory (created if missing). */
  to: string;
  source: ArchiveSource;
  /** Remove archived files from a directory source. */
  unlink: boolean;
  /** How long to wait for another run's lock (ms; default 60 s). */
  lockWaitMs?: number;
  now?: Date;
  fs?: ArchiveFs;
  step?: StepHook;
}

export interface ArchiveResult {
  /** Crashes written by this run. */
  archived: StoredCrash[];
  /** Source files that an earlier run had archived already. */
  alreadyArchived: string[];
  /** Source files removed. */
  unlinked: string[];
  /** The source refused removal (read-only): everything was archived and kept there. */
  readOnlySource: boolean;
  /** Crash directories removed by retention. */
  removed: string[];
}

/** The archive's lock, waiting up to `waitMs` for another run to finish. */
export function lockArchive(root: string, waitMs: number): ImageLock {
  const until = Date.now() + waitMs;
  for (;;) {
    try {
      return lockImage(join(root, LOCK_NAME));
    } catch (e) {
      if (!(e instanceof ImageLockedError) || Date.now() >= until) {
        throw e instanceof ImageLockedError ? new PstoreError(`another pstore archive is running on '${root}' (${e.message})`) : e;
      }
      sleepSync(50);
    }
  }
}

function isReadOnlyError(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'EROFS' || code === 'EACCES' || code === 'EPERM';
}

export function runArchive(opts: ArchiveOptions): ArchiveResult {
  const afs = opts.fs ?? nodeFs;
  const step = opts.step ?? (() => {});
  const now = opts.now ?? new Date();
  const root = opts.to;
  try {
    afs.mkdirSync(root, { recursive: true, mode: 0o750 });
  } catch (e) {
    throw fsError(e, 'create the archive directory', root);
  }
  const lock = lockArchive(root, opts.lockWaitMs ?? 60_000);
  try {
    return archiveLocked(afs, root, opts, step, now);
  } finally {
    lock.release();
  }
}

function archiveLocked(afs: ArchiveFs, root: string, opts: ArchiveOptions, step: StepHook, now: Date): ArchiveResult {
  removeStaleTemps(afs, root, step);
  const index = new Set<string>();
  for (const c of listCrashes(afs, root)) for (const f of c.json.files) index.add(`${f.name}\0${f.sha256}`);

  const src = opts.source;
  const files = src.kind === 'dir' ? readDirSource(afs, src.path) : src.files;
  const label = src.kind === 'dir' ? src.path : src.label;
  const fresh = files.filter((f) => !index.has(`${f.name}\0${sha256(f.content)}`));
  const alreadyArchived = files.filter((f) => !fresh.includes(f)).map((f) => f.name);

  const archived: StoredCrash[] = [];
  for (const event of groupEvents(fresh)) archived.push(writeCrash(afs, root, prepareCrash(event, label), now, step));

  const result: ArchiveResult = { archived, alreadyArchived, unlinked: [], readOnlySource: false, removed: [] };
  if (src.kind === 'dir' && opts.unlink && files.length) {
    let writable = true;
    try {
      afs.accessSync(src.path, constants.W_OK);
    } catch (e) {
      if (!isReadOnlyError(e)) throw fsError(e, 'access', src.path);
      writable = false;
    }
    for (const f of writable ? files : []) {
      const rel = f.path ?? f.name;
      step(`unlink ${rel}`);
      try {
        afs.unlinkSync(join(src.path, rel));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
        if (!isReadOnlyError(e)) throw fsError(e, 'remove', join(src.path, rel));
        writable = false;
        break;
      }
      result.unlinked.push(rel);
    }
    result.readOnlySource = !writable;
    if (result.unlinked.length && !src.live) {
      try {
        fsyncDir(afs, src.path);
      } catch {
        /* best effort: the archive copy is already durable */
      }
    }
  }
  result.removed = applyRetention(afs, root, opts, new Set(archived.map((a) => a.name)), step);
  return result;
}
