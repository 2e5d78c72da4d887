/**
 * Writing a pstore/blk device as a kernel booted on it would: the same
 * options and results as the ramoops write API (writeImage.ts), through the
 * same pstore core (Pstore, kmsg_dump) and frontends. Each call is one boot
 * of that kernel: the device is recovered first, then written; after it the
 * image re-attaches, so files() shows what the next boot would.
 */
import { createBlkImage as blankDevice } from '../backends/blk/backend.js';
import { PSZ_BUFFER_HEADER_SIZE } from '../backends/blk/layout.js';
import { KmsgDumpReason, type KmsgDumpReasonCode } from '../core/backend.js';
import { CorruptImageError, LayoutError, UsageError } from '../errors.js';
import type { Region } from '../region/region.js';
import { BlkImage, type BlkImageOptions } from './blkImage.js';
import { removeNamedRecord } from './image.js';
import { runDumps, writeFtraceRecords, type DumpOptions, type DumpSummary, type FtraceInputRecord } from './writeImage.js';

export interface BlkWriteOptions extends BlkImageOptions {
  /** Blank the zone headers that make the kernel's recovery fail, then write. */
  force?: boolean;
}

export interface BlkCreateOptions extends BlkImageOptions {
  /** Byte the zone area is filled with: 0 (a new disk image, default) or 0xff (erased flash). */
  fill?: number;
}

export interface BlkDumpSummary extends DumpSummary {
  /**
   * Dumps the backend took but that never reach the device: best-effort
   * pstore/blk has no panic_write, so a panic dump (and anything after it)
   * stays in memory and is lost with the machine.
   */
  notWritten: KmsgDumpReasonCode[];
}

/**
 * `pstore create --backend blk`: pstore/zone writes no headers when it
 * attaches, so a new device is just blank over the zone area; the first
 * record written signs its zone.
 */
export function createBlk(region: Region, options: BlkCreateOptions): BlkImage {
  const fill = options.fill ?? 0;
  if (fill !== 0 && fill !== 0xff) throw new UsageError(`fill must be 0 or 0xff (got ${fill})`);
  // Validate the layout before touching the region.
  const probe = new BlkImage(region, options);
  blankDevice(probe.region, probe.layout, fill);
  probe.invalidate();
  return probe;
}

/**
 * Open a device for writing. Unlike ramoops, pstore/zone accepts any bytes
 * (zones without a signature are simply unused), but a device whose
 * recovery fails is never written by the kernel (it keeps every write in
 * memory), so it is refused; `force` blanks the headers that make recovery
 * fail (as `--force` formats bad zones on ramoops) and attaches again.
 */
export function openBlkForWrite(region: Region, options: BlkWriteOptions): BlkImage {
  const image = new BlkImage(region, options);
  const err = image.recoveryProblem();
  if (!err) return image;
  if (!options.force) {
    const where = err instanceof CorruptImageError ? err : new CorruptImageError(err.message, 0);
    throw new CorruptImageError(`${where.message.replace(/^.*?: /, '')}; use --force to blank the zone header`, where.offset, where.zone);
  }
  for (const r of image.zones()) {
    if (r.state === 'invalid') image.region.write(r.zone.offset, new Uint8Array(PSZ_BUFFER_HEADER_SIZE));
  }
  image.invalidate();
  const still = image.recoveryProblem();
  if (still) throw still;
  return image;
}

/** `pstore dump --backend blk`: log lines into the printk buffer, then kmsg_dump(reason) for each reason. */
export function dumpToBlkImage(image: BlkImage, options: DumpOptions): BlkDumpSummary {
  const backend = image.backend;
  if (!backend.flags.dmesg) throw new LayoutError('this layout has no kmsg zones (kmsg_size 0)');
  const notWritten: KmsgDumpReasonCode[] = [];
  // Best-effort pstore/blk has no panic_write: from the panic on, nothing reaches the device.
  const summary = runDumps(backend, image.kernel, options, (reason) => {
    if (backend.panicking && !image.options.panicWrite) notWritten.push(reason);
  });
  image.invalidate();
  return { ...summary, notWritten };
}

function ringWrite(image: BlkImage, type: 'console' | 'pmsg', data: Uint8Array): void {
  const ok = image.backend.write({ type, reason: 0, count: 0, part: 0, data, compressed: false, time: { sec: 0, nsec: 0 } });
  if (!ok) throw new LayoutError(`the device took no ${type} data`);
  image.invalidate();
}

/**
 * Append bytes to the console zone. pstore/zone starts every boot with an
 * empty ring (the old log is only kept for reading), so each call replaces
 * what the previous boot wrote, as on a real device.
 */
export function appendBlkConsole(image: BlkImage, data: Uint8Array): void {
  if (!image.layout.console) throw new LayoutError('this layout has no console zone (console_size 0)');
  ringWrite(image, 'console', data);
}

/** Append bytes to the pmsg zone, as a write() to /dev/pmsg0 does (same per-boot rule as console). */
export function appendBlkPmsg(image: BlkImage, data: Uint8Array): void {
  if (!image.layout.pmsg) throw new LayoutError('this layout has no pmsg zone (pmsg_size 0)');
  ringWrite(image, 'pmsg', data);
}

/** Append ftrace records, each to its CPU's zone. */
export function appendBlkFtrace(image: BlkImage, records: FtraceInputRecord[]): void {
  const zones = image.layout.ftrace.length;
  if (!zones) throw new LayoutError('this layout has no ftrace zone (ftrace_size 0)');
  for (const r of records) {
    if (r.cpu >= zones) throw new UsageError(`ftrace record for CPU ${r.cpu}, but the layout has ${zones} per-CPU zone(s) (--ftrace-cpus)`);
  }
  writeFtraceRecords(image.backend, records, image.arch);
  image.invalidate();
}

/** `rm /sys/fs/pstore/NAME` on a pstore/blk mount: psz_pstore_erase. */
export function removeBlkRecord(image: BlkImage, name: string): void {
  removeNamedRecord(image, name);
}

/** Whether a dump reason can reach a best-effort device at all. */
export function blkDumpReachesDevice(reason: KmsgDumpReasonCode, panicWrite: boolean): boolean {
  return panicWrite || reason !== KmsgDumpReason.PANIC;
}
