import { LayoutError } from '../../errors.js';
import { przGeometry, type PrzGeometry } from '../../zone/eccLayout.js';
import { archByName, type Arch } from './arch.js';
import { kernelProfile, type KernelProfile } from './kernelProfile.js';

/** ramoops parameters, named like the module parameters. */
export interface RamoopsParams {
  mem_size: number;
  record_size: number;
  console_size: number;
  ftrace_size: number;
  pmsg_size: number;
  /** ECC roots per 128-byte block; 1 means 16 (legacy), 0 off. */
  ecc: number;
  /** Highest kmsg_dump reason recorded (2 = Oops). */
  max_reason: number;
  /** mem_address: only for the device tree / cmdline output. */
  mem_address?: number;
}

/** Module-parameter defaults (fs/pstore/ram.c). */
export const RAMOOPS_DEFAULTS: Omit<RamoopsParams, 'mem_size'> = {
  record_size: 4096,
  console_size: 4096,
  ftrace_size: 4096,
  pmsg_size: 4096,
  ecc: 0,
  max_reason: 2,
};

export interface RamoopsLayoutOptions {
  params: RamoopsParams;
  /** nr_cpu_ids of the crashed kernel: per-CPU ftrace zones (module params always use per-CPU). */
  ftraceCpus?: number;
  /** RAMOOPS_FLAG_FTRACE_PER_CPU; true for module parameters, DT "flags" bit 0 otherwise. */
  ftracePerCpu?: boolean;
  kernel?: KernelProfile | string;
  arch?: Arch | string;
}

export type RamoopsZoneType = 'dmesg' | 'console' | 'ftrace' | 'pmsg';

export interface RamoopsZone {
  type: RamoopsZoneType;
  /** Index among zones of its type. */
  index: number;
  /** e.g. `ramoops:dmesg(0/15)`, `ramoops:console`. */
  label: string;
  /** Offset from the region start (mem_address). */
  offset: number;
  size: number;
  geometry: PrzGeometry;
  /** Console and pmsg zones are zapped once their old log is saved. */
  zapOld: boolean;
}

export interface RamoopsLayout {
  /** Parameters after the kernel's power-of-two rounding and ecc=1 → 16. */
  params: RamoopsParams;
  kernel: KernelProfile;
  arch: Arch;
  ftraceCpus: number;
  ftracePerCpu: boolean;
  zones: RamoopsZone[];
  dmesgCount: number;
  ftraceCount: number;
  /** psinfo->bufsize: the dmesg zones' usable data size (0 without dmesg zones). */
  bufsize: number;
  /** Bytes of the region the zones use. */
  used: number;
  /** Where the kernel changes what was asked (rounding) or leaves space unused. */
  warnings: string[];
}

function isPow2(n: number): boolean {
  return n > 0 && Number.isInteger(Math.log2(n));
}

function rounddownPow2(n: number): number {
  return 2 ** Math.floor(Math.log2(n));
}

const hex = (n: number): string => `0x${n.toString(16)}`;

// Layout inference builds thousands of layouts from a few zone sizes: labels
// and geometries are computed once and shared (geometries are frozen).
const LABELS = new Map<string, string>();
const GEOMETRIES = new Map<number, PrzGeometry>();
const MEMO_MAX = 4096;

function zoneLabel(type: RamoopsZoneType, index: number, count: number): string {
  const key = `${type}/${index}/${count}`;
  let label = LABELS.get(key);
  if (label === undefined) {
    label = count === 1 ? `ramoops:${type}` : `ramoops:${type}(${index}/${count - 1})`;
    if (LABELS.size >= MEMO_MAX) LABELS.clear();
    LABELS.set(key, label);
  }
  return label;
}

/** przGeometry, shared between layouts; errors (and their labels) are never cached. */
function sharedGeometry(size: number, ecc: number, label: string): PrzGeometry {
  const key = size * 256 + ecc;
  const cacheable = Number.isSafeInteger(key) && ecc >= 0 && ecc < 256;
  let g = cacheable ? GEOMETRIES.get(key) : undefined;
  if (g === undefined) {
    g = Object.freeze(przGeometry(size, ecc, label));
    if (cacheable) {
      if (GEOMETRIES.size >= MEMO_MAX) GEOMETRIES.clear();
      GEOMETRIES.set(key, g);
    }
  }
  return g;
}

/**
 * The zone map ramoops_probe builds from its parameters: power-of-two
 * rounding, dmesg zones dividing what is left, per-CPU ftrace zones, and the
 * zone order of the kernel profile. Throws LayoutError where the kernel's
 * probe fails.
 */
export function ramoopsLayout(options: RamoopsLayoutOptions): RamoopsLayout {
  const kernel = typeof options.kernel === 'string' || options.kernel === undefined ? kernelProfile(options.kernel) : options.kernel;
  const arch = typeof options.arch === 'string' || options.arch === undefined ? archByName(options.arch) : options.arch;
  const warnings: string[] = [];
  const p: RamoopsParams = { ...options.params };
  for (const key of ['mem_size', 'record_size', 'console_size', 'ftrace_size', 'pmsg_size', 'ecc', 'max_reason'] as const) {
    const v = p[key];
    if (!Number.isSafeInteger(v) || v < 0) throw new LayoutError(`${key} must be a non-negative integer (got ${v})`);
  }
  if (p.ecc === 1) {
    p.ecc = 16;
    warnings.push('ecc=1 means 16 bytes of ECC per block (legacy module parameter)');
  }
  if (!p.mem_size || (!p.record_size && !p.console_size && !p.ftrace_size && !p.pmsg_size)) {
    throw new LayoutError('the memory size and the record/console size must be non-zero (the kernel refuses this layout)');
  }
  for (const key of ['record_size', 'console_size', 'ftrace_size', 'pmsg_size'] as const) {
    const v = p[key];
    if (v && !isPow2(v)) {
      const r = rounddownPow2(v);
      warnings.push(`${key} ${hex(v)} is not a power of two: the kernel rounds it down to ${hex(r)}`);
      p[key] = r;
    }
  }
  const ftracePerCpu = options.ftracePerCpu ?? true;
  const ftraceCpus = options.ftraceCpus ?? 1;
  if (!Number.isInteger(ftraceCpus) || ftraceCpus < 1 || ftraceCpus > 8192) {
    throw new LayoutError(`ftrace CPU count must be 1..8192 (got ${ftraceCpus})`);
  }

  const zones: RamoopsZone[] = [];
  let paddr = 0;
  const ecc = p.ecc;
  const room = (name: string, size: number): void => {
    if (paddr + size > p.mem_size) {
      throw new LayoutError(`no room for ${name} mem region (${hex(size)} at ${hex(paddr)}) in ${hex(p.mem_size)} bytes`);
    }
  };
  const addZone = (type: RamoopsZoneType, index: number, count: number, size: number, zapOld: boolean): void => {
    const label = zoneLabel(type, index, count);
    zones.push({ type, index, label, offset: paddr, size, geometry: sharedGeometry(size, ecc, label), zapOld });
    paddr += size;
  };
  /** ramoops_init_przs: a run of equal zones. recordSize < 0 means "divide by count". */
  const addZones = (type: RamoopsZoneType, memSz: number, recordSize: number, countIn: number): number => {
    if (memSz === 0 || recordSize === 0) return 0;
    let count = countIn;
    if (recordSize < 0) {
      if (count === 0) return 0;
      if (Math.floor(memSz / count) === 0) throw new LayoutError(`${type} record size == 0 (${memSz} / ${count})`);
    } else {
      count = Math.floor(memSz / recordSize);
      if (count === 0) throw new LayoutError(`${type} record count == 0 (${hex(memSz)} / ${hex(recordSize)})`);
    }
    room(type, memSz);
    let zoneSz = Math.floor(memSz / count);
    if (kernel.alignDown2) zoneSz &= ~1;
    if (!zoneSz) throw new LayoutError(`${type} zone size == 0`);
    for (let i = 0; i < count; i++) addZone(type, i, count, zoneSz, false);
    return count;
  };
  const addSingle = (type: RamoopsZoneType, size: number): void => {
    if (!size) return;
    room(type, size);
    addZone(type, 0, 1, size, true);
  };

  const dumpMemSz = p.mem_size - p.console_size - p.ftrace_size - p.pmsg_size;
  if (dumpMemSz < 0) {
    throw new LayoutError(
      `console+ftrace+pmsg sizes (${hex(p.console_size + p.ftrace_size + p.pmsg_size)}) exceed mem_size ${hex(p.mem_size)}`,
    );
  }
  const dmesgCount = addZones('dmesg', dumpMemSz, p.record_size, 0);
  addSingle('console', p.console_size);
  let ftraceCount = 0;
  const ftrace = (): void => {
    ftraceCount = addZones('ftrace', p.ftrace_size, -1, ftracePerCpu ? ftraceCpus : 1);
  };
  if (kernel.zoneOrder === 'dmesg,console,pmsg,ftrace') {
    addSingle('pmsg', p.pmsg_size);
    ftrace();
  } else {
    ftrace();
    addSingle('pmsg', p.pmsg_size);
  }
  if (paddr < p.mem_size) {
    warnings.push(`${hex(p.mem_size - paddr)} bytes at the end of the region (from ${hex(paddr)}) are not used by any zone`);
  }
  const firstDmesg = zones.find((z) => z.type === 'dmesg');
  return {
    params: p,
    kernel,
    arch,
    ftraceCpus,
    ftracePerCpu,
    zones,
    dmesgCount,
    ftraceCount,
    bufsize: firstDmesg ? firstDmesg.geometry.dataSize : 0,
    used: paddr,
    warnings,
  };
}
