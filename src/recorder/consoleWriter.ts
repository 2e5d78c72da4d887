/**
 * The console zone's writer: persistent_ram_write, byte for byte.
 *
 * On a region whose bytes are directly addressable (a shared file mapping, or
 * memory) it works in place like ram_core.c does on its ioremap'd buffer:
 * the text is copied into the ring, the touched blocks' parity is encoded
 * straight into the zone, then the header parity and the header: a few
 * stores, no system call, no shadow copy. Any other region goes through
 * PersistentRamZone (a shadow and one positioned write per touched range).
 * Either way data and parity land before the header, so a kill between them
 * never leaves a header claiming bytes that were not written.
 */
import type { RamoopsZone } from '../backends/ramoops/layout.js';
import { reedSolomon, type ReedSolomon } from '../ecc/reedSolomon.js';
import { MmapRegion } from '../node/mmapRegion.js';
import { MemoryRegion, type Region } from '../region/region.js';
import { PRZ_HEADER_SIZE as PRZ_HEADER_SIZE_IMPORT, przGeometry, type PrzGeometry } from '../zone/eccLayout.js';
import { PersistentRamZone, type PrzOptions } from '../zone/persistentRamZone.js';
import { readU32, writeU32 } from '../region/bytes.js';

const encoder = new TextEncoder();
/** A module-local copy: an imported binding can cost a getter call per use in transpiled code. */
const PRZ_HEADER_SIZE = PRZ_HEADER_SIZE_IMPORT;
const HOST_LE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The region's bytes when stores into them are the write (mapping or memory), else null. */
function liveBytes(region: Region): Uint8Array | null {
  if (region instanceof MmapRegion && region.writable) return region.bytes;
  if (region instanceof MemoryRegion) return region.bytes;
  return null;
}

export class ConsoleZoneWriter {
  /** Positioned-write path (no addressable bytes). */
  private readonly prz: PersistentRamZone | null;
  /** In-place path: the zone's own bytes. */
  private readonly zone: Uint8Array | null;
  private readonly g: PrzGeometry;
  private readonly rs: ReedSolomon | null;
  private readonly le: boolean;
  /** The header as 32-bit words (host order = zone order, aligned), for single-store updates. */
  private readonly words: Uint32Array | null = null;
  private buf = new Uint8Array(1024);

  constructor(region: Region, zone: RamoopsZone, options: PrzOptions) {
    const live = liveBytes(region);
    this.g = przGeometry(zone.size, options.eccSize, options.label);
    this.le = options.littleEndian;
    this.rs = options.eccSize ? reedSolomon(options.eccSize) : null;
    this.headerParity = live && this.rs ? headerParity(this.rs) : null;
    if (live) {
      this.zone = live.subarray(zone.offset, zone.offset + zone.size);
      this.prz = null;
      if (this.zone.byteOffset % 4 === 0 && this.le === HOST_LE) this.words = new Uint32Array(this.zone.buffer, this.zone.byteOffset, 3);
    } else {
      this.zone = null;
      this.prz = new PersistentRamZone(region, zone.offset, zone.size, options);
    }
  }

  /** True when lines are stored in place (mapping or memory) rather than by positioned writes. */
  get inPlace(): boolean {
    return this.zone !== null;
  }

  write(data: Uint8Array): void {
    if (!data.length) return;
    if (this.zone) this.append(this.zone, data, 0, data.length);
    else this.prz!.write(data);
  }

  writeString(text: string): void {
    this.writeEncoded(text);
  }

  /**
   * Encode `text` as UTF-8 into `encoded`, append it to the zone and return
   * its byte length. The bytes stay in `encoded` until the next call (the
   * caller splits them into log buffer records without encoding again).
   */
  writeEncoded(text: string): number {
    if (!text.length) return 0;
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (this.buf.length < text.length * 3) this.buf = new Uint8Array(Math.max(text.length * 3, this.buf.length * 2));
    const { written } = encoder.encodeInto(text, this.buf);
    if (this.zone) this.append(this.zone, this.buf, 0, written);
    else this.prz!.write(this.buf.subarray(0, written));
    return written;
  }

  /** Scratch holding the text of the last writeEncoded() call. */
  get encoded(): Uint8Array {
    return this.buf;
  }

  /** persistent_ram_write of src[from, to) on the zone's bytes. */
  private append(z: Uint8Array, src: Uint8Array, from: number, to: number): void {
    const g = this.g;
    const le = this.le;
    const dataSize = g.dataSize;
    // Longer than the ring: only its tail survives, as in the kernel.
    if (to - from > dataSize) from = to - dataSize;
    const c = to - from;
    let size = readU32(z, 8, le);
    if (size !== dataSize) size = Math.min(size + c, dataSize);
    const start = readU32(z, 4, le);
    let next = start + c;
    if (next >= dataSize) next -= dataSize;
    const rem = dataSize - start;
    if (rem < c) {
      this.update(z, src, from, from + rem, start);
      this.update(z, src, from + rem, to, 0);
    } else {
      this.update(z, src, from, to, start);
    }
    // Header parity, then the header: the order PersistentRamZone keeps.
    if (this.headerParity) {
      const h = this.header;
      h[0] = z[0];
      h[1] = z[1];
      h[2] = z[2];
      h[3] = z[3];
      writeU32(h, 4, next, le);
      writeU32(h, 8, size, le);
      this.headerParity.encode(h, z, g.headerParityOffset);
    }
    // size before start, each one aligned 32-bit store where possible: a kill between them
    // leaves start <= size (a valid zone), and once the ring is full only start changes.
    // With ECC the header parity written above repairs any torn header anyway.
    const w = this.words;
    if (w) {
      w[2] = size;
      w[1] = next;
    } else {
      writeU32(z, 8, size, le);
      writeU32(z, 4, next, le);
    }
  }

  private readonly header = new Uint8Array(PRZ_HEADER_SIZE);
  private readonly headerParity: HeaderParity | null;

  /** persistent_ram_update: copy into the ring at `start`, re-encode the touched blocks in place. */
  private update(z: Uint8Array, src: Uint8Array, from: number, to: number, start: number): void {
    const g = this.g;
    const at = g.dataOffset + start;
    const n = to - from;
    // Short lines: a loop beats creating a subarray view for set().
    if (n <= 256) for (let i = 0; i < n; i++) z[at + i] = src[from + i];
    else z.set(src.subarray(from, to), at);
    const rs = this.rs;
    if (!rs) return;
    const bs = g.blockSize;
    const first = Math.floor(start / bs);
    // do/while in the kernel: even an empty write re-encodes the block holding start.
    const last = Math.max(first, Math.ceil((start + n) / bs) - 1);
    const dataEnd = g.dataOffset + g.dataSize;
    for (let b = first; b <= last; b++) {
      const pos = g.dataOffset + b * bs;
      rs.encode(z, pos, Math.min(bs, dataEnd - pos), z, g.parityOffset + b * g.eccSize);
    }
  }
}

/**
 * Parity of the 12-byte zone header by table: the Reed-Solomon parity of
 * data from a zero register is linear over GF(2) in the data bits, so it is
 * the XOR of one precomputed contribution per (byte position, byte value).
 * Twelve lookups instead of an LFSR run per logged line; the table is built
 * from the encoder itself (64 single-bit headers), so the bytes are its own.
 */
class HeaderParity {
  private readonly words: number;
  /** [position][value][word]: contribution of header byte `position` holding `value`. */
  private readonly table: Int32Array;
  private readonly acc: Int32Array;
  private readonly accBytes: Uint8Array;

  constructor(private readonly nroots: number, rs: ReedSolomon) {
    const words = (nroots + 3) >> 2;
    this.words = words;
    this.table = new Int32Array(PRZ_HEADER_SIZE * 256 * words);
    this.acc = new Int32Array(words);
    this.accBytes = new Uint8Array(this.acc.buffer);
    const unit = new Uint8Array(PRZ_HEADER_SIZE);
    const par = new Uint8Array(words * 4);
    const bit = new Int32Array(words);
    const bitBytes = new Uint8Array(bit.buffer);
    for (let pos = 0; pos < PRZ_HEADER_SIZE; pos++) {
      const base = pos * 256 * words;
      for (let b = 0; b < 8; b++) {
        unit.fill(0);
        unit[pos] = 1 << b;
        rs.encode(unit, 0, PRZ_HEADER_SIZE, par, 0);
        bitBytes.set(par);
        // Every value with bit b set gains this contribution (value v = v without b, plus b).
        const step = 1 << b;
        for (let v = step; v < 256; v = (v + 1) | step) {
          const to = base + v * words;
          const from = base + (v ^ step) * words;
          for (let k = 0; k < words; k++) this.table[to + k] = this.table[from + k] ^ bit[k];
        }
      }
    }
  }

  /** Parity of header[0..12) into out[offset .. offset + nroots). */
  encode(header: Uint8Array, out: Uint8Array, offset: number): void {
    const t = this.table;
    const w = this.words;
    const acc = this.acc;
    if (w === 4) {
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      for (let pos = 0; pos < PRZ_HEADER_SIZE; pos++) {
        const i = (pos * 256 + header[pos]) << 2;
        a0 ^= t[i];
        a1 ^= t[i + 1];
        a2 ^= t[i + 2];
        a3 ^= t[i + 3];
      }
      acc[0] = a0;
      acc[1] = a1;
      acc[2] = a2;
      acc[3] = a3;
    } else {
      acc.fill(0);
      for (let pos = 0; pos < PRZ_HEADER_SIZE; pos++) {
        const i = (pos * 256 + header[pos]) * w;
        for (let k = 0; k < w; k++) acc[k] ^= t[i + k];
      }
    }
    const bytes = this.accBytes;
    for (let k = 0; k < this.nroots; k++) out[offset + k] = bytes[k];
  }
}

const headerParities = new Map<number, HeaderParity>();

function headerParity(rs: ReedSolomon): HeaderParity {
  let hp = headerParities.get(rs.nroots);
  if (!hp) {
    hp = new HeaderParity(rs.nroots, rs);
    headerParities.set(rs.nroots, hp);
  }
  return hp;
}

