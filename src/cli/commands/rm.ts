/** `pstore rm IMAGE NAME`: erase a record as `rm /sys/fs/pstore/NAME` does (the backend zaps its zone). */
import type { Command } from 'commander';
import { removeRecord, type WriteImageOptions } from '../../api/writeImage.js';
import type { Region } from '../../region/region.js';
import type { CliIo } from '../io.js';
import { addLayoutOptions } from '../layoutOptions.js';
import { openWritable, withImageFile, type WriteFlags } from './write.js';

/** Erases NAME; returns the zones that were zapped. */
export function rmRegion(region: Region, options: WriteImageOptions, name: string): string[] {
  const w = openWritable(region, options);
  removeRecord(w.image, name);
  return w.tracker.sequence.map((z) => z.label);
}

export function rmCommand(imagePath: string, name: string, flags: WriteFlags, io: CliIo): number {
  // rm never formats: a region the kernel would not accept has nothing to remove.
  const zones = withImageFile(imagePath, { ...flags, force: false }, io, (region, options) => rmRegion(region, options, name));
  io.stdout(`removed ${name} (zapped ${zones.join(', ')})\n`);
  return 0;
}

const RM_HELP = `
The kernel's erase: the zone holding the record is zapped (start = size = 0,
header parity rewritten); its data bytes stay on the medium. Console and pmsg
records share one zone each, ftrace records per-CPU zones.

Example:
  $ pstore rm ramoops.bin dmesg-ramoops-0 --params ramoops.json
`;

export function registerRm(program: Command, io: CliIo, done: (code: number) => void): void {
  const cmd = program
    .command('rm')
    .description('erase a record, as rm /sys/fs/pstore/NAME does')
    .argument('<image>', 'ramoops region to write in place')
    .argument('<name>', 'file name as `pstore ls` shows it, e.g. dmesg-ramoops-0');
  addLayoutOptions(cmd);
  cmd.addHelpText('after', RM_HELP);
  cmd.action((image: string, name: string, flags: WriteFlags) => done(rmCommand(image, name, flags, io)));
}
