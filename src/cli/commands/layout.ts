/**
 * `pstore layout`: the zone map ramoops_probe builds from the parameters, and
 * the same layout as a device-tree reserved-memory node or a kernel command line.
 */
import type { Command } from 'commander';
import { blkDefaultParams } from '../../api/blkImage.js';
import { blkLayout, blkParamsFromKiB, blkSizeFromKiB, PSZ_MAX_TOTAL_SIZE, type BlkLayout, type BlkModuleParams } from '../../backends/blk/layout.js';
import { kernelProfile } from '../../backends/ramoops/kernelProfile.js';
import { ramoopsLayout, RAMOOPS_DEFAULTS, type RamoopsLayout, type RamoopsParams } from '../../backends/ramoops/layout.js';
import { UsageError } from '../../errors.js';
import { openImageFile } from '../../node/fileRegion.js';
import { hex, table } from '../format.js';
import type { CliIo } from '../io.js';
import { addLayoutOptions, blkImageOptions, resolveBackend, resolveLayout, type LayoutFlags } from '../layoutOptions.js';

export interface LayoutCmdFlags extends LayoutFlags {
  json?: boolean;
  dts?: boolean;
  cmdline?: boolean;
  /** pstore_blk.blkdev for --cmdline (blk). */
  blkdev?: string;
}

/** Where --dts and --cmdline put the region when no address is given (QEMU-friendly, below 4 GiB). */
export const DEFAULT_MEM_ADDRESS = 0x10000000;

export interface ZoneMapEntry {
  type: string;
  index: number;
  label: string;
  offset: number;
  size: number;
  /** Ring bytes (prz->buffer_size). */
  data_size: number;
  /** ECC parity bytes, blocks and header. */
  parity_size: number;
  ecc_blocks: number;
}

export function zoneMap(layout: RamoopsLayout): ZoneMapEntry[] {
  return layout.zones.map((z) => ({
    type: z.type,
    index: z.index,
    label: z.label,
    offset: z.offset,
    size: z.size,
    data_size: z.geometry.dataSize,
    parity_size: z.geometry.eccSize ? (z.geometry.eccBlocks + 1) * z.geometry.eccSize : 0,
    ecc_blocks: z.geometry.eccBlocks,
  }));
}

/** `1M`, `64K` or hex: memparse syntax. */
function memSize(n: number): string {
  if (n && n % (1 << 20) === 0) return `${n >>> 20}M`;
  if (n && n % 1024 === 0) return `${n / 1024}K`;
  return hex(n);
}

/** The reserved-memory node (Documentation/devicetree/bindings/reserved-memory/ramoops.yaml). */
export function layoutDts(layout: RamoopsLayout, address: number): string {
  const p = layout.params;
  const cell = (n: number): string => `${hex(Math.floor(n / 2 ** 32))} ${hex(n % 2 ** 32)}`;
  const lines = [
    `/* ramoops: ${layout.zones.length} zones, ${hex(p.mem_size)} bytes at ${hex(address)} (pstore layout) */`,
    'reserved-memory {',
    '\t#address-cells = <2>;',
    '\t#size-cells = <2>;',
    '\tranges;',
    '',
    `\tramoops@${address.toString(16)} {`,
    '\t\tcompatible = "ramoops";',
    `\t\treg = <${cell(address)} ${cell(p.mem_size)}>;`,
    `\t\trecord-size = <${hex(p.record_size)}>;`,
    `\t\tconsole-size = <${hex(p.console_size)}>;`,
    `\t\tftrace-size = <${hex(p.ftrace_size)}>;`,
    `\t\tpmsg-size = <${hex(p.pmsg_size)}>;`,
    `\t\tecc-size = <${p.ecc}>;`,
    `\t\tmax-reason = <${p.max_reason}>;`,
  ];
  // Module parameters always split ftrace per CPU; a DT node must ask for it.
  if (p.ftrace_size && layout.ftracePerCpu) lines.push('\t\tflags = <0x1>; /* RAMOOPS_FLAG_FTRACE_PER_CPU */');
  lines.push('\t};', '};');
  return lines.join('\n') + '\n';
}

/** Kernel command line: memmap reservation (x86) plus the ramoops module parameters. */
export function layoutCmdline(layout: RamoopsLayout, address: number): string {
  const p = layout.params;
  return (
    [
      `memmap=${memSize(p.mem_size)}$${hex(address)}`,
      `ramoops.mem_address=${hex(address)}`,
      `ramoops.mem_size=${hex(p.mem_size)}`,
      `ramoops.record_size=${hex(p.record_size)}`,
      `ramoops.console_size=${hex(p.console_size)}`,
      `ramoops.ftrace_size=${hex(p.ftrace_size)}`,
      `ramoops.pmsg_size=${hex(p.pmsg_size)}`,
      `ramoops.ecc=${p.ecc}`,
      `ramoops.max_reason=${p.max_reason}`,
    ].join(' ') + '\n'
  );
}

export function layoutJson(layout: RamoopsLayout): object {
  return {
    params: layout.params,
    kernel: layout.kernel.name,
    zone_order: layout.kernel.zoneOrder,
    arch: layout.arch.name,
    ftrace_cpus: layout.ftraceCpus,
    dmesg_zones: layout.dmesgCount,
    ftrace_zones: layout.ftraceCount,
    bufsize: layout.bufsize,
    used: layout.used,
    unused: layout.params.mem_size - layout.used,
    zones: zoneMap(layout),
    warnings: layout.warnings,
  };
}

/** IMAGE size minus --offset: the region (or device) size when no --mem-size is given. */
function sizeFromImage(imagePath: string, offset: number): number {
  const f = openImageFile(imagePath);
  let size: number;
  try {
    size = f.size - offset;
  } finally {
    f.close();
  }
  if (size <= 0) throw new UsageError(`--offset ${hex(offset)} is beyond the end of '${imagePath}'`);
  return size;
}

export function layoutCommand(imagePath: string | undefined, flags: LayoutCmdFlags, io: CliIo): number {
  const modes = [flags.json, flags.dts, flags.cmdline].filter(Boolean).length;
  if (modes > 1) throw new UsageError('choose one of --json, --dts, --cmdline');
  if (resolveBackend(flags) === 'blk') return blkLayoutCommand(imagePath, flags, io);
  if (flags.blkdev !== undefined) throw new UsageError('--blkdev is a pstore_blk parameter (use --backend blk)');
  const r = resolveLayout(flags);
  let memSizeParam = r.params.mem_size;
  if (memSizeParam === undefined && imagePath) memSizeParam = sizeFromImage(imagePath, r.offset);
  if (memSizeParam === undefined) throw new UsageError('layout needs --mem-size (or --params with mem_size, or an IMAGE)');
  const params: RamoopsParams = { ...RAMOOPS_DEFAULTS, ...r.params, mem_size: memSizeParam };
  const layout = ramoopsLayout({ params, kernel: r.kernel, arch: r.arch, ftraceCpus: r.ftraceCpus });
  for (const w of layout.warnings) io.stderr(`pstore: warning: ${w}\n`);

  if (flags.dts || flags.cmdline) {
    let address = r.params.mem_address;
    if (address === undefined) {
      address = DEFAULT_MEM_ADDRESS;
      io.stderr(`pstore: note: no --mem-address given; using ${hex(address)} (it must be RAM the kernel does not otherwise use)\n`);
    }
    if (address % 4096) io.stderr(`pstore: warning: mem_address ${hex(address)} is not page aligned: the kernel maps whole pages\n`);
    if (flags.dts) io.stdout(layoutDts(layout, address));
    else {
      io.stdout(layoutCmdline(layout, address));
      io.stderr("pstore: note: memmap=SIZE$ADDR reserves the RAM on x86; in GRUB write '\\$'. Elsewhere reserve it in the device tree (--dts)\n");
    }
    return 0;
  }
  if (flags.json) {
    io.stdout(JSON.stringify(layoutJson(layout), null, 2) + '\n');
    return 0;
  }
  const p = layout.params;
  io.stdout(
    `ramoops layout: mem_size ${hex(p.mem_size)}, record_size ${hex(p.record_size)}, console_size ${hex(p.console_size)}, ` +
      `ftrace_size ${hex(p.ftrace_size)}, pmsg_size ${hex(p.pmsg_size)}, ecc ${p.ecc}, max_reason ${p.max_reason}; ` +
      `kernel ${layout.kernel.name} (${layout.kernel.zoneOrder}), ${layout.arch.name}\n`,
  );
  io.stdout(
    table(
      ['OFFSET', 'SIZE', 'DATA', 'PARITY', 'LABEL'],
      zoneMap(layout).map((z) => [hex(z.offset), hex(z.size), String(z.data_size), String(z.parity_size), z.label]),
      [2, 3],
    ),
  );
  io.stdout(`${layout.zones.length} zones, ${hex(layout.used)} of ${hex(p.mem_size)} bytes used; dmesg record buffer ${layout.bufsize} bytes\n`);
  return 0;
}

// ---- pstore/blk (fs/pstore/zone.c register_pstore_zone, fs/pstore/blk.c) ----

const BLK_SIZE_KEYS = ['kmsg_size', 'pmsg_size', 'console_size', 'ftrace_size'] as const;

/**
 * What the kernel says about these parameters before it lays out zones:
 * blk.c's "must align to 4096" rounding (which turns the KiB *number* into
 * bytes), zone.c's 128 MiB cap, and an ftrace split that makes more zones
 * than CPUs.
 */
export function blkLayoutWarnings(params: Required<BlkModuleParams>, totalSize: number, layout: BlkLayout): string[] {
  const out: string[] = [];
  for (const k of BLK_SIZE_KEYS) {
    const kib = params[k];
    if (kib > 0 && (kib * 1024) % 4096) {
      const bytes = blkSizeFromKiB(kib);
      out.push(`${k}=${kib} is not a multiple of 4 KiB: pstore_blk logs "${k} must align to 4096" and uses ALIGN(${kib}, 4096) = ${bytes} bytes (${bytes / 1024} KiB), not ${Math.ceil(kib / 4) * 4} KiB`);
    }
  }
  if (totalSize > PSZ_MAX_TOTAL_SIZE) out.push(`device of ${hex(totalSize)} bytes: pstore/zone logs "capping size to 128MiB" and uses only the first ${hex(PSZ_MAX_TOTAL_SIZE)} bytes`);
  if (layout.ftrace.length > layout.ftraceCpus) {
    out.push(`ftrace_size ${layout.sizes.ftrace} split over ${layout.ftraceCpus} CPUs gives zones of ${layout.ftrace[0].size} bytes, so ${layout.ftrace.length} ftrace zones (the kernel counts area / zone size)`);
  }
  if (layout.sizes.ftrace && layout.ftrace.length === 0) out.push(`ftrace_size ${layout.sizes.ftrace} is smaller than one byte per CPU: no ftrace zone`);
  if (layout.unused >= 4096) out.push(`${hex(layout.unused)} bytes at the end of the device are not used by any zone`);
  return out;
}

export function blkLayoutJson(layout: BlkLayout, params: Required<BlkModuleParams>, kernel: string, warnings: string[]): object {
  return {
    backend: 'blk',
    params,
    kernel,
    total_size: layout.totalSize,
    ftrace_cpus: layout.ftraceCpus,
    sizes: layout.sizes,
    kmsg_zones: layout.kmsg.length,
    ftrace_zones: layout.ftrace.length,
    unused: layout.unused,
    zones: layout.zones.map((z) => ({ type: z.type, index: z.index, label: z.label, offset: z.offset, size: z.size, data_size: z.bufferSize, sig: z.sig })),
    warnings,
  };
}

/** The pstore_blk module parameters on a kernel command line (Documentation/admin-guide/pstore-blk.rst). */
export function blkLayoutCmdline(params: Required<BlkModuleParams>, blkdev: string): string {
  const kib = (v: number): number => (v > 0 ? v : 0);
  return (
    [
      `pstore_blk.blkdev=${blkdev}`,
      `pstore_blk.kmsg_size=${kib(params.kmsg_size)}`,
      `pstore_blk.pmsg_size=${kib(params.pmsg_size)}`,
      `pstore_blk.console_size=${kib(params.console_size)}`,
      `pstore_blk.ftrace_size=${kib(params.ftrace_size)}`,
      `pstore_blk.max_reason=${params.max_reason}`,
      'pstore_blk.best_effort=y',
    ].join(' ') + '\n'
  );
}

/** Placeholder for --cmdline when no --blkdev is given. */
export const BLKDEV_PLACEHOLDER = 'BLKDEV';

function blkLayoutCommand(imagePath: string | undefined, flags: LayoutCmdFlags, io: CliIo): number {
  if (flags.dts) throw new UsageError('--dts is for ramoops: pstore/blk has no device-tree node (it is configured by the pstore_blk module parameters: use --cmdline)');
  if (flags.memAddress !== undefined) throw new UsageError('--mem-address is a ramoops parameter; pstore/blk uses a block device (--blkdev with --cmdline)');
  const opts = blkImageOptions(flags);
  const offset = opts.offset ?? 0;
  const total = opts.deviceSize ?? (imagePath ? sizeFromImage(imagePath, offset) : undefined);
  if (total === undefined) throw new UsageError('layout --backend blk needs the device size: --mem-size (bytes) or an IMAGE');
  const kernel = kernelProfile(opts.kernel);
  const params: Required<BlkModuleParams> = { ...blkDefaultParams(kernel) };
  for (const [k, v] of Object.entries(opts.params ?? {}) as [keyof BlkModuleParams, number | undefined][]) if (v !== undefined) params[k] = v;
  const layout = blkLayout(blkParamsFromKiB(params, total, opts.ftraceCpus ?? 1));
  const warnings = blkLayoutWarnings(params, total, layout);
  for (const w of warnings) io.stderr(`pstore: warning: ${w}\n`);

  if (flags.cmdline) {
    let dev = flags.blkdev;
    if (dev === undefined) {
      dev = BLKDEV_PLACEHOLDER;
      io.stderr(`pstore: note: no --blkdev given; replace ${BLKDEV_PLACEHOLDER} with the partition pstore/blk may overwrite (e.g. /dev/vdb, PARTUUID=…)\n`);
    }
    io.stdout(blkLayoutCmdline(params, dev));
    io.stderr('pstore: note: best_effort=y uses the generic block driver, which has no panic_write: Oopses are stored, panics are not\n');
    return 0;
  }
  if (flags.json) {
    io.stdout(JSON.stringify(blkLayoutJson(layout, params, kernel.name, warnings), null, 2) + '\n');
    return 0;
  }
  io.stdout(
    `pstore/blk layout: device ${hex(layout.totalSize)} bytes, kmsg_size ${params.kmsg_size}, pmsg_size ${params.pmsg_size}, console_size ${params.console_size}, ` +
      `ftrace_size ${params.ftrace_size} (KiB), max_reason ${params.max_reason}; kernel ${kernel.name}${layout.ftrace.length ? `, ${layout.ftraceCpus} CPU${layout.ftraceCpus === 1 ? '' : 's'}` : ''}\n`,
  );
  io.stdout(table(['OFFSET', 'SIZE', 'DATA', 'LABEL'], layout.zones.map((z) => [hex(z.offset), hex(z.size), String(z.bufferSize), z.label]), [2]));
  io.stdout(`${layout.zones.length} zones (${layout.kmsg.length} kmsg), ${hex(layout.totalSize - layout.unused)} of ${hex(layout.totalSize)} bytes used\n`);
  return 0;
}

export function registerLayout(program: Command, io: CliIo, done: (code: number) => void): void {
  const cmd = program
    .command('layout')
    .description('show the zone map the kernel builds for these parameters (or as a DT node / command line)')
    .argument('[image]', 'optional: take mem_size from this file')
    .option('--json', 'zone map as JSON')
    .option('--dts', 'device-tree reserved-memory ramoops node')
    .option('--cmdline', 'kernel command line (memmap= and ramoops.* parameters; blk: pstore_blk.* parameters)')
    .option('--blkdev <device>', 'blk: pstore_blk.blkdev for --cmdline (e.g. /dev/vdb)');
  addLayoutOptions(cmd, true);
  cmd.action((image: string | undefined, flags: LayoutCmdFlags) => done(layoutCommand(image, flags, io)));
}
