/** `pstore rm IMAGE NAME`: erase a record as `rm /sys/fs/pstore/NAME` does (the backend zaps its zone). */
import type { Command } from 'commander';
import { removeBlkRecord, type BlkWriteOptions } from '../../api/blkWrite.js';
import { EfiImage, type EfiImageOptions } from '../../api/efiImage.js';
import { removeEfiRecord } from '../../api/efiWrite.js';
import { removeRecord, type WriteImageOptions } from '../../api/writeImage.js';
import type { Region } from '../../region/region.js';
import type { CliIo } from '../io.js';
import { addLayoutOptions } from '../layoutOptions.js';
import { openBlkWritable, openWritable, withImageFile, type WriteFlags } from './write.js';

/** Erases NAME; returns the zones that were zapped. */
export function rmRegion(region: Region, options: WriteImageOptions, name: string): string[] {
  const w = openWritable(region, options);
  removeRecord(w.image, name);
  return w.tracker.sequence.map((z) => z.label);
}

/** Erases NAME on a pstore/blk device (psz_pstore_erase); returns the zones written. */
export function rmBlkRegion(region: Region, options: BlkWriteOptions, name: string): string[] {
  const w = openBlkWritable(region, options);
  removeBlkRecord(w.image, name);
  return w.tracker.sequence.map((z) => z.label);
}

/** Deletes the variable holding NAME (State &= DELETED); returns the variable touched. */
export function rmEfiRegion(region: Region, options: EfiImageOptions, name: string): string[] {
  const image = new EfiImage(region, options);
  const variable = image.file(name).record.zones[0]?.label;
  removeEfiRecord(image, name);
  return variable ? [`variable ${variable} (State now DELETED)`] : [];
}

export function rmCommand(imagePath: string, name: string, flags: WriteFlags, io: CliIo): number {
  // rm never formats: a region the kernel would not accept has nothing to remove.
  const zones = withImageFile(imagePath, { ...flags, force: false }, io, (region, target) =>
    target.kind === 'blk' ? rmBlkRegion(region, target.options, name) : target.kind === 'efi' ? rmEfiRegion(region, target.options, name) : rmRegion(region, target.options, name),
  );
  const what = zones.length ? (zones[0].startsWith('variable ') ? `deleted ${zones.join(', ')}` : `zapped ${zones.join(', ')}`) : 'nothing on the medium changed';
  io.stdout(`removed ${name} (${what})\n`);
  return 0;
}

const RM_HELP = `
The kernel's erase: the zone holding the record is zapped (start = size = 0,
header parity rewritten); its data bytes stay on the medium. Console and pmsg
records share one zone each, ftrace records per-CPU zones. With --backend blk
a dump's zone keeps its header with datalen 0 (pstore/zone's erase), and a
console, pmsg or ftrace zone is cleared. With --backend efi the record's
UEFI variable is deleted as the firmware deletes it: its State byte says
DELETED, its bytes stay until the firmware reclaims the store.

Examples:
  $ pstore rm ramoops.bin dmesg-ramoops-0 --params ramoops.json
  $ pstore rm disk.img dmesg-pstore_blk-0 --backend blk --kmsg-size 64
  $ pstore rm vm_VARS.fd dmesg-efi-170406720901001 --backend efi
`;

export function registerRm(program: Command, io: CliIo, done: (code: number) => void): void {
  const cmd = program
    .command('rm')
    .description('erase a record, as rm /sys/fs/pstore/NAME does')
    .argument('<image>', 'ramoops region or pstore/blk device image (--backend blk) to write in place')
    .argument('<name>', 'file name as `pstore ls` shows it, e.g. dmesg-ramoops-0 or dmesg-pstore_blk-0');
  addLayoutOptions(cmd);
  cmd.addHelpText('after', RM_HELP);
  cmd.action((image: string, name: string, flags: WriteFlags) => done(rmCommand(image, name, flags, io)));
}
