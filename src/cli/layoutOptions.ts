/**
 * The layout flags every image command shares, and the one place that turns
 * them (plus `--params FILE.json`) into RamoopsImage or BlkImage options.
 * Precedence: explicit flags, then the JSON file, then the module defaults;
 * mem_size defaults to the file size minus --offset. `--backend blk` reads
 * the sizes as pstore_blk's KiB parameters.
 */
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import type { BlkImageOptions } from '../api/blkImage.js';
import type { EfiImageOptions } from '../api/efiImage.js';
import type { ExplicitImageOptions } from '../api/openImage.js';
import type { RamoopsImageOptions } from '../api/ramoopsImage.js';
import type { BlkModuleParams } from '../backends/blk/layout.js';
import { ARCH_NAMES } from '../backends/ramoops/arch.js';
import { DEFAULT_KERNEL, withFrontends } from '../core/kernel.js';
import type { RamoopsParams } from '../backends/ramoops/layout.js';
import { paramsFromObject, parseSize } from '../backends/ramoops/params.js';
import { compressorNames } from '../core/compress/registry.js';
import { SymbolMap } from '../core/ftrace.js';
import { PstoreError, UsageError } from '../errors.js';
import { describeFsError } from '../node/fileRegion.js';
import { openImagePath, type OpenedPstoreFile } from '../node/openImagePath.js';
import { scanFile } from '../node/scanFile.js';
import { chooseLayout } from '../scan/chooseLayout.js';
import type { EfiScanRegion } from '../scan/efiStores.js';
import type { BlkScanRegion, ScanRegion } from '../scan/index.js';
import { hex } from './format.js';

/** Raw layout flags as commander hands them over (strings, unparsed). */
export interface LayoutFlags {
  memSize?: string;
  recordSize?: string;
  consoleSize?: string;
  ftraceSize?: string;
  pmsgSize?: string;
  ecc?: string;
  maxReason?: string;
  ftraceCpus?: string;
  kernel?: string;
  /** The build's frontends (`dmesg,console,pmsg,ftrace`); travels inside the kernel spec. */
  frontends?: string;
  arch?: string;
  offset?: string;
  params?: string;
  memAddress?: string;
  /** ramoops (default) or blk (pstore/zone on a block device). */
  backend?: string;
  /** pstore_blk kmsg_size, KiB. */
  kmsgSize?: string;
  /** Infer the layout by scanning the file (`--auto`); only --kernel may be given with it. */
  auto?: boolean;
}

/** The reading kernel's view: decompression, symbols, ftrace walk. */
export interface ReadFlags {
  compress?: RamoopsImageOptions['compress'];
  systemMap?: string;
  ftraceWalk?: 'kernel' | 'correct';
}

const LAYOUT_GROUP =
  'Layout options (as the ramoops module parameters; numbers: 4096, 0x1000, 4K, 1M; with --backend blk the sizes are KiB as the pstore_blk parameters):';
const READ_GROUP = 'Reading kernel options:';

const FLAG_TO_PARAM = [
  ['memSize', 'mem_size', '--mem-size'],
  ['recordSize', 'record_size', '--record-size'],
  ['consoleSize', 'console_size', '--console-size'],
  ['ftraceSize', 'ftrace_size', '--ftrace-size'],
  ['pmsgSize', 'pmsg_size', '--pmsg-size'],
  ['ecc', 'ecc', '--ecc'],
  ['maxReason', 'max_reason', '--max-reason'],
  ['memAddress', 'mem_address', '--mem-address'],
] as const satisfies ReadonlyArray<readonly [keyof LayoutFlags, keyof RamoopsParams, string]>;

/** Adds the layout flags to a command. `withAddress` adds --mem-address (layout output). */
export function addLayoutOptions(cmd: Command, withAddress = false): Command {
  const opts: Option[] = [
    new Option(
      '--backend <kind>',
      "ramoops (persistent RAM, default), blk (pstore/blk zones on a disk or flash image; default blk when --params has only a pstore_blk section) or efi (efi-pstore variables in a UEFI variable store: OVMF_VARS.fd, libvirt NVRAM, a flash dump)",
    ).choices(['ramoops', 'blk', 'efi']),
    new Option('--mem-size <size>', 'region size (blk: device size in bytes) (default: file size minus --offset)'),
    new Option('--record-size <size>', 'dmesg record size (default 4K; efi: efi_pstore.record_size of 6.3+, default and minimum 1024)'),
    new Option('--kmsg-size <KiB>', 'blk: kmsg_size, one dump zone, in KiB (default 64; 0 off)'),
    new Option('--console-size <size>', 'console zone size (default 4K; blk: KiB, default 64, 0 off)'),
    new Option('--ftrace-size <size>', 'ftrace area size (default 4K; blk: KiB, default 64, 0 off)'),
    new Option('--pmsg-size <size>', 'pmsg zone size (default 4K; blk: KiB, default 64, 0 off)'),
    new Option('--ecc <bytes>', 'ECC parity bytes per 128-byte block; 0 off, 1 means 16 (default 0; ramoops only)'),
    new Option('--max-reason <n>', 'highest kmsg_dump reason stored (default 2)'),
    new Option('--ftrace-cpus <n>', 'CPUs of the crashed kernel: one ftrace zone each (default 1)'),
    new Option(
      '--kernel <version>',
      `kernel version (6.1, 6.12, 6.12.107, …; default ${DEFAULT_KERNEL}) or distribution kernel (debian-6.1, debian-6.12: built without console, pmsg and ftrace frontends)`,
    ),
    new Option(
      '--frontends <list>',
      "the frontends the kernel was built with: dmesg,console,pmsg,ftrace (default all; 'dmesg' alone = Debian's). Without ftrace no ftrace file is shown from per-CPU zones; blk: missing frontends' zone sizes default to 0",
    ),
    new Option('--arch <name>', `architecture of the crashed kernel (${ARCH_NAMES.join(', ')}; default x86_64)`),
    new Option('--offset <bytes>', 'where the region starts inside the file (memory dumps; default 0)'),
    new Option('--params <file.json>', 'parameters as JSON, keys = module parameter names (mem_size, record_size, ...)'),
  ];
  if (withAddress) opts.push(new Option('--mem-address <addr>', 'physical address of the region (--dts, --cmdline)'));
  for (const o of opts) cmd.addOption(o.helpGroup(LAYOUT_GROUP));
  return cmd;
}

/** Adds the options of a reading kernel (read commands only). */
export function addReadOptions(cmd: Command): Command {
  cmd.addOption(
    new Option(
      '--compress <algorithm>',
      "the reading kernel's compressor ('auto' tries each and `ls` shows which worked; lz4hc records show as lz4, the same block format; 'none': compressed records stay .enc.z)",
    )
      .choices(['auto', 'none', ...compressorNames])
      .default('auto')
      .helpGroup(READ_GROUP),
  );
  cmd.addOption(new Option('--system-map <file>', 'System.map of the crashed kernel: ftrace addresses as symbols').helpGroup(READ_GROUP));
  cmd.addOption(
    new Option('--ftrace-walk <walk>', "ftrace decode: 'kernel' = as /sys/fs/pstore shows it (default; for cat: 'correct'), 'correct' = without the kernel's ECC-notice shift")
      .choices(['kernel', 'correct'])
      .helpGroup(READ_GROUP),
  );
  return cmd;
}

/** What the layout flags and the params file resolve to. */
export interface ResolvedLayout {
  /** Explicitly given parameters; missing ones take defaults later. */
  params: Partial<RamoopsParams>;
  kernel?: string;
  /** A params file's `frontends` (folded into kernel by resolveLayout). */
  frontends?: string;
  arch?: string;
  ftraceCpus?: number;
  offset: number;
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const err = describeFsError(e, `read ${what}`, path);
    throw err instanceof PstoreError ? new UsageError(err.message) : err;
  }
}

/**
 * Reads a params JSON file: module parameter names, optionally wrapped in
 * `{"ramoops": {...}}` as the fixtures are. Fixture keys `kernel_profile`,
 * `arch` and `ftrace_cpus` are honoured too.
 */
export function readParamsFile(path: string): ResolvedLayout {
  const text = readText(path, '--params');
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--params '${path}': not valid JSON (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
  }
  const params = paramsFromObject(obj, `--params ${path}`);
  const src = obj as Record<string, unknown>;
  const str = (k: string): string | undefined => (typeof src[k] === 'string' ? (src[k] as string) : undefined);
  const out: ResolvedLayout = { params, offset: 0 };
  const kp = str('kernel_profile');
  if (kp) out.kernel = kp;
  const fe = frontendsKey(src, path);
  if (fe !== undefined) out.frontends = fe;
  const arch = str('arch');
  if (arch) out.arch = arch;
  // Fixtures write ftrace_cpus 0 when there is no ftrace area: that means "not given".
  if ((typeof src.ftrace_cpus === 'number' && src.ftrace_cpus > 0) || (typeof src.ftrace_cpus === 'string' && src.ftrace_cpus !== '0')) out.ftraceCpus = parseSize(src.ftrace_cpus, `--params ${path}: ftrace_cpus`);
  return out;
}

/** A params file's `frontends`: `"dmesg,console"` or `["dmesg", "console"]`. */
function frontendsKey(src: Record<string, unknown>, path: string): string | undefined {
  const section = (k: string): Record<string, unknown> => (src[k] && typeof src[k] === 'object' ? (src[k] as Record<string, unknown>) : {});
  const v = src.frontends ?? section('ramoops').frontends ?? section('pstore_blk').frontends;
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.join(',');
  throw new UsageError(`--params ${path}: frontends: expected "dmesg,console,pmsg,ftrace" or a list of those names`);
}

/** Flags over the params file over defaults. */
export function resolveLayout(flags: LayoutFlags): ResolvedLayout {
  if (flags.kmsgSize !== undefined) throw new UsageError('--kmsg-size is a pstore_blk parameter (use --backend blk); ramoops sizes its dump zones with --record-size');
  const base: ResolvedLayout = flags.params ? readParamsFile(flags.params) : { params: {}, offset: 0 };
  const params: Partial<RamoopsParams> = { ...base.params };
  for (const [flag, key, name] of FLAG_TO_PARAM) {
    const v = flags[flag];
    if (v !== undefined) params[key] = parseSize(v, name);
  }
  const ftraceCpus = flags.ftraceCpus !== undefined ? parseSize(flags.ftraceCpus, '--ftrace-cpus') : base.ftraceCpus;
  if (ftraceCpus !== undefined && (ftraceCpus < 1 || ftraceCpus > 8192)) throw new UsageError(`--ftrace-cpus: ${ftraceCpus} is not 1..8192`);
  return {
    params,
    kernel: withFrontends(flags.kernel ?? base.kernel, flags.frontends ?? base.frontends),
    arch: flags.arch ?? base.arch,
    ftraceCpus,
    offset: flags.offset !== undefined ? parseSize(flags.offset, '--offset') : 0,
  };
}

function loadSymbols(path: string | undefined): SymbolMap | null {
  if (!path) return null;
  const map = SymbolMap.parse(readText(path, '--system-map'));
  if (!map.size) throw new UsageError(`--system-map '${path}': no symbols found (expected 'ADDRESS TYPE NAME' lines)`);
  return map;
}

/**
 * Which backend the flags name: `--backend`, else blk when the params file
 * has a `pstore_blk` section and no `ramoops` one, else ramoops.
 */
export function resolveBackend(flags: LayoutFlags): 'ramoops' | 'blk' | 'efi' {
  if (flags.backend !== undefined) {
    if (flags.backend !== 'ramoops' && flags.backend !== 'blk' && flags.backend !== 'efi') throw new UsageError(`--backend: '${flags.backend}' is not ramoops, blk or efi`);
    return flags.backend;
  }
  if (!flags.params) return 'ramoops';
  const obj = parseJsonFile(flags.params);
  return obj && typeof obj === 'object' && 'pstore_blk' in obj && !('ramoops' in obj) ? 'blk' : 'ramoops';
}

function parseJsonFile(path: string): unknown {
  const text = readText(path, '--params');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--params '${path}': not valid JSON (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
  }
}

const BLK_KEYS = ['kmsg_size', 'pmsg_size', 'console_size', 'ftrace_size', 'max_reason'] as const;

/**
 * A pstore_blk size in KiB as the module takes it. A bare number is KiB
 * (`64`); with a K/M/G suffix it is bytes and must be whole KiB (`64K`, `1M`).
 */
export function parseKiB(text: string | number, what: string): number {
  if (typeof text === 'string' && /[kmgt]/i.test(text) && !/^\s*0x/i.test(text)) {
    const bytes = parseSize(text, what);
    if (bytes % 1024) throw new UsageError(`${what}: '${text}' is not a whole number of KiB`);
    return bytes / 1024;
  }
  return parseSize(text, what);
}

/**
 * pstore_blk parameters from a params file: the `pstore_blk` section of a
 * fixture's params.json, or the module parameter names at the top level.
 * `best_effort` n means the device has a panic_write.
 */
export function readBlkParamsFile(path: string): { params: BlkModuleParams; kernel?: string; frontends?: string; arch?: string; ftraceCpus?: number; panicWrite?: boolean } {
  const obj = parseJsonFile(path);
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new UsageError(`--params ${path}: expected a JSON object`);
  const src = obj as Record<string, unknown>;
  const inner = src.pstore_blk && typeof src.pstore_blk === 'object' ? (src.pstore_blk as Record<string, unknown>) : src;
  const params: BlkModuleParams = {};
  for (const k of BLK_KEYS) {
    const raw = inner[k];
    if (raw === undefined) continue;
    if (typeof raw !== 'number' && typeof raw !== 'string') throw new UsageError(`--params ${path}: ${k}: expected a number`);
    // The module takes longs; negative means off, like 0.
    params[k] = typeof raw === 'number' && raw < 0 ? 0 : k === 'max_reason' ? parseSize(raw, `--params ${path}: ${k}`) : parseKiB(raw, `--params ${path}: ${k}`);
  }
  const out: ReturnType<typeof readBlkParamsFile> = { params };
  if (typeof src.kernel_profile === 'string') out.kernel = src.kernel_profile;
  const fe = frontendsKey(src, path);
  if (fe !== undefined) out.frontends = fe;
  if (typeof src.arch === 'string') out.arch = src.arch;
  if (typeof src.ftrace_cpus === 'number' && src.ftrace_cpus > 0) out.ftraceCpus = src.ftrace_cpus;
  const be = inner.best_effort;
  if (typeof be === 'string' || typeof be === 'boolean') out.panicWrite = !(be === true || /^[yY1]/.test(String(be)));
  return out;
}

/** BlkImage options for a command's flags (`--backend blk`). */
export function blkImageOptions(flags: LayoutFlags & ReadFlags): BlkImageOptions {
  for (const [flag, name] of [
    ['recordSize', '--record-size'],
    ['ecc', '--ecc'],
  ] as const) {
    if (flags[flag] !== undefined) throw new UsageError(`${name} is a ramoops parameter; pstore/blk has ${flag === 'ecc' ? 'no ECC' : '--kmsg-size (KiB)'}`);
  }
  const base = flags.params ? readBlkParamsFile(flags.params) : { params: {} as BlkModuleParams };
  const params: BlkModuleParams = { ...base.params };
  const kib = [
    ['kmsgSize', 'kmsg_size', '--kmsg-size'],
    ['pmsgSize', 'pmsg_size', '--pmsg-size'],
    ['consoleSize', 'console_size', '--console-size'],
    ['ftraceSize', 'ftrace_size', '--ftrace-size'],
  ] as const;
  for (const [flag, key, name] of kib) {
    const v = flags[flag];
    if (v !== undefined) params[key] = parseKiB(v, `${name} (KiB)`);
  }
  if (flags.maxReason !== undefined) params.max_reason = parseSize(flags.maxReason, '--max-reason');
  const ftraceCpus = flags.ftraceCpus !== undefined ? parseSize(flags.ftraceCpus, '--ftrace-cpus') : 'ftraceCpus' in base ? base.ftraceCpus : undefined;
  if (ftraceCpus !== undefined && (ftraceCpus < 1 || ftraceCpus > 8192)) throw new UsageError(`--ftrace-cpus: ${ftraceCpus} is not 1..8192`);
  return {
    params,
    kernel: withFrontends(flags.kernel ?? ('kernel' in base ? base.kernel : undefined), flags.frontends ?? ('frontends' in base ? base.frontends : undefined)),
    arch: flags.arch ?? ('arch' in base ? base.arch : undefined),
    ftraceCpus,
    offset: flags.offset !== undefined ? parseSize(flags.offset, '--offset') : 0,
    deviceSize: flags.memSize !== undefined ? parseSize(flags.memSize, '--mem-size') : undefined,
    compress: flags.compress ?? 'auto',
    symbols: loadSymbols(flags.systemMap),
    ftraceWalk: flags.ftraceWalk ?? 'kernel',
    panicWrite: 'panicWrite' in base ? base.panicWrite : undefined,
  };
}

/** Zone size flags shared by both backends' layouts (ramoops and pstore/blk). */
const ZONE_SIZE_FLAGS = [
  ['consoleSize', '--console-size'],
  ['ftraceSize', '--ftrace-size'],
  ['pmsgSize', '--pmsg-size'],
  ['ecc', '--ecc'],
  ['maxReason', '--max-reason'],
  ['ftraceCpus', '--ftrace-cpus'],
] as const satisfies ReadonlyArray<readonly [keyof LayoutFlags, string]>;

/** Flags that describe zone layouts: meaningless for a variable store. */
const EFI_FOREIGN = [
  ['memSize', '--mem-size'],
  ...ZONE_SIZE_FLAGS,
  ['kmsgSize', '--kmsg-size'],
  ['params', '--params'],
  ['arch', '--arch'],
  ['memAddress', '--mem-address'],
] as const satisfies ReadonlyArray<readonly [keyof LayoutFlags, string]>;

/** EfiImage options for a command's flags (`--backend efi`): the store's place and the reading kernel. */
export function efiImageOptions(flags: LayoutFlags & ReadFlags): EfiImageOptions {
  const given = EFI_FOREIGN.filter(([k]) => flags[k] !== undefined).map(([, name]) => name);
  if (given.length) throw new UsageError(`${given.join(', ')}: not an efi-pstore setting (a variable store has no zone layout; --backend efi takes --offset, --kernel and --record-size)`);
  return {
    kernel: flags.kernel,
    offset: flags.offset !== undefined ? parseSize(flags.offset, '--offset') : 0,
    recordSize: flags.recordSize !== undefined ? parseSize(flags.recordSize, '--record-size') : undefined,
    compress: flags.compress ?? 'auto',
  };
}

/** RamoopsImage options for a command's flags. */
export function imageOptions(flags: LayoutFlags & ReadFlags): RamoopsImageOptions {
  const backend = resolveBackend(flags);
  if (backend !== 'ramoops') throw new UsageError(`this command does not handle ${backend === 'blk' ? 'pstore/blk images (--backend blk)' : 'EFI variable stores (--backend efi)'} yet`);
  const r = resolveLayout(flags);
  return {
    params: r.params,
    kernel: r.kernel,
    arch: r.arch,
    ftraceCpus: r.ftraceCpus,
    offset: r.offset,
    compress: flags.compress ?? 'auto',
    symbols: loadSymbols(flags.systemMap),
    ftraceWalk: flags.ftraceWalk ?? 'kernel',
  };
}

/** The explicit layout the flags describe, as openImage takes it. */
export function explicitImageOptions(flags: LayoutFlags & ReadFlags): ExplicitImageOptions {
  const backend = resolveBackend(flags);
  if (backend === 'blk') return { backend: 'blk', ...blkImageOptions(flags) };
  if (backend === 'efi') return { backend: 'efi', ...efiImageOptions(flags) };
  return { backend: 'ramoops', ...imageOptions(flags) };
}

/**
 * Opens IMAGE as the backend the flags name (ramoops or pstore/blk): what
 * the read and write commands use. Discriminate on `image.kind`. With
 * `--auto` the layout comes from a scan of the file, and `note` hears what
 * was inferred. Layout warnings (rounding, unused space) go to `warn`.
 */
export function openPstoreImage(
  path: string,
  flags: LayoutFlags & ReadFlags,
  options: { write?: boolean; warn?: (msg: string) => void; note?: (msg: string) => void } = {},
): OpenedPstoreFile {
  if (flags.auto) {
    if (options.write) throw new UsageError('--auto is for reading; give the layout flags to write');
    const auto = autoLayout(path, flags);
    (options.note ?? options.warn)?.(auto.message);
    flags = auto.flags;
  }
  const opened = openImagePath(path, explicitImageOptions(flags), { write: options.write });
  if (options.warn) for (const w of opened.warnings) options.warn(w);
  return opened;
}

// ---- --auto: the layout from a scan of the file ----

/** Layout flags that --auto infers; giving one of them too is a usage error (--kernel overrides). */
const AUTO_CONFLICTS = [
  ['params', '--params'],
  ['backend', '--backend'],
  ['offset', '--offset'],
  ['memSize', '--mem-size'],
  ['recordSize', '--record-size'],
  ...ZONE_SIZE_FLAGS,
  ['arch', '--arch'],
  ['kmsgSize', '--kmsg-size'],
] as const satisfies ReadonlyArray<readonly [keyof LayoutFlags, string]>;

/** Adds `--auto` (read commands). */
export function addAutoOption(cmd: Command): Command {
  return cmd.addOption(
    new Option(
      '--auto',
      "infer the layout (ramoops: offset, sizes, ECC, kernel, ftrace CPUs; a pstore/blk device: offset, device and zone sizes; an EFI variable store: its offset) by scanning the file as `pstore scan` does, and say what was inferred; no other layout flag but --kernel and --frontends, which override the inferred kernel profile (e.g. debian-6.1, which a scan cannot tell from 6.1: an empty console/pmsg/ftrace zone looks the same whether or not the frontend was built)",
    ).helpGroup(LAYOUT_GROUP),
  );
}


/** The explicit flags that describe an inferred region (what --auto uses, and prints). */
export function regionLayoutFlags(r: ScanRegion, kernel?: string): LayoutFlags {
  const p = r.params;
  const flags: LayoutFlags = {
    offset: hex(r.offset),
    memSize: hex(p.mem_size),
    recordSize: hex(p.record_size),
    consoleSize: hex(p.console_size),
    ftraceSize: hex(p.ftrace_size),
    pmsgSize: hex(p.pmsg_size),
    ecc: String(p.ecc),
    kernel: kernel ?? r.kernel,
  };
  if (p.ftrace_size) flags.ftraceCpus = String(r.ftraceCpus);
  if (!r.littleEndian) flags.arch = r.arch;
  return flags;
}

/** The explicit flags for an inferred pstore/blk device (sizes in KiB, as pstore_blk takes them). */
export function blkRegionLayoutFlags(r: BlkScanRegion, kernel?: string): LayoutFlags {
  const p = r.params;
  const flags: LayoutFlags = {
    backend: 'blk',
    offset: hex(r.offset),
    memSize: hex(r.deviceSize),
    kmsgSize: String(p.kmsg_size),
    pmsgSize: String(p.pmsg_size),
    consoleSize: String(p.console_size),
    ftraceSize: String(p.ftrace_size),
    kernel: kernel ?? r.kernel,
  };
  if (p.ftrace_size) flags.ftraceCpus = String(r.ftraceCpus);
  if (!r.littleEndian) flags.arch = r.arch;
  return flags;
}

/** `--offset 0x… --mem-size 0x… …` for a flags object (the order `pstore scan` prints). */
export function formatLayoutFlags(flags: LayoutFlags): string {
  const order: [keyof LayoutFlags, string][] = [
    ['backend', '--backend'],
    ['offset', '--offset'],
    ['memSize', '--mem-size'],
    ['kmsgSize', '--kmsg-size'],
    ['recordSize', '--record-size'],
    ['consoleSize', '--console-size'],
    ['ftraceSize', '--ftrace-size'],
    ['pmsgSize', '--pmsg-size'],
    ['ecc', '--ecc'],
    ['kernel', '--kernel'],
    ['frontends', '--frontends'],
    ['ftraceCpus', '--ftrace-cpus'],
    ['arch', '--arch'],
  ];
  return order
    .filter(([k]) => flags[k] !== undefined)
    .map(([k, name]) => `${name} ${String(flags[k])}`)
    .join(' ');
}

export interface AutoLayout {
  /** A ramoops region, a pstore/blk device or an EFI variable store (`region.backend`). */
  region: ScanRegion | BlkScanRegion | EfiScanRegion;
  /** The flags the command then runs with: the inferred layout as explicit flags, plus its other flags. */
  flags: LayoutFlags;
  /** One line for stderr (no prefix, no newline): what was inferred and the equivalent flags. */
  message: string;
}

/**
 * `--auto`: scans PATH (streamed, constant memory) and turns the most
 * trusted ramoops region into explicit layout flags. Layout flags given
 * alongside are a usage error rather than silently mixed with inferred ones,
 * which could describe a layout that matches nothing; --kernel is the
 * exception and overrides only the kernel profile. Nothing convincing
 * found: a one-line PstoreError (exit 1).
 */
export function autoLayout<F extends LayoutFlags>(
  path: string,
  flags: F,
  options: { backends?: ReadonlyArray<'ramoops' | 'blk' | 'efi'> } = {},
): AutoLayout & { flags: F } {
  const backends = options.backends ?? ['ramoops', 'blk', 'efi'];
  const given = AUTO_CONFLICTS.filter(([k]) => flags[k] !== undefined).map(([, name]) => name);
  if (given.length) {
    throw new UsageError(`--auto infers the layout: drop ${given.join(', ')} (or drop --auto); only --kernel and --frontends may be given with --auto, to override the inferred kernel profile`);
  }
  let scan;
  try {
    scan = scanFile(path, { dumpName: path });
  } catch (e) {
    const err = describeFsError(e, 'read', path);
    throw err instanceof PstoreError ? err : e;
  }
  const chosen = chooseLayout(scan, { backends, dumpName: path });
  const best = chosen.region;
  const others = chosen.others;
  const tail = others > 0 ? `; ${others} other region${others === 1 ? '' : 's'} found (pstore scan lists them)` : '';
  if (best.backend === 'efi') {
    const layout: LayoutFlags = { backend: 'efi', offset: hex(best.offset) };
    if (flags.kernel !== undefined) layout.kernel = flags.kernel;
    const message =
      `--auto: EFI variable store at offset ${hex(best.offset)} (confidence ${best.confidence.toFixed(2)}): ` +
      `${best.kind === 'firmware-volume' ? 'firmware volume' : 'bare store'} of ${hex(best.length)} bytes, ${best.variables} variables, ${best.pstoreVariables} efi-pstore; same as: ${formatLayoutFlags(layout)}` +
      tail;
    return { region: best, flags: { ...flags, ...layout, auto: undefined }, message };
  }
  const kernel = flags.kernel !== undefined && flags.kernel !== best.kernel ? `kernel ${flags.kernel} (--kernel; inferred ${best.kernel})` : `kernel ${best.kernel}`;
  let layout: LayoutFlags;
  let message: string;
  if (best.backend === 'blk') {
    layout = blkRegionLayoutFlags(best, flags.kernel);
    const p = best.params;
    message =
      `--auto: pstore/blk device at offset ${hex(best.offset)} (confidence ${best.confidence.toFixed(2)}): ` +
      `device_size ${hex(best.deviceSize)}, kmsg_size ${p.kmsg_size}, pmsg_size ${p.pmsg_size}, console_size ${p.console_size}, ftrace_size ${p.ftrace_size} KiB` +
      `${p.ftrace_size ? ` (${best.ftraceCpus} CPU${best.ftraceCpus === 1 ? '' : 's'})` : ''}, ${kernel}` +
      `${best.littleEndian ? '' : `, ${best.arch} (big-endian)`}; same as: ${formatLayoutFlags({ ...layout, frontends: flags.frontends })}` +
      tail;
  } else {
    layout = regionLayoutFlags(best, flags.kernel);
    const p = best.params;
    message =
      `--auto: ramoops region at offset ${hex(best.offset)} (confidence ${best.confidence.toFixed(2)}): ` +
      `mem_size ${hex(p.mem_size)}, record_size ${hex(p.record_size)}, console_size ${hex(p.console_size)}, ftrace_size ${hex(p.ftrace_size)}` +
      `${p.ftrace_size ? ` (${best.ftraceCpus} CPU${best.ftraceCpus === 1 ? '' : 's'})` : ''}, pmsg_size ${hex(p.pmsg_size)}, ecc ${p.ecc}, ${kernel}` +
      `${best.littleEndian ? '' : `, ${best.arch} (big-endian)`}; same as: ${formatLayoutFlags({ ...layout, frontends: flags.frontends })}` +
      tail;
  }
  return { region: best, flags: { ...flags, ...layout, auto: undefined }, message };
}
