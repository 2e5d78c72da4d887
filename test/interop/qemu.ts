// Runs one QEMU boot (TCG, guest RAM backed by a file) with a hard timeout, and
// caps how many boots run at once across processes (slot files in .vm-cache).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, unlinkSync, writeSync, ftruncateSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { VM_CACHE, VmSetupError } from './initramfs.js';

export const QEMU = process.env.HX_QEMU ?? 'qemu-system-x86_64';
export const GUEST_RAM_MB = 512;

export interface QemuBoot {
  kernel: string;
  initrd: string;
  append: string;
  /** File holding guest RAM (created by the caller, GUEST_RAM_MB large). */
  ramFile: string;
  /** Directory for the serial logs. */
  workDir: string;
  rtcBase: string;
  timeoutMs: number;
  smp?: number;
  /** Raw disk image attached as virtio-blk (/dev/vda in the guest). */
  disk?: string;
  /** Boot through UEFI firmware (q35 machine, two pflash chips) instead of QEMU's default BIOS. */
  firmware?: UefiFirmware;
}

/** OVMF's split images: code (read-only) and the variable store the guest writes (changed in place). */
export interface UefiFirmware {
  code: string;
  vars: string;
}

export interface QemuResult {
  console: string;
  data: string;
  seconds: number;
  exitCode: number | null;
}

export class VmBootError extends Error {
  override name = 'VmBootError';
  constructor(
    message: string,
    readonly console: string,
  ) {
    super(`${message}\n--- last console lines ---\n${console.split('\n').slice(-25).join('\n')}`);
  }
}

let qemuChecked = false;
function checkQemu(): void {
  if (qemuChecked) return;
  try {
    execFileSync(QEMU, ['--version'], { stdio: 'pipe' });
  } catch {
    throw new VmSetupError(`${QEMU} not runnable; install it with: apt-get install -y qemu-system-x86`);
  }
  qemuChecked = true;
}

/** Max concurrent boots (all processes together); TCG wants one core per boot. */
export const MAX_BOOTS = Math.max(1, Number(process.env.HX_VM_JOBS ?? 2));

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function acquireSlot(): Promise<string> {
  const dir = join(VM_CACHE, 'slots');
  mkdirSync(dir, { recursive: true });
  for (;;) {
    for (let i = 0; i < MAX_BOOTS; i++) {
      const path = join(dir, `slot-${i}`);
      try {
        const fd = openSync(path, 'wx');
        writeSync(fd, String(process.pid));
        closeSync(fd);
        return path;
      } catch {
        // Taken: reclaim it if its owner died without releasing it.
        try {
          const owner = Number(readFileSync(path, 'utf8'));
          if (owner && !pidAlive(owner)) unlinkSync(path);
        } catch {
          /* raced with its release */
        }
      }
    }
    await sleep(150);
  }
}

// QEMU children die with us (an interrupted test run must not leave guests behind).
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/** Run one boot to completion (QEMU exits on guest reboot/poweroff). */
export async function runQemu(b: QemuBoot): Promise<QemuResult> {
  checkQemu();
  const consoleLog = join(b.workDir, 'console.log');
  const dataLog = join(b.workDir, 'data.log');
  const args = [
    '-accel', 'tcg',
    '-machine', `${b.firmware ? 'q35' : 'pc'},memory-backend=ram0`,
    '-m', `${GUEST_RAM_MB}M`,
    '-object', `memory-backend-file,id=ram0,size=${GUEST_RAM_MB}M,mem-path=${b.ramFile},share=on`,
    '-smp', String(b.smp ?? 1),
    '-kernel', b.kernel,
    '-initrd', b.initrd,
    '-append', b.append,
    '-no-reboot',
    '-display', 'none',
    '-nodefaults',
    '-monitor', 'none',
    '-serial', `file:${consoleLog}`,
    '-serial', `file:${dataLog}`,
    '-rtc', `base=${b.rtcBase},clock=vm`,
  ];
  if (b.disk) args.push('-drive', `file=${b.disk},if=virtio,format=raw,cache=writethrough`);
  if (b.firmware) {
    // -kernel still works: OVMF loads it from fw_cfg and starts it through its EFI stub.
    args.push('-drive', `if=pflash,format=raw,unit=0,readonly=on,file=${b.firmware.code}`);
    args.push('-drive', `if=pflash,format=raw,unit=1,file=${b.firmware.vars}`);
  }
  const slot = await acquireSlot();
  const started = performance.now();
  try {
    const child = spawn(QEMU, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    live.add(child);
    child.on('exit', () => live.delete(child));
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, b.timeoutMs);
    const exitCode = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code) => resolve(code));
    }).finally(() => clearTimeout(timer));
    const seconds = (performance.now() - started) / 1000;
    const read = (p: string): string => (existsSync(p) ? readFileSync(p, 'latin1').replace(/\r/g, '') : '');
    const result: QemuResult = { console: read(consoleLog), data: read(dataLog), seconds, exitCode };
    if (timedOut) throw new VmBootError(`QEMU boot timed out after ${b.timeoutMs / 1000} s and was killed (append: ${b.append})`, result.console);
    if (exitCode !== 0) throw new VmBootError(`QEMU exited with ${exitCode}: ${stderr.trim()}`, result.console);
    return result;
  } finally {
    try {
      unlinkSync(slot);
    } catch {
      /* already reclaimed */
    }
  }
}

/** A fresh sparse guest-RAM file with `image` (if any) laid at `address`. */
export function createRamFile(path: string, address: number, image?: Uint8Array): void {
  const fd = openSync(path, 'w');
  try {
    ftruncateSync(fd, GUEST_RAM_MB << 20);
    if (image?.length) writeSync(fd, image, 0, image.length, address);
  } finally {
    closeSync(fd);
  }
}

/** The bytes [address, address+size) of a guest-RAM file. */
export function cutRegion(path: string, address: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  const fd = openSync(path, 'r');
  try {
    let done = 0;
    while (done < size) {
      const n = readSync(fd, out, done, size - done, address + done);
      if (n <= 0) throw new Error(`guest RAM file ${path} ends before 0x${(address + size).toString(16)}`);
      done += n;
    }
  } finally {
    closeSync(fd);
  }
  return out;
}
