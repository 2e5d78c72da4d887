import { UsageError } from '../errors.js';
import type { EmptyZoneRule } from '../zone/persistentRamZone.js';

/**
 * The pstore frontends a kernel was built with (CONFIG_PSTORE_CONSOLE,
 * CONFIG_PSTORE_PMSG, CONFIG_PSTORE_FTRACE). dmesg (the kmsg dumper) is always
 * there. They decide what a kernel writes and, for ftrace, what it reads:
 * without CONFIG_PSTORE_FTRACE the per-CPU ftrace merge is a stub that yields
 * nothing, and pstore/blk sizes the zones of missing frontends 0 by default.
 */
export interface Frontends {
  console: boolean;
  pmsg: boolean;
  ftrace: boolean;
}

export const FRONTEND_NAMES = ['dmesg', 'console', 'pmsg', 'ftrace'] as const;

/**
 * The kernel behaviours that differ between versions and builds and that
 * decide what is on the medium or what /sys/fs/pstore shows. Every backend
 * (ramoops, blk) receives one.
 */
export interface KernelProfile {
  /** As given by the user, e.g. `6.1`, `6.12.117`, `debian-6.1`, `6.12:dmesg,console`. */
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
  /** The build's frontends (`--frontends`; distribution profiles fix them). */
  frontends: Frontends;
  /** CONFIG_PSTORE_FTRACE (same as frontends.ftrace; kept for readers of the old field). */
  ftraceFrontend: boolean;
  /** The ftrace file walk counts the ECC notice into the record length (6.1 through 6.12 at least). */
  ftraceNoticeBug: boolean;
}

/** LINUX_VERSION_CODE: the ftrace zone signature. Patch levels over 255 saturate. */
export function linuxVersionCode(major: number, minor: number, patch: number): number {
  return (major << 16) + (minor << 8) + Math.min(patch, 255);
}

export const DEFAULT_KERNEL = '6.1';

const ALL: Frontends = { console: true, pmsg: true, ftrace: true };

/**
 * Distribution kernels, named after their packages: the version and the
 * frontends of the build (both Debian kernels: `# CONFIG_PSTORE_CONSOLE is
 * not set`, same for PMSG and FTRACE, in /boot/config-*).
 */
const DISTRIBUTIONS: Record<string, Frontends> = {
  debian: { console: false, pmsg: false, ftrace: false },
};

/** `dmesg,console,pmsg` / `all` / `dmesg` → Frontends; dmesg is implied. */
export function parseFrontends(list: string, where = '--frontends'): Frontends {
  const t = list.trim().toLowerCase();
  if (t === 'all') return { ...ALL };
  const out: Frontends = { console: false, pmsg: false, ftrace: false };
  for (const raw of t.split(',')) {
    const n = raw.trim();
    if (n === 'dmesg' || n === 'none') continue;
    if (n === 'console' || n === 'pmsg' || n === 'ftrace') out[n] = true;
    else throw new UsageError(`${where}: '${raw}' is not a frontend (${FRONTEND_NAMES.join(', ')}, or all)`);
  }
  return out;
}

/** Frontends as the list `parseFrontends` reads. */
export function formatFrontends(f: Frontends): string {
  return ['dmesg', ...(['console', 'pmsg', 'ftrace'] as const).filter((n) => f[n])].join(',');
}

/**
 * A kernel spec with the frontends fixed: `6.12` + `dmesg,console` →
 * `6.12:dmesg,console` (how `--frontends` and a params file's `frontends`
 * travel with `--kernel` through every option that takes a kernel name).
 */
export function withFrontends(spec: string | undefined, frontends: string | undefined): string | undefined {
  if (frontends === undefined) return spec;
  parseFrontends(frontends);
  const base = (spec ?? DEFAULT_KERNEL).split(':')[0];
  return `${base}:${frontends.trim()}`;
}

/**
 * Parse a kernel spec: `6.1`, `6.1.192`, `6.12`, `5.10`, a distribution
 * kernel `debian-6.1` / `debian-6.12` (its build's frontends), optionally
 * followed by `:FRONTENDS` (`6.12:dmesg,console,pmsg`). `6.1` means the 6.1
 * LTS as shipped now, which carries the 6.6 empty-zone fix and the 6.8
 * ALIGN_DOWN change. Without a distribution or a list every frontend is built.
 */
export function kernelProfile(spec: string = DEFAULT_KERNEL): KernelProfile {
  // Inference asks for the same few profiles thousands of times; profiles are frozen.
  let profile = PROFILES.get(spec);
  if (!profile) {
    profile = parseKernelProfile(spec);
    Object.freeze(profile.frontends);
    if (PROFILES.size >= 256) PROFILES.clear();
    PROFILES.set(spec, Object.freeze(profile));
  }
  return profile;
}

const PROFILES = new Map<string, KernelProfile>();

function parseKernelProfile(spec: string): KernelProfile {
  const m = /^(?:([a-z]+)-)?(\d+)\.(\d+)(?:\.(\d+))?(?::([a-z,\s]+))?$/.exec(spec.trim());
  const distro = m?.[1];
  if (!m || (distro !== undefined && !DISTRIBUTIONS[distro])) {
    throw new UsageError(`--kernel: '${spec}' is not a kernel version (e.g. 6.1, 6.12.117, debian-6.1, debian-6.12, 6.12:dmesg,console)`);
  }
  const major = Number(m[2]);
  const minor = Number(m[3]);
  const patch = m[4] === undefined ? null : Number(m[4]);
  if (major < 3 || major > 9) throw new UsageError(`--kernel: unsupported kernel version '${spec}'`);
  const frontends = m[5] !== undefined ? parseFrontends(m[5], `--kernel '${spec}'`) : { ...(distro ? DISTRIBUTIONS[distro] : ALL) };
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
    frontends,
    ftraceFrontend: frontends.ftrace,
    ftraceNoticeBug: true,
  };
}
