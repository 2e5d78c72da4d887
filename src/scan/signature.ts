import { PSZ_MAX_TOTAL_SIZE, PSZ_SIG, type BlkZoneType } from '../backends/blk/layout.js';
import { PERSISTENT_RAM_SIG } from '../zone/persistentRamZone.js';
import { PRZ_HEADER_SIZE } from '../zone/eccLayout.js';
import { EfiSignatureFinder } from './efiSignature.js';

/**
 * A persistent RAM zone header found in a dump: `{sig, start, size}` whose
 * signature is DBGC (dmesg/console/pmsg zones) or DBGC ^ LINUX_VERSION_CODE
 * (ftrace zones), and whose start <= size.
 */
export interface ZoneCandidate {
  /** Byte offset of the header in the dump. */
  offset: number;
  littleEndian: boolean;
  /** `ftrace` when the signature carries a kernel version code. */
  kind: 'plain' | 'ftrace';
  /** LINUX_VERSION_CODE from an ftrace signature; 0 for plain zones. */
  versionCode: number;
  start: number;
  size: number;
}

/**
 * A pstore/zone header (fs/pstore/zone.c struct psz_buffer) found in a dump:
 * `{sig, datalen, start}` with sig = pstore type XOR PSZ_SIG and start <=
 * datalen. A kmsg header shares the ramoops DBGC word; its kmsg magic is
 * checked later, by the inference, with a read.
 */
export interface BlkZoneCandidate {
  offset: number;
  littleEndian: boolean;
  type: BlkZoneType;
  datalen: number;
  start: number;
}

/** pstore type ids (enum pstore_type_id) pstore/zone stores, indexed by sig ^ PSZ_SIG. */
const BLK_TYPE_BY_ID: readonly (BlkZoneType | undefined)[] = ['dmesg', undefined, 'console', 'ftrace', undefined, undefined, undefined, 'pmsg'];

/** Largest ring size we believe (256 MiB): random words rarely pass, real zones never exceed it. */
export const MAX_ZONE_DATA = 1 << 28;

/** The top byte of the signature in either byte order: every candidate has it. */
const SIG_TOP = PERSISTENT_RAM_SIG >>> 24;
const TAIL = PRZ_HEADER_SIZE - 1;

/**
 * What a 32-bit word means as a zone signature: 0 = DBGC, a plausible
 * LINUX_VERSION_CODE (major 3..9, minor < 64) for ftrace, or -1.
 */
export function signatureCode(word: number): number {
  const x = (word ^ PERSISTENT_RAM_SIG) >>> 0;
  if (x === 0) return 0;
  const major = x >>> 16;
  if (major < 3 || major > 9 || ((x >>> 8) & 0xff) >= 64) return -1;
  return x;
}

export interface FinderStats {
  /** Bytes pushed so far. */
  bytes: number;
  /** Signature words seen (before the start/size test). */
  signatures: number;
  /** Candidates not kept because the cap was reached. */
  dropped: number;
  /** pstore/blk candidates not kept because the cap was reached. */
  blkDropped: number;
}

/**
 * Streaming signature search. Push the dump in chunks of any size (in order);
 * headers spanning two chunks are found through an 11-byte carry, so memory
 * stays constant. Candidate search jumps between 0x43 bytes (the signature's
 * top byte) with indexOf, which is memchr-fast on Node Buffers, so zero pages
 * cost almost nothing.
 */
export class SignatureFinder {
  readonly candidates: ZoneCandidate[] = [];
  /** pstore/blk zone headers (same pass: their signatures share the 0x43 byte). */
  readonly blkCandidates: BlkZoneCandidate[] = [];
  readonly stats: FinderStats = { bytes: 0, signatures: 0, dropped: 0, blkDropped: 0 };
  /** EFI variable stores (firmware volume and store signatures), found in the same pass. */
  readonly efi = new EfiSignatureFinder();
  private tail: Uint8Array = new Uint8Array(0);

  constructor(
    /** Keep at most this many candidates (bounded memory on hostile input). */
    readonly maxCandidates = 200_000,
  ) {}

  push(chunk: Uint8Array): void {
    this.efi.push(chunk);
    const chunkBase = this.stats.bytes;
    this.stats.bytes += chunk.length;
    let tail = this.tail;
    if (tail.length) {
      const take = Math.min(chunk.length, TAIL);
      const join = new Uint8Array(tail.length + take);
      join.set(tail, 0);
      join.set(chunk.subarray(0, take), tail.length);
      const n = Math.min(tail.length, Math.max(0, join.length - TAIL));
      this.scan(join, 0, n, chunkBase - tail.length);
      if (n < tail.length) {
        // The chunk was too short to complete every pending header.
        this.tail = join.slice(n); // join is a plain Uint8Array: slice copies
        return;
      }
      tail = this.tail = new Uint8Array(0);
    }
    const end = chunk.length - TAIL;
    if (end > 0) this.scan(chunk, 0, end, chunkBase);
    // A copy: the caller may reuse its chunk buffer (and a Buffer's slice() is a view).
    const keep = chunk.subarray(Math.max(0, end));
    this.tail = new Uint8Array(keep.length);
    this.tail.set(keep);
  }

  /** Candidates sorted by offset. Headers cut off by the end of the dump are not reported. */
  finish(): ZoneCandidate[] {
    this.tail = new Uint8Array(0);
    this.efi.finish();
    this.candidates.sort((a, b) => a.offset - b.offset || Number(b.littleEndian) - Number(a.littleEndian));
    this.blkCandidates.sort((a, b) => a.offset - b.offset || Number(b.littleEndian) - Number(a.littleEndian));
    return this.candidates;
  }

  /** Look at header starts s in [from, to); `buf` holds at least s + 12 bytes for each. */
  private scan(buf: Uint8Array, from: number, to: number, base: number): void {
    const lim = to + 3;
    let p = from;
    for (;;) {
      p = buf.indexOf(SIG_TOP, p);
      if (p < 0 || p >= lim) return;
      const le = p - 3;
      if (le >= from && le < to) this.check(buf, le, base, true);
      if (p < to) this.check(buf, p, base, false);
      p++;
    }
  }

  private check(b: Uint8Array, s: number, base: number, le: boolean): void {
    const sig = le
      ? (b[s] | (b[s + 1] << 8) | (b[s + 2] << 16) | (b[s + 3] << 24)) >>> 0
      : ((b[s] << 24) | (b[s + 1] << 16) | (b[s + 2] << 8) | b[s + 3]) >>> 0;
    const code = signatureCode(sig);
    const blkId = (sig ^ PSZ_SIG) >>> 0;
    const blkType = blkId < 8 ? BLK_TYPE_BY_ID[blkId] : undefined;
    if (code < 0 && !blkType) return;
    this.stats.signatures++;
    const start = le
      ? (b[s + 4] | (b[s + 5] << 8) | (b[s + 6] << 16) | (b[s + 7] << 24)) >>> 0
      : ((b[s + 4] << 24) | (b[s + 5] << 16) | (b[s + 6] << 8) | b[s + 7]) >>> 0;
    const size = le
      ? (b[s + 8] | (b[s + 9] << 8) | (b[s + 10] << 16) | (b[s + 11] << 24)) >>> 0
      : ((b[s + 8] << 24) | (b[s + 9] << 16) | (b[s + 10] << 8) | b[s + 11]) >>> 0;
    // psz_buffer has datalen before start: the words read as (start, size) here.
    if (blkType && size <= start && start <= PSZ_MAX_TOTAL_SIZE) {
      if (this.blkCandidates.length < this.maxCandidates) this.blkCandidates.push({ offset: base + s, littleEndian: le, type: blkType, datalen: start, start: size });
      else this.stats.blkDropped++;
    }
    if (code < 0 || start > size || size > MAX_ZONE_DATA) return;
    if (this.candidates.length >= this.maxCandidates) {
      this.stats.dropped++;
      return;
    }
    this.candidates.push({ offset: base + s, littleEndian: le, kind: code ? 'ftrace' : 'plain', versionCode: code, start, size });
  }
}
