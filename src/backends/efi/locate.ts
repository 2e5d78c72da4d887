/**
 * Where the variable store starts in an image: a firmware volume header
 * (`_FVH`, as in OVMF_VARS.fd or a flash NV region) with the store at
 * HeaderLength, or a bare VARIABLE_STORE_HEADER.
 */
import { CorruptImageError } from '../../errors.js';
import type { Region } from '../../region/region.js';
import { decodeFvHeader, FV_HEADER_FIXED_SIZE, looksLikeFvHeader, type FirmwareVolumeHeader } from './firmwareVolume.js';
import { looksLikeStoreHeader, storeStatus, VARIABLE_STORE_HEADER_SIZE } from './variableStore.js';

export interface LocatedStore {
  /** Firmware volume header at `base`, or null for a bare store. */
  fv: FirmwareVolumeHeader | null;
  /** Start of the volume (or bare store) in the region. */
  base: number;
  /** Offset of the VARIABLE_STORE_HEADER in the region. */
  storeOffset: number;
  /** Bytes from `base` the volume (or the store) covers, clipped to the region. */
  length: number;
}

/** Find the store at `offset`, or say in one line why there is none. */
export function locateStore(region: Region, offset = 0): LocatedStore {
  const head = region.read(offset, Math.min(region.size - offset, 0x1000 + VARIABLE_STORE_HEADER_SIZE));
  if (looksLikeFvHeader(head)) {
    const fv = decodeFvHeader(head);
    if (!fv) throw new CorruptImageError('firmware volume header runs past the end of the image', offset);
    const storeOffset = offset + fv.headerLength;
    if (storeOffset + VARIABLE_STORE_HEADER_SIZE > region.size || storeStatus(head, fv.headerLength) === 'invalid') {
      throw new CorruptImageError(
        `the firmware volume (FileSystemGuid ${fv.fileSystemGuid}) holds no EDK2 variable store at HeaderLength 0x${fv.headerLength.toString(16)}`,
        storeOffset,
      );
    }
    const length = Math.min(fv.fvLength || region.size - offset, region.size - offset);
    return { fv, base: offset, storeOffset, length };
  }
  if (looksLikeStoreHeader(head)) {
    return { fv: null, base: offset, storeOffset: offset, length: region.size - offset };
  }
  const what = head.length < FV_HEADER_FIXED_SIZE ? 'the image is too small' : 'no _FVH firmware volume header and no variable store signature there';
  throw new CorruptImageError(`not an EDK2 variable store: ${what} (pstore scan finds stores inside larger files)`, offset);
}
