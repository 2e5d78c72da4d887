/**
 * `pstore dump IMAGE --reason panic --log FILE`: the kernel's crash path.
 * The log lines go into a printk buffer, then each --reason is one
 * kmsg_dump → pstore_dump → ramoops write, the first into dmesg zone 0 as
 * right after a boot. With --compress none the zone comes out byte for byte
 * as the kernel writes it.
 */
import { Option, type Command } from 'commander';
import { dumpToBlkImage, type BlkWriteOptions } from '../../api/blkWrite.js';
import { EfiImage, type EfiImageOptions } from '../../api/efiImage.js';
import { dumpToEfiImage } from '../../api/efiWrite.js';
import { dumpToImage, type DumpOptions, type WriteImageOptions } from '../../api/writeImage.js';
import { kernelProfile } from '../../backends/ramoops/kernelProfile.js';
import { parseSize } from '../../backends/ramoops/params.js';
import type { KmsgDumpReasonCode } from '../../core/backend.js';
import { compressorNames, initZstd, isCompressorName, type CompressorName } from '../../core/compress/registry.js';
import { DEFAULT_KMSG_BYTES } from '../../core/platform.js';
import type { RecordTime } from '../../core/record.js';
import { UsageError } from '../../errors.js';
import { parseLog } from '../../frontends/logParse.js';
import { KMSG_DUMP_EMERG, KMSG_DUMP_OOPS, KMSG_DUMP_PANIC, KMSG_DUMP_SHUTDOWN, kmsgDumpReasonString } from '../../frontends/kmsgDump.js';
import { installNodeDeflate } from '../../node/deflate.js';
import type { Region } from '../../region/region.js';
import type { CliIo } from '../io.js';
import { addLayoutOptions, blkImageOptions, resolveBackend, resolveLayout } from '../layoutOptions.js';
import { addForceOption, openBlkWritable, openWritable, readInput, reportBlkForced, withImageFile, WRITE_FORCE_HELP, type WriteFlags } from './write.js';

export interface DumpFlags extends WriteFlags {
  reason?: string[];
  log?: string;
  time?: string;
  count?: string;
  compress?: string;
  kmsgBytes?: string;
  alwaysKmsgDump?: boolean;
}

/** Everything a dump needs, read and checked before the image is opened. */
export interface DumpPlan extends DumpOptions {
  reasons: KmsgDumpReasonCode[];
  log: Uint8Array;
  time: RecordTime;
  count: number;
  compress: CompressorName | 'none';
  kmsgBytes: number;
}

const REASONS: Record<string, KmsgDumpReasonCode> = {
  panic: KMSG_DUMP_PANIC,
  oops: KMSG_DUMP_OOPS,
  emergency: KMSG_DUMP_EMERG,
  shutdown: KMSG_DUMP_SHUTDOWN,
};

export function parseReason(name: string): KmsgDumpReasonCode {
  const r = REASONS[name.trim().toLowerCase()];
  if (r === undefined) throw new UsageError(`--reason: '${name}' is not a kmsg_dump reason (one of ${Object.keys(REASONS).join(', ')})`);
  return r;
}

/** `SEC[.FRACTION]` (the record header prints sec.usec) to a record time. */
export function parseRecordTime(text: string): RecordTime {
  const m = /^\s*(\d{1,15})(?:\.(\d{1,9}))?\s*$/.exec(text);
  if (!m) throw new UsageError(`--time: '${text}' is not SEC.USEC (seconds since the epoch, e.g. 1704067202.372553)`);
  const sec = Number(m[1]);
  if (!Number.isSafeInteger(sec)) throw new UsageError(`--time: '${text}' is out of range`);
  return { sec, nsec: Number((m[2] ?? '').padEnd(9, '0')) };
}

function positive(text: string, flag: string): number {
  const v = parseSize(text, flag);
  if (v < 1) throw new UsageError(`${flag} must be at least 1 (got ${text})`);
  return v;
}

/**
 * Reads the log and checks every flag, the compressor against the kernel
 * profile included, and readies the compressor (zstd's wasm, node's deflate
 * with the kernel's parameters). Touches no image.
 */
export async function prepareDump(flags: DumpFlags, now: Date): Promise<DumpPlan> {
  const reasonNames = flags.reason ?? [];
  if (!reasonNames.length) throw new UsageError('dump: give at least one --reason (panic, oops, emergency, shutdown)');
  const reasons = reasonNames.map(parseReason);
  if (flags.log === undefined) throw new UsageError("dump: --log FILE is required (kernel log lines; '-' = stdin)");
  const time = flags.time !== undefined ? parseRecordTime(flags.time) : { sec: Math.floor(now.getTime() / 1000), nsec: (now.getTime() % 1000) * 1e6 };
  const count = flags.count !== undefined ? positive(flags.count, '--count') : 1;
  const kmsgBytes = flags.kmsgBytes !== undefined ? positive(flags.kmsgBytes, '--kmsg-bytes') : DEFAULT_KMSG_BYTES;
  const compress = flags.compress ?? 'none';
  if (compress !== 'none' && !isCompressorName(compress)) throw new UsageError(`--compress: '${compress}' is not one of none, ${compressorNames.join(', ')}`);
  const kernel = kernelProfile(resolveBackend(flags) === 'blk' ? blkImageOptions({ ...flags, compress: undefined }).kernel : resolveLayout(flags).kernel);
  const modern = kernel.compression === 'zlib';
  if (modern && compress !== 'none' && compress !== 'deflate') {
    throw new UsageError(`--compress ${compress}: Linux ${kernel.name} (6.6 and later) compresses with deflate only; use --compress deflate or none, or --kernel 6.1`);
  }
  const log = readInput(flags.log, '--log');
  if (!parseLog(log).length) throw new UsageError(`--log '${flags.log}': no log lines`);
  if (compress === 'deflate') installNodeDeflate(modern ? '6.12' : '6.1');
  if (compress === 'zstd') await initZstd();
  return { reasons, log, time, count, compress, kmsgBytes, alwaysKmsgDump: Boolean(flags.alwaysKmsgDump) };
}

/** One dmesg zone a dump wrote, as the image reads back after all dumps. */
export interface DumpedRecord {
  name: string;
  zone: string;
  offset: number;
  /** `Panic#1 Part1`, when the record reads back. */
  header: string | null;
  /** Bytes the zone holds (its size field): the `====sec.usec-C|D\n` header plus the payload. */
  stored: number;
  compressed: boolean;
  /** Algorithm that reads it back (compressed records). */
  compression: string | null;
  /** Text bytes after decompression. */
  size: number;
  /** A later dump in the same run wrote the same zone again. */
  overwritten: boolean;
}

export interface DumpReport {
  dumped: number;
  skipped: KmsgDumpReasonCode[];
  /** pstore/blk without panic_write: dumps the backend took but that never reach the device. */
  notWritten: KmsgDumpReasonCode[];
  maxReason: number;
  records: DumpedRecord[];
  formatted: string[];
}

/** Runs the dumps on a region (a file, or any Region in tests). */
export function dumpRegion(region: Region, options: WriteImageOptions, plan: DumpPlan): DumpReport {
  const w = openWritable(region, options);
  const summary = dumpToImage(w.image, plan);
  const files = w.image.files();
  const seq = w.tracker.sequence.filter((z) => z.type === 'dmesg');
  const records = seq.map((zone, i): DumpedRecord => {
    const f = files.find((x) => x.type === 'dmesg' && x.id === zone.index);
    const stored = f ? (w.image.zones().find((r) => r.zone === zone)?.attach.oldLog?.length ?? 0) : 0;
    const text = f ? new TextDecoder('latin1').decode(f.content.subarray(0, 64)) : '';
    return {
      name: f?.name ?? `dmesg-ramoops-${zone.index}`,
      zone: zone.label,
      offset: zone.offset + (options.offset ?? 0),
      header: /^(\w+#\d+ Part\d+)\n/.exec(text)?.[1] ?? null,
      stored,
      compressed: f?.compressed ?? false,
      compression: f?.compression ?? null,
      size: f?.content.length ?? 0,
      overwritten: seq.indexOf(zone, i + 1) >= 0,
    };
  });
  return { dumped: summary.dumped, skipped: summary.skipped, notWritten: [], maxReason: w.image.layout.params.max_reason, records, formatted: w.formatted.map((z) => z.label) };
}

/** Runs the dumps on a pstore/blk device (one boot of a kernel on it). */
export function dumpBlkRegion(region: Region, options: BlkWriteOptions, plan: DumpPlan, io?: CliIo): DumpReport {
  const w = openBlkWritable(region, options);
  if (io) reportBlkForced(w, io);
  const summary = dumpToBlkImage(w.image, plan);
  const files = w.image.files();
  const states = w.image.zones();
  const seq = w.tracker.sequence.filter((z) => z.type === 'dmesg');
  const records = seq.map((zone, i): DumpedRecord => {
    const f = files.find((x) => x.type === 'dmesg' && x.id === zone.index);
    const text = f ? new TextDecoder('latin1').decode(f.content.subarray(0, 96)) : '';
    return {
      name: f?.name ?? `dmesg-pstore_blk-${zone.index}`,
      zone: zone.label,
      offset: zone.offset + (options.offset ?? 0),
      // Uncompressed dumps read back with the kernel's `Oops: Total N times` line first.
      header: /^(?:.*\n)?(\w+#\d+ Part\d+)\n/.exec(text)?.[1] ?? null,
      stored: states.find((r) => r.zone === zone || r.zone.offset === zone.offset)?.header.datalen ?? 0,
      compressed: f?.compressed ?? false,
      compression: f?.compression ?? null,
      size: f?.content.length ?? 0,
      overwritten: seq.indexOf(zone, i + 1) >= 0,
    };
  });
  return { dumped: summary.dumped, skipped: summary.skipped, notWritten: summary.notWritten, maxReason: w.image.layout.maxReason, records, formatted: [] };
}

/** Runs the dumps on an EFI variable store: one variable per dump part, as efi-pstore writes them. */
export function dumpEfiRegion(region: Region, options: EfiImageOptions, plan: DumpPlan): DumpReport {
  const image = new EfiImage(region, options);
  const summary = dumpToEfiImage(image, plan);
  const files = image.files();
  const records = summary.written.map((variable): DumpedRecord => {
    const f = files.find((x) => x.record.zones[0]?.label === variable);
    const text = f ? new TextDecoder('latin1').decode(f.content.subarray(0, 64)) : '';
    return {
      name: f?.name ?? variable,
      zone: `variable ${variable}`,
      offset: (f?.record.zones[0]?.offset ?? 0) + image.fileOffset,
      header: /^(\w+#\d+ Part\d+)\n/.exec(text)?.[1] ?? null,
      stored: f?.record.data.length ?? 0,
      compressed: f?.compressed ?? false,
      compression: f?.compression ?? null,
      size: f?.content.length ?? 0,
      overwritten: false,
    };
  });
  return { dumped: summary.dumped, skipped: summary.skipped, notWritten: [], maxReason: image.backend.maxReason, records, formatted: [] };
}

function describe(r: DumpedRecord): string {
  if (r.overwritten) return `${r.name} (${r.zone} at 0x${r.offset.toString(16)}): written, then overwritten by a later dump`;
  const how = r.compressed ? `${r.compression ?? 'compressed, not readable'}-compressed, ${r.size} bytes of text` : 'uncompressed';
  return `${r.name}: ${r.header ?? '?'}, ${r.stored} bytes ${r.zone.startsWith('variable ') ? 'of data' : 'in the zone'} (${how}) in ${r.zone} at 0x${r.offset.toString(16)}`;
}

export async function dumpCommand(imagePath: string, flags: DumpFlags, io: CliIo): Promise<number> {
  const plan = await prepareDump(flags, io.now());
  const report = withImageFile(imagePath, flags, io, (region, target) =>
    target.kind === 'blk'
      ? dumpBlkRegion(region, target.options, plan, io)
      : target.kind === 'efi'
        ? dumpEfiRegion(region, target.options, plan)
        : dumpRegion(region, target.options, plan),
  );
  const kind = resolveBackend(flags);
  const backend = kind === 'blk' ? 'pstore_blk' : kind === 'efi' ? 'efi-pstore' : 'ramoops';
  if (report.formatted.length) io.stderr(`pstore: --force: formatted ${report.formatted.join(', ')}\n`);
  for (const reason of report.skipped) {
    io.stderr(`pstore: warning: --reason ${kmsgDumpReasonString(reason).toLowerCase()} skipped: max_reason ${report.maxReason} does not admit it (the kernel would not call ${backend}; raise --max-reason)\n`);
  }
  if (report.notWritten.length) {
    const names = report.notWritten.map((r) => kmsgDumpReasonString(r).toLowerCase()).join(', ');
    io.stderr(
      `pstore: warning: not written: ${names} (best-effort pstore/blk has no panic_write: the kernel keeps a panic dump, and anything after it, in memory only; a device with panic_write: "best_effort": "n" in --params)\n`,
    );
  }
  for (const r of report.records) io.stdout(describe(r) + '\n');
  if (report.dumped > report.notWritten.length && !report.records.length) io.stderr('pstore: warning: the dumps wrote nothing (no dmesg zone took a record)\n');
  return 0;
}

const DUMP_HELP = `
Log lines in dmesg ('[   12.345678] text'), syslog ('<6>[   12.345678] text',
dmesg -r) or plain form (taken at the default level) fill the log buffer; then
each --reason, in order, is one kmsg_dump: the first lands in dmesg zone 0 as
after a boot, with the header '<Reason>#<count> Part1'. Reasons above
max_reason are skipped with a warning, as the kernel skips them.
--compress defaults to none (the kernel's bytes exactly); kernels 6.6+
(--kernel 6.12) accept deflate or none only. Input is read and checked before
the image is opened; writes are in place, then fdatasync.

Examples:
  $ pstore create ramoops.bin --mem-size 1M --record-size 64K --ecc 16
  $ dmesg -r | pstore dump ramoops.bin --reason panic --log - --mem-size 1M --record-size 64K --ecc 16
  $ pstore dump ramoops.bin --params ramoops.json --reason oops --reason panic --log crash.txt --time 1704067202.372553 --compress deflate
  $ pstore dump disk.img --backend blk --kmsg-size 64 --reason oops --reason panic --log crash.txt

With --backend efi each dump part becomes a UEFI variable
dump-type0-<part>-<count>-<seconds>-<C|D> appended to the variable store as
the firmware stores Linux's writes; a store without room for the whole dump
(efi-pstore keeps 5 KiB free) or a damaged one is refused, unchanged.
  $ pstore dump OVMF_VARS.fd --backend efi --reason panic --log crash.txt --compress deflate

With --backend blk the dumps go to kmsg zones as pstore/zone writes them.
Best-effort pstore/blk (a plain block device) has no panic_write: a panic
dump, and any dump after it, never reaches the device; they are listed as
not written.
`;

export function registerDump(program: Command, io: CliIo, done: (code: number) => void): void {
  const cmd = program
    .command('dump')
    .description('write kmsg dumps (panic, oops, ...) of log lines, as the kernel does on a crash')
    .argument('<image>', 'ramoops region or pstore/blk device image (--backend blk) to write in place')
    .addOption(
      new Option('--reason <reason>', 'panic, oops, emergency or shutdown; repeat for several dumps in one boot').argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]),
    )
    .option('--log <file>', "kernel log lines ('-' = stdin)")
    .option('--time <sec.usec>', 'record time, seconds since the epoch (default: now)')
    .option('--count <n>', 'the #N of the first dump: the per-boot oops count (default 1)')
    .addOption(new Option('--compress <algorithm>', 'pstore.compress (default none: the kernel\'s bytes exactly)').choices(['none', ...compressorNames]))
    .option('--kmsg-bytes <n>', `pstore.kmsg_bytes (default ${DEFAULT_KMSG_BYTES})`)
    .option('--always-kmsg-dump', 'printk.always_kmsg_dump');
  addForceOption(cmd, WRITE_FORCE_HELP);
  addLayoutOptions(cmd);
  cmd.addHelpText('after', DUMP_HELP);
  cmd.action(async (image: string, flags: DumpFlags) => done(await dumpCommand(image, flags, io)));
}
