/**
 * The archive directory: one subdirectory per crash, written so that a crash
 * at any moment leaves either no trace or a complete directory. Each crash is
 * written into `.tmp-<id>`, every file fsync'd with its mtime set, the
 * directory fsync'd, renamed to its final name, and the parent fsync'd. Temp
 * directories left by a killed run are removed by the next run (under the lock).
 */
import { join } from 'node:path';
import { setExactFileTime, settableFileTime, utimesSeconds } from '../node/fileTime.js';
import type { RecordTime } from '../core/record.js';
import { PstoreError } from '../errors.js';
import { fsyncDir, type ArchiveFs, type StepHook } from './archiveFs.js';
import { CRASH_JSON, type CrashJson, type PreparedCrash } from './crashRecord.js';
import { timeFromDate } from './sourceFile.js';

export const TMP_PREFIX = '.tmp-';

/** A crash directory of the archive and its crash.json. */
export interface StoredCrash {
  dir: string;
  name: string;
  json: CrashJson;
}

/** Archive write failures (ENOSPC, EIO, …): exit status 1, source untouched. */
export class ArchiveWriteError extends PstoreError {}

export function fsError(e: unknown, action: string, path: string): PstoreError {
  if (e instanceof PstoreError) return e;
  const err = e as NodeJS.ErrnoException;
  return new ArchiveWriteError(`cannot ${action} '${path}': ${err.code ? `${err.code} ` : ''}${(err.message ?? String(e)).replace(/^\w+: /, '').replace(/, \w+ '.*'$/, '')}`);
}

/** The crash directories in `root`, oldest first (names start with the time). Unreadable ones are skipped. */
export function listCrashes(afs: ArchiveFs, root: string): StoredCrash[] {
  let names: string[];
  try {
    names = afs.readdirSync(root) as string[];
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw fsError(e, 'list', root);
  }
  const out: StoredCrash[] = [];
  for (const name of names.sort()) {
    if (name.startsWith('.')) continue;
    const dir = join(root, name);
    try {
      const json = JSON.parse(afs.readFileSync(join(dir, CRASH_JSON), 'utf8')) as CrashJson;
      if (json && Array.isArray(json.files)) out.push({ dir, name, json });
    } catch {
      /* not a crash directory of ours */
    }
  }
  return out;
}

/** Removes temp directories a killed run left behind. */
export function removeStaleTemps(afs: ArchiveFs, root: string, step: StepHook): void {
  for (const name of afs.readdirSync(root) as string[]) {
    if (!name.startsWith(TMP_PREFIX)) continue;
    step(`remove stale ${name}`);
    afs.rmSync(join(root, name), { recursive: true, force: true });
  }
}

function writeFile(afs: ArchiveFs, path: string, content: Uint8Array, mtime: RecordTime, step: StepHook, label: string): void {
  step(`write ${label}`);
  const fd = afs.openSync(path, 'wx', 0o640);
  try {
    let done = 0;
    while (done < content.length) done += afs.writeSync(fd, content, done, content.length - done);
    step(`fsync ${label}`);
    afs.fsyncSync(fd);
  } finally {
    afs.closeSync(fd);
  }
  const t = settableFileTime(mtime);
  const s = utimesSeconds(t);
  afs.utimesSync(path, s, s);
  // Sub-microsecond record times (pstore/blk keeps nanoseconds) need utimensat.
  if (t.nsec % 1000) setExactFileTime(path, t);
}

/** A final name not yet taken: `name`, `name-2`, … */
function freeName(afs: ArchiveFs, root: string, name: string): string {
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? name : `${name}-${n}`;
    try {
      afs.statSync(join(root, candidate));
    } catch {
      return candidate;
    }
  }
}

/** Writes one crash durably; returns where it went. On failure nothing of it remains. */
export function writeCrash(afs: ArchiveFs, root: string, crash: PreparedCrash, now: Date, step: StepHook): StoredCrash {
  const tmp = join(root, `${TMP_PREFIX}${crash.json.id}`);
  const name = freeName(afs, root, crash.dirName);
  try {
    step(`mkdir ${name}`);
    afs.mkdirSync(tmp, { mode: 0o750 });
    for (const f of crash.originals) writeFile(afs, join(tmp, f.name), f.content, f.mtime, step, `${name}/${f.name}`);
    const eventTime = crash.json.timeEpoch ? { sec: Math.floor(crash.json.timeEpoch), nsec: 0 } : timeFromDate(now);
    for (const d of crash.derived) writeFile(afs, join(tmp, d.name), d.content, eventTime, step, `${name}/${d.name}`);
    writeFile(afs, join(tmp, CRASH_JSON), new TextEncoder().encode(`${JSON.stringify(crash.json, null, 2)}\n`), timeFromDate(now), step, `${name}/${CRASH_JSON}`);
    step(`fsync ${name}/`);
    fsyncDir(afs, tmp);
    step(`rename ${name}`);
    afs.renameSync(tmp, join(root, name));
    step(`fsync archive`);
    fsyncDir(afs, root);
  } catch (e) {
    try {
      afs.rmSync(tmp, { recursive: true, force: true });
    } catch {
      /* the next run removes it */
    }
    throw fsError(e, 'write the crash into', join(root, name));
  }
  return { dir: join(root, name), name, json: crash.json };
}
