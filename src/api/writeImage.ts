import type { Arch } from '../backends/ramoops/arch.js';
import type { KernelProfile } from '../core/kernel.js';
import type { KmsgDumpReasonCode, PstoreBackend } from '../core/backend.js';
import type { CompressorName } from '../core/compress/types.js';
import { encodeFtraceRecord } from '../core/ftrace.js';
import { DEFAULT_KMSG_BYTES, Pstore } from '../core/platform.js';
import type { RecordTime } from '../core/record.js';
import { CorruptImageError, LayoutError, UsageError } from '../errors.js';
import { DumperRegistry, LogBuffer, loadLog } from '../frontends/index.js';
import type { Region } from '../region/region.js';
import { removeNamedRecord } from './image.js';
import { RamoopsImage, type RamoopsImageOptions } from './ramoopsImage.js';

export interface WriteImageOptions extends RamoopsImageOptions {
  /** Format zones the kernel would not accept instead of refusing the image. */
  force?: boolean;
}

/**
 * Open a region for writing as a running kernel would: every zone must carry
 * its signature and a sane header, else the layout does not match the image
 * (or it is not a ramoops region) and nothing is written, unless `force`.
 */
export function openForWrite(region: Region, options: WriteImageOptions): RamoopsImage {
  const image = new RamoopsImage(region, options);
  const bad = image.backend.unformattedZones();
  if (bad.length) {
    if (!options.force) {
      const all = bad.length === image.layout.zones.length;
      const list = bad
        .slice(0, 4)
        .map((z) => `${z.label} at 0x${z.offset.toString(16)}`)
        .join(', ');
      throw new CorruptImageError(
        all
          ? `not a ramoops region with this layout: no zone carries a valid signature/header (use --force to format it, or check the layout flags)`
          : `the layout does not match the image: ${bad.length} of ${image.layout.zones.length} zones have no valid header (${list}${bad.length > 4 ? ', …' : ''}); use --force to format them`,
        bad[0].offset,
        bad[0].label,
      );
    }
    image.backend.format(bad);
    image.invalidate();
  }
  return image;
}

/** `pstore create`: every zone signed and empty, parity written, as after the kernel's first attach. */
export function createImage(region: Region, options: RamoopsImageOptions): RamoopsImage {
  const image = new RamoopsImage(region, options);
  image.backend.format();
  image.invalidate();
  return image;
}

export interface DumpOptions {
  /** Log text: lines in dmesg, syslog or plain form. */
  log: Uint8Array | string;
  /** One kmsg_dump per reason, in order (the first lands in dmesg zone 0). */
  reasons: KmsgDumpReasonCode[];
  /** Record time; default the wall clock. */
  time?: RecordTime;
  /** The `#N` of the first dump (the per-boot oops count); default 1. */
  count?: number;
  /** pstore.compress. */
  compress?: CompressorName | 'none';
  kmsgBytes?: number;
  /** printk.always_kmsg_dump. */
  alwaysKmsgDump?: boolean;
}

export interface DumpSummary {
  /** Dumps the backend's max_reason admitted. */
  dumped: number;
  /** Reasons skipped because max_reason does not admit them. */
  skipped: KmsgDumpReasonCode[];
}

/** `pstore dump`: log lines into the printk buffer, then kmsg_dump(reason) for each reason. */
export function dumpToImage(image: RamoopsImage, options: DumpOptions): DumpSummary {
  if (!image.backend.flags.dmesg) throw new LayoutError('this layout has no dmesg zones (record_size 0)');
  const summary = runDumps(image.backend, image.layout.kernel, options);
  image.invalidate();
  return summary;
}

/**
 * The log lines into a fresh printk buffer, then kmsg_dump(reason) for each
 * reason the backend's max_reason admits, through the pstore core. Shared by
 * every backend; `afterDump` sees each dump that ran.
 */
export function runDumps(backend: PstoreBackend, kernel: KernelProfile, options: DumpOptions, afterDump?: (reason: KmsgDumpReasonCode) => void): DumpSummary {
  const count = options.count ?? 1;
  if (!Number.isSafeInteger(count) || count < 1) throw new UsageError(`--count must be a positive integer (got ${count})`);
  const log = new LogBuffer();
  loadLog(log, options.log);
  const pstore = new Pstore(backend, {
    compress: options.compress ?? 'none',
    kernel,
    kmsgBytes: options.kmsgBytes ?? DEFAULT_KMSG_BYTES,
    clock: options.time ? () => options.time as RecordTime : undefined,
  });
  pstore.oopscount = count - 1;
  const registry = new DumperRegistry(log, { alwaysKmsgDump: options.alwaysKmsgDump });
  registry.register(pstore);
  const skipped: KmsgDumpReasonCode[] = [];
  let dumped = 0;
  for (const reason of options.reasons) {
    if (reason > registry.maxReasonOf(pstore)) {
      skipped.push(reason);
      continue;
    }
    registry.kmsgDump(reason);
    dumped++;
    afterDump?.(reason);
  }
  return { dumped, skipped };
}

/** Append bytes to the console zone, as the console frontend does line by line. */
export function appendConsole(image: RamoopsImage, data: Uint8Array): void {
  if (!image.backend.flags.console) throw new LayoutError('this layout has no console zone (console_size 0)');
  image.backend.write({ type: 'console', reason: 0, count: 0, part: 0, data, compressed: false, time: { sec: 0, nsec: 0 } });
  image.invalidate();
}

/** Append bytes to the pmsg zone, as a write() to /dev/pmsg0 does. */
export function appendPmsg(image: RamoopsImage, data: Uint8Array): void {
  if (!image.backend.flags.pmsg) throw new LayoutError('this layout has no pmsg zone (pmsg_size 0)');
  image.backend.writeUser({ type: 'pmsg', reason: 0, count: 0, part: 0, data, compressed: false, time: { sec: 0, nsec: 0 } });
  image.invalidate();
}

export interface FtraceInputRecord {
  cpu: number;
  ts: bigint;
  ip: bigint;
  parentIp: bigint;
}

/**
 * Parse ftrace records in the kernel's text form (`CPU:0 ts:12 ffffffff81129769  ffffffff81129c5d ...`),
 * the form `cat ftrace-ramoops-0` prints. Lines that do not match are errors.
 */
export function parseFtraceText(text: string): FtraceInputRecord[] {
  const out: FtraceInputRecord[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    const m = /^CPU:(\d+) ts:(\d+) ([0-9a-fA-F]+)\s+([0-9a-fA-F]+)/.exec(line);
    if (!m) throw new UsageError(`ftrace input line ${i + 1}: expected 'CPU:N ts:N IP PARENT_IP …' (got '${line.slice(0, 60)}')`);
    out.push({ cpu: Number(m[1]), ts: BigInt(m[2]), ip: BigInt('0x' + m[3]), parentIp: BigInt('0x' + m[4]) });
  });
  return out;
}

/** Append ftrace records, each to its CPU's zone (per-CPU layouts) as pstore_ftrace_call does. */
export function appendFtrace(image: RamoopsImage, records: FtraceInputRecord[]): void {
  if (!image.backend.flags.ftrace) throw new LayoutError('this layout has no ftrace zone (ftrace_size 0)');
  const zones = image.layout.ftraceCount;
  for (const r of records) {
    if (image.layout.ftracePerCpu && r.cpu >= zones) {
      throw new UsageError(`ftrace record for CPU ${r.cpu}, but the layout has ${zones} per-CPU zone(s) (--ftrace-cpus)`);
    }
  }
  writeFtraceRecords(image.backend, records, image.layout.arch);
  image.invalidate();
}

/** pstore_ftrace_call for each record: encoded for the arch, written from its CPU. */
export function writeFtraceRecords(backend: PstoreBackend, records: readonly FtraceInputRecord[], arch: Arch): void {
  for (const r of records) {
    backend.write({ type: 'ftrace', reason: 0, count: 0, part: 0, data: encodeFtraceRecord(r, arch), compressed: false, time: { sec: 0, nsec: 0 }, cpu: r.cpu });
  }
}

/** `rm /sys/fs/pstore/NAME`: erase the record's zone as the backend does. */
export function removeRecord(image: RamoopsImage, name: string): void {
  removeNamedRecord(image, name);
}
