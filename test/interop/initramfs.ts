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

/** Modules for pstore/blk on /dev/vda, in insmod order (guest-init.sh loads them by these names). */
export const BLK_MODULES: readonly (readonly [string, string])[] = [
  ['drivers/virtio/virtio_ring.ko', 'virtio_ring.ko'],
  ['drivers/virtio/virtio.ko', 'virtio.ko'],
  ['drivers/virtio/virtio_pci_legacy_dev.ko', 'virtio_pci_legacy_dev.ko'],
  ['drivers/virtio/virtio_pci_modern_dev.ko', 'virtio_pci_modern_dev.ko'],
  ['drivers/virtio/virtio_pci.ko', 'virtio_pci.ko'],
  ['drivers/block/virtio_blk.ko', 'virtio_blk.ko'],
  ['fs/pstore/pstore_zone.ko', 'pstore_zone.ko'],
  ['fs/pstore/pstore_blk.ko', 'pstore_blk.ko'],
];

/** efi-pstore (no module dependencies: the efivars core is built in); hx.efi=1 loads it. */
export const EFI_MODULE = ['drivers/firmware/efi/efi-pstore.ko', 'efi-pstore.ko'] as const;

/** Host inputs of a guest: the kernel to boot and where its modules live. */
export interface GuestKernel {
  kernel: string;
  release: string;
  modulesDir: string;
  busybox: string;
}

export class VmSetupError extends Error {
  override name = 'VmSetupError';
}

const INSTALL_HINT = 'install them with: apt-get install -y qemu-system-x86 linux-image-amd64 busybox-static';

/** Find Debian's 6.1 kernel (override with HX_KERNEL=/boot/vmlinuz-...). */
export function findGuestKernel(): GuestKernel {
  let kernel = process.env.HX_KERNEL;
  if (!kernel) {
    const candidates = existsSync('/boot')
      ? readdirSync('/boot').filter((n) => /^vmlinuz-6\.1\.0-\d+-amd64$/.test(n)).sort(
          (a, b) => Number(a.split('-')[2]) - Number(b.split('-')[2]),
        )
      : [];
    const last = candidates.at(-1);
    if (!last) throw new VmSetupError(`no /boot/vmlinuz-6.1.0-*-amd64 found; ${INSTALL_HINT}`);
    kernel = join('/boot', last);
  }
  if (!existsSync(kernel)) throw new VmSetupError(`kernel ${kernel} does not exist; ${INSTALL_HINT}`);
  const release = kernel.replace(/^.*vmlinuz-/, '');
  const modulesDir = process.env.HX_MODULES_DIR ?? join('/lib/modules', release);
  if (!existsSync(modulesDir)) throw new VmSetupError(`modules directory ${modulesDir} missing; ${INSTALL_HINT}`);
  const busybox = process.env.HX_BUSYBOX ?? '/bin/busybox';
  if (!existsSync(busybox)) throw new VmSetupError(`${busybox} missing; ${INSTALL_HINT}`);
  return { kernel, release, modulesDir, busybox };
}

/** Read a module, decompressing .ko.xz / .ko.zst on the host (busybox insmod cannot). */
export function readModule(modulesDir: string, rel: string): Uint8Array {
  const base = join(modulesDir, 'kernel', rel);
  if (existsSync(base)) return readFileSync(base);
  if (existsSync(base + '.xz')) return execFileSync('xz', ['-dc', base + '.xz'], { maxBuffer: 64 << 20 });
  if (existsSync(base + '.zst')) return execFileSync('zstd', ['-dc', base + '.zst'], { maxBuffer: 64 << 20 });
  throw new VmSetupError(`module ${base} (.xz/.zst) not found; ${INSTALL_HINT}`);
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
  const oopsSource = readModule(g.modulesDir, 'lib/test_user_copy.ko');
  // pstore/blk on a virtio disk, in load order (hx.pblk=…), and efi-pstore (hx.efi=1).
  const moreModules = [...BLK_MODULES, EFI_MODULE].map(([rel, name]) => ({ name, data: readModule(g.modulesDir, rel) }));
  const key = sha256(BUILDER_VERSION, busybox, rs, ramoops, init, oopsSource, readFileSync(join(HERE, 'oops-module.ts')), ...moreModules.map((m) => m.data)).slice(0, 16);
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
    ...moreModules.map((m): CpioEntry => ({ kind: 'file', path: `lib/modules/${m.name}`, data: m.data })),
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
