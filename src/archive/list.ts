/** `pstore archive --list`: the archive as rows (time, reason, signature, count, files). */
import type { ArchiveFs } from './archiveFs.js';
import { listCrashes, type StoredCrash } from './store.js';

export interface ListedCrash {
  dir: string;
  name: string;
  time: string;
  reason: string | null;
  count: number | null;
  signature: string;
  message: string | null;
  backend: string;
  files: number;
}

export function listArchive(afs: ArchiveFs, root: string): ListedCrash[] {
  return listCrashes(afs, root).map(listed);
}

export function listed(c: StoredCrash): ListedCrash {
  const j = c.json;
  return { dir: c.dir, name: c.name, time: j.time, reason: j.reason, count: j.count, signature: j.signature, message: j.message, backend: j.backend, files: j.files.length };
}
