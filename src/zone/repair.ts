import { reedSolomon } from '../ecc/reedSolomon.js';
import { readU32 } from '../region/bytes.js';
import { copyBytes } from '../region/region.js';
import { PRZ_HEADER_SIZE, przGeometry } from './eccLayout.js';
import { PERSISTENT_RAM_SIG, type PrzOptions } from './persistentRamZone.js';

/** One contiguous range to write back, relative to the zone start. */
export interface ZonePatch {
  offset: number;
  bytes: Uint8Array;
}

export interface PrzRepair {
  /** The header was corrected (and its parity rewritten). */
  header: boolean;
  /** Blocks whose data and/or parity were corrected (parity rewritten). */
  blocks: number[];
  /** Symbols ECC corrected (header and blocks), as the kernel counts them. */
  correctedBytes: number;
  /** Blocks that stay unrecoverable: left exactly as they are. */
  badBlocks: number[];
  /** What to write: only changed bytes, data before parity before the header. */
  patches: ZonePatch[];
  /** Why nothing was repaired, when the zone cannot be trusted (e.g. an uncorrectable header). */
  skipped: string | null;
}

/**
 * ECC repair of one zone: what the kernel corrects in RAM when it attaches
 * (header, then the blocks covering [0, size)), plus fresh parity for every
 * corrected block and for the header, so the zone reads clean afterwards.
 * Unlike attaching it never zaps, re-signs or drops anything; blocks beyond
 * repair and zones with an untrustworthy header are left untouched.
 */
export function repairPrz(zoneBytes: Uint8Array, opts: PrzOptions): PrzRepair {
  const out: PrzRepair = { header: false, blocks: [], correctedBytes: 0, badBlocks: [], patches: [], skipped: null };
  const g = przGeometry(zoneBytes.length, opts.eccSize, opts.label);
  if (!g.eccSize) {
    out.skipped = 'no ECC';
    return out;
  }
  const rs = reedSolomon(g.eccSize);
  const zone = copyBytes(zoneBytes);
  const le = opts.littleEndian;

  const hp = g.headerParityOffset;
  const headerErrors = rs.decode(zone, 0, PRZ_HEADER_SIZE, copyBytes(zone, hp, hp + g.eccSize), 0);
  if (headerErrors < 0) {
    out.skipped = 'uncorrectable header';
    return out;
  }
  if (readU32(zone, 0, le) !== (opts.sig ^ PERSISTENT_RAM_SIG) >>> 0) {
    out.skipped = 'no signature';
    return out;
  }
  const start = readU32(zone, 4, le);
  const size = readU32(zone, 8, le);
  if (size > g.dataSize || start > size) {
    out.skipped = 'invalid start/size';
    return out;
  }
  if (headerErrors > 0) {
    out.header = true;
    out.correctedBytes += headerErrors;
    rs.encode(zone, 0, PRZ_HEADER_SIZE, zone, hp);
  }
  const par = new Uint8Array(g.eccSize);
  const dataEnd = g.dataOffset + g.dataSize;
  for (let b = 0, pos = g.dataOffset; pos < g.dataOffset + size; b++, pos += g.blockSize) {
    const len = Math.min(g.blockSize, dataEnd - pos);
    const pOff = g.parityOffset + b * g.eccSize;
    if (rs.check(zone, pos, len, zone, pOff)) continue;
    par.set(zone.subarray(pOff, pOff + g.eccSize));
    const n = rs.decode(zone, pos, len, par, 0);
    if (n < 0) {
      out.badBlocks.push(b);
      continue;
    }
    out.correctedBytes += n;
    out.blocks.push(b);
    rs.encode(zone, pos, len, zone, pOff);
  }
  // Changed ranges, header last: an interrupted repair never leaves a header over unrepaired data.
  const ranges: ZonePatch[] = [];
  for (let i = PRZ_HEADER_SIZE; i < zone.length; ) {
    if (zone[i] === zoneBytes[i]) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < zone.length && zone[j] !== zoneBytes[j]) j++;
    ranges.push({ offset: i, bytes: zone.slice(i, j) });
    i = j;
  }
  let headerChanged = false;
  for (let i = 0; i < PRZ_HEADER_SIZE; i++) if (zone[i] !== zoneBytes[i]) headerChanged = true;
  if (headerChanged) ranges.push({ offset: 0, bytes: zone.slice(0, PRZ_HEADER_SIZE) });
  out.patches = ranges;
  return out;
}
