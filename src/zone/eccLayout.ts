import { LayoutError } from '../errors.js';

/** Size of `struct persistent_ram_buffer`'s header: sig, start, size. */
export const PRZ_HEADER_SIZE = 12;
/** ramoops always uses 128-byte ECC blocks. */
export const ECC_BLOCK_SIZE = 128;

/**
 * Where data and parity live inside one persistent RAM zone. All offsets are
 * relative to the zone start.
 */
export interface PrzGeometry {
  zoneSize: number;
  /** Usable ring size (`prz->buffer_size` after the ECC area is carved off). */
  dataSize: number;
  /** Offset of data[0]: always 12. */
  dataOffset: number;
  eccSize: number;
  blockSize: number;
  /** Number of data blocks that have parity. */
  eccBlocks: number;
  /** Offset of block 0's parity (`prz->par_buffer`). */
  parityOffset: number;
  /** Offset of the header's parity (`prz->par_header`). */
  headerParityOffset: number;
}

/**
 * The kernel's persistent_ram_init_ecc arithmetic. Throws LayoutError where
 * the kernel refuses the zone ("invalid ecc_size").
 */
export function przGeometry(zoneSize: number, eccSize: number, label = 'zone'): PrzGeometry {
  if (!Number.isInteger(zoneSize) || zoneSize <= PRZ_HEADER_SIZE) {
    throw new LayoutError(`${label}: zone of ${zoneSize} bytes has no room for the 12-byte header`);
  }
  const bufferSize = zoneSize - PRZ_HEADER_SIZE;
  if (!eccSize) {
    return {
      zoneSize,
      dataSize: bufferSize,
      dataOffset: PRZ_HEADER_SIZE,
      eccSize: 0,
      blockSize: ECC_BLOCK_SIZE,
      eccBlocks: 0,
      parityOffset: zoneSize,
      headerParityOffset: zoneSize,
    };
  }
  if (!Number.isInteger(eccSize) || eccSize < 0 || eccSize > 254) {
    throw new LayoutError(`${label}: ECC size ${eccSize} is not a Reed-Solomon root count (1..254)`);
  }
  // DIV_ROUND_UP on size_t: a buffer smaller than one parity set wraps around
  // in C and the ecc_total check below rejects it; we reject it directly.
  if (bufferSize <= eccSize) {
    throw new LayoutError(`${label}: invalid ecc_size ${eccSize} for a ${bufferSize}-byte buffer`);
  }
  const eccBlocks = Math.ceil((bufferSize - eccSize) / (ECC_BLOCK_SIZE + eccSize));
  const eccTotal = (eccBlocks + 1) * eccSize;
  if (eccTotal >= bufferSize) {
    throw new LayoutError(`${label}: invalid ecc_size ${eccSize} (total ${eccTotal}, buffer size ${bufferSize})`);
  }
  const dataSize = bufferSize - eccTotal;
  const parityOffset = PRZ_HEADER_SIZE + dataSize;
  return {
    zoneSize,
    dataSize,
    dataOffset: PRZ_HEADER_SIZE,
    eccSize,
    blockSize: ECC_BLOCK_SIZE,
    eccBlocks,
    parityOffset,
    headerParityOffset: parityOffset + eccBlocks * eccSize,
  };
}
