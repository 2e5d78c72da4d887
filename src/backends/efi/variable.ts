/**
 * One EDK2 variable record (MdeModulePkg VariableFormat.h): a header, the
 * UTF-16 name, the data, then padding to the next 4-byte boundary. Stores
 * whose signature is gEfiAuthenticatedVariableGuid use the longer
 * authenticated header (monotonic count, EFI_TIME stamp, public key index);
 * the others the plain one.
 */
import { readU32, writeU32 } from '../../region/bytes.js';
import { guidBytes, guidText } from './guid.js';

/** StartId of every variable header. */
export const VARIABLE_DATA = 0x55aa;
export const PLAIN_HEADER_SIZE = 32;
export const AUTH_HEADER_SIZE = 60;
/** Headers start on 4-byte boundaries (HEADER_ALIGNMENT). */
export const HEADER_ALIGNMENT = 4;

/**
 * State bits. Flash bits only go from 1 to 0, so each step clears bits:
 * a new variable goes 0xFF → HEADER_VALID_ONLY (0x7F) → ADDED (0x3F); an
 * update marks the old copy IN_DELETED_TRANSITION (&0xFE → 0x3E) before the
 * new copy is written and DELETED (&0xFD → 0x3C) after; a plain delete
 * gives 0x3D.
 */
export const VAR_IN_DELETED_TRANSITION = 0xfe;
export const VAR_DELETED = 0xfd;
export const VAR_HEADER_VALID_ONLY = 0x7f;
export const VAR_ADDED = 0x3f;

/** UEFI variable attributes. */
export const EFI_VARIABLE_NON_VOLATILE = 0x1;
export const EFI_VARIABLE_BOOTSERVICE_ACCESS = 0x2;
export const EFI_VARIABLE_RUNTIME_ACCESS = 0x4;
export const EFI_VARIABLE_HARDWARE_ERROR_RECORD = 0x8;
export const EFI_VARIABLE_TIME_BASED_AUTHENTICATED_WRITE_ACCESS = 0x20;

/**
 * What a State byte means to the firmware: only `added` and `in-deletion`
 * (an update interrupted before the new copy was complete) are visible;
 * `header-only` is a write that never finished; `deleted` keeps its bytes
 * until the store is reclaimed; `unknown` is any other pattern.
 */
export type VariableState = 'added' | 'in-deletion' | 'header-only' | 'deleted' | 'unknown';

export function variableState(state: number): VariableState {
  if (state === VAR_ADDED) return 'added';
  if (state === (VAR_ADDED & VAR_IN_DELETED_TRANSITION)) return 'in-deletion';
  if (state === 0xff || state === VAR_HEADER_VALID_ONLY) return 'header-only';
  // ADDED reached (top bits clear) and DELETED applied.
  if ((state & 0xc0) === 0 && (state & ~VAR_DELETED & 0xff) === 0) return 'deleted';
  return 'unknown';
}

/** EFI_TIME, as stored in authenticated headers. */
export interface EfiTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  nanosecond: number;
  timeZone: number;
  daylight: number;
}

export interface VariableHeader {
  startId: number;
  state: number;
  reserved: number;
  attributes: number;
  /** Authenticated headers only (0 otherwise). */
  monotonicCount: bigint;
  timeStamp: EfiTime | null;
  pubKeyIndex: number;
  /** As stored; the firmware treats both sizes as 0 while the header is half written (see effectiveSizes). */
  nameSize: number;
  dataSize: number;
  vendorGuid: string;
}

export const headerSize = (auth: boolean): number => (auth ? AUTH_HEADER_SIZE : PLAIN_HEADER_SIZE);

const u16 = (b: Uint8Array, o: number): number => b[o] | (b[o + 1] << 8);

function decodeTime(b: Uint8Array, o: number): EfiTime {
  const tz = u16(b, o + 12);
  return {
    year: u16(b, o),
    month: b[o + 2],
    day: b[o + 3],
    hour: b[o + 4],
    minute: b[o + 5],
    second: b[o + 6],
    nanosecond: readU32(b, o + 8, true),
    timeZone: tz >= 0x8000 ? tz - 0x10000 : tz,
    daylight: b[o + 14],
  };
}

/** Decode a header at `off`; `b` must hold headerSize(auth) bytes there. */
export function decodeVariableHeader(b: Uint8Array, off: number, auth: boolean): VariableHeader {
  const sizes = auth ? 36 : 8;
  return {
    startId: u16(b, off),
    state: b[off + 2],
    reserved: b[off + 3],
    attributes: readU32(b, off + 4, true),
    monotonicCount: auth ? BigInt(readU32(b, off + 8, true)) | (BigInt(readU32(b, off + 12, true)) << 32n) : 0n,
    timeStamp: auth ? decodeTime(b, off + 16) : null,
    pubKeyIndex: auth ? readU32(b, off + 32, true) : 0,
    nameSize: readU32(b, off + sizes, true),
    dataSize: readU32(b, off + sizes + 4, true),
    vendorGuid: guidText(b, off + sizes + 8),
  };
}

/**
 * NameSizeOfVariable/DataSizeOfVariable: a header whose State or any size
 * or attribute field is still erased (all ones) counts as zero-sized, which
 * is how the firmware steps over a header that was cut off mid-write.
 */
export function effectiveSizes(h: VariableHeader): { nameSize: number; dataSize: number } {
  const M = 0xffffffff;
  if (h.state === 0xff || h.dataSize === M || h.nameSize === M || h.attributes === M) return { nameSize: 0, dataSize: 0 };
  return { nameSize: h.nameSize, dataSize: h.dataSize };
}

export const headerAlign = (n: number): number => Math.ceil(n / HEADER_ALIGNMENT) * HEADER_ALIGNMENT;

/** Bytes a variable takes from its header to the next header. */
export function variableSpan(auth: boolean, nameSize: number, dataSize: number): number {
  return headerAlign(headerSize(auth) + nameSize + dataSize);
}

/** UCS-2 name, NUL-terminated, as SetVariable stores it (NameSize includes the NUL). */
export function encodeName(name: string): Uint8Array {
  const out = new Uint8Array((name.length + 1) * 2);
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    out[2 * i] = c & 0xff;
    out[2 * i + 1] = c >> 8;
  }
  return out;
}

/** The UCS-2 code units of a stored name up to its first NUL (or its end). */
export function nameUnits(b: Uint8Array): number[] {
  const units: number[] = [];
  for (let i = 0; i + 1 < b.length; i += 2) {
    const c = u16(b, i);
    if (c === 0) break;
    units.push(c);
  }
  return units;
}

export function decodeName(b: Uint8Array): string {
  return String.fromCharCode(...nameUnits(b));
}

export interface NewVariable {
  name: string;
  vendorGuid: string;
  attributes: number;
  data: Uint8Array;
}

/**
 * The bytes UpdateVariable appends for a new variable: header (Reserved 0;
 * in authenticated stores MonotonicCount, TimeStamp and PubKeyIndex 0 for a
 * variable without authenticated-write attributes), name, data and 0xFF
 * padding (the firmware builds it in a 0xFF-filled buffer). `state` is the
 * final State byte.
 */
export function encodeVariable(v: NewVariable, auth: boolean, state = VAR_ADDED): Uint8Array {
  const name = encodeName(v.name);
  const hs = headerSize(auth);
  const out = new Uint8Array(variableSpan(auth, name.length, v.data.length)).fill(0xff);
  out.fill(0, 0, hs);
  out[0] = VARIABLE_DATA & 0xff;
  out[1] = VARIABLE_DATA >> 8;
  out[2] = state;
  writeU32(out, 4, v.attributes, true);
  const sizes = auth ? 36 : 8;
  writeU32(out, sizes, name.length, true);
  writeU32(out, sizes + 4, v.data.length, true);
  out.set(guidBytes(v.vendorGuid), sizes + 8);
  out.set(name, hs);
  out.set(v.data, hs + name.length);
  return out;
}
