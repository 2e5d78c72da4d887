/**
 * Where pstore/zone puts its zones on a block device (fs/pstore/zone.c
 * psz_alloc_zones, register_pstore_zone; fs/pstore/blk.c for the KiB module
 * parameters).
 */
import { LayoutError } from '../../errors.js';
import type { PstoreType } from '../../core/record.js';

/** `PSZ_SIG` ("DBGC" little-endian); each zone stores it XOR its pstore type id. */
export const PSZ_SIG = 0x43474244;
/** sizeof(struct psz_buffer): u32 sig, atomic_t datalen, atomic_t start. */
export const PSZ_BUFFER_HEADER_SIZE = 12;
/** register_pstore_zone caps larger devices to 128 MiB. */
export const PSZ_MAX_TOTAL_SIZE = 128 * 1024 * 1024;
const SECTOR_SIZE = 512;

export type BlkZoneType = 'dmesg' | 'pmsg' | 'console' | 'ftrace';

/** enum pstore_type_id values of the types pstore/zone stores. */
export const BLK_TYPE_ID: Record<BlkZoneType, number> = { dmesg: 0, console: 2, ftrace: 3, pmsg: 7 };

export interface BlkLayoutParams {
  /** Bytes (0 = disabled). The module parameters are KiB: see blkParamsFromKiB. */
  kmsgSize: number;
  pmsgSize: number;
  consoleSize: number;
  ftraceSize: number;
  /** Device size in bytes (bdev_nr_bytes). */
  totalSize: number;
  maxReason: number;
  /** nr_cpu_ids: the ftrace area is split into this many zones (default 1). */
  ftraceCpus?: number;
}

export interface BlkZone {
  type: BlkZoneType & PstoreType;
  /** Index among zones of its type (kmsg zone number = dmesg record id; ftrace = CPU). */
  index: number;
  /** Byte offset of the psz_buffer header on the device. */
  offset: number;
  /** Whole zone, header included. */
  size: number;
  /** zone->buffer_size: bytes of data after the 12-byte header. */
  bufferSize: number;
  /** type id XOR PSZ_SIG. */
  sig: number;
  /** e.g. `pstore_blk:dmesg(3/60)`. */
  label: string;
}

export interface BlkLayout {
  /** Device size actually used (capped at 128 MiB). */
  totalSize: number;
  maxReason: number;
  ftraceCpus: number;
  /** The byte sizes asked for (a size can be set while its zones are empty, e.g. ftrace smaller than nr_cpu_ids). */
  sizes: { kmsg: number; pmsg: number; console: number; ftrace: number };
  /** Every zone in device order: pmsg, console, ftrace per CPU, kmsg zones. */
  zones: BlkZone[];
  pmsg: BlkZone | null;
  console: BlkZone | null;
  ftrace: BlkZone[];
  kmsg: BlkZone[];
  /** Bytes after the last zone (left untouched by the kernel). */
  unused: number;
}

function checkBytes(name: string, v: number, align: number, min: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new LayoutError(`${name} must be a non-negative integer (got ${v})`);
  if (v > 0 && v < min) throw new LayoutError(`${name} must be over ${min}`);
  if (v % align !== 0) throw new LayoutError(`${name} must be a multiple of ${align}`);
}

function makeZone(type: BlkZoneType, index: number, count: number, offset: number, size: number): BlkZone {
  if (size <= PSZ_BUFFER_HEADER_SIZE) {
    // The kernel would compute a negative (size_t-wrapped) buffer_size here.
    throw new LayoutError(`${type} zone of ${size} bytes cannot hold the ${PSZ_BUFFER_HEADER_SIZE}-byte zone header`);
  }
  return {
    type,
    index,
    offset,
    size,
    bufferSize: size - PSZ_BUFFER_HEADER_SIZE,
    sig: (BLK_TYPE_ID[type] ^ PSZ_SIG) >>> 0,
    label: `pstore_blk:${type}(${index}/${count - 1})`,
  };
}

/** The zones register_pstore_zone would lay out for these (byte) sizes. Throws LayoutError where the kernel refuses. */
export function blkLayout(params: BlkLayoutParams): BlkLayout {
  const { kmsgSize, pmsgSize, consoleSize, ftraceSize, maxReason } = params;
  const cpus = params.ftraceCpus ?? 1;
  if (!Number.isSafeInteger(cpus) || cpus < 1) throw new LayoutError(`ftraceCpus must be a positive integer (got ${cpus})`);
  if (!Number.isSafeInteger(params.totalSize) || params.totalSize < 4096) throw new LayoutError('total_size must be >= 4096');
  const totalSize = Math.min(params.totalSize, PSZ_MAX_TOTAL_SIZE);
  if (kmsgSize === 0 && pmsgSize === 0 && consoleSize === 0 && ftraceSize === 0) {
    throw new LayoutError('at least one record size must be non-zero');
  }
  checkBytes('total_size', totalSize, 4096, 4096);
  checkBytes('kmsg_size', kmsgSize, SECTOR_SIZE, SECTOR_SIZE);
  checkBytes('pmsg_size', pmsgSize, SECTOR_SIZE, SECTOR_SIZE);
  checkBytes('console_size', consoleSize, SECTOR_SIZE, SECTOR_SIZE);
  checkBytes('ftrace_size', ftraceSize, SECTOR_SIZE, SECTOR_SIZE);

  const zones: BlkZone[] = [];
  let off = 0;
  const single = (type: BlkZoneType, size: number): BlkZone | null => {
    if (size === 0) return null;
    if (off + size > totalSize) throw new LayoutError(`no room for ${type} (0x${size.toString(16)}@0x${off.toString(16)} over 0x${totalSize.toString(16)})`);
    const z = makeZone(type, 0, 1, off, size);
    off += size;
    zones.push(z);
    return z;
  };
  const many = (type: BlkZoneType, area: number, recordSize: number): BlkZone[] => {
    if (area === 0 || recordSize === 0) return [];
    if (area < 0 || off + area > totalSize) throw new LayoutError(`no room for zones ${type} (0x${area.toString(16)}@0x${off.toString(16)} over 0x${totalSize.toString(16)})`);
    const count = Math.floor(area / recordSize);
    const out: BlkZone[] = [];
    for (let i = 0; i < count; i++) {
      out.push(makeZone(type, i, count, off, recordSize));
      off += recordSize;
    }
    zones.push(...out);
    return out;
  };

  const pmsg = single('pmsg', pmsgSize);
  const console = single('console', consoleSize);
  // Per-CPU split rounds each zone down; the count is area / zone size (can exceed nr_cpu_ids).
  const ftrace = many('ftrace', ftraceSize, Math.floor(ftraceSize / cpus));
  // kmsg gets what the *requested* sizes leave, not what the ftrace split used.
  const kmsg = many('dmesg', totalSize - (pmsgSize + consoleSize + ftraceSize), kmsgSize);
  if (kmsgSize > 0 && kmsg.length === 0) {
    // The kernel would dereference an empty zone array here.
    throw new LayoutError(`no room for a ${kmsgSize}-byte kmsg zone`);
  }
  return {
    totalSize,
    maxReason,
    ftraceCpus: cpus,
    sizes: { kmsg: kmsgSize, pmsg: pmsgSize, console: consoleSize, ftrace: ftraceSize },
    zones, pmsg, console, ftrace, kmsg, unused: totalSize - off };
}

/** Module parameters as pstore_blk takes them (sizes in KiB; <= 0 disables). */
export interface BlkModuleParams {
  kmsg_size?: number;
  pmsg_size?: number;
  console_size?: number;
  ftrace_size?: number;
  max_reason?: number;
}

/** Kconfig defaults (CONFIG_PSTORE_BLK_*). */
export const BLK_DEFAULT_PARAMS: Required<BlkModuleParams> = {
  kmsg_size: 64,
  pmsg_size: 64,
  console_size: 64,
  ftrace_size: 64,
  max_reason: 2,
};

/**
 * blk.c check_size: KiB to bytes. A size that is not a multiple of 4 KiB is
 * "aligned" by rounding the *KiB number* up to 4096 and using that as bytes —
 * so kmsg_size=6 gives 4096 bytes, not 8192. Reproduced as the kernel does it.
 */
export function blkSizeFromKiB(kib: number): number {
  if (!Number.isSafeInteger(kib)) throw new LayoutError(`size in KiB must be an integer (got ${kib})`);
  if (kib <= 0) return 0;
  const bytes = kib * 1024;
  if (bytes % 4096 === 0) return bytes;
  return Math.ceil(kib / 4096) * 4096;
}

/** Byte sizes for blkLayout from pstore_blk module parameters (KiB), with Kconfig defaults for the ones left out. */
export function blkParamsFromKiB(p: BlkModuleParams, totalSize: number, ftraceCpus = 1): BlkLayoutParams {
  const m = { ...BLK_DEFAULT_PARAMS, ...p };
  return {
    kmsgSize: blkSizeFromKiB(m.kmsg_size),
    pmsgSize: blkSizeFromKiB(m.pmsg_size),
    consoleSize: blkSizeFromKiB(m.console_size),
    ftraceSize: blkSizeFromKiB(m.ftrace_size),
    totalSize,
    maxReason: m.max_reason,
    ftraceCpus,
  };
}
