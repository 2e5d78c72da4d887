/**
 * `pstore layout`: the zone map ramoops_probe builds from the parameters, and
 * the same layout as a device-tree reserved-memory node or a kernel command line.
 */
import type { Command } from 'commander';
import { ramoopsLayout, RAMOOPS_DEFAULTS, type RamoopsLayout, type RamoopsParams } from '../../backends/ramoops/layout.js';
import { UsageError } from '../../errors.js';
import { openImageFile } from '../../node/fileRegion.js';
import { hex, table } from '../format.js';
import type { CliIo } from '../io.js';
import { addLayoutOptions, resolveLayout, type LayoutFlags } from '../layoutOptions.js';

export interface LayoutCmdFlags extends LayoutFlags {
  json?: boolean;
  dts?: boolean;
  cmdline?: boolean;
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

export function layoutCommand(imagePath: string | undefined, flags: LayoutCmdFlags, io: CliIo): number {
  const modes = [flags.json, flags.dts, flags.cmdline].filter(Boolean).length;
  if (modes > 1) throw new UsageError('choose one of --json, --dts, --cmdline');
  const r = resolveLayout(flags);
  let memSizeParam = r.params.mem_size;
  if (memSizeParam === undefined && imagePath) {
    const f = openImageFile(imagePath);
    try {
      memSizeParam = f.size - r.offset;
    } finally {
      f.close();
    }
    if (memSizeParam <= 0) throw new UsageError(`--offset ${hex(r.offset)} is beyond the end of '${imagePath}'`);
  }
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

export function registerLayout(program: Command, io: CliIo, done: (code: number) => void): void {
  const cmd = program
    .command('layout')
    .description('show the zone map the kernel builds for these parameters (or as a DT node / command line)')
    .argument('[image]', 'optional: take mem_size from this file')
    .option('--json', 'zone map as JSON')
    .option('--dts', 'device-tree reserved-memory ramoops node')
    .option('--cmdline', 'kernel command line (memmap= and ramoops.* parameters)');
  addLayoutOptions(cmd, true);
  cmd.action((image: string | undefined, flags: LayoutCmdFlags) => done(layoutCommand(image, flags, io)));
}
