import { UsageError } from '../../errors.js';

/** What the on-media formats need to know about the machine that wrote them. */
export interface Arch {
  name: string;
  /** sizeof(unsigned long): ftrace records are 2 words + u64. */
  wordSize: 4 | 8;
  littleEndian: boolean;
  /** PSTORE_CPU_IN_IP: the CPU number is in the low bits of ip (ARM, PowerPC), not in ts. */
  cpuInIp: boolean;
}

const ARCHES: Record<string, Arch> = {
  x86_64: { name: 'x86_64', wordSize: 8, littleEndian: true, cpuInIp: false },
  x86: { name: 'x86', wordSize: 4, littleEndian: true, cpuInIp: false },
  arm64: { name: 'arm64', wordSize: 8, littleEndian: true, cpuInIp: false },
  arm: { name: 'arm', wordSize: 4, littleEndian: true, cpuInIp: true },
  riscv64: { name: 'riscv64', wordSize: 8, littleEndian: true, cpuInIp: false },
  ppc64: { name: 'ppc64', wordSize: 8, littleEndian: false, cpuInIp: true },
  ppc64le: { name: 'ppc64le', wordSize: 8, littleEndian: true, cpuInIp: true },
  ppc: { name: 'ppc', wordSize: 4, littleEndian: false, cpuInIp: true },
  mips: { name: 'mips', wordSize: 4, littleEndian: false, cpuInIp: false },
  mipsel: { name: 'mipsel', wordSize: 4, littleEndian: true, cpuInIp: false },
};
const ALIASES: Record<string, string> = { amd64: 'x86_64', i386: 'x86', i686: 'x86', aarch64: 'arm64', armhf: 'arm', arm32: 'arm', powerpc: 'ppc' };

export const DEFAULT_ARCH = 'x86_64';
export const ARCH_NAMES = Object.keys(ARCHES);

export function archByName(name: string = DEFAULT_ARCH): Arch {
  const a = ARCHES[ALIASES[name] ?? name];
  if (!a) throw new UsageError(`--arch: unknown architecture '${name}' (known: ${ARCH_NAMES.join(', ')})`);
  return a;
}
