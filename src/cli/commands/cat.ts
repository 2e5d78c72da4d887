/**
 * `pstore cat IMAGE NAME`: one file's bytes, exactly as /sys/fs/pstore would
 * give them; `--format logcat` decodes Android's framed pmsg records instead.
 */
import { Option, type Command } from 'commander';
import { pmsgToLogcat } from '../../core/logcat.js';
import { UsageError } from '../../errors.js';
import type { CliIo } from '../io.js';
import { addAutoOption, addLayoutOptions, addReadOptions, openPstoreImage, type LayoutFlags, type ReadFlags } from '../layoutOptions.js';

export interface CatFlags extends LayoutFlags, ReadFlags {
  /** raw (default): the file's bytes; logcat: pmsg decoded as logcat threadtime lines. */
  format?: 'raw' | 'logcat';
}

export function catCommand(imagePath: string, name: string, flagsIn: CatFlags, io: CliIo): number {
  // ftrace with ECC: the kernel's own walk is shifted by the ECC notice (a kernel bug);
  // `extract` keeps the kernel's bytes, `cat` shows the records decoded correctly unless asked.
  const flags: CatFlags = { ...flagsIn, ftraceWalk: flagsIn.ftraceWalk ?? 'correct' };
  const { image, close } = openPstoreImage(imagePath, flags, { warn: (w) => io.stderr(`pstore: warning: ${w}\n`), note: (m) => io.stderr(`pstore: ${m}\n`) });
  try {
    const file = image.file(name);
    if (flags.format === 'logcat') {
      if (file.type !== 'pmsg') throw new UsageError(`--format logcat decodes pmsg records written by Android's logd; '${name}' is a ${file.type} record`);
      // Decode the record without the ECC notice the backend appends to the file.
      const r = pmsgToLogcat(file.record.data);
      io.stdout(r.text);
      if (r.skippedBytes) {
        const first = r.skipped[0];
        io.stderr(
          `pstore: note: skipped ${r.skippedBytes} byte${r.skippedBytes === 1 ? '' : 's'} that hold no logger record ` +
            `(${r.skipped.length} run${r.skipped.length === 1 ? '' : 's'}, first at offset ${first.offset}; a wrapped ring or a torn write)\n`,
        );
      }
      if (!r.entries) io.stderr('pstore: note: no Android logger records found (raw bytes: --format raw)\n');
      if (file.record.eccNotice) io.stderr(`pstore: note: ${file.record.eccNotice.trim()}\n`);
      return 0;
    }
    if (file.type === 'ftrace' && image.kind === 'ramoops' && image.layout.params.ecc > 0) {
      io.stderr(
        flags.ftraceWalk === 'correct'
          ? "pstore: note: ftrace records decoded correctly; /sys/fs/pstore (and `pstore extract`) shows the kernel's walk, shifted by the ECC notice (a kernel bug; --ftrace-walk kernel shows those bytes)\n"
          : "pstore: note: as /sys/fs/pstore shows it: with ECC on the kernel's walk is shifted by the ECC notice; --ftrace-walk correct decodes the records correctly\n",
      );
    }
    io.stdout(file.content);
    return 0;
  } finally {
    close();
  }
}

export function registerCat(program: Command, io: CliIo, done: (code: number) => void): void {
  const cmd = program
    .command('cat')
    .description("write one file's bytes to stdout, as /sys/fs/pstore/NAME would")
    .argument('<image>', 'ramoops region, RAM dump (with --offset), or pstore/blk device image (--backend blk)')
    .argument('<name>', 'file name as `pstore ls` shows it, e.g. dmesg-ramoops-0')
    .addOption(
      new Option('--format <format>', "raw: the file's bytes; logcat: Android pmsg records (logd/liblog framing) as `logcat -v threadtime` lines, times in UTC")
        .choices(['raw', 'logcat'])
        .default('raw'),
    );
  addLayoutOptions(cmd);
  addAutoOption(cmd);
  addReadOptions(cmd);
  cmd.action((image: string, name: string, flags: CatFlags) => done(catCommand(image, name, flags, io)));
}
