// kernel-vm: boot Debian's Linux 6.1 or 6.12 under QEMU on a ramoops image and show
// what its /sys/fs/pstore holds, or let it crash and save the region it wrote.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  kernelBlkCrash,
  kernelBlkRead,
  kernelCrash,
  kernelRead,
  ramoopsFromJson,
  MAX_OOPS,
  VmBootError,
  VmSetupError,
  GUEST_KERNELS,
  type GuestKernelVersion,
  type BlkParams,
  type CrashEnd,
  type KernelView,
  type RamoopsParams,
} from '../test/interop/vm.js';

class CliUsage extends Error {}

/** 65536, 0x10000, 64K, 1M. */
function size(v: string): number {
  const m = /^(0x[0-9a-f]+|\d+)([kKmM]?)$/.exec(v.trim());
  if (!m) throw new InvalidArgumentError(`not a size: ${v} (use 65536, 0x10000, 64K or 1M)`);
  const n = Number(m[1]) * (m[2] ? (m[2].toLowerCase() === 'k' ? 1024 : 1 << 20) : 1);
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`size out of range: ${v}`);
  return n;
}

function count(v: string): number {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`not a number: ${v}`);
  return Number(v);
}

interface Opts {
  kernel: GuestKernelVersion;
  backend: 'ramoops' | 'blk';
  kmsgSize?: number;
  diskSize?: number;
  crash?: string;
  params?: string;
  memAddress?: number;
  memSize?: number;
  recordSize?: number;
  consoleSize?: number;
  ftraceSize?: number;
  pmsgSize?: number;
  ecc?: number;
  maxReason?: number;
  compress?: string;
  out?: string;
  regionAfter?: string;
  erase?: boolean;
  json?: boolean;
  marker?: string;
  lines?: string;
  filler?: number;
  oops?: number;
  end: string;
  from?: string;
  rtcBase?: string;
  timeout: number;
  keep?: string;
  serial?: boolean;
}

function ramoopsParams(o: Opts, imageSize: number | undefined): { params: RamoopsParams; compress?: string } {
  let base: Partial<RamoopsParams> = {};
  let compress = o.compress;
  if (o.params) {
    const j = JSON.parse(readFileSync(o.params, 'utf8')) as { ramoops?: Record<string, string>; pstore?: { compress?: string } };
    if (!j.ramoops) throw new CliUsage(`${o.params} has no "ramoops" object`);
    base = ramoopsFromJson(j.ramoops);
    const c = j.pstore?.compress;
    if (compress === undefined && c && !c.startsWith('deflate')) compress = c;
  }
  const shutdown = o.end === 'shutdown' || o.end === 'poweroff';
  const memSize = o.memSize ?? base.memSize ?? imageSize ?? 0x100000;
  if (imageSize !== undefined && memSize !== imageSize) throw new CliUsage(`image is ${imageSize} bytes but --mem-size is ${memSize}`);
  return {
    params: {
      memAddress: o.memAddress ?? base.memAddress,
      memSize,
      recordSize: o.recordSize ?? base.recordSize ?? 0x10000,
      consoleSize: o.consoleSize ?? base.consoleSize ?? 0,
      ftraceSize: o.ftraceSize ?? base.ftraceSize ?? 0,
      pmsgSize: o.pmsgSize ?? base.pmsgSize ?? 0,
      ecc: o.ecc ?? base.ecc ?? 0,
      maxReason: o.maxReason ?? base.maxReason ?? (o.crash && shutdown ? 4 : 2),
    },
    compress: compress === 'deflate' ? undefined : compress,
  };
}

/** pstore_blk parameters (KiB) from the flags; console/pmsg/ftrace sizes are KiB here too. */
function blkParams(o: Opts): BlkParams {
  const kib = (v: number | undefined, what: string): number | undefined => {
    if (v !== undefined && v % 1024 !== 0) throw new CliUsage(`--backend blk: ${what} is in KiB (${v} bytes is not a whole KiB)`);
    return v === undefined ? undefined : v / 1024;
  };
  return {
    kmsgSize: o.kmsgSize ?? 64,
    pmsgSize: kib(o.pmsgSize, '--pmsg-size'),
    consoleSize: kib(o.consoleSize, '--console-size'),
    ftraceSize: kib(o.ftraceSize, '--ftrace-size'),
    maxReason: o.maxReason,
  };
}

function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

function regionChanges(before: Uint8Array, after: Uint8Array): { offset: number; length: number }[] {
  const ranges: { offset: number; length: number }[] = [];
  for (let i = 0; i < before.length; i++) {
    if (before[i] === after[i]) continue;
    const last = ranges.at(-1);
    if (last && last.offset + last.length === i) last.length++;
    else ranges.push({ offset: i, length: 1 });
  }
  return ranges;
}

function printView(view: KernelView, image: Uint8Array): void {
  if (!view.files.length) console.log('(no files in /sys/fs/pstore)');
  for (const f of view.files) console.log(`${f.mode}  ${String(f.size).padStart(8)}  ${f.mtime}  ${f.name}`);
  for (const l of view.pstoreLog) console.log(`kernel: ${l}`);
  const changes = regionChanges(image, view.regionAfter);
  if (changes.length) {
    const bytes = changes.reduce((s, r) => s + r.length, 0);
    console.log(`the read boot changed ${bytes} byte(s) of the region in ${changes.length} range(s), first at 0x${changes[0]?.offset.toString(16)}`);
  }
  console.log(`boot: ${view.bootSeconds.toFixed(1)} s`);
}

function writeOut(dir: string, view: KernelView, image: Uint8Array): void {
  mkdirSync(dir, { recursive: true });
  for (const f of view.files) writeFileSync(join(dir, f.name), f.data);
  const changes = regionChanges(image, view.regionAfter);
  const meta = {
    files: view.files.map((f) => ({ name: f.name, size: f.size, sha256: sha256(f.data), mtime: f.mtime, mtime_epoch: f.mtimeEpoch, mtime_nsec: f.mtimeNsec, mode: f.mode })),
    dmesg_lines: view.pstoreLog,
    module_params: view.moduleParams,
    read_cmdline: view.cmdline,
    pstore_mount: view.mount,
    kernel_version_banner: view.banner,
    read_boot_region_changes: { ranges: changes.length, bytes_in_ranges: changes.reduce((s, r) => s + r.length, 0), first_ranges: changes.slice(0, 16) },
    boot_seconds: Number(view.bootSeconds.toFixed(2)),
  };
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
  writeFileSync(join(dir, 'read-dmesg.txt'), view.dmesg + '\n');
}

async function main(argv: string[]): Promise<void> {
  const program = new Command('kernel-vm')
    .description(
      "Boot Debian's Linux 6.1 or 6.12 (--kernel) under QEMU (TCG) with ramoops on a region of guest RAM.\n" +
        'Read mode (default): lay IMAGE at mem_address and list what /sys/fs/pstore shows.\n' +
        'Crash mode (--crash OUT.bin): let the kernel write records, then save the region to OUT.bin.\n' +
        'With --backend blk the image is a virtio disk for pstore_blk (best_effort) instead of RAM.',
    )
    .argument('[image]', 'ramoops region to read (mem_size bytes)')
    .option('--crash <out.bin>', 'crash mode: write the region the kernel left to this file')
    .addOption(new Option('--kernel <version>', "which Debian kernel to boot").choices([...GUEST_KERNELS]).default('6.1'))
    .addOption(new Option('--backend <kind>', 'ramoops (RAM region) or blk (pstore_blk on a virtio disk)').choices(['ramoops', 'blk']).default('ramoops'))
    .option('--kmsg-size <KiB>', 'blk: pstore_blk kmsg_size in KiB (default 64)', count)
    .option('--disk-size <n>', 'blk crash: size of the fresh disk (default 256K)', size)
    .option('--params <params.json>', 'take ramoops parameters (and compress) from a fixture params.json')
    .option('--mem-address <n>', 'ramoops mem_address (default 0x10000000)', size)
    .option('--mem-size <n>', 'mem_size (default: image size; crash: 0x100000)', size)
    .option('--record-size <n>', 'record_size (default 0x10000)', size)
    .option('--console-size <n>', 'console_size (default 0)', size)
    .option('--ftrace-size <n>', 'ftrace_size (default 0)', size)
    .option('--pmsg-size <n>', 'pmsg_size (default 0)', size)
    .option('--ecc <n>', 'ECC bytes per 128-byte block, 0 = off (default 0)', count)
    .option('--max-reason <n>', 'max_reason (default 2; crash with --end shutdown: 4)', count)
    .option('--compress <name>', 'pstore.compress= (deflate is built in; none turns it off)')
    .option('--rtc-base <iso>', 'guest clock at power-on', '2024-01-01T00:00:00')
    .option('--timeout <seconds>', 'kill QEMU after this long', count, 120)
    .option('--keep <dir>', 'keep guest RAM file and serial logs in this directory')
    .option('--serial', 'print the guest console afterwards')
    .addOption(new Option('--out <dir>', 'read: write the files, meta.json and read-dmesg.txt here'))
    .option('--region-after <file>', 'read: save the region as the read boot left it (the kernel zaps/repairs)')
    .option('--erase', 'read: rm every file after capturing it (the kernel erases the records)')
    .option('--json', 'read: print the listing as JSON')
    .option('--marker <word>', 'crash: marker written to the kernel log (default random)')
    .option('--lines <file>', 'crash: write each line of FILE to /dev/kmsg before the end')
    .option('--filler <n>', 'crash: write N filler lines to the kernel log', count)
    .option('--oops <n>', `crash: Oopses before the end (NULL store in a module init, at most ${MAX_OOPS})`, count)
    .addOption(new Option('--end <how>', 'crash: how the boot ends').choices(['panic', 'oops', 'shutdown', 'poweroff']).default('panic'))
    .option('--from <image>', 'crash: start from this region instead of zeroed RAM')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  scripts/kernel-vm --crash /tmp/panic.bin --mem-size 1M --record-size 64K --ecc 16 --marker hello\n' +
        '  scripts/kernel-vm /tmp/panic.bin --ecc 16 --record-size 64K --out /tmp/panic-files\n' +
        '  scripts/kernel-vm test/fixtures/kernel-6.1/panic-deflate/image.bin --params test/fixtures/kernel-6.1/panic-deflate/params.json\n' +
        '  scripts/kernel-vm --backend blk --crash /tmp/disk.bin --oops 2 --kmsg-size 64\n' +
        '  scripts/kernel-vm --backend blk /tmp/disk.bin --kmsg-size 64 --out /tmp/blk-files\n' +
        '\nNeeds qemu-system-x86, linux-image-amd64 (6.1) or linux-image-6.12.107+deb12-amd64-unsigned (6.12),\n' +
        'busybox-static and xz-utils. Each boot takes ~7-15 s (TCG).\n' +
        'Environment: HX_KERNEL (6.1), HX_KERNEL_6_12, HX_MODULES_DIR (6.1), HX_BUSYBOX, HX_QEMU, HX_VM_JOBS, HX_VM_CACHE.',
    )
    .exitOverride();
  program.parse(argv, { from: 'user' });
  const o = program.opts<Opts>();
  const image = program.args[0];
  const timeoutMs = o.timeout * 1000;

  if (o.backend === 'blk') {
    const blk = blkParams(o);
    if (o.crash) {
      if (image) throw new CliUsage('crash mode takes no IMAGE argument (use --from to start from one)');
      const disk = o.from ? new Uint8Array(readFileSync(o.from)) : new Uint8Array(o.diskSize ?? 256 * 1024);
      const end = o.end === 'panic' ? 'panic' : 'poweroff';
      const r = await kernelBlkCrash({ blk, disk, marker: o.marker, oops: o.oops ?? 1, end, kernel: o.kernel, rtcBase: o.rtcBase, timeoutMs, keepDir: o.keep });
      writeFileSync(o.crash, r.region);
      if (o.serial) process.stdout.write(r.serial);
      console.log(`wrote ${r.region.length} bytes to ${o.crash} (sha256 ${sha256(r.region)})`);
      console.log(`cmdline: ${r.cmdline}`);
      console.log(`boot: ${r.bootSeconds.toFixed(1)} s`);
      return;
    }
    if (!image) throw new CliUsage('give a disk IMAGE to read, or --crash OUT.bin (see --help)');
    const disk = new Uint8Array(readFileSync(image));
    const view = await kernelBlkRead(disk, blk, { erase: o.erase, kernel: o.kernel, rtcBase: o.rtcBase, timeoutMs, keepDir: o.keep });
    if (o.serial) process.stdout.write(view.serial);
    printView(view, disk);
    if (o.out) writeOut(o.out, view, disk);
    if (o.regionAfter) writeFileSync(o.regionAfter, view.regionAfter);
    return;
  }

  if (o.crash) {
    if (image) throw new CliUsage('crash mode takes no IMAGE argument (use --from to start from one)');
    const from = o.from ? new Uint8Array(readFileSync(o.from)) : undefined;
    const { params, compress } = ramoopsParams(o, from?.length);
    const lines = o.lines ? readFileSync(o.lines, 'utf8').replace(/\n$/, '').split('\n') : undefined;
    const end: CrashEnd = o.end === 'shutdown' ? 'poweroff' : (o.end as CrashEnd);
    const r = await kernelCrash({
      params, compress, marker: o.marker, lines, filler: o.filler, oops: o.oops, end, fromImage: from,
      kernel: o.kernel, rtcBase: o.rtcBase, timeoutMs, keepDir: o.keep,
    });
    writeFileSync(o.crash, r.region);
    if (o.serial) process.stdout.write(r.serial);
    console.log(`wrote ${r.region.length} bytes to ${o.crash} (sha256 ${sha256(r.region)})`);
    console.log(`cmdline: ${r.cmdline}`);
    console.log(`boot: ${r.bootSeconds.toFixed(1)} s`);
    return;
  }

  if (!image) throw new CliUsage('give an IMAGE to read, or --crash OUT.bin (see --help)');
  const bytes = new Uint8Array(readFileSync(image));
  const { params, compress } = ramoopsParams(o, bytes.length);
  const view = await kernelRead(bytes, params, { compress, erase: o.erase, kernel: o.kernel, rtcBase: o.rtcBase, timeoutMs, keepDir: o.keep });
  if (o.serial) process.stdout.write(view.serial);
  if (o.json) {
    console.log(JSON.stringify({
      files: view.files.map((f) => ({ name: f.name, size: f.size, mode: f.mode, mtime: f.mtime, mtime_epoch: f.mtimeEpoch, mtime_nsec: f.mtimeNsec, sha256: sha256(f.data) })),
      pstore_log: view.pstoreLog,
      cmdline: view.cmdline,
      boot_seconds: view.bootSeconds,
    }, null, 2));
  } else {
    printView(view, bytes);
  }
  if (o.out) writeOut(o.out, view, bytes);
  if (o.regionAfter) writeFileSync(o.regionAfter, view.regionAfter);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  const err = e as Error & { code?: string; exitCode?: number };
  if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') process.exit(0);
  if (err.code?.startsWith('commander.')) process.exit(2); // commander already printed it
  if (e instanceof CliUsage || e instanceof RangeError) {
    console.error(`kernel-vm: ${err.message}`);
    process.exit(2);
  }
  if (e instanceof VmSetupError || e instanceof VmBootError || (err.code && /^E[A-Z]+$/.test(err.code))) {
    console.error(`kernel-vm: ${err.message}`);
    process.exit(1);
  }
  console.error(err.stack ?? String(e));
  process.exit(1);
});
