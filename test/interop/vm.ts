// The real-kernel interop harness: boot Debian's Linux 6.1 or 6.12 under QEMU
// (TCG) with ramoops on a RAM range we control (BootOptions.kernel picks one). kernelCrash() lets the kernel write
// a region; kernelRead() shows what the kernel's /sys/fs/pstore makes of one.
// Everything is raw bytes and plain objects, so any reader/writer can be
// checked against the kernel through compareExtractWithKernel() and
// compareImageWithKernel().
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_GUEST_KERNEL,
  findGuestKernel,
  GUEST_KERNEL_SPECS,
  GUEST_KERNELS,
  guestInitramfs,
  taskArchive,
  MAX_OOPS,
  VM_CACHE,
  VmSetupError,
  type GuestKernel,
  type GuestKernelVersion,
} from './initramfs.js';
import { cpioNewc, type CpioEntry } from './newc.js';
import { createRamFile, cutRegion, runQemu, VmBootError, type QemuResult } from './qemu.js';
import { bootableKernel } from './vmlinux.js';

export { VmSetupError, VmBootError, MAX_OOPS, DEFAULT_GUEST_KERNEL, GUEST_KERNELS, type GuestKernelVersion };

/** Our reader's --kernel profile for what a guest kernel shows (Debian's builds: no ftrace frontend). */
export function guestProfile(kernel: GuestKernelVersion = DEFAULT_GUEST_KERNEL): 'debian-6.1' | 'debian-6.12' {
  return GUEST_KERNEL_SPECS[kernel].profile;
}

/** ramoops module parameters (byte sizes; ecc in bytes, 0 = off). */
export interface RamoopsParams {
  memAddress?: number;
  memSize: number;
  recordSize: number;
  consoleSize?: number;
  ftraceSize?: number;
  pmsgSize?: number;
  ecc?: number;
  maxReason?: number;
}

export const DEFAULT_MEM_ADDRESS = 0x10000000;
export const DEFAULT_RTC_BASE = '2024-01-01T00:00:00';
// Generous: on a 2-core host running other work, single TCG boots have taken over 120 s.
export const DEFAULT_TIMEOUT_MS = Number(process.env.HX_VM_TIMEOUT_MS ?? 300_000);

export interface BootOptions {
  /** Which Debian kernel to boot (default 6.1). */
  kernel?: GuestKernelVersion;
  /** pstore.compress= for the boot; undefined keeps the built-in default (deflate). */
  compress?: string;
  /** Guest wall clock at power-on (QEMU -rtc base=). */
  rtcBase?: string;
  timeoutMs?: number;
  /** More kernel command-line words. */
  extraCmdline?: string[];
  smp?: number;
  /** Keep the run directory (RAM file, serial logs) here instead of deleting it. */
  keepDir?: string;
  /** More initramfs entries for this boot (e.g. guestNode.ts: the host's node and our CLI), appended uncompressed. */
  extraEntries?: readonly CpioEntry[];
}

export type CrashEnd = 'panic' | 'poweroff' | 'oops';

export interface CrashOptions extends BootOptions {
  params: RamoopsParams;
  /** Written to the kernel log as `harness: marker M begin/…/end` lines. */
  marker?: string;
  /** Extra kernel log lines, one /dev/kmsg write each (may start with `<N>`). */
  lines?: string[];
  /** Number of `harness: filler i/N …` lines. */
  filler?: number;
  /** Oopses (NULL store in a module init) before the end; at most MAX_OOPS. */
  oops?: number;
  /** panic: sysrq-c; poweroff: `poweroff -f` (a Shutdown record needs maxReason >= 4); oops: one Oops, then poweroff. */
  end?: CrashEnd;
  /** Start from this region instead of zeroed RAM (a second boot on old records). */
  fromImage?: Uint8Array;
  /**
   * Mount pstore and capture /sys/fs/pstore before writing (CrashResult.captured):
   * a second boot reads the first boot's records and writes its own, one boot
   * instead of two.
   */
  capture?: boolean;
}

export interface CrashResult {
  /** The kernel that wrote it. */
  kernel: GuestKernelVersion;
  /** The ramoops region (memSize bytes) as the kernel left it. */
  region: Uint8Array;
  /** The console (ttyS0) of the crash boot. */
  serial: string;
  cmdline: string;
  banner: string;
  bootSeconds: number;
  /** With CrashOptions.capture: /sys/fs/pstore as this boot found it, before it wrote anything. */
  captured?: KernelFile[];
}

export interface KernelFile {
  name: string;
  size: number;
  /** Octal permission string as stat %a prints it, e.g. "444". */
  mode: string;
  mtimeEpoch: number;
  mtimeNsec: number;
  /** stat %y form: `2024-01-01 00:00:08.436599000 +0000`. */
  mtime: string;
  data: Uint8Array;
}

export interface KernelView {
  /** The kernel that read it. */
  kernel: GuestKernelVersion;
  /** /sys/fs/pstore, in the order the shell listed it (sorted by name). */
  files: KernelFile[];
  /** Kernel log lines from pstore, ramoops and ECC. */
  pstoreLog: string[];
  /** The whole kernel log of the read boot. */
  dmesg: string;
  /** /sys/module/{ramoops,pstore,printk}/parameters/*, keyed like `ramoops/parameters/ecc`. */
  moduleParams: Record<string, string>;
  /** The region after the read boot: the kernel zaps and repairs while attaching. */
  regionAfter: Uint8Array;
  /** The /proc/mounts line of the pstore mount. */
  mount: string;
  erased: boolean;
  /** With ReadOptions.archive: what `pstore archive` did in the guest. */
  archive?: GuestArchiveRun;
  serial: string;
  cmdline: string;
  banner: string;
  bootSeconds: number;
}

/** A file as some other implementation predicts or extracts it. */
export interface PredictedFile {
  name: string;
  data: Uint8Array;
  /** When given, compared with the kernel's mtime seconds. */
  mtimeEpoch?: number;
  /** When given, compared with the kernel's mtime nanoseconds. */
  mtimeNsec?: number;
}

function hex(n: number): string {
  return n === 0 ? '0' : `0x${n.toString(16)}`;
}

/** The `k=v,…` list the guest passes to insmod ramoops (same spelling as the fixtures). */
export function ramoopsArg(p: RamoopsParams): string {
  const words = [
    `mem_address=${hex(p.memAddress ?? DEFAULT_MEM_ADDRESS)}`,
    `mem_size=${hex(p.memSize)}`,
    `record_size=${hex(p.recordSize)}`,
    `console_size=${hex(p.consoleSize ?? 0)}`,
    `ftrace_size=${hex(p.ftraceSize ?? 0)}`,
    `pmsg_size=${hex(p.pmsgSize ?? 0)}`,
    `ecc=${p.ecc ?? 0}`,
    `max_reason=${p.maxReason ?? 2}`,
  ];
  return words.join(',');
}

/** Parse a fixture params.json `ramoops` object (strings such as "0x100000"). */
export function ramoopsFromJson(j: Record<string, string | number>): RamoopsParams {
  const num = (k: string): number | undefined => (j[k] === undefined ? undefined : Number(j[k]));
  const memSize = num('mem_size');
  const recordSize = num('record_size');
  if (memSize === undefined || recordSize === undefined) throw new Error('ramoops params need mem_size and record_size');
  return {
    memAddress: num('mem_address'),
    memSize,
    recordSize,
    consoleSize: num('console_size'),
    ftraceSize: num('ftrace_size'),
    pmsgSize: num('pmsg_size'),
    ecc: num('ecc'),
    maxReason: num('max_reason'),
  };
}

function validateParams(p: RamoopsParams): void {
  const addr = p.memAddress ?? DEFAULT_MEM_ADDRESS;
  for (const [k, v] of Object.entries(p)) {
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) throw new RangeError(`ramoops ${k}=${v} is not a non-negative integer`);
  }
  if (p.memSize <= 0) throw new RangeError('mem_size must be > 0');
  if (addr % 4096 !== 0 || addr < 0x1000000 || addr + p.memSize > 0x1c000000) {
    throw new RangeError(`ramoops region 0x${addr.toString(16)}+0x${p.memSize.toString(16)} must be page aligned inside [16 MiB, 448 MiB) of guest RAM`);
  }
}

/** Base command line: the fixture harness's choices, plus memmap covering the region. */
export function baseCmdline(p: RamoopsParams): string[] {
  const addr = p.memAddress ?? DEFAULT_MEM_ADDRESS;
  const mib = Math.max(1, Math.ceil(p.memSize / (1 << 20)));
  // memmap=nn$ss reserves the range so the guest never uses it as RAM.
  // no_timer_check: on a busy host TCG runs too slowly for the IO-APIC timer
  // check, and the kernel panics at 0.08 s ("IO-APIC + timer doesn't work").
  return ['console=ttyS0', 'loglevel=7', 'panic=-1', 'no_timer_check', `memmap=${mib}M$0x${addr.toString(16)}`];
}

const guests = new Map<GuestKernelVersion, { g: GuestKernel; kernel: string; initrd: string }>();
/**
 * Check the host has everything (kernel, modules, busybox, qemu), unpack the kernel and build the initramfs.
 * `kernel` is what QEMU's -kernel boots without firmware (the PVH ELF when the
 * kernel has one); `bzImage` is /boot/vmlinuz itself, for firmware boots (an EFI stub).
 */
export function prepareGuest(version: GuestKernelVersion = DEFAULT_GUEST_KERNEL): { kernel: string; bzImage: string; release: string; initrd: string; version: GuestKernelVersion } {
  let guest = guests.get(version);
  if (!guest) {
    const g = findGuestKernel(version);
    guest = { g, kernel: bootableKernel(g.kernel, VM_CACHE), initrd: guestInitramfs(g) };
    guests.set(version, guest);
  }
  return { kernel: guest.kernel, bzImage: guest.g.kernel, release: guest.g.release, initrd: guest.initrd, version };
}

interface Boot {
  append: string;
  ramFile: string;
  diskFile?: string;
  result: QemuResult;
  dir: string;
}

async function boot(words: string[], opts: BootOptions, image: Uint8Array | undefined, addr: number, task?: Record<string, Uint8Array>, disk?: Uint8Array): Promise<Boot> {
  const { kernel, initrd, version } = prepareGuest(opts.kernel);
  words.push(...GUEST_KERNEL_SPECS[version].bootArgs);
  const dir = opts.keepDir ?? mkdtempSync(join(tmpdir(), 'hx-vm-'));
  const ramFile = join(dir, 'guest-ram.bin');
  const diskFile = disk ? join(dir, 'disk.img') : undefined;
  if (diskFile && disk) writeFileSync(diskFile, disk);
  let initrdPath = initrd;
  if ((task && Object.keys(task).length) || opts.extraEntries?.length) {
    // The kernel unpacks concatenated archives; pad the first to 4 bytes.
    const main = readFileSync(initrd);
    const pad = (4 - (main.length & 3)) & 3;
    initrdPath = join(dir, 'initrd-task.img');
    const extra = opts.extraEntries?.length ? [cpioNewc(opts.extraEntries)] : [];
    writeFileSync(initrdPath, Buffer.concat([main, Buffer.alloc(pad), taskArchive(task ?? {}), ...extra]));
  }
  if (opts.compress !== undefined) words.push(`pstore.compress=${opts.compress}`);
  words.push(...(opts.extraCmdline ?? []));
  const append = words.join(' ');
  createRamFile(ramFile, addr, image);
  let result: QemuResult;
  try {
    result = await runQemu({
      kernel,
      initrd: initrdPath,
      append,
      ramFile,
      workDir: dir,
      rtcBase: opts.rtcBase ?? DEFAULT_RTC_BASE,
      timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      smp: opts.smp,
      disk: diskFile,
    });
  } catch (e) {
    cleanup({ dir }, opts);
    throw e;
  }
  const fail = /^==FAIL (.*)==$/m.exec(result.data);
  const problem = fail ? `guest /init failed: ${fail[1]}` : /^==READY\b/m.test(result.data) ? '' : 'guest never loaded ramoops (no READY frame)';
  if (problem) {
    cleanup({ dir }, opts);
    throw new VmBootError(problem, result.console);
  }
  return { append, ramFile, result, dir, diskFile };
}

function cleanup(b: { dir: string }, opts: BootOptions): void {
  if (!opts.keepDir) rmSync(b.dir, { recursive: true, force: true });
}

function banner(console: string): string {
  return /Linux version [^\n]*/.exec(console)?.[0] ?? '';
}

/** Boot, let the kernel write records, and return the region it left in RAM. */
export async function kernelCrash(opts: CrashOptions): Promise<CrashResult> {
  const p = opts.params;
  validateParams(p);
  const end = opts.end ?? 'panic';
  const oops = opts.oops ?? (end === 'oops' ? 1 : 0);
  if (oops > MAX_OOPS) throw new RangeError(`at most ${MAX_OOPS} Oopses per boot`);
  const marker = opts.marker ?? Math.floor(Math.random() * 2 ** 32).toString(16).padStart(8, '0');
  if (!/^[\w.:-]+$/.test(marker)) throw new RangeError(`marker ${JSON.stringify(marker)} must be one word of [A-Za-z0-9_.:-]`);
  const addr = p.memAddress ?? DEFAULT_MEM_ADDRESS;
  const words = [...baseCmdline(p), 'hx.mode=crash', `hx.marker=${marker}`, `hx.end=${end}`, `hx.ramoops=${ramoopsArg(p)}`];
  if (oops) words.push(`hx.oops=${oops}`);
  if (opts.filler) words.push(`hx.filler=${opts.filler}`);
  const task: Record<string, Uint8Array> = {};
  if (opts.lines?.length) {
    words.push('hx.lines=1');
    task['hx/lines'] = new TextEncoder().encode(opts.lines.join('\n') + '\n');
  }
  if (oops) words.push('panic_on_oops=0');
  if (opts.capture) words.push('hx.capture=1');
  const b = await boot(words, opts, opts.fromImage, addr, task);
  try {
    if (!b.result.data.includes(`==CRASHING ${end}==`)) throw new VmBootError('guest did not reach the crash step', b.result.console);
    const c = b.result.console;
    if (end === 'panic' && !c.includes('Kernel panic - not syncing')) throw new VmBootError('no kernel panic on the console', c);
    const oopsSeen = (c.match(/BUG: kernel NULL pointer dereference/g) ?? []).length;
    if (oopsSeen !== oops) throw new VmBootError(`expected ${oops} Oops(es) on the console, saw ${oopsSeen}`, c);
    let captured: KernelFile[] | undefined;
    try {
      captured = opts.capture ? parseCapturedFiles(b.result.data) : undefined;
    } catch (e) {
      throw new VmBootError(`crash boot: ${(e as Error).message}`, c);
    }
    return {
      kernel: opts.kernel ?? DEFAULT_GUEST_KERNEL,
      captured,
      region: cutRegion(b.ramFile, addr, p.memSize),
      serial: c,
      cmdline: b.append,
      banner: banner(c),
      bootSeconds: b.result.seconds,
    };
  } finally {
    cleanup(b, opts);
  }
}

type ReadFrames = Omit<KernelView, 'kernel' | 'regionAfter' | 'serial' | 'cmdline' | 'banner' | 'bootSeconds' | 'pstoreLog' | 'archive'>;

/** Parse the frames the guest writes to ttyS1 in read mode. */
export function parseReadFrames(data: string): ReadFrames {
  const { frames, done } = parseFrames(data);
  if (!done) throw new Error('read boot output has no DONE frame');
  return frames;
}

/** The ==FILE frames a crash boot with capture printed before ==CAPTURED==. */
export function parseCapturedFiles(data: string): KernelFile[] {
  const end = data.indexOf('==CAPTURED==\n');
  if (end < 0) throw new Error('crash boot output has no CAPTURED frame');
  return parseFrames(data.slice(0, end)).frames.files;
}

function parseFrames(data: string): { frames: ReadFrames; done: boolean } {
  const lines = data.split('\n');
  const files: KernelFile[] = [];
  const moduleParams: Record<string, string> = {};
  let dmesg = '';
  let mount = '';
  let erased = false;
  let done = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const file = /^==FILE (\S+) (\d+) (\d+) (\d+) (\S+)==$/.exec(line);
    if (file) {
      const body: string[] = [];
      for (i++; i < lines.length && lines[i] !== '==END=='; i++) body.push(lines[i] ?? '');
      if (i >= lines.length) throw new Error(`truncated frame for ${file[1]}`);
      const bytes = new Uint8Array(Buffer.from(body.join(''), 'base64'));
      const mtime = (file[5] ?? '').replace(/_/g, ' ');
      const frac = /\.(\d+)/.exec(mtime)?.[1] ?? '0';
      const f: KernelFile = {
        name: file[1] ?? '',
        size: Number(file[2]),
        mode: file[3] ?? '',
        mtimeEpoch: Number(file[4]),
        mtimeNsec: Number(frac.padEnd(9, '0').slice(0, 9)),
        mtime,
        data: bytes,
      };
      if (bytes.length !== f.size) throw new Error(`${f.name}: stat says ${f.size} bytes, captured ${bytes.length}`);
      files.push(f);
      continue;
    }
    if (line === '==DMESG==') {
      const body: string[] = [];
      for (i++; i < lines.length && lines[i] !== '==END=='; i++) body.push(lines[i] ?? '');
      dmesg = body.join('\n');
      continue;
    }
    const param = /^==PARAM (\S+) ?(.*)==$/.exec(line);
    if (param) moduleParams[param[1] ?? ''] = param[2] ?? '';
    const m = /^==MOUNT (.*)==$/.exec(line);
    if (m) mount = m[1] ?? '';
    if (line === '==ERASED==') erased = true;
    if (line.startsWith('==DONE')) done = true;
  }
  return { frames: { files, dmesg, moduleParams, mount, erased }, done };
}

export interface ReadOptions extends BootOptions {
  /** Remove every file after capturing it (the kernel then erases the records). */
  erase?: boolean;
  /** Run `pstore archive` in the guest on its /sys/fs/pstore (needs extraEntries from guestNode.ts); see KernelView.archive. */
  archive?: boolean;
}

/** `pstore archive` run inside the guest (ReadOptions.archive). */
export interface GuestArchiveRun {
  exitCode: number;
  /** Its stdout and stderr. */
  log: string;
  /** Every file under /archive: name is `<crash dir>/<file>`. */
  files: KernelFile[];
  /** How many files /sys/fs/pstore showed afterwards. */
  left: number;
}

/** The ==ARCHIVE_* / ==AFILE / ==LEFT frames of a read boot with archive. */
export function parseArchiveFrames(data: string): GuestArchiveRun {
  const exit = /^==ARCHIVE_EXIT (\d+)==$/m.exec(data);
  const left = /^==LEFT (\d+)==$/m.exec(data);
  if (!exit || !left) throw new Error('read boot output has no ARCHIVE_EXIT/LEFT frame');
  const logAt = data.indexOf('==ARCHIVE_LOG==\n');
  const logEnd = data.indexOf('==END==', logAt);
  const log = logAt >= 0 && logEnd > logAt ? Buffer.from(data.slice(logAt + 16, logEnd).replace(/\s+/g, ''), 'base64').toString('utf8') : '';
  // The archived files come after ARCHIVE_EXIT, in the same frame shape as /sys/fs/pstore's.
  const files = parseFrames(data.slice(exit.index).replace(/^==AFILE /gm, '==FILE ')).frames.files;
  return { exitCode: Number(exit[1]), log, files, left: Number(left[1]) };
}

/** The frames a read boot printed; a boot that did not print them all fails with its console tail. */
function readBootFrames(result: { data: string; console: string }): ReturnType<typeof parseReadFrames> {
  try {
    return parseReadFrames(result.data);
  } catch (e) {
    throw new VmBootError(`read boot: ${(e as Error).message}`, result.console);
  }
}

function guestArchive(result: { data: string; console: string }): GuestArchiveRun {
  try {
    return parseArchiveFrames(result.data);
  } catch (e) {
    throw new VmBootError(`read boot with archive: ${(e as Error).message}`, result.console);
  }
}

/** Boot on `image` (the ramoops region, params.memSize bytes) and return what /sys/fs/pstore shows. */
export async function kernelRead(image: Uint8Array, params: RamoopsParams, opts: ReadOptions = {}): Promise<KernelView> {
  validateParams(params);
  if (image.length !== params.memSize) throw new RangeError(`image is ${image.length} bytes but mem_size is ${params.memSize}`);
  const addr = params.memAddress ?? DEFAULT_MEM_ADDRESS;
  const words = [...baseCmdline(params), 'hx.mode=read', `hx.ramoops=${ramoopsArg(params)}`];
  if (opts.erase) words.push('hx.erase=1');
  if (opts.archive) words.push('hx.archive=1');
  const b = await boot(words, opts, image, addr);
  try {
    const frames = readBootFrames(b.result);
    return {
      kernel: opts.kernel ?? DEFAULT_GUEST_KERNEL,
      ...frames,
      archive: opts.archive ? guestArchive(b.result) : undefined,
      pstoreLog: frames.dmesg.split('\n').filter((l) => /pstore|ramoops|ECC|persistent_ram/i.test(l) && !/command line/i.test(l)),
      regionAfter: cutRegion(b.ramFile, addr, params.memSize),
      serial: b.result.console,
      cmdline: b.append,
      banner: banner(b.result.console),
      bootSeconds: b.result.seconds,
    };
  } finally {
    cleanup(b, opts);
  }
}

/** pstore_blk module parameters (sizes in KiB, as the module takes them). */
export interface BlkParams {
  kmsgSize: number;
  pmsgSize?: number;
  consoleSize?: number;
  ftraceSize?: number;
  maxReason?: number;
}

/** The `k=v,…` list the guest passes to insmod pstore_blk (spelled like the fixture harness). */
export function pblkArg(p: BlkParams): string {
  const words = ['blkdev=/dev/vda', 'best_effort=y', `kmsg_size=${p.kmsgSize}`];
  if (p.pmsgSize) words.push(`pmsg_size=${p.pmsgSize}`);
  if (p.consoleSize) words.push(`console_size=${p.consoleSize}`);
  if (p.ftraceSize) words.push(`ftrace_size=${p.ftraceSize}`);
  words.push(`max_reason=${p.maxReason ?? 2}`);
  return words.join(',');
}

export interface BlkCrashOptions extends BootOptions {
  blk: BlkParams;
  /** The virtio disk the kernel writes (pstore_blk's whole device). */
  disk: Uint8Array;
  marker?: string;
  oops?: number;
  /** panic: best_effort has no panic_write, so the panic record never reaches the disk. */
  end?: 'panic' | 'poweroff';
}

/** Boot with pstore/blk on a virtio disk, Oops (the deferred flush writes them), end; return the disk. */
export async function kernelBlkCrash(opts: BlkCrashOptions): Promise<CrashResult> {
  const oops = opts.oops ?? 1;
  if (oops > MAX_OOPS) throw new RangeError(`at most ${MAX_OOPS} Oopses per boot`);
  const end = opts.end ?? 'panic';
  const marker = opts.marker ?? Math.floor(Math.random() * 2 ** 32).toString(16).padStart(8, '0');
  if (!/^[\w.:-]+$/.test(marker)) throw new RangeError(`marker ${JSON.stringify(marker)} must be one word of [A-Za-z0-9_.:-]`);
  const words = [...baseCmdline({ memSize: 0x100000, recordSize: 0 }), 'hx.mode=crash', `hx.marker=${marker}`, `hx.end=${end}`, `hx.pblk=${pblkArg(opts.blk)}`, 'panic_on_oops=0'];
  if (oops) words.push(`hx.oops=${oops}`);
  const b = await boot(words, opts, undefined, DEFAULT_MEM_ADDRESS, undefined, opts.disk);
  try {
    if (!b.result.data.includes(`==CRASHING ${end}==`)) throw new VmBootError('guest did not reach the crash step', b.result.console);
    const c = b.result.console;
    const oopsSeen = (c.match(/BUG: kernel NULL pointer dereference/g) ?? []).length;
    if (oopsSeen !== oops) throw new VmBootError(`expected ${oops} Oops(es) on the console, saw ${oopsSeen}`, c);
    return { kernel: opts.kernel ?? DEFAULT_GUEST_KERNEL, region: new Uint8Array(readFileSync(b.diskFile ?? '')), serial: c, cmdline: b.append, banner: banner(c), bootSeconds: b.result.seconds };
  } finally {
    cleanup(b, opts);
  }
}

/** Boot with pstore/blk on `disk` and return what /sys/fs/pstore shows; regionAfter is the disk afterwards. */
export async function kernelBlkRead(disk: Uint8Array, blk: BlkParams, opts: ReadOptions = {}): Promise<KernelView> {
  const words = [...baseCmdline({ memSize: 0x100000, recordSize: 0 }), 'hx.mode=read', `hx.pblk=${pblkArg(blk)}`];
  if (opts.erase) words.push('hx.erase=1');
  if (opts.archive) words.push('hx.archive=1');
  const b = await boot(words, opts, undefined, DEFAULT_MEM_ADDRESS, undefined, disk);
  try {
    const frames = readBootFrames(b.result);
    return {
      kernel: opts.kernel ?? DEFAULT_GUEST_KERNEL,
      ...frames,
      archive: opts.archive ? guestArchive(b.result) : undefined,
      pstoreLog: frames.dmesg.split('\n').filter((l) => /pstore/i.test(l) && !/command line/i.test(l)),
      regionAfter: new Uint8Array(readFileSync(b.diskFile ?? '')),
      serial: b.result.console,
      cmdline: b.append,
      banner: banner(b.result.console),
      bootSeconds: b.result.seconds,
    };
  } finally {
    cleanup(b, opts);
  }
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** Human-readable differences between the kernel's files and predicted ones; [] when equal. */
export function diffKernelFiles(kernel: readonly (Pick<KernelFile, 'name' | 'data' | 'mtimeEpoch'> & { mtimeNsec?: number })[], ours: readonly PredictedFile[]): string[] {
  const diffs: string[] = [];
  const k = new Map(kernel.map((f) => [f.name, f]));
  const o = new Map(ours.map((f) => [f.name, f]));
  for (const name of k.keys()) if (!o.has(name)) diffs.push(`${name}: shown by the kernel, missing from ours`);
  for (const [name, f] of o) {
    const kf = k.get(name);
    if (!kf) {
      diffs.push(`${name}: ours only, the kernel does not show it`);
      continue;
    }
    const at = firstDifference(kf.data, f.data);
    if (at >= 0) {
      diffs.push(`${name}: bytes differ at ${at} (kernel ${kf.data.length} B, ours ${f.data.length} B)`);
    }
    if (f.mtimeEpoch !== undefined && f.mtimeEpoch !== kf.mtimeEpoch) diffs.push(`${name}: mtime ${f.mtimeEpoch}, kernel ${kf.mtimeEpoch}`);
    if (f.mtimeNsec !== undefined && kf.mtimeNsec !== undefined && f.mtimeNsec !== kf.mtimeNsec) diffs.push(`${name}: mtime nsec ${f.mtimeNsec}, kernel ${kf.mtimeNsec}`);
  }
  return diffs;
}

/** Our extraction of `region` versus the kernel's /sys/fs/pstore on the same bytes. */
export async function compareExtractWithKernel(
  region: Uint8Array,
  params: RamoopsParams,
  extract: (region: Uint8Array, params: RamoopsParams) => PredictedFile[] | Promise<PredictedFile[]>,
  opts: ReadOptions = {},
): Promise<{ view: KernelView; ours: PredictedFile[]; diffs: string[] }> {
  // Extract from a copy: the kernel boot must see exactly the bytes we saw.
  const ours = await extract(region.slice(), params);
  const view = await kernelRead(region, params, opts);
  return { view, ours, diffs: diffKernelFiles(view.files, ours) };
}

/** An image we create, booted by the kernel: do its files equal our prediction? */
export async function compareImageWithKernel(
  create: () => { image: Uint8Array; params: RamoopsParams; predicted: PredictedFile[] } | Promise<{ image: Uint8Array; params: RamoopsParams; predicted: PredictedFile[] }>,
  opts: ReadOptions = {},
): Promise<{ view: KernelView; predicted: PredictedFile[]; diffs: string[] }> {
  const { image, params, predicted } = await create();
  const view = await kernelRead(image, params, opts);
  return { view, predicted, diffs: diffKernelFiles(view.files, predicted) };
}

/** A fixture scenario directory as harness inputs: the image, its params, and the files its read boot showed. */
export function loadScenario(dir: string, expectedDir = 'expected', metaFile = 'meta.json'): { image: Uint8Array; params: RamoopsParams; compress?: string; expected: PredictedFile[] } {
  const pj = JSON.parse(readFileSync(join(dir, 'params.json'), 'utf8')) as { ramoops: Record<string, string>; pstore?: { compress?: string } };
  const meta = JSON.parse(readFileSync(join(dir, metaFile), 'utf8')) as { files: { name: string; mtime_epoch: number }[]; read_cmdline?: string };
  // Read the way the fixture's own read boot did (its command line says).
  const compress = /(?:^| )pstore\.compress=(\S+)/.exec(meta.read_cmdline ?? '')?.[1];
  const expected = meta.files.map((f) => ({
    name: f.name,
    data: new Uint8Array(readFileSync(join(dir, expectedDir, f.name))),
    mtimeEpoch: f.name.startsWith('dmesg-') ? f.mtime_epoch : undefined,
  }));
  if (!existsSync(join(dir, 'image.bin'))) throw new Error(`${dir}: no image.bin`);
  return { image: new Uint8Array(readFileSync(join(dir, 'image.bin'))), params: ramoopsFromJson(pj.ramoops), compress, expected };
}
