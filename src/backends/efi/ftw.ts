/**
 * The fault-tolerant-write working block header OVMF keeps after the
 * variable store (EFI_FAULT_TOLERANT_WORKING_BLOCK_HEADER, gEdkiiWorking-
 * BlockSignatureGuid): OVMF_VARS.fd carries it initialised one block past
 * the store's end. Its CRC-32 covers the 32-byte header with the Crc field
 * and the state byte taken as erased (0xFF).
 */
import { readU32, writeU32 } from '../../region/bytes.js';
import { EDKII_WORKING_BLOCK_SIGNATURE_GUID, guidBytes, guidEquals } from './guid.js';

export const FTW_WORKING_HEADER_SIZE = 32;
const SIGNATURE = guidBytes(EDKII_WORKING_BLOCK_SIGNATURE_GUID);

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE, reflected), as EDK2's CalculateCrc32. */
export function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = CRC_TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export interface FtwWorkingHeader {
  crcOk: boolean;
  /** WorkingBlockValid set (bit 0 cleared from erased) and WorkingBlockInvalid not. */
  valid: boolean;
  writeQueueSize: number;
}

/** The header at `off`, or null without the signature. */
export function decodeFtwHeader(b: Uint8Array, off = 0): FtwWorkingHeader | null {
  if (off + FTW_WORKING_HEADER_SIZE > b.length || !guidEquals(b, off, SIGNATURE)) return null;
  const h = b.slice(off, off + FTW_WORKING_HEADER_SIZE);
  const crc = readU32(h, 16, true);
  h.fill(0xff, 16, 21);
  const state = b[off + 20];
  return { crcOk: crc32(h) === crc, valid: (state & 0x1) === 0 && (state & 0x2) !== 0, writeQueueSize: readU32(b, off + 24, true) };
}

/** A freshly initialised working block header for a `blockSize`-byte working area. */
export function encodeFtwHeader(blockSize: number): Uint8Array {
  const h = new Uint8Array(FTW_WORKING_HEADER_SIZE).fill(0xff);
  h.set(SIGNATURE, 0);
  writeU32(h, 24, blockSize - FTW_WORKING_HEADER_SIZE, true);
  writeU32(h, 28, 0, true);
  writeU32(h, 16, crc32(h), true);
  h[20] = 0xfe;
  return h;
}
