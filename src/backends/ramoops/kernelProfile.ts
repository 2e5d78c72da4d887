import { UsageError } from '../../errors.js';
import type { EmptyZoneRule } from '../../zone/persistentRamZone.js';

/**
 * The kernel behaviours that differ between versions and that decide what
 * is on the medium or what /sys/fs/pstore shows.
 */
export interface KernelProfile {
  /** As given by the user, e.g. `6.1`, `6.12.117`, `debian-6.1`. */
  name: string;
  major: number;
  minor: number;
  /** Patch level; null when not given (then ftrace signatures are taken from the image). */
  patch: number | null;
  /** From 6.2 pmsg sits before ftrace ("pstore/ram: Move pmsg init earlier"). */
  zoneOrder: 'dmesg,console,ftrace,pmsg' | 'dmesg,console,pmsg,ftrace';
  emptyRule: EmptyZoneRule;
  /** dmesg/ftrace zone size ALIGN_DOWN(…, 2): 6.8, and in current 6.1 LTS. */
  alignDown2: boolean;
  /** Before 6.6 the crypto API compressors; from 6.6 zlib deflate only. */
  compression: 'crypto' | 'zlib';
  /** CONFIG_PSTORE_FTRACE: without it the kernel shows no ftrace file (Debian's kernels). */
  ftraceFrontend: boolean;
  /** The ftrace file walk counts the ECC notice into the record length (6.1 through 6.12 at least). */
  ftraceNoticeBug: boolean;
}

/** LINUX_VERSION_CODE: the ftrace zone signature. Patch levels over 255 saturate. */
export function linuxVersionCode(major: number, minor: number, patch: number): number {
  return (major << 16) + (minor << 8) + Math.min(patch, 255);
}

export const DEFAULT_KERNEL = '6.1';

/**
 * Parse `--kernel`: `6.1`, `6.1.192`, `6.12`, `5.10`, `debian-6.1` (Debian's
 * build: no CONFIG_PSTORE_FTRACE). `6.1` means the 6.1 LTS as shipped now,
 * which carries the 6.6 empty-zone fix and the 6.8 ALIGN_DOWN change.
 */
export function kernelProfile(spec: string = DEFAULT_KERNEL): KernelProfile {
  const m = /^(debian-)?(\d+)\.(\d+)(?:\.(\d+))?$/.exec(spec.trim());
  if (!m) throw new UsageError(`--kernel: '${spec}' is not a kernel version (e.g. 6.1, 6.12.117, debian-6.1)`);
  const debian = Boolean(m[1]);
  const major = Number(m[2]);
  const minor = Number(m[3]);
  const patch = m[4] === undefined ? null : Number(m[4]);
  if (major < 3 || major > 9) throw new UsageError(`--kernel: unsupported kernel version '${spec}'`);
  const v = major * 1000 + minor;
  const lts61 = major === 6 && minor === 1;
  return {
    name: spec,
    major,
    minor,
    patch,
    zoneOrder: v >= 6002 ? 'dmesg,console,pmsg,ftrace' : 'dmesg,console,ftrace,pmsg',
    emptyRule: v >= 6006 || lts61 ? 'size-and-start' : 'size-only',
    alignDown2: v >= 6008 || lts61,
    compression: v >= 6006 ? 'zlib' : 'crypto',
    ftraceFrontend: !debian,
    ftraceNoticeBug: true,
  };
}
