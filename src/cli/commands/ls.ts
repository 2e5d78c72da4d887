/** `pstore ls IMAGE [--json]`: the files /sys/fs/pstore would show. */
import type { Command } from 'commander';
import type { PstoreFile } from '../../core/record.js';
import { isoTime, noRecordsMessage, shortTime, table } from '../format.js';
import type { CliIo } from '../io.js';
import { addAutoOption, addLayoutOptions, addReadOptions, openPstoreImage, type LayoutFlags, type ReadFlags } from '../layoutOptions.js';

export interface LsFlags extends LayoutFlags, ReadFlags {
  json?: boolean;
}

/** One file as `ls --json` prints it. */
export interface FileInfo {
  name: string;
  type: string;
  id: number;
  size: number;
  /** ISO 8601 with nanoseconds; null: the kernel shows the mount time. */
  mtime: string | null;
  mtime_epoch: number | null;
  mtime_nsec: number | null;
  compressed: boolean;
  /** Algorithm that decompressed it; null when not compressed or not decompressible (.enc.z). */
  compression: string | null;
  ecc: { corrected: number; bad: number } | null;
}

export function fileInfo(f: PstoreFile): FileInfo {
  return {
    name: f.name,
    type: f.type,
    id: f.id,
    size: f.content.length,
    mtime: f.mtime ? isoTime(f.mtime) : null,
    mtime_epoch: f.mtime ? f.mtime.sec : null,
    mtime_nsec: f.mtime ? f.mtime.nsec : null,
    compressed: f.compressed,
    compression: f.compression,
    ecc: f.ecc ? { corrected: f.ecc.corrected, bad: f.ecc.bad } : null,
  };
}

export function compressionLabel(f: PstoreFile): string {
  if (!f.compressed) return '-';
  return f.compression ?? 'not decompressed';
}

export function eccLabel(f: PstoreFile): string {
  if (!f.ecc) return '-';
  if (f.ecc.bad) return `${f.ecc.bad} bad block${f.ecc.bad === 1 ? '' : 's'}${f.ecc.corrected ? `, ${f.ecc.corrected} corrected` : ''}`;
  if (f.ecc.corrected) return `${f.ecc.corrected} corrected`;
  return 'ok';
}

export function filesTable(files: PstoreFile[]): string {
  return table(
    ['NAME', 'SIZE', 'MTIME (UTC)', 'COMPRESSED', 'ECC'],
    files.map((f) => [f.name, String(f.content.length), f.mtime ? shortTime(f.mtime) : '-', compressionLabel(f), eccLabel(f)]),
    [1],
  );
}

export function lsCommand(imagePath: string, flags: LsFlags, io: CliIo): number {
  const { image, close } = openPstoreImage(imagePath, flags, { warn: (w) => io.stderr(`pstore: warning: ${w}\n`), note: (m) => io.stderr(`pstore: ${m}\n`) });
  try {
    const files = image.files();
    if (flags.json) io.stdout(JSON.stringify(files.map(fileInfo), null, 2) + '\n');
    else if (!files.length) io.stderr(noRecordsMessage(image));
    else io.stdout(filesTable(files));
    return 0;
  } finally {
    close();
  }
}

export function registerLs(program: Command, io: CliIo, done: (code: number) => void): void {
  const cmd = program
    .command('ls')
    .description('list the files Linux would show in /sys/fs/pstore')
    .argument('<image>', 'ramoops region, RAM dump (with --offset), or pstore/blk device image (--backend blk)')
    .option('--json', 'JSON array of {name, type, id, size, mtime, mtime_epoch, mtime_nsec, compressed, compression, ecc}');
  addLayoutOptions(cmd);
  addAutoOption(cmd);
  addReadOptions(cmd);
  cmd.action((image: string, flags: LsFlags) => done(lsCommand(image, flags, io)));
}
