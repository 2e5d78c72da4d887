/**
 * `pstore read IMAGE`: the main job. Lists the records, then prints each one
 * with a header line; bytes that are not text are shown as \xNN.
 */
import type { Command } from 'commander';
import { escapeBinary, isPlainText, shortTime } from '../format.js';
import type { CliIo } from '../io.js';
import { addAutoOption, addLayoutOptions, addReadOptions, openPstoreImage, type LayoutFlags, type ReadFlags } from '../layoutOptions.js';
import { compressionLabel, eccLabel, filesTable } from './ls.js';

export type ReadCmdFlags = LayoutFlags & ReadFlags;

export function readCommand(imagePath: string, flags: ReadCmdFlags, io: CliIo): number {
  const { image, close } = openPstoreImage(imagePath, flags, { warn: (w) => io.stderr(`pstore: warning: ${w}\n`), note: (m) => io.stderr(`pstore: ${m}\n`) });
  try {
    const files = image.files();
    io.stdout(`${imagePath}: ${image.describe()}: ${files.length} record${files.length === 1 ? '' : 's'}\n`);
    if (!files.length) return 0;
    io.stdout('\n' + filesTable(files));
    for (const f of files) {
      const what = [
        `${f.content.length} bytes`,
        f.mtime ? `${shortTime(f.mtime)} UTC` : null,
        f.compressed ? `compressed: ${compressionLabel(f)}` : null,
        f.ecc ? `ECC ${eccLabel(f)}` : null,
        isPlainText(f.content) ? null : 'binary bytes as \\xNN',
      ].filter(Boolean);
      io.stdout(`\n===== ${f.name} (${what.join(', ')}) =====\n`);
      const text = escapeBinary(f.content);
      io.stdout(text.endsWith('\n') || !text.length ? text : text + '\n');
    }
    return 0;
  } finally {
    close();
  }
}

export function registerRead(program: Command, io: CliIo, done: (code: number) => void): void {
  const cmd = program
    .command('read')
    .description('list the records and print each one (text; other bytes escaped)')
    .argument('<image>', 'ramoops region, RAM dump (with --offset), or pstore/blk device image (--backend blk)');
  addLayoutOptions(cmd);
  addAutoOption(cmd);
  addReadOptions(cmd);
  cmd.action((image: string, flags: ReadCmdFlags) => done(readCommand(image, flags, io)));
}
