/**
 * `pstore write IMAGE --console FILE --pmsg FILE --ftrace FILE`: append to
 * the console, pmsg and ftrace zones as the kernel's frontends do.
 *
 * Also the plumbing the write commands (create, dump, write, rm) share:
 * input files read before the image is opened, the image opened read-write
 * only after every flag checked out, a Region wrapper that tells which zones
 * were written, and one fdatasync at the end.
 */
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { BlkImage } from '../../api/blkImage.js';
import { appendBlkConsole, appendBlkFtrace, appendBlkPmsg, openBlkForWrite, type BlkWriteOptions } from '../../api/blkWrite.js';
import { RamoopsImage } from '../../api/ramoopsImage.js';
import type { EfiImageOptions } from '../../api/efiImage.js';
import { appendConsole, appendFtrace, appendPmsg, openForWrite, parseFtraceText, type FtraceInputRecord, type WriteImageOptions } from '../../api/writeImage.js';
import type { BlkZone } from '../../backends/blk/layout.js';
import type { RamoopsZone } from '../../backends/ramoops/layout.js';
import { reedSolomon } from '../../ecc/index.js';
import { CorruptImageError, PstoreError, UsageError } from '../../errors.js';
import { describeFsError } from '../../node/fileRegion.js';
import type { Region } from '../../region/region.js';
import { PRZ_HEADER_SIZE, przGeometry } from '../../zone/eccLayout.js';
import type { CliIo } from '../io.js';
import { addLayoutOptions, blkImageOptions, efiImageOptions, imageOptions, openPstoreImage, resolveBackend, type LayoutFlags } from '../layoutOptions.js';

/** Flags every write command takes besides the layout. */
export interface WriteFlags extends LayoutFlags {
  force?: boolean;
}

/** Reads an input file, `-` meaning stdin. File errors become one-line usage errors. */
export function readInput(path: string, flag: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path === '-' ? 0 : path));
  } catch (e) {
    const err = describeFsError(e, `read ${flag}`, path === '-' ? 'stdin' : path);
    throw err instanceof PstoreError ? new UsageError(err.message) : err;
  }
}

/** `--force`: format zones without a valid header instead of refusing the image. */
export function addForceOption(cmd: Command, what = 'format the image (every zone without a valid ramoops header) instead of refusing it'): Command {
  return cmd.addOption(new Option('-f, --force', what));
}

/** What the tracker needs of a zone: ramoops and pstore/blk zones both qualify. */
export interface TrackedZone {
  type: string;
  index: number;
  label: string;
  offset: number;
  size: number;
}

/** --force on the write commands, for both backends. */
export const WRITE_FORCE_HELP =
  'format the image (every zone without a valid ramoops header) instead of refusing it; blk: write over zones holding other bytes and blank headers that make recovery fail';

/** Region wrapper that remembers, in order, which zones were written. */
export class ZoneWriteTracker<Z extends TrackedZone = RamoopsZone> implements Region {
  /** Zones in the order writes moved into them (a zone written again after another one appears again). */
  readonly sequence: Z[] = [];
  private zones: readonly Z[] = [];
  private base = 0;

  constructor(readonly inner: Region) {}

  get size(): number {
    return this.inner.size;
  }

  /** Starts tracking against a layout whose region begins at `offset` of this region. */
  track(zones: readonly Z[], offset: number): void {
    this.zones = zones;
    this.base = offset;
    this.sequence.length = 0;
  }

  read(offset: number, length: number): Uint8Array {
    return this.inner.read(offset, length);
  }

  write(offset: number, data: Uint8Array): void {
    this.inner.write(offset, data);
    const at = offset - this.base;
    const z = this.zones.find((x) => at >= x.offset && at < x.offset + x.size);
    if (z && this.sequence[this.sequence.length - 1] !== z) this.sequence.push(z);
  }

  sync(): void {
    this.inner.sync();
  }
}

/** A region opened for writing, with the image as a running kernel sees it. */
export interface WritableImage {
  image: RamoopsImage;
  tracker: ZoneWriteTracker;
  /** Zones `--force` formatted (empty without --force). */
  formatted: RamoopsZone[];
}

/**
 * openForWrite over a tracking wrapper: refuses a region whose zones the
 * kernel would not accept unless `force`, in which case it formats them and
 * says which. Nothing is written when it throws.
 */
export function openWritable(region: Region, options: WriteImageOptions): WritableImage {
  const tracker = new ZoneWriteTracker(region);
  const formatted = options.force ? new RamoopsImage(region, options).backend.unformattedZones() : [];
  const image = openForWrite(tracker, options);
  if (!options.force) refuseHiddenEcc(image);
  tracker.track(image.layout.zones, options.offset ?? 0);
  return { image, tracker, formatted };
}

const ECC_PROBES = [16, 8, 32, 64] as const;

/**
 * Headers alone cannot tell an ECC image read with ecc 0 (the kernel would
 * accept it, and writing would leave stale parity under new data). When
 * every signed zone's header matches Reed-Solomon parity where an ECC
 * layout keeps it, the image has ECC and the layout flags are wrong.
 */
function refuseHiddenEcc(image: RamoopsImage): void {
  if (image.layout.params.ecc) return;
  const signed = image.zones().filter((r) => r.attach.state === 'valid' || r.attach.state === 'empty');
  if (!signed.length) return;
  for (const ecc of ECC_PROBES) {
    const rs = reedSolomon(ecc);
    const matches = signed.every(({ zone }) => {
      let g;
      try {
        g = przGeometry(zone.size, ecc);
      } catch {
        return false;
      }
      const header = image.region.read(zone.offset, PRZ_HEADER_SIZE);
      const parity = image.region.read(zone.offset + g.headerParityOffset, ecc);
      return rs.check(header, 0, PRZ_HEADER_SIZE, parity, 0);
    });
    if (matches) {
      const z = signed[0].zone;
      throw new CorruptImageError(`the layout does not match the image: its zones carry ECC parity (ecc ${ecc}) but the layout has ecc 0; give --ecc ${ecc} (or --force to write without ECC)`, z.offset, z.label);
    }
  }
}

/** What a write command writes, resolved from the flags before any file is opened. */
export type WriteTarget = { kind: 'ramoops'; options: WriteImageOptions } | { kind: 'blk'; options: BlkWriteOptions } | { kind: 'efi'; options: EfiImageOptions };

/** The backend and options the flags name (`--backend blk`, or a params file with only a pstore_blk section). */
export function writeTarget(flags: WriteFlags): WriteTarget {
  const force = Boolean(flags.force);
  // The write path reads back with every compressor (a dump's --compress is not the reading kernel's).
  const backend = resolveBackend(flags);
  if (backend === 'blk') return { kind: 'blk', options: { ...blkImageOptions(flags), compress: 'auto', force } };
  if (backend === 'efi') {
    if (force) throw new UsageError('--force: an EFI variable store is never reformatted; a damaged one is refused (pstore check --backend efi says why)');
    return { kind: 'efi', options: { ...efiImageOptions({ ...flags, compress: undefined }), compress: 'auto' } };
  }
  return { kind: 'ramoops', options: { ...imageOptions(flags), force } };
}

/**
 * Opens IMAGE read-write with the command's layout flags, runs `fn` on the
 * file region, then fdatasyncs and closes. Flags are resolved before the
 * file is opened, so a bad flag never opens it for writing. The file is
 * never truncated.
 */
export function withImageFile<T>(path: string, flags: WriteFlags, io: CliIo, fn: (region: Region, target: WriteTarget) => T): T {
  const target = writeTarget(flags);
  // openPstoreImage does the size checks with messages a user can act on.
  const { file, close } = openPstoreImage(path, flags, { write: true, warn: (w) => io.stderr(`pstore: warning: ${w}\n`) });
  let ok = false;
  try {
    const out = fn(file, target);
    ok = true;
    return out;
  } finally {
    // Whatever was written is made durable; a sync failure is reported only when nothing else failed.
    let syncError: unknown = null;
    try {
      file.sync();
    } catch (e) {
      syncError = e;
    }
    close();
    if (ok && syncError) throw syncError;
  }
}

/** A pstore/blk device opened for writing, as a kernel booted on it. */
export interface WritableBlk {
  image: BlkImage;
  tracker: ZoneWriteTracker<BlkZone>;
  /** Zones whose header --force blanked (the kernel's recovery failed on them). */
  formatted: string[];
  /** Zones holding bytes that are neither blank nor a pstore/blk header, written over with --force. */
  foreign: string[];
}

/**
 * openBlkForWrite over a tracking wrapper. pstore/zone itself writes over
 * anything, but a zone that holds other bytes (not blank, no pstore/blk
 * header) means the layout flags do not match the device, or it is not a
 * pstore/blk device at all: like a ramoops region without valid headers it
 * is refused untouched unless `force`. A device whose recovery fails is
 * refused unless `force` (openBlkForWrite). Nothing is written when it throws.
 */
export function openBlkWritable(region: Region, options: BlkWriteOptions): WritableBlk {
  const tracker = new ZoneWriteTracker<BlkZone>(region);
  const zones = new BlkImage(region, options).zones();
  const foreign = zones.filter((r) => r.state === 'no-signature').map((r) => r.zone);
  if (foreign.length && !options.force) {
    const all = foreign.length === zones.length;
    const list = foreign
      .slice(0, 4)
      .map((z) => `${z.label} at 0x${z.offset.toString(16)}`)
      .join(', ');
    throw new CorruptImageError(
      all
        ? 'not a pstore/blk device with this layout: no zone is blank or carries a pstore/blk header (use --force to write over it, or check the layout flags)'
        : `the layout does not match the device: ${foreign.length} of ${zones.length} zones hold bytes that are neither blank nor a pstore/blk header (${list}${foreign.length > 4 ? ', …' : ''}); use --force to write over them`,
      foreign[0].offset,
      foreign[0].label,
    );
  }
  const formatted = options.force ? zones.filter((r) => r.state === 'invalid').map((r) => r.zone.label) : [];
  const image = openBlkForWrite(tracker, options);
  tracker.track(image.layout.zones, options.offset ?? 0);
  return { image, tracker, formatted, foreign: foreign.map((z) => z.label) };
}

export function reportBlkForced(w: WritableBlk, io: CliIo): void {
  if (w.formatted.length) io.stderr(`pstore: --force: blanked the header of ${w.formatted.join(', ')} (the kernel's recovery failed on it)\n`);
  if (w.foreign.length) {
    const n = w.foreign.length;
    io.stderr(`pstore: --force: ${n === w.image.layout.zones.length ? 'every zone holds' : `${n} zone${n === 1 ? '' : 's'} (${w.foreign.slice(0, 4).join(', ')}${n > 4 ? ', …' : ''}) hold${n === 1 ? 's' : ''}`} other bytes; written over where records land\n`);
  }
}

export function reportFormatted(w: WritableImage, io: CliIo): void {
  if (!w.formatted.length) return;
  const all = w.formatted.length === w.image.layout.zones.length;
  io.stderr(`pstore: --force: formatted ${all ? 'every zone' : w.formatted.map((z) => z.label).join(', ')} (${w.formatted.length} of ${w.image.layout.zones.length} had no valid ramoops header)\n`);
}

export interface WriteInput {
  console?: Uint8Array;
  pmsg?: Uint8Array;
  ftrace?: FtraceInputRecord[];
}

export interface WriteCmdFlags extends WriteFlags {
  console?: string;
  pmsg?: string;
  ftrace?: string;
}

/** Reads and parses every input named by the flags (before the image is opened). */
export function readWriteInput(flags: WriteCmdFlags): WriteInput {
  const given = (['console', 'pmsg', 'ftrace'] as const).filter((k) => flags[k] !== undefined);
  if (!given.length) throw new UsageError('write: nothing to write: give --console FILE, --pmsg FILE and/or --ftrace FILE');
  if (given.filter((k) => flags[k] === '-').length > 1) throw new UsageError('write: only one of --console/--pmsg/--ftrace can read stdin (-)');
  const input: WriteInput = {};
  if (flags.console !== undefined) input.console = readInput(flags.console, '--console');
  if (flags.pmsg !== undefined) input.pmsg = readInput(flags.pmsg, '--pmsg');
  if (flags.ftrace !== undefined) {
    const text = new TextDecoder().decode(readInput(flags.ftrace, '--ftrace'));
    input.ftrace = parseFtraceText(text);
    if (!input.ftrace.length) throw new UsageError(`--ftrace '${flags.ftrace}': no records (expected 'CPU:N ts:N IP PARENT_IP' lines)`);
  }
  return input;
}

export interface WriteSummaryLine {
  zone: string;
  what: string;
}

/** Appends the inputs to their zones; returns what went where. */
export function writeRegion(region: Region, options: WriteImageOptions, input: WriteInput, io?: CliIo): WriteSummaryLine[] {
  const w = openWritable(region, options);
  if (io) reportFormatted(w, io);
  const out: WriteSummaryLine[] = [];
  const { image } = w;
  // Check every zone exists before the first byte goes out.
  if (input.console && !image.backend.flags.console) throw new UsageError('--console: this layout has no console zone (--console-size 0)');
  if (input.pmsg && !image.backend.flags.pmsg) throw new UsageError('--pmsg: this layout has no pmsg zone (--pmsg-size 0)');
  if (input.ftrace && !image.backend.flags.ftrace) throw new UsageError('--ftrace: this layout has no ftrace zone (--ftrace-size 0)');
  const size = (type: RamoopsZone['type']) => image.layout.zones.find((z) => z.type === type)?.geometry.dataSize ?? 0;
  const note = (n: number, type: RamoopsZone['type']) => (n > size(type) ? `, only the last ${size(type)} fit` : '');
  if (input.console) {
    if (input.console.length) appendConsole(image, input.console);
    out.push({ zone: 'console', what: `${input.console.length} bytes appended${note(input.console.length, 'console')}` });
  }
  if (input.pmsg) {
    if (input.pmsg.length) appendPmsg(image, input.pmsg);
    out.push({ zone: 'pmsg', what: `${input.pmsg.length} bytes appended${note(input.pmsg.length, 'pmsg')}` });
  }
  if (input.ftrace) {
    appendFtrace(image, input.ftrace);
    const cpus = new Set(input.ftrace.map((r) => r.cpu));
    out.push({ zone: 'ftrace', what: `${input.ftrace.length} record${input.ftrace.length === 1 ? '' : 's'} appended (CPU ${[...cpus].sort((a, b) => a - b).join(', ')})` });
  }
  return out;
}

/**
 * Appends the inputs to a pstore/blk device, as one boot of a kernel with
 * those frontends: pstore/zone starts each boot with empty console and pmsg
 * rings, so what they held is replaced (the old log is kept for reading
 * only in memory).
 */
export function writeBlkRegion(region: Region, options: BlkWriteOptions, input: WriteInput, io?: CliIo): WriteSummaryLine[] {
  const w = openBlkWritable(region, options);
  if (io) reportBlkForced(w, io);
  const { image } = w;
  const l = image.layout;
  // Check every zone exists before the first byte goes out.
  if (input.console && !l.console) throw new UsageError('--console: this layout has no console zone (--console-size 0; debian-6.1 builds no console frontend)');
  if (input.pmsg && !l.pmsg) throw new UsageError('--pmsg: this layout has no pmsg zone (--pmsg-size 0; debian-6.1 builds no pmsg frontend)');
  if (input.ftrace && !l.ftrace.length) throw new UsageError('--ftrace: this layout has no ftrace zone (--ftrace-size 0; debian-6.1 builds no ftrace frontend)');
  if (input.ftrace) {
    const bad = input.ftrace.find((r) => r.cpu >= l.ftrace.length);
    if (bad) throw new UsageError(`--ftrace: record for CPU ${bad.cpu}, but the layout has ${l.ftrace.length} per-CPU zone(s) (--ftrace-cpus)`);
  }
  const note = (n: number, zone: BlkZone | null) => (zone && n > zone.bufferSize ? `, only the last ${zone.bufferSize} fit` : '');
  const out: WriteSummaryLine[] = [];
  if (input.console) {
    if (input.console.length) appendBlkConsole(image, input.console);
    out.push({ zone: 'console', what: `${input.console.length} bytes written${note(input.console.length, l.console)} (a new boot: replaces the console log the device held)` });
  }
  if (input.pmsg) {
    if (input.pmsg.length) appendBlkPmsg(image, input.pmsg);
    out.push({ zone: 'pmsg', what: `${input.pmsg.length} bytes written${note(input.pmsg.length, l.pmsg)} (a new boot: replaces the pmsg log the device held)` });
  }
  if (input.ftrace) {
    appendBlkFtrace(image, input.ftrace);
    const cpus = new Set(input.ftrace.map((r) => r.cpu));
    out.push({ zone: 'ftrace', what: `${input.ftrace.length} record${input.ftrace.length === 1 ? '' : 's'} written (CPU ${[...cpus].sort((a, b) => a - b).join(', ')})` });
  }
  return out;
}

export function writeCommand(imagePath: string, flags: WriteCmdFlags, io: CliIo): number {
  const input = readWriteInput(flags);
  if (resolveBackend(flags) === 'efi') throw new UsageError('efi-pstore stores dmesg dumps only (no console, pmsg or ftrace): use pstore dump --backend efi');
  const lines = withImageFile(imagePath, flags, io, (region, target) =>
    target.kind === 'blk' ? writeBlkRegion(region, target.options, input, io) : target.kind === 'efi' ? [] : writeRegion(region, target.options, input, io),
  );
  for (const l of lines) io.stdout(`${l.zone}: ${l.what}\n`);
  return 0;
}

const WRITE_HELP = `
Appends as the kernel's frontends do: --console bytes to the console ring,
--pmsg bytes as one write() to /dev/pmsg0, --ftrace records (the text form
'cat ftrace-ramoops-0' prints: 'CPU:N ts:N IP PARENT_IP ...') each to its
CPU's zone. Input is read and checked before the image is opened; writes are
in place (data and parity before each zone header), then fdatasync.
With --backend blk each run is one boot of a kernel on the device: pstore/zone
starts every boot with empty console and pmsg rings, so a run replaces what
the previous one left there.

Examples:
  $ dmesg | pstore write ramoops.bin --console - --params ramoops.json
  $ pstore write ramoops.bin --pmsg app.log --ftrace trace.txt --ftrace-cpus 2 --params ramoops.json
  $ pstore write disk.img --backend blk --console console.log --pmsg app.log
`;

export function registerWrite(program: Command, io: CliIo, done: (code: number) => void): void {
  const cmd = program
    .command('write')
    .description('append to the console, pmsg and ftrace zones as the kernel frontends do')
    .argument('<image>', 'ramoops region or pstore/blk device image (--backend blk) to write in place')
    .option('--console <file>', "bytes to append to the console zone ('-' = stdin)")
    .option('--pmsg <file>', "bytes written to /dev/pmsg0 ('-' = stdin)")
    .option('--ftrace <file>', "ftrace records in the kernel's text form ('-' = stdin)");
  addForceOption(cmd, WRITE_FORCE_HELP);
  addLayoutOptions(cmd);
  cmd.addHelpText('after', WRITE_HELP);
  cmd.action((image: string, flags: WriteCmdFlags) => done(writeCommand(image, flags, io)));
}
