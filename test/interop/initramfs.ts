// Builds the guest initramfs (busybox, ramoops + reed_solomon modules, /init)
// and caches it under .vm-cache/, keyed by a hash of everything that goes in.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { cpioNewc, type CpioEntry } from './newc.js';
import { buildOopsModule } from './oops-module.js';

const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = join(HERE, '..', '..');
export const VM_CACHE = process.env.HX_VM_CACHE ?? join(REPO_ROOT, '.vm-cache');
const BUILDER_VERSION = '2';
/** How many distinct Oops modules the image carries (hx.oops=N, N <= this). */
export const MAX_OOPS = 3;

/** The guest kernels the harness can boot: Debian's 6.1 and 6.12 builds. */
export type GuestKernelVersion = '6.1' | '6.12';
export const GUEST_KERNELS: readonly GuestKernelVersion[] = ['6.1', '6.12'];
export const DEFAULT_GUEST_KERNEL: GuestKernelVersion = '6.1';

/** What differs between the Debian kernels the guest boots. */
export interface GuestKernelSpec {
  /** Debian package that ships it (for the install hint). */
  package: string;
  /** /boot/vmlinuz-<release> names of this kernel; the newest match wins. */
  vmlinuz: RegExp;
  /** Environment variable that overrides the vmlinuz path. */
  envKernel: string;
  /** Our reader's --kernel profile for what this build shows (Debian: no ftrace frontend). */
  profile: 'debian-6.1' | 'debian-6.12';
  /** Modules for pstore/blk on /dev/vda, in insmod order (kernel/… path, name in the initramfs). */
  blkModules: readonly (readonly [string, string])[];
  /** A small module of this kernel whose init the Oops modules are patched from. */
  oopsSource: string;
  /**
   * Command-line words that only make the boot faster: no crypto self-tests,
   * and no initcalls that take seconds under TCG and that pstore does not need.
   */
  bootArgs: readonly string[];
}

const PSTORE_BLK: readonly (readonly [string, string])[] = [
  ['drivers/block/virtio_blk.ko', 'virtio_blk.ko'],
  ['fs/pstore/pstore_zone.ko', 'pstore_zone.ko'],
  ['fs/pstore/pstore_blk.ko', 'pstore_blk.ko'],
];

export const GUEST_KERNEL_SPECS: Readonly<Record<GuestKernelVersion, GuestKernelSpec>> = {
  '6.1': {
    package: 'linux-image-amd64',
    vmlinuz: /^vmlinuz-6\.1\.0-\d+-amd64$/,
    envKernel: 'HX_KERNEL',
    profile: 'debian-6.1',
    // 6.1 builds the virtio core as modules too.
    blkModules: [
      ['drivers/virtio/virtio_ring.ko', 'virtio_ring.ko'],
      ['drivers/virtio/virtio.ko', 'virtio.ko'],
      ['drivers/virtio/virtio_pci_legacy_dev.ko', 'virtio_pci_legacy_dev.ko'],
      ['drivers/virtio/virtio_pci_modern_dev.ko', 'virtio_pci_modern_dev.ko'],
      ['drivers/virtio/virtio_pci.ko', 'virtio_pci.ko'],
      ...PSTORE_BLK,
    ],
    oopsSource: 'lib/test_user_copy.ko',
    bootArgs: ['cryptomgr.notests'],
  },
  '6.12': {
    package: 'linux-image-6.12.107+deb12-amd64-unsigned',
    vmlinuz: /^vmlinuz-6\.12\.\d+\+deb\d+-amd64$/,
    envKernel: 'HX_KERNEL_6_12',
    profile: 'debian-6.12',
    // virtio core and virtio_pci are built in; only virtio_blk is a module.
    blkModules: PSTORE_BLK,
    // No test_user_copy.ko in this build: a small module with no exports
    // (several renamed copies load side by side) and no dependencies.
    oopsSource: 'crypto/michael_mic.ko',
    // jitterentropy's self-test, the built-in certificates, KDF and encrypted-key setup: ~5 s of a TCG boot.
    bootArgs: ['cryptomgr.notests', 'initcall_blacklist=jent_mod_init,crypto_kdf108_init,load_system_certificate_list,init_encrypted'],
  },
};

/** Host inputs of a guest: the kernel to boot and where its modules live. */
export interface GuestKernel {
  version: GuestKernelVersion;
  kernel: string;
  release: string;
  modulesDir: string;
  busybox: string;
}

export class VmSetupError extends Error {
  override name = 'VmSetupError';
}

function installHint(version: GuestKernelVersion): string {
  return `install them with: apt-get install -y qemu-system-x86 ${GUEST_KERNEL_SPECS[version].package} busybox-static xz-utils`;
}

/** Numeric parts of a release, for picking the newest of several installed builds. */
function releaseKey(name: string): number[] {
  return (name.match(/\d+/g) ?? []).map(Number);
}

function newer(a: string, b: string): number {
  const x = releaseKey(a);
  const y = releaseKey(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

/** Find Debian's kernel of this version (override with HX_KERNEL / HX_KERNEL_6_12=/boot/vmlinuz-...). */
export function findGuestKernel(version: GuestKernelVersion = DEFAULT_GUEST_KERNEL): GuestKernel {
  const spec = GUEST_KERNEL_SPECS[version];
  let kernel = process.env[spec.envKernel];
  if (!kernel) {
    const candidates = existsSync('/boot') ? readdirSync('/boot').filter((n) => spec.vmlinuz.test(n)).sort(newer) : [];
    const last = candidates.at(-1);
    if (!last) throw new VmSetupError(`no /boot/vmlinuz for Debian's ${version} kernel found; ${installHint(version)}`);
    kernel = join('/boot', last);
  }
  if (!existsSync(kernel)) throw new VmSetupError(`kernel ${kernel} does not exist; ${installHint(version)}`);
  const release = kernel.replace(/^.*vmlinuz-/, '');
  // HX_MODULES_DIR keeps meaning the 6.1 modules, as before the kernel choice.
  const modulesDir = (version === '6.1' ? process.env.HX_MODULES_DIR : undefined) ?? join('/lib/modules', release);
  if (!existsSync(modulesDir)) throw new VmSetupError(`modules directory ${modulesDir} missing; ${installHint(version)}`);
  const busybox = process.env.HX_BUSYBOX ?? '/bin/busybox';
  if (!existsSync(busybox)) throw new VmSetupError(`${busybox} missing; ${installHint(version)}`);
  return { version, kernel, release, modulesDir, busybox };
}

/** Read a module, decompressing .ko.xz / .ko.zst on the host (busybox insmod cannot). */
export function readModule(modulesDir: string, rel: string): Uint8Array {
  const base = join(modulesDir, 'kernel', rel);
  if (existsSync(base)) return readFileSync(base);
  if (existsSync(base + '.xz')) return execFileSync('xz', ['-dc', base + '.xz'], { maxBuffer: 64 << 20 });
  if (existsSync(base + '.zst')) return execFileSync('zstd', ['-dc', base + '.zst'], { maxBuffer: 64 << 20 });
  throw new VmSetupError(`module ${base} (.xz/.zst) not found; install the kernel package that ships ${modulesDir}`);
}

function assertStaticBusybox(bytes: Uint8Array, path: string): void {
  // A dynamic busybox would die in the guest with no libc; PT_INTERP marks one.
  const text = Buffer.from(bytes.subarray(0, 4096)).toString('latin1');
  if (text.includes('/lib64/ld-linux') || text.includes('/lib/ld-linux')) {
    throw new VmSetupError(`${path} is dynamically linked; install busybox-static`);
  }
}

function sha256(...parts: (Uint8Array | string)[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

/** Path of the cached initramfs for this kernel (built on first use). */
export function guestInitramfs(g: GuestKernel): string {
  const busybox = readFileSync(g.busybox);
  assertStaticBusybox(busybox, g.busybox);
  const rs = readModule(g.modulesDir, 'lib/reed_solomon/reed_solomon.ko');
  const ramoops = readModule(g.modulesDir, 'fs/pstore/ramoops.ko');
  const init = readFileSync(join(HERE, 'guest-init.sh'));
  const spec = GUEST_KERNEL_SPECS[g.version];
  const oopsSource = readModule(g.modulesDir, spec.oopsSource);
  // pstore/blk on a virtio disk, in load order (hx.pblk=…); /init reads the order from blk.list.
  const blkModules = spec.blkModules.map(([rel, name]) => ({ name, data: readModule(g.modulesDir, rel) }));
  const blkList = new TextEncoder().encode(blkModules.map((m) => m.name.replace(/\.ko$/, '')).join('\n') + '\n');
  const key = sha256(BUILDER_VERSION, busybox, rs, ramoops, init, oopsSource, readFileSync(join(HERE, 'oops-module.ts')), blkList, ...blkModules.map((m) => m.data)).slice(0, 16);
  mkdirSync(VM_CACHE, { recursive: true });
  const out = join(VM_CACHE, `initramfs-${g.release}-${key}.cpio.gz`);
  if (existsSync(out)) return out;

  const applets = execFileSync(g.busybox, ['--list']).toString().split('\n').filter((a) => a && a !== 'busybox');
  const entries: CpioEntry[] = [
    { kind: 'dir', path: 'bin' },
    { kind: 'dir', path: 'dev' },
    { kind: 'dir', path: 'proc' },
    { kind: 'dir', path: 'sys' },
    { kind: 'dir', path: 'tmp' },
    { kind: 'dir', path: 'hx' },
    { kind: 'dir', path: 'lib' },
    { kind: 'dir', path: 'lib/modules' },
    { kind: 'file', path: 'bin/busybox', data: busybox, mode: 0o755 },
    ...applets.map((a): CpioEntry => ({ kind: 'symlink', path: `bin/${a}`, target: 'busybox' })),
    { kind: 'file', path: 'lib/modules/reed_solomon.ko', data: rs },
    { kind: 'file', path: 'lib/modules/ramoops.ko', data: ramoops },
    { kind: 'file', path: 'init', data: init, mode: 0o755 },
    ...blkModules.map((m): CpioEntry => ({ kind: 'file', path: `lib/modules/${m.name}`, data: m.data })),
    { kind: 'file', path: 'lib/modules/blk.list', data: blkList },
  ];
  for (let i = 1; i <= MAX_OOPS; i++) {
    entries.push({ kind: 'file', path: `lib/modules/hx_oops${i}.ko`, data: buildOopsModule(oopsSource, `hx_oops${i}`) });
  }
  const gz = gzipSync(cpioNewc(entries), { level: 6 });
  const tmp = `${out}.${process.pid}.tmp`;
  writeFileSync(tmp, gz);
  renameSync(tmp, out); // atomic: parallel builders never see half a file
  for (const n of readdirSync(VM_CACHE)) {
    // Older builds for this kernel are stale now.
    if (n.startsWith(`initramfs-${g.release}-`) && n.endsWith('.cpio.gz') && join(VM_CACHE, n) !== out) rmSync(join(VM_CACHE, n), { force: true });
  }
  return out;
}

/** An uncompressed cpio appended after the cached one: per-boot files such as /hx/lines. */
export function taskArchive(files: Record<string, Uint8Array>): Uint8Array {
  return cpioNewc(Object.entries(files).map(([path, data]): CpioEntry => ({ kind: 'file', path, data })));
}
