/**
 * A plain-object picture of a variable store (structured-clone friendly):
 * where the volume, the store header, each variable and the free space are,
 * for the viewer's map and for JSON output.
 */
import type { FirmwareVolumeHeader } from './firmwareVolume.js';
import { decodeFvHeader, looksLikeFvHeader } from './firmwareVolume.js';
import { LINUX_EFI_CRASH_GUID } from './guid.js';
import { headerSize, type VariableState } from './variable.js';
import { looksLikeStoreHeader, storeStatus, VARIABLE_STORE_HEADER_SIZE, type VariableStore } from './variableStore.js';

export interface EfiVariableEntry {
  /** File offsets. */
  offset: number;
  headerSize: number;
  nameSize: number;
  dataSize: number;
  /** Header to next header, alignment included. */
  totalSize: number;
  stateByte: number;
  state: VariableState;
  attributes: number;
  vendorGuid: string;
  name: string;
  /** An efi-pstore variable (LINUX_EFI_CRASH_GUID). */
  isPstore: boolean;
  problems: string[];
}

export interface EfiStoreMap {
  fv: { offset: number; length: number; headerLength: number; checksumOk: boolean; fileSystemGuid: string } | null;
  store: {
    offset: number;
    size: number;
    headerSize: number;
    format: 'authenticated' | 'plain';
    status: 'valid' | 'raw' | 'invalid';
    /** First variable header and end of the store as the firmware computes it. */
    start: number;
    end: number;
    /** Free space: from the end of the last variable to `end`. */
    freeOffset: number;
    freeBytes: number;
  };
  variables: EfiVariableEntry[];
}

/** The map of `store`, with offsets shifted by `fileOffset` (where the store's region starts in the file). */
export function storeMap(store: VariableStore, fv: FirmwareVolumeHeader | null, fileOffset: number, fvLength: number): EfiStoreMap {
  const hs = headerSize(store.header.auth);
  return {
    fv: fv ? { offset: fileOffset + store.location.base, length: fvLength, headerLength: fv.headerLength, checksumOk: fv.checksumOk, fileSystemGuid: fv.fileSystemGuid } : null,
    store: {
      offset: fileOffset + store.location.offset,
      size: store.header.size,
      headerSize: VARIABLE_STORE_HEADER_SIZE,
      format: store.header.auth ? 'authenticated' : 'plain',
      status: store.status,
      start: fileOffset + store.start,
      end: fileOffset + store.end,
      freeOffset: fileOffset + store.lastVariableEnd,
      freeBytes: store.freeBytes,
    },
    variables: store.variables.map((v) => ({
      offset: fileOffset + v.offset,
      headerSize: hs,
      nameSize: v.nameSize,
      dataSize: v.dataSize,
      totalSize: v.next - v.offset,
      stateByte: v.header.state,
      state: v.state,
      attributes: v.header.attributes,
      vendorGuid: v.header.vendorGuid,
      name: v.name,
      isPstore: v.header.vendorGuid === LINUX_EFI_CRASH_GUID,
      problems: [...v.problems],
    })),
  };
}

/**
 * Cheap file-kind check on the first bytes of a file: a firmware volume
 * whose header is followed by a variable store, or a bare variable store.
 */
export function looksLikeEfiStore(head: Uint8Array): boolean {
  if (looksLikeFvHeader(head)) {
    const fv = decodeFvHeader(head);
    if (!fv || fv.headerLength + VARIABLE_STORE_HEADER_SIZE > head.length) return false;
    const status = storeStatus(head, fv.headerLength);
    // An erased store only counts in the NV volume: other volumes are often 0xFF padding there.
    return status === 'valid' || (status === 'raw' && fv.nvData);
  }
  return looksLikeStoreHeader(head);
}
