/**
 * The PI firmware volume header (EFI_FIRMWARE_VOLUME_HEADER) that wraps an
 * EDK2 non-volatile variable store: OVMF_VARS.fd and a flash chip's NV
 * region both start with one whose FileSystemGuid is gEfiSystemNvDataFvGuid;
 * the variable store header follows at HeaderLength.
 */
import { readU32 } from '../../region/bytes.js';
import { EFI_SYSTEM_NV_DATA_FV_GUID, guidBytes, guidEquals, guidText } from './guid.js';

/** '_FVH' read as a little-endian u32. */
export const FV_SIGNATURE = 0x4856465f;
/** Offset of the signature inside the header. */
export const FV_SIGNATURE_OFFSET = 40;
/** Fixed part of the header before the block map. */
export const FV_HEADER_FIXED_SIZE = 56;
/** Largest header accepted (the block map is a handful of entries in practice). */
const FV_HEADER_MAX = 0x1000;

export const NV_DATA_FV_GUID = guidBytes(EFI_SYSTEM_NV_DATA_FV_GUID);

export interface FvBlockMapEntry {
  numBlocks: number;
  length: number;
}

export interface FirmwareVolumeHeader {
  fileSystemGuid: string;
  /** The volume holds a variable store (gEfiSystemNvDataFvGuid). */
  nvData: boolean;
  fvLength: number;
  attributes: number;
  headerLength: number;
  checksum: number;
  /** The 16-bit sum over the header is zero, as the PI spec requires. */
  checksumOk: boolean;
  extHeaderOffset: number;
  revision: number;
  blockMap: FvBlockMapEntry[];
}

const u16 = (b: Uint8Array, o: number): number => b[o] | (b[o + 1] << 8);

/** 16-bit sum of the header's words: zero for a valid header (the Checksum field makes it so). */
export function fvHeaderSum(b: Uint8Array, off: number, headerLength: number): number {
  let sum = 0;
  for (let i = 0; i < headerLength; i += 2) sum = (sum + u16(b, off + i)) & 0xffff;
  return sum;
}

/** Does a firmware volume header start at `off`? (signature and a plausible header length) */
export function looksLikeFvHeader(b: Uint8Array, off = 0): boolean {
  if (off + FV_HEADER_FIXED_SIZE > b.length) return false;
  if (readU32(b, off + FV_SIGNATURE_OFFSET, true) !== FV_SIGNATURE) return false;
  const hl = u16(b, off + 48);
  return hl >= FV_HEADER_FIXED_SIZE + 8 && hl <= FV_HEADER_MAX && hl % 2 === 0;
}

/**
 * Decode the header at `off`; null when there is no `_FVH` signature or the
 * header does not fit. `b` must hold at least the header's bytes.
 */
export function decodeFvHeader(b: Uint8Array, off = 0): FirmwareVolumeHeader | null {
  if (!looksLikeFvHeader(b, off)) return null;
  const headerLength = u16(b, off + 48);
  if (off + headerLength > b.length) return null;
  const blockMap: FvBlockMapEntry[] = [];
  for (let p = off + FV_HEADER_FIXED_SIZE; p + 8 <= off + headerLength; p += 8) {
    const numBlocks = readU32(b, p, true);
    const length = readU32(b, p + 4, true);
    if (numBlocks === 0 && length === 0) break;
    blockMap.push({ numBlocks, length });
  }
  const lo = readU32(b, off + 32, true);
  const hi = readU32(b, off + 36, true);
  return {
    fileSystemGuid: guidText(b, off + 16),
    nvData: guidEquals(b, off + 16, NV_DATA_FV_GUID),
    fvLength: hi * 0x1_0000_0000 + lo,
    attributes: readU32(b, off + 44, true),
    headerLength,
    checksum: u16(b, off + 50),
    checksumOk: fvHeaderSum(b, off, headerLength) === 0,
    extHeaderOffset: u16(b, off + 52),
    revision: b[off + 55],
    blockMap,
  };
}
