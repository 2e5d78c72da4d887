/**
 * `pstore create IMAGE`: a region as the kernel leaves it after its first
 * attach: every zone signed and empty, header parity written. Creates the
 * file or formats an existing one in place; a file is never shrunk, only
 * extended when it is smaller than the region.
 */
import { closeSync, ftruncateSync, openSync, statSync, type Stats } from 'node:fs';
import type { Command } from 'commander';
import { createImage } from '../../api/writeImage.js';
import { RamoopsImage } from '../../api/ramoopsImage.js';
import { archByName } from '../../backends/ramoops/arch.js';
import { kernelProfile } from '../../backends/ramoops/kernelProfile.js';
import { ramoopsLayout, RAMOOPS_DEFAULTS, type RamoopsLayout } from '../../backends/ramoops/layout.js';
import { PstoreError, UsageError } from '../../errors.js';
import { describeFsError, openImageFile } from '../../node/fileRegion.js';
import type { CliIo } from '../io.js';
import { addLayoutOptions, imageOptions, resolveBackend, resolveLayout } from '../layoutOptions.js';
import { addForceOption, type WriteFlags } from './write.js';

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return null;
    throw describeFsError(e, 'access', path);
  }
}

/** Names of the records a file already holds with this layout; [] when it holds none or is no ramoops region. */
function existingRecords(path: string, flags: WriteFlags, memSize: number): string[] {
  const file = openImageFile(path);
  try {
    const opts = imageOptions(flags);
    if ((opts.offset ?? 0) + memSize > file.size) return [];
    const image = new RamoopsImage(file, { ...opts, params: { ...opts.params, mem_size: memSize } });
    return image.files().map((f) => f.name);
  } catch (e) {
    if (e instanceof PstoreError) return [];
    throw e;
  } finally {
    file.close();
  }
}

function zoneSummary(layout: RamoopsLayout): string {
  const counts = new Map<string, { n: number; size: number }>();
  for (const z of layout.zones) {
    const c = counts.get(z.type) ?? { n: 0, size: z.size };
    c.n++;
    counts.set(z.type, c);
  }
  return [...counts].map(([t, c]) => `${c.n} ${t} × 0x${c.size.toString(16)}`).join(', ');
}

export function createCommand(imagePath: string, flags: WriteFlags, io: CliIo): number {
  if (resolveBackend(flags) === 'blk') throw new UsageError('create writes ramoops regions only (--backend blk is not supported yet)');
  const r = resolveLayout(flags);
  const st = statOrNull(imagePath);
  if (st && st.isDirectory()) throw new UsageError(`'${imagePath}' is a directory`);
  const regular = !st || st.isFile();
  let memSize = r.params.mem_size;
  if (memSize === undefined) {
    if (!st) throw new UsageError(`'${imagePath}' does not exist: give --mem-size (or mem_size in --params) to create it`);
    const avail = (regular ? st.size : 0) - r.offset;
    if (avail <= 0) throw new UsageError(`'${imagePath}' has no room for a region at offset 0x${r.offset.toString(16)}: give --mem-size`);
    memSize = avail;
  }
  if (memSize < 1) throw new UsageError('--mem-size must be at least 1');
  // The layout is checked before anything on disk changes.
  const layout = ramoopsLayout({
    params: { ...RAMOOPS_DEFAULTS, ...r.params, mem_size: memSize },
    kernel: kernelProfile(r.kernel),
    arch: archByName(r.arch),
    ftraceCpus: r.ftraceCpus,
  });
  if (!layout.zones.length) throw new UsageError('this layout has no zones: give --record-size, --console-size, --ftrace-size or --pmsg-size');
  const need = r.offset + memSize;

  if (st && !flags.force) {
    const names = existingRecords(imagePath, flags, memSize);
    if (names.length) {
      throw new PstoreError(
        `'${imagePath}' already holds a ramoops region with ${names.length} record${names.length === 1 ? '' : 's'} (${names.slice(0, 4).join(', ')}${names.length > 4 ? ', …' : ''}); use --force to overwrite it`,
      );
    }
  }

  if (!st || (regular && st.size < need)) {
    let fd: number;
    try {
      fd = openSync(imagePath, st ? 'r+' : 'wx', 0o644);
    } catch (e) {
      throw describeFsError(e, st ? 'open' : 'create', imagePath);
    }
    try {
      ftruncateSync(fd, need);
    } catch (e) {
      throw describeFsError(e, 'extend', imagePath);
    } finally {
      closeSync(fd);
    }
    if (st) io.stderr(`pstore: extended '${imagePath}' from ${st.size} to ${need} bytes\n`);
    else io.stdout(`created '${imagePath}' (${need} bytes)\n`);
  }

  const file = openImageFile(imagePath, { write: true });
  try {
    const opts = imageOptions(flags);
    const image = createImage(file, { ...opts, params: { ...opts.params, mem_size: memSize } });
    for (const w of image.layout.warnings) io.stderr(`pstore: warning: ${w}\n`);
    file.sync();
    io.stdout(`formatted 0x${memSize.toString(16)} bytes at offset 0x${r.offset.toString(16)}: ${zoneSummary(image.layout)}; ecc ${image.layout.params.ecc}, max_reason ${image.layout.params.max_reason}\n`);
  } finally {
    file.close();
  }
  return 0;
}

const CREATE_HELP = `
Writes every zone's signature and an empty header with its parity, as a
kernel's first attach does. A new file is created at offset + mem_size bytes
(--mem-size required); an existing file is formatted in place, extended when
smaller, never shrunk. A file already holding records is refused unless
--force.

Examples:
  $ pstore create ramoops.bin --mem-size 1M --record-size 64K --console-size 64K --pmsg-size 64K --ecc 16
  $ pstore create ramoops.bin --params ramoops.json
`;

export function registerCreate(program: Command, io: CliIo, done: (code: number) => void): void {
  const cmd = program
    .command('create')
    .description('create or format a ramoops region: every zone signed and empty, as after the first boot')
    .argument('<image>', 'file to create, or existing file/device to format in place');
  addForceOption(cmd, 'overwrite a file that already holds ramoops records');
  addLayoutOptions(cmd);
  cmd.addHelpText('after', CREATE_HELP);
  cmd.action((image: string, flags: WriteFlags) => done(createCommand(image, flags, io)));
}
