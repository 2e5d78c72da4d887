import { reedSolomon, type ReedSolomon } from '../ecc/reedSolomon.js';
import { copyBytes, type Region } from '../region/region.js';
import { readU32, writeU32 } from '../region/bytes.js';
import { PRZ_HEADER_SIZE, przGeometry, type PrzGeometry } from './eccLayout.js';

/** "DBGC": every persistent RAM zone signature is XORed with it. */
export const PERSISTENT_RAM_SIG = 0x43474244;

/**
 * Kernel behaviour that changed across versions.
 * - `size-only`: before 6.6 a zone with size == 0 is empty whatever its start.
 * - `size-and-start`: 6.6+ (CVE-2023-53331, also in current 6.1 LTS): only
 *   size == 0 && start == 0 is empty; size 0 with start > 0 is invalid.
 */
export type EmptyZoneRule = 'size-only' | 'size-and-start';

export interface PrzOptions {
  /** Zone type signature before the XOR with DBGC: 0, or LINUX_VERSION_CODE for ftrace. */
  sig: number;
  /** Reed-Solomon roots per block; 0 = no ECC. */
  eccSize: number;
  littleEndian: boolean;
  emptyRule: EmptyZoneRule;
  /** Console and pmsg zones (PRZ_FLAG_ZAP_OLD): zapped right after the old log is saved. */
  zapOld: boolean;
  /** e.g. `ramoops:dmesg(0/15)`. */
  label: string;
}

export interface PrzHeader {
  sig: number;
  start: number;
  size: number;
}

/** What the kernel decided about a zone when it attached. */
export type PrzState =
  /** Signature matches, nothing stored. */
  | 'empty'
  /** Signature matches and start/size are sane: an old log was saved. */
  | 'valid'
  /** Signature matches but size > capacity or start > size: zapped. */
  | 'invalid'
  /** Wrong signature (never initialised, or another kernel): re-signed and zapped. */
  | 'no-signature';

/** Per ECC block result, for maps and `check`. */
export const enum BlockHealth {
  /** The kernel does not check it (starts at or beyond `size`). */
  Unchecked = 0,
  Clean = 1,
  Corrected = 2,
  Bad = 3,
}

export interface PrzEccReport {
  /** Symbols corrected in the header (-1: uncorrectable). */
  header: number;
  correctedBytes: number;
  badBlocks: number;
  /** One BlockHealth per ECC block. */
  blocks: Uint8Array;
}

export interface PrzAttachResult {
  label: string;
  geometry: PrzGeometry;
  /** Header as stored on the medium. */
  rawHeader: PrzHeader;
  /** Header after ECC correction (what the kernel uses). */
  header: PrzHeader;
  state: PrzState;
  /** The saved old log, unwrapped: data[start..size) + data[0..start). Null when nothing saved. */
  oldLog: Uint8Array | null;
  ecc: PrzEccReport | null;
  /** `\nECC: ...\n` as persistent_ram_ecc_string builds it; '' without ECC. */
  eccNotice: string;
  /**
   * The zone bytes as the kernel leaves them after attaching (corrections,
   * re-sign, zap): the input array itself when nothing was written.
   */
  after: Uint8Array;
  /** True when `after` differs from the input (the kernel writes to the medium). */
  modified: boolean;
}

export function readPrzHeader(zone: Uint8Array, littleEndian: boolean): PrzHeader {
  return { sig: readU32(zone, 0, littleEndian), start: readU32(zone, 4, littleEndian), size: readU32(zone, 8, littleEndian) };
}

export function eccNoticeText(correctedBytes: number, badBlocks: number): string {
  return correctedBytes || badBlocks
    ? `\nECC: ${correctedBytes} Corrected bytes, ${badBlocks} unrecoverable blocks\n`
    : '\nECC: No errors detected\n';
}

/** Parity of one block (or the header), as persistent_ram_encode_rs8 stores it. */
function encodeInto(rs: ReedSolomon, zone: Uint8Array, g: PrzGeometry, block: number): void {
  const start = g.dataOffset + block * g.blockSize;
  const len = Math.min(g.blockSize, g.dataOffset + g.dataSize - start);
  rs.encode(zone, start, len, zone, g.parityOffset + block * g.eccSize);
}

function encodeHeader(rs: ReedSolomon, zone: Uint8Array, g: PrzGeometry): void {
  rs.encode(zone, 0, PRZ_HEADER_SIZE, zone, g.headerParityOffset);
}

function zapInto(zone: Uint8Array, g: PrzGeometry, opts: PrzOptions, rs: ReedSolomon | null): void {
  writeU32(zone, 4, 0, opts.littleEndian);
  writeU32(zone, 8, 0, opts.littleEndian);
  if (rs) encodeHeader(rs, zone, g);
}

/**
 * Attach to a zone the way persistent_ram_new/post_init does at boot: header
 * ECC, signature and sanity checks, block ECC over [0, size), old-log save,
 * zap. `zoneBytes` is never modified: what the kernel would write goes to a
 * copy, made only then.
 */
export function attachPrz(zoneBytes: Uint8Array, opts: PrzOptions): PrzAttachResult {
  const g = przGeometry(zoneBytes.length, opts.eccSize, opts.label);
  // Most zones are read and left alone: the copy is made on the first write.
  const zone = new CopyOnWrite(zoneBytes);
  const le = opts.littleEndian;
  const rawHeader = readPrzHeader(zoneBytes, le);
  const rs = g.eccSize ? reedSolomon(g.eccSize) : null;

  let ecc: PrzEccReport | null = null;
  if (rs) {
    const blocks = new Uint8Array(g.eccBlocks);
    let header = 0;
    if (!rs.check(zoneBytes, 0, PRZ_HEADER_SIZE, zoneBytes, g.headerParityOffset)) {
      // Parity is decoded from a copy: corrections reach data only (ram_core
      // hands decode_rs8 a uint16 copy of the parity bytes).
      const par = zoneBytes.slice(g.headerParityOffset, g.headerParityOffset + g.eccSize);
      header = rs.decode(zone.writable(), 0, PRZ_HEADER_SIZE, par, 0);
    }
    ecc = { header, correctedBytes: header > 0 ? header : 0, badBlocks: header < 0 ? 1 : 0, blocks };
  }

  const header = readPrzHeader(zone.bytes, le);
  const expectedSig = (opts.sig ^ PERSISTENT_RAM_SIG) >>> 0;
  let state: PrzState;
  let oldLog: Uint8Array | null = null;
  let zap = opts.zapOld;

  if (header.sig === expectedSig) {
    const empty = opts.emptyRule === 'size-only' ? header.size === 0 : header.size === 0 && header.start === 0;
    if (empty) {
      state = 'empty';
      zap = false; // the kernel returns before the zap
    } else if (header.size > g.dataSize || header.start > header.size) {
      state = 'invalid';
      zap = true;
    } else {
      state = 'valid';
      if (rs && ecc) eccOld(rs, zone, g, header.size, ecc);
      const { start, size } = header;
      const bytes = zone.bytes;
      oldLog = new Uint8Array(size);
      oldLog.set(bytes.subarray(g.dataOffset + start, g.dataOffset + size), 0);
      oldLog.set(bytes.subarray(g.dataOffset, g.dataOffset + start), size - start);
    }
  } else {
    state = 'no-signature';
    writeU32(zone.writable(), 0, expectedSig, le);
    zap = true;
  }
  if (zap) zapInto(zone.writable(), g, opts, rs);

  // A copy exists only where something was written; it may still equal the
  // input (a zap of a zone that was already zapped).
  let modified = false;
  if (zone.copied) {
    const after = zone.bytes;
    for (let i = 0; i < after.length; i++) {
      if (after[i] !== zoneBytes[i]) {
        modified = true;
        break;
      }
    }
  }
  return {
    label: opts.label,
    geometry: g,
    rawHeader,
    header,
    state,
    oldLog,
    ecc,
    eccNotice: ecc ? eccNoticeText(ecc.correctedBytes, ecc.badBlocks) : '',
    after: zone.bytes,
    modified,
  };
}

/** The zone bytes as given until the first write, a private copy from then on. */
class CopyOnWrite {
  private current: Uint8Array;
  copied = false;

  constructor(private readonly original: Uint8Array) {
    this.current = original;
  }

  get bytes(): Uint8Array {
    return this.current;
  }

  writable(): Uint8Array {
    if (!this.copied) {
      this.current = copyBytes(this.original);
      this.copied = true;
    }
    return this.current;
  }
}

/** persistent_ram_ecc_old: decode, in place, every block that starts below `size`. */
function eccOld(rs: ReedSolomon, zone: CopyOnWrite, g: PrzGeometry, size: number, report: PrzEccReport): void {
  const par = new Uint8Array(g.eccSize);
  const dataEnd = g.dataOffset + g.dataSize;
  // Blocks are verified in batches (checkBlocks); only the ones that are not codewords get decoded.
  const runEnd = Math.min(dataEnd, g.dataOffset + Math.ceil(size / g.blockSize) * g.blockSize);
  let nextBad = -1;
  for (let b = 0, pos = g.dataOffset; pos < g.dataOffset + size; b++, pos += g.blockSize) {
    const len = Math.min(g.blockSize, dataEnd - pos);
    const pOff = g.parityOffset + b * g.eccSize;
    if (b > nextBad) {
      const r = rs.checkBlocks(zone.bytes, pos, runEnd - pos, g.blockSize, pOff);
      nextBad = r < 0 ? Infinity : b + r;
    }
    if (b < nextBad) {
      report.blocks[b] = BlockHealth.Clean;
      continue;
    }
    const bytes = zone.writable();
    par.set(bytes.subarray(pOff, pOff + g.eccSize));
    const n = rs.decode(bytes, pos, len, par, 0);
    if (n > 0) {
      report.correctedBytes += n;
      report.blocks[b] = BlockHealth.Corrected;
    } else if (n < 0) {
      report.badBlocks++;
      report.blocks[b] = BlockHealth.Bad;
    } else {
      report.blocks[b] = BlockHealth.Clean;
    }
  }
}

/**
 * Health of every ECC block of a zone, including those the kernel never checks
 * (for maps and `check --all`). Does not modify `zoneBytes`.
 */
export function scanBlockHealth(zoneBytes: Uint8Array, eccSize: number): Uint8Array {
  const g = przGeometry(zoneBytes.length, eccSize);
  const health = new Uint8Array(g.eccBlocks);
  if (!eccSize) return health;
  const rs = reedSolomon(eccSize);
  const data = copyBytes(zoneBytes, g.dataOffset, g.dataOffset + g.blockSize);
  const par = new Uint8Array(eccSize);
  let nextBad = -1;
  for (let b = 0; b < g.eccBlocks; b++) {
    const pos = g.dataOffset + b * g.blockSize;
    const len = Math.min(g.blockSize, g.dataOffset + g.dataSize - pos);
    // The kernel's block count can exceed the data by one block: that parity is never used.
    if (len <= 0) break;
    const pOff = g.parityOffset + b * eccSize;
    if (b > nextBad) {
      const r = rs.checkBlocks(zoneBytes, pos, g.dataOffset + g.dataSize - pos, g.blockSize, pOff);
      nextBad = r < 0 ? Infinity : b + r;
    }
    if (b < nextBad) {
      health[b] = BlockHealth.Clean;
      continue;
    }
    data.set(zoneBytes.subarray(pos, pos + len));
    par.set(zoneBytes.subarray(pOff, pOff + eccSize));
    const n = rs.decode(data, 0, len, par, 0);
    health[b] = n < 0 ? BlockHealth.Bad : BlockHealth.Corrected;
  }
  return health;
}

/**
 * A writable persistent RAM zone on a Region: persistent_ram_write, zap and
 * the ECC updates, byte for byte like ram_core.c. Keeps a shadow copy of the
 * zone so a write costs one positioned write per touched range; data and
 * parity go out before the header, so a header never claims unwritten data.
 */
export class PersistentRamZone {
  readonly geometry: PrzGeometry;
  private readonly shadow: Uint8Array;
  private readonly rs: ReedSolomon | null;
  private readonly scratch: Uint8Array;

  constructor(
    readonly region: Region,
    /** Zone offset inside the region. */
    readonly offset: number,
    zoneSize: number,
    readonly options: PrzOptions,
  ) {
    this.geometry = przGeometry(zoneSize, options.eccSize, options.label);
    this.shadow = region.read(offset, zoneSize);
    this.rs = options.eccSize ? reedSolomon(options.eccSize) : null;
    this.scratch = new Uint8Array(PRZ_HEADER_SIZE);
  }

  get label(): string {
    return this.options.label;
  }
  get header(): PrzHeader {
    return readPrzHeader(this.shadow, this.options.littleEndian);
  }
  get start(): number {
    return readU32(this.shadow, 4, this.options.littleEndian);
  }
  get size(): number {
    return readU32(this.shadow, 8, this.options.littleEndian);
  }
  /** Current zone bytes (shadow), read-only view. */
  get bytes(): Uint8Array {
    return this.shadow;
  }

  /**
   * Attach as the kernel does at boot and write back what it writes
   * (corrections, signature, zap). Returns the analysis with the old log.
   */
  attach(): PrzAttachResult {
    const result = attachPrz(this.shadow, this.options);
    if (result.modified) {
      this.writeDiff(result.after);
    }
    return result;
  }

  /** Make the zone valid and empty: signature, start = size = 0, header parity. */
  format(): void {
    const next = this.shadow.slice();
    writeU32(next, 0, (this.options.sig ^ PERSISTENT_RAM_SIG) >>> 0, this.options.littleEndian);
    zapInto(next, this.geometry, this.options, this.rs);
    this.writeDiff(next);
  }

  /** persistent_ram_zap: start = size = 0 and header parity; data untouched. */
  zap(): void {
    writeU32(this.shadow, 4, 0, this.options.littleEndian);
    writeU32(this.shadow, 8, 0, this.options.littleEndian);
    this.flushHeader();
  }

  /** persistent_ram_write: append `data` to the ring. */
  write(data: Uint8Array): void {
    const g = this.geometry;
    const le = this.options.littleEndian;
    let src = data;
    if (src.length > g.dataSize) src = src.subarray(src.length - g.dataSize);
    const c = src.length;
    let size = readU32(this.shadow, 8, le);
    if (size !== g.dataSize) size = Math.min(size + c, g.dataSize);
    const start = readU32(this.shadow, 4, le);
    let next = start + c;
    while (next >= g.dataSize) next -= g.dataSize;
    const rem = g.dataSize - start;
    if (rem < c) {
      this.update(src.subarray(0, rem), start);
      this.update(src.subarray(rem), 0);
    } else {
      this.update(src, start);
    }
    writeU32(this.shadow, 4, next, le);
    writeU32(this.shadow, 8, size, le);
    this.flushHeader();
  }

  /** persistent_ram_update: copy into the ring at `start` and re-encode the touched blocks. */
  private update(src: Uint8Array, start: number): void {
    const g = this.geometry;
    const at = g.dataOffset + start;
    this.shadow.set(src, at);
    this.region.write(this.offset + at, src);
    if (!this.rs) return;
    const first = Math.floor(start / g.blockSize);
    // do/while in the kernel: even an empty write re-encodes the block holding start.
    const last = Math.max(first, Math.ceil((start + src.length) / g.blockSize) - 1);
    for (let b = first; b <= last; b++) encodeInto(this.rs, this.shadow, g, b);
    const p0 = g.parityOffset + first * g.eccSize;
    const p1 = g.parityOffset + (last + 1) * g.eccSize;
    this.region.write(this.offset + p0, this.shadow.subarray(p0, p1));
  }

  private flushHeader(): void {
    const g = this.geometry;
    if (this.rs) {
      encodeHeader(this.rs, this.shadow, g);
      this.region.write(this.offset + g.headerParityOffset, this.shadow.subarray(g.headerParityOffset, g.headerParityOffset + g.eccSize));
    }
    this.scratch.set(this.shadow.subarray(0, PRZ_HEADER_SIZE));
    this.region.write(this.offset, this.scratch);
  }

  /** Write the ranges where `next` differs from the shadow, then adopt it. */
  private writeDiff(next: Uint8Array): void {
    // Header last, so an interrupted attach never leaves a header over stale parity/data.
    let i = PRZ_HEADER_SIZE;
    while (i < next.length) {
      if (next[i] === this.shadow[i]) {
        i++;
        continue;
      }
      let j = i + 1;
      while (j < next.length && (next[j] !== this.shadow[j] || (j + 1 < next.length && next[j + 1] !== this.shadow[j + 1]))) j++;
      this.region.write(this.offset + i, next.subarray(i, j));
      i = j;
    }
    let headerChanged = false;
    for (let k = 0; k < PRZ_HEADER_SIZE; k++) if (next[k] !== this.shadow[k]) headerChanged = true;
    this.shadow.set(next);
    if (headerChanged) this.region.write(this.offset, this.shadow.slice(0, PRZ_HEADER_SIZE));
  }
}
