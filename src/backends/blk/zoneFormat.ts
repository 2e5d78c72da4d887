/**
 * On-disk structures of pstore/zone (fs/pstore/zone.c): the 12-byte
 * `struct psz_buffer` zone header and the kmsg sub-header `struct
 * psz_kmsg_header`, whose C layout depends on the architecture.
 */
import type { RecordTime } from '../../core/record.js';
import type { Arch } from '../ramoops/arch.js';
import { PSZ_BUFFER_HEADER_SIZE } from './layout.js';

export const PSTORE_KMSG_HEADER_MAGIC = 0x4dfc3ae5;

/** What the C layout of the headers depends on: the general Arch (word size: tv_nsec, ftrace words) plus s64 alignment. */
export interface BlkArch extends Arch {
  /** alignof(s64): 8 on x86_64, arm64, ARM EABI, ppc, mips; 4 on i386. */
  u64Align: 4 | 8;
}

export const BLK_ARCH_X86_64: BlkArch = { name: 'x86_64', littleEndian: true, wordSize: 8, u64Align: 8, cpuInIp: false };
export const BLK_ARCH_ARM64: BlkArch = { name: 'arm64', littleEndian: true, wordSize: 8, u64Align: 8, cpuInIp: false };
export const BLK_ARCH_ARM32: BlkArch = { name: 'arm', littleEndian: true, wordSize: 4, u64Align: 8, cpuInIp: true };
export const BLK_ARCH_I386: BlkArch = { name: 'x86', littleEndian: true, wordSize: 4, u64Align: 4, cpuInIp: false };

/** Derive the blk layout parameters from a general arch description (name, word size, endianness). */
export function blkArchFrom(a: Arch): BlkArch {
  const u64Align: 4 | 8 = a.wordSize === 4 && /^(x86|i[3-6]86)$/.test(a.name) ? 4 : 8;
  return { ...a, u64Align };
}

/** Field offsets of struct psz_kmsg_header for one arch. */
export interface KmsgHeaderLayout {
  magic: number;
  tvSec: number;
  tvNsec: number;
  compressed: number;
  counter: number;
  reason: number;
  /** sizeof(struct psz_kmsg_header): where the dump data starts. */
  size: number;
}

const align = (v: number, a: number): number => Math.ceil(v / a) * a;

/** C layout: u32 magic; struct timespec64 {s64; long}; bool; u32; enum (int); u8 data[]. */
export function kmsgHeaderLayout(arch: BlkArch): KmsgHeaderLayout {
  const tsAlign = Math.max(arch.u64Align, arch.wordSize);
  const tvSec = align(4, tsAlign);
  const tvNsec = tvSec + 8;
  const tsSize = align(8 + arch.wordSize, tsAlign);
  const compressed = tvSec + tsSize;
  const counter = align(compressed + 1, 4);
  const reason = counter + 4;
  const size = align(reason + 4, Math.max(4, tsAlign));
  return { magic: 0, tvSec, tvNsec, compressed, counter, reason, size };
}

/** struct psz_buffer as stored. Values are the raw u32s (the kernel compares them as unsigned). */
export interface PszBufferHeader {
  sig: number;
  datalen: number;
  start: number;
}

export function decodePszBuffer(bytes: Uint8Array, arch: BlkArch, at = 0): PszBufferHeader {
  const v = new DataView(bytes.buffer, bytes.byteOffset + at, PSZ_BUFFER_HEADER_SIZE);
  const le = arch.littleEndian;
  return { sig: v.getUint32(0, le), datalen: v.getUint32(4, le), start: v.getUint32(8, le) };
}

export function encodePszBuffer(h: PszBufferHeader, arch: BlkArch, into?: Uint8Array, at = 0): Uint8Array {
  const out = into ?? new Uint8Array(PSZ_BUFFER_HEADER_SIZE);
  const v = new DataView(out.buffer, out.byteOffset + at, PSZ_BUFFER_HEADER_SIZE);
  const le = arch.littleEndian;
  v.setUint32(0, h.sig >>> 0, le);
  v.setUint32(4, h.datalen >>> 0, le);
  v.setUint32(8, h.start >>> 0, le);
  return out;
}

export interface KmsgHeader {
  magic: number;
  time: RecordTime;
  /** The stored bool byte (the kernel treats any non-zero as true). */
  compressed: boolean;
  counter: number;
  /** enum kmsg_dump_reason as stored (u32). */
  reason: number;
}

/** Decode the kmsg header at `at`; the caller guarantees `layout.size` bytes are there. */
export function decodeKmsgHeader(bytes: Uint8Array, arch: BlkArch, at = 0): KmsgHeader {
  const L = kmsgHeaderLayout(arch);
  const v = new DataView(bytes.buffer, bytes.byteOffset + at, L.size);
  const le = arch.littleEndian;
  const nsec = arch.wordSize === 8 ? Number(v.getBigInt64(L.tvNsec, le)) : v.getInt32(L.tvNsec, le);
  return {
    magic: v.getUint32(L.magic, le),
    time: { sec: Number(v.getBigInt64(L.tvSec, le)), nsec },
    compressed: v.getUint8(L.compressed) !== 0,
    counter: v.getUint32(L.counter, le),
    reason: v.getUint32(L.reason, le),
  };
}

/** psz_write_kmsg_hdr into a zeroed buffer (padding stays 0, as in the kernel's kzalloc'd buffer). */
export function encodeKmsgHeader(h: KmsgHeader, arch: BlkArch, into?: Uint8Array, at = 0): Uint8Array {
  const L = kmsgHeaderLayout(arch);
  const out = into ?? new Uint8Array(L.size);
  const v = new DataView(out.buffer, out.byteOffset + at, L.size);
  const le = arch.littleEndian;
  v.setUint32(L.magic, h.magic >>> 0, le);
  v.setBigInt64(L.tvSec, BigInt(Math.trunc(h.time.sec)), le);
  if (arch.wordSize === 8) v.setBigInt64(L.tvNsec, BigInt(Math.trunc(h.time.nsec)), le);
  else v.setInt32(L.tvNsec, h.time.nsec | 0, le);
  v.setUint8(L.compressed, h.compressed ? 1 : 0);
  v.setUint32(L.counter, h.counter >>> 0, le);
  v.setUint32(L.reason, h.reason >>> 0, le);
  return out;
}

/** kmsg_dump_reason_str (kernel/printk/printk.c). */
export function kmsgDumpReasonStr(reason: number): string {
  switch (reason) {
    case 1:
      return 'Panic';
    case 2:
      return 'Oops';
    case 3:
      return 'Emergency';
    case 4:
      return 'Shutdown';
    default:
      return 'Unknown';
  }
}

/** The line psz_kmsg_read puts before an *uncompressed* dump (counter printed with %d). */
export function kmsgReadPrefix(reason: number, counter: number): string {
  return `${kmsgDumpReasonStr(reason)}: Total ${counter | 0} times\n`;
}

/**
 * A ring zone's log in write order, as psz_recover_zone reassembles it:
 * data[start, datalen) then data[0, start). Requires start <= datalen <= data.length.
 */
export function ringContents(data: Uint8Array, start: number, datalen: number): Uint8Array {
  const out = new Uint8Array(datalen);
  out.set(data.subarray(start, datalen), 0);
  out.set(data.subarray(0, start), datalen - start);
  return out;
}
