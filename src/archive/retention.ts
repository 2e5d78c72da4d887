/**
 * Retention like journald's SystemMaxUse: `maxUse` bytes and/or `keep` crash
 * directories; the oldest go first. Crashes archived by this run are never
 * removed (a full disk must not eat the crash just saved).
 */
import { join } from 'node:path';
import type { ArchiveFs, StepHook } from './archiveFs.js';
import { fsError, listCrashes } from './store.js';

export interface RetentionOptions {
  maxUse?: number;
  keep?: number;
}

function dirSize(afs: ArchiveFs, dir: string): number {
  let total = 0;
  for (const name of afs.readdirSync(dir) as string[]) {
    try {
      total += Number(afs.statSync(join(dir, name)).size);
    } catch {
      /* vanished */
    }
  }
  return total;
}

/** Removes the oldest crash directories until the limits hold; returns the names removed. */
export function applyRetention(afs: ArchiveFs, root: string, opts: RetentionOptions, protect: ReadonlySet<string>, step: StepHook): string[] {
  if (opts.maxUse === undefined && opts.keep === undefined) return [];
  const crashes = listCrashes(afs, root).map((c) => ({ ...c, size: dirSize(afs, c.dir) }));
  let total = crashes.reduce((n, c) => n + c.size, 0);
  let count = crashes.length;
  const removed: string[] = [];
  for (const c of crashes) {
    const over = (opts.keep !== undefined && count > opts.keep) || (opts.maxUse !== undefined && total > opts.maxUse);
    if (!over) break;
    if (protect.has(c.name)) continue;
    step(`retention remove ${c.name}`);
    try {
      afs.rmSync(c.dir, { recursive: true, force: true });
    } catch (e) {
      throw fsError(e, 'remove', c.dir);
    }
    removed.push(c.name);
    total -= c.size;
    count--;
  }
  return removed;
}
