/**
 * `pstore extract IMAGE DIR`: the files as /sys/fs/pstore shows them: same
 * names and bytes, mode 0444, dmesg mtimes from the record header. Each file
 * is written to a temporary name and renamed, so DIR never holds half a file.
 */
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { PstoreFile } from '../../core/record.js';
import { PstoreError, UsageError } from '../../errors.js';
import { describeFsError } from '../../node/fileRegion.js';
import { setExactFileTime, settableFileTime, utimesSeconds } from '../../node/fileTime.js';
import { noRecordsMessage } from '../format.js';
import type { CliIo } from '../io.js';
import { addAutoOption, addLayoutOptions, addReadOptions, openPstoreImage, type LayoutFlags, type ReadFlags } from '../layoutOptions.js';

export interface ExtractFlags extends LayoutFlags, ReadFlags {
  force?: boolean;
  quiet?: boolean;
}

function fsTry<T>(action: string, path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw describeFsError(e, action, path);
  }
}

function prepareDir(dir: string, force: boolean): void {
  let st;
  try {
    st = statSync(dir);
  } catch (e) {
    if ((e as { code?: string }).code !== 'ENOENT') throw describeFsError(e, 'access', dir);
    fsTry('create directory', dir, () => mkdirSync(dir, { recursive: true }));
    return;
  }
  if (!st.isDirectory()) throw new UsageError(`'${dir}' exists and is not a directory`);
  const entries = fsTry('list', dir, () => readdirSync(dir));
  if (entries.length && !force) {
    throw new UsageError(`'${dir}' is not empty (${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}); use --force to write into it`);
  }
}

/** Writes one file atomically: temp file, fsync, mode, mtime, rename. */
export function writePstoreFile(dir: string, file: PstoreFile, now: Date): string {
  if (file.name.includes('/') || file.name.startsWith('.')) throw new PstoreError(`refusing unsafe file name '${file.name}'`);
  const target = join(dir, file.name);
  const tmp = join(dir, `.${file.name}.${process.pid}.tmp`);
  try {
    const fd = fsTry('create', tmp, () => openSync(tmp, 'wx', 0o600));
    try {
      let done = 0;
      while (done < file.content.length) done += fsTry('write', tmp, () => writeSync(fd, file.content, done, file.content.length - done));
      fsTry('sync', tmp, () => fsyncSync(fd));
    } finally {
      closeSync(fd);
    }
    fsTry('chmod', tmp, () => chmodSync(tmp, 0o444));
    const mtime = file.mtime ? settableFileTime(file.mtime) : null;
    const when = mtime ? utimesSeconds(mtime) : now.getTime() / 1000;
    fsTry('set the time of', tmp, () => utimesSync(tmp, when, when));
    // Sub-microsecond record times (pstore/blk keeps nanoseconds) need utimensat.
    if (mtime && mtime.nsec % 1000) setExactFileTime(tmp, mtime);
    fsTry('rename into', target, () => renameSync(tmp, target));
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  return target;
}

export function extractCommand(imagePath: string, dir: string, flags: ExtractFlags, io: CliIo): number {
  const { image, close } = openPstoreImage(imagePath, flags, { warn: (w) => io.stderr(`pstore: warning: ${w}\n`), note: (m) => io.stderr(`pstore: ${m}\n`) });
  try {
    // Decode everything before touching DIR: a bad image leaves no partial output.
    const files = image.files();
    prepareDir(dir, flags.force ?? false);
    const now = io.now();
    for (const f of files) {
      const path = writePstoreFile(dir, f, now);
      if (!flags.quiet) io.stdout(`${path}\n`);
    }
    if (!files.length) io.stderr(noRecordsMessage(image));
    return 0;
  } finally {
    close();
  }
}

export function registerExtract(program: Command, io: CliIo, done: (code: number) => void): void {
  const cmd = program
    .command('extract')
    .description('write the files into DIR as /sys/fs/pstore shows them (names, bytes, mode 0444, dmesg mtimes)')
    .argument('<image>', 'ramoops region, RAM dump (with --offset), or pstore/blk device image (--backend blk)')
    .argument('<dir>', 'output directory (created if missing; must be empty unless --force)')
    .option('-f, --force', 'write into a non-empty directory, replacing files of the same name')
    .option('-q, --quiet', 'do not list the files written');
  addLayoutOptions(cmd);
  addAutoOption(cmd);
  addReadOptions(cmd);
  cmd.action((image: string, dir: string, flags: ExtractFlags) => done(extractCommand(image, dir, flags, io)));
}
