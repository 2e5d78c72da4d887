/**
 * `pstore create IMAGE`: a region as the kernel leaves it after its first
 * attach: every zone signed and empty, header parity written. Creates the
 * file or formats an existing one in place; a file is never shrunk, only
 * extended when it is smaller than the region.
 */
import { closeSync, openSync, rmSync, statSync, type Stats } from 'node:fs';
import { Option, type Command } from 'commander';
import { BlkImage, blkDefaultParams, type BlkImageOptions } from '../../api/blkImage.js';
import { createBlk } from '../../api/blkWrite.js';
import { createImage } from '../../api/writeImage.js';
import { RamoopsImage } from '../../api/ramoopsImage.js';
import { blkLayout, blkParamsFromKiB, type BlkModuleParams } from '../../backends/blk/layout.js';
import { archByName } from '../../backends/ramoops/arch.js';
import { kernelProfile } from '../../backends/ramoops/kernelProfile.js';
import { ramoopsLayout, RAMOOPS_DEFAULTS, type RamoopsLayout } from '../../backends/ramoops/layout.js';
import { parseSize } from '../../backends/ramoops/params.js';
import { LayoutError, PstoreError, UsageError } from '../../errors.js';
import { allocateFile, describeFsError, openImageFile } from '../../node/fileRegion.js';
import type { CliIo } from '../io.js';
import { addLayoutOptions, blkImageOptions, imageOptions, resolveBackend, resolveLayout } from '../layoutOptions.js';
import { addForceOption, type WriteFlags } from './write.js';

export interface CreateFlags extends WriteFlags {
  /** blk: byte the zone area is filled with (0 or 0xff). */
  fill?: string;
}

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

/** Makes FILE at least `need` bytes long (never shorter): creates it, or extends a smaller regular file. */
function ensureSize(imagePath: string, st: Stats | null, need: number, io: CliIo): void {
  const regular = !st || st.isFile();
  if (st && !(regular && st.size < need)) return;
  let fd: number;
  try {
    fd = openSync(imagePath, st ? 'r+' : 'wx', 0o644);
  } catch (e) {
    throw describeFsError(e, st ? 'open' : 'create', imagePath);
  }
  try {
    // Real blocks, not a sparse extension: a full file system fails here, not in a later write.
    allocateFile(fd, imagePath, need);
  } catch (e) {
    closeSync(fd);
    // A file this command created and could not fill is removed; an existing one keeps its bytes.
    if (!st) rmSync(imagePath, { force: true });
    throw e;
  }
  closeSync(fd);
  if (st) io.stderr(`pstore: extended '${imagePath}' from ${st.size} to ${need} bytes\n`);
  else io.stdout(`created '${imagePath}' (${need} bytes)\n`);
}

/** Names of the pstore/blk records a file already holds with this layout; [] when none or not a device image. */
function existingBlkRecords(path: string, opts: BlkImageOptions): string[] {
  const file = openImageFile(path);
  try {
    if ((opts.offset ?? 0) + (opts.deviceSize ?? 0) > file.size) return [];
    return new BlkImage(file, opts).files().map((f) => f.name);
  } catch (e) {
    if (e instanceof PstoreError) return [];
    throw e;
  } finally {
    file.close();
  }
}

function definedParams(p: BlkModuleParams): BlkModuleParams {
  return Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) as BlkModuleParams;
}

function parseFill(text: string | undefined): number {
  if (text === undefined) return 0;
  const v = parseSize(text, '--fill');
  if (v !== 0 && v !== 0xff) throw new UsageError(`--fill: '${text}' is not 0 (disk) or 0xff (erased flash)`);
  return v;
}

/**
 * `create --backend blk`: pstore/zone writes no header when it attaches, so
 * a new device is the zone area set to the fill byte; the first record
 * written signs its zone. Everything is checked before the file is touched.
 */
function createBlkCommand(imagePath: string, flags: CreateFlags, io: CliIo): number {
  const fill = parseFill(flags.fill);
  const opts = blkImageOptions(flags);
  const offset = opts.offset ?? 0;
  const st = statOrNull(imagePath);
  if (st && st.isDirectory()) throw new UsageError(`'${imagePath}' is a directory`);
  const regular = !st || st.isFile();
  let deviceSize = opts.deviceSize;
  if (deviceSize === undefined) {
    if (!st) throw new UsageError(`'${imagePath}' does not exist: give --mem-size (the device size in bytes) to create it`);
    const avail = (regular ? st.size : 0) - offset;
    if (avail <= 0) throw new UsageError(`'${imagePath}' has no room for a device at offset 0x${offset.toString(16)}: give --mem-size`);
    deviceSize = avail;
  }
  if (deviceSize < 1) throw new UsageError('--mem-size must be at least 1');
  const sized: BlkImageOptions = { ...opts, deviceSize };
  // The layout is checked before anything on disk changes (as BlkImage computes it).
  const params = { ...blkDefaultParams(kernelProfile(opts.kernel)), ...definedParams(opts.params ?? {}) };
  let layout;
  try {
    layout = blkLayout(blkParamsFromKiB(params, deviceSize, opts.ftraceCpus ?? 1));
  } catch (e) {
    if (e instanceof LayoutError) throw new LayoutError(`a device of 0x${deviceSize.toString(16)} bytes cannot hold this layout: ${e.message} (pmsg/console/ftrace default to 64 KiB each; give their sizes, or --kernel debian-6.1)`);
    throw e;
  }
  if (!layout.zones.length) throw new UsageError('this layout has no zones: give --kmsg-size, --console-size, --ftrace-size or --pmsg-size (KiB)');

  if (st && !flags.force) {
    const names = existingBlkRecords(imagePath, sized);
    if (names.length) {
      throw new PstoreError(
        `'${imagePath}' already holds a pstore/blk device with ${names.length} record${names.length === 1 ? '' : 's'} (${names.slice(0, 4).join(', ')}${names.length > 4 ? ', …' : ''}); use --force to overwrite it`,
      );
    }
  }
  ensureSize(imagePath, st, offset + deviceSize, io);

  const file = openImageFile(imagePath, { write: true });
  try {
    const image = createBlk(file, { ...sized, fill });
    if (image.layout.unused) io.stderr(`pstore: warning: ${image.layout.unused} bytes at the end of the device are not used by any zone\n`);
    file.sync();
    io.stdout(`formatted 0x${image.layout.totalSize.toString(16)} bytes at offset 0x${offset.toString(16)} (fill 0x${fill.toString(16)}): ${image.describe()}\n`);
  } finally {
    file.close();
  }
  return 0;
}

export function createCommand(imagePath: string, flags: CreateFlags, io: CliIo): number {
  if (resolveBackend(flags) === 'blk') return createBlkCommand(imagePath, flags, io);
  if (flags.fill !== undefined) throw new UsageError('--fill is for pstore/blk devices (--backend blk); ramoops zones are formatted with headers');
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

  ensureSize(imagePath, st, need, io);

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

With --backend blk, --mem-size is the device size in bytes and the zone sizes
are KiB (pstore_blk's parameters). pstore/zone writes no header when it
attaches, so a new device is the zone area set to --fill (0, or 0xff for
erased flash); the first record written signs its zone.

Examples:
  $ pstore create ramoops.bin --mem-size 1M --record-size 64K --console-size 64K --pmsg-size 64K --ecc 16
  $ pstore create ramoops.bin --params ramoops.json
  $ pstore create disk.img --backend blk --mem-size 256K --kmsg-size 64 --kernel debian-6.1
`;

export function registerCreate(program: Command, io: CliIo, done: (code: number) => void): void {
  const cmd = program
    .command('create')
    .description('create or format a ramoops region (every zone signed and empty, as after the first boot) or a blank pstore/blk device')
    .argument('<image>', 'file to create, or existing file/device to format in place')
    .addOption(new Option('--fill <byte>', 'blk: byte the zone area is set to: 0 (disk image, default) or 0xff (erased flash)'));
  addForceOption(cmd, 'overwrite a file that already holds ramoops (blk: pstore/blk) records');
  addLayoutOptions(cmd);
  cmd.addHelpText('after', CREATE_HELP);
  cmd.action((image: string, flags: CreateFlags) => done(createCommand(image, flags, io)));
}
