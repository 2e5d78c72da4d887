/**
 * The file operations the archive performs, behind one object so tests can
 * inject faults (ENOSPC after N bytes, EIO on a read) and a kill at any step.
 * Every step that changes the disk is announced through `step` first.
 */
import * as fs from 'node:fs';

export type ArchiveFs = Pick<
  typeof fs,
  | 'mkdirSync'
  | 'openSync'
  | 'writeSync'
  | 'fsyncSync'
  | 'closeSync'
  | 'renameSync'
  | 'rmSync'
  | 'unlinkSync'
  | 'utimesSync'
  | 'readdirSync'
  | 'readFileSync'
  | 'statSync'
  | 'accessSync'
>;

export const nodeFs: ArchiveFs = fs;

/** Called before each step that changes a file system, with a label like `write 20240101T…/dmesg.txt`. */
export type StepHook = (label: string) => void;

/** fsync of a directory: makes its entries (a rename, a new file) durable. */
export function fsyncDir(afs: ArchiveFs, dir: string): void {
  const fd = afs.openSync(dir, 'r');
  try {
    afs.fsyncSync(fd);
  } finally {
    afs.closeSync(fd);
  }
}

/** Sleeps without an event loop (lock waits in a synchronous run). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
