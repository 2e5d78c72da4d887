/**
 * `pstore archive [SOURCE] [--to DIR]`: what systemd-pstore does at boot,
 * one directory per crash (src/archive/). `--list [DIR]` shows the archive.
 * Test hooks: PSTORE_ARCHIVE_KILL_AT=N SIGKILLs the process at its Nth disk
 * step, PSTORE_ARCHIVE_TRACE=1 prints each step on stderr.
 */
import { statSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { DEFAULT_ARCHIVE_DIR, runArchive } from '../../archive/archive.js';
import { nodeFs, type StepHook } from '../../archive/archiveFs.js';
import { readPstoreConf } from '../../archive/config.js';
import { JOURNAL_SOCKET, sendToJournal } from '../../archive/journal.js';
import { listArchive, listed } from '../../archive/list.js';
import { DEFAULT_PSTORE_DIR, dirSource, imageSource, type ArchiveSource } from '../../archive/source.js';
import { parseSize } from '../../backends/ramoops/params.js';
import { UsageError } from '../../errors.js';
import { table } from '../format.js';
import type { CliIo } from '../io.js';
import { addAutoOption, addLayoutOptions, addReadOptions, openPstoreImage, type LayoutFlags, type ReadFlags } from '../layoutOptions.js';

export interface ArchiveFlags extends LayoutFlags, ReadFlags {
  to?: string;
  unlink?: boolean;
  journal?: boolean;
  journalSocket?: string;
  maxUse?: string;
  keep?: string;
  json?: boolean;
  list?: boolean;
  config?: boolean;
  configRoot?: string;
  lockWait?: string;
}

const LAYOUT_KEYS: (keyof LayoutFlags)[] = ['memSize', 'recordSize', 'consoleSize', 'ftraceSize', 'pmsgSize', 'ecc', 'maxReason', 'ftraceCpus', 'arch', 'offset', 'params', 'backend', 'kmsgSize'];

function stepHook(io: CliIo): StepHook | undefined {
  const killAt = Number(process.env.PSTORE_ARCHIVE_KILL_AT ?? 0);
  const trace = process.env.PSTORE_ARCHIVE_TRACE === '1';
  if (!killAt && !trace) return undefined;
  let n = 0;
  return (label) => {
    n++;
    if (trace) io.stderr(`pstore: step ${n}: ${label}\n`);
    if (n === killAt) process.kill(process.pid, 'SIGKILL');
  };
}

function count(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new UsageError(`${what} must be a whole number, got '${text}'`);
  return Number(text);
}

function listCommand(dir: string, flags: ArchiveFlags, io: CliIo): number {
  const rows = listArchive(nodeFs, dir);
  if (flags.json) {
    for (const r of rows) io.stdout(`${JSON.stringify(r)}\n`);
    return 0;
  }
  if (!rows.length) {
    io.stderr(`pstore: no crashes archived in '${dir}'\n`);
    return 0;
  }
  io.stdout(
    table(
      ['TIME', 'REASON', 'SIGNATURE', 'COUNT', 'FILES', 'MESSAGE'],
      rows.map((r) => [r.time.slice(0, 19).replace('T', ' '), r.reason ?? '-', r.signature, r.count === null ? '-' : String(r.count), String(r.files), r.message ?? '']),
      [3, 4],
    ),
  );
  return 0;
}

export function archiveCommand(sourceArg: string | undefined, flags: ArchiveFlags, io: CliIo): number {
  if (flags.list) return listCommand(sourceArg ?? flags.to ?? DEFAULT_ARCHIVE_DIR, flags, io);
  const conf = flags.config === false ? { files: [], warnings: [] } : readPstoreConf(flags.configRoot ?? '/');
  for (const w of conf.warnings) io.stderr(`pstore: warning: ${w}\n`);
  if (conf.storage === 'none') {
    io.stderr(`pstore: Storage=none in ${conf.files.join(', ')}: nothing archived\n`);
    return 0;
  }
  const sourcePath = sourceArg ?? DEFAULT_PSTORE_DIR;
  let st;
  try {
    st = statSync(sourcePath);
  } catch (e) {
    throw new UsageError(`cannot access source '${sourcePath}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const now = io.now();
  let source: ArchiveSource;
  let close = (): void => {};
  if (st.isDirectory()) {
    source = dirSource(sourcePath);
  } else {
    const layoutGiven = LAYOUT_KEYS.some((k) => flags[k] !== undefined);
    const opened = openPstoreImage(sourcePath, { ...flags, auto: flags.auto || !layoutGiven }, { warn: (w) => io.stderr(`pstore: warning: ${w}\n`), note: (m) => io.stderr(`pstore: ${m}\n`) });
    close = opened.close;
    source = imageSource(sourcePath, opened.image.files(), now);
  }
  try {
    if (source.kind === 'files' && flags.unlink) throw new UsageError('--unlink works on a directory (a live /sys/fs/pstore); an image is never changed by archive');
    const unlink = source.kind === 'dir' && (flags.unlink ?? conf.unlink ?? source.live);
    const lockWait = count(flags.lockWait, '--lock-wait');
    const result = runArchive({
      to: flags.to ?? DEFAULT_ARCHIVE_DIR,
      source,
      unlink,
      maxUse: flags.maxUse !== undefined ? parseSize(flags.maxUse, '--max-use') : undefined,
      keep: count(flags.keep, '--keep'),
      lockWaitMs: lockWait !== undefined ? lockWait * 1000 : undefined,
      now,
      step: stepHook(io),
    });
    for (const c of result.archived) {
      if (flags.json) io.stdout(`${JSON.stringify({ ...c.json, dir: c.dir, paths: [...c.json.files.map((f) => f.name), ...c.json.derived, 'crash.json'].map((n) => `${c.dir}/${n}`) })}\n`);
      else io.stdout(`${c.dir}\n  ${listed(c).reason ?? 'no dump'}${c.json.count !== null ? ` #${c.json.count}` : ''}  ${c.json.signature}  ${c.json.message ?? ''}\n`);
    }
    const label = source.kind === 'dir' ? source.path : source.label;
    const parts = [`archived ${result.archived.length} crash${result.archived.length === 1 ? '' : 'es'}`];
    if (result.alreadyArchived.length) parts.push(`${result.alreadyArchived.length} file(s) were archived before`);
    if (result.unlinked.length) parts.push(`removed ${result.unlinked.length} file(s) from ${label}`);
    if (result.removed.length) parts.push(`retention removed ${result.removed.length} old crash(es)`);
    io.stderr(`pstore: ${parts.join('; ')}\n`);
    if (result.readOnlySource) io.stderr(`pstore: ${label} is read-only: archived without removing anything\n`);
    if (flags.journal || conf.storage === 'journal') sendToJournal(result.archived, flags.journalSocket ?? JOURNAL_SOCKET);
    return 0;
  } finally {
    close();
  }
}

export function registerArchive(program: Command, io: CliIo, done: (code: number) => void): void {
  const cmd = program
    .command('archive')
    .description('move pstore records into one directory per crash (dmesg.txt joined and decoded, crash.json, signature), as systemd-pstore does at boot')
    .argument('[source]', `a live pstore mount, a directory like one, or an image (default ${DEFAULT_PSTORE_DIR}; with --list: the archive)`)
    .option('--to <dir>', `archive directory (default ${DEFAULT_ARCHIVE_DIR})`)
    .option('--unlink', 'remove archived files from the source directory (default on a live pstore mount, or pstore.conf Unlink=)')
    .option('--no-unlink', 'keep the source files')
    .option('--journal', 'send one journal entry per crash (also with pstore.conf Storage=journal)')
    .addOption(new Option('--journal-socket <path>', 'journald native socket').default(undefined).hideHelp())
    .option('--max-use <size>', 'retention: remove the oldest crashes while the archive is bigger (e.g. 64M)')
    .option('--keep <n>', 'retention: keep at most N crashes, the newest')
    .option('--json', 'one JSON object per archived crash (crash.json plus dir and paths), JSON Lines')
    .option('--list', 'show the archive (SOURCE or --to, default /var/lib/pstore) as a table, or --json')
    .option('--no-config', 'ignore /etc/systemd/pstore.conf and its drop-ins')
    .addOption(new Option('--config-root <dir>', 'read pstore.conf below this root (default /)').hideHelp())
    .option('--lock-wait <seconds>', 'wait this long for another archive run (default 60)');
  addLayoutOptions(cmd);
  addAutoOption(cmd);
  addReadOptions(cmd);
  cmd.action((source: string | undefined, flags: ArchiveFlags) => done(archiveCommand(source, flags, io)));
}
