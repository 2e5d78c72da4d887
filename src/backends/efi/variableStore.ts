/**
 * An EDK2 variable store (VARIABLE_STORE_HEADER followed by variables),
 * walked the way the firmware walks it: from the first 4-byte boundary after
 * the header, variable after variable while the StartId is 0x55AA and the
 * header starts before the store's end. Everything after the last variable is
 * free space the firmware expects to be erased (0xFF); deleted variables keep
 * their bytes until a reclaim rewrites the store.
 */
import { CorruptImageError } from '../../errors.js';
import type { Region } from '../../region/region.js';
import { readU32 } from '../../region/bytes.js';
import { EFI_AUTHENTICATED_VARIABLE_GUID, EFI_VARIABLE_GUID, guidBytes, guidEquals, guidText } from './guid.js';
import {
  decodeName,
  decodeVariableHeader,
  effectiveSizes,
  encodeVariable,
  headerAlign,
  headerSize,
  VAR_ADDED,
  VAR_HEADER_VALID_ONLY,
  VARIABLE_DATA,
  variableState,
  type NewVariable,
  type VariableHeader,
  type VariableState,
} from './variable.js';

export const VARIABLE_STORE_HEADER_SIZE = 28;
export const VARIABLE_STORE_FORMATTED = 0x5a;
export const VARIABLE_STORE_HEALTHY = 0xfe;

export const AUTH_STORE_SIGNATURE = guidBytes(EFI_AUTHENTICATED_VARIABLE_GUID);
export const PLAIN_STORE_SIGNATURE = guidBytes(EFI_VARIABLE_GUID);

export interface VariableStoreHeader {
  signature: string;
  /** Authenticated variable headers (gEfiAuthenticatedVariableGuid). */
  auth: boolean;
  /** Whole store including this header. */
  size: number;
  format: number;
  state: number;
}

/** GetVariableStoreStatus: `valid` stores are used; `raw` is erased flash; anything else the firmware rejects. */
export type StoreStatus = 'valid' | 'raw' | 'invalid';

export function decodeStoreHeader(b: Uint8Array, off = 0): VariableStoreHeader {
  return {
    signature: guidText(b, off),
    auth: guidEquals(b, off, AUTH_STORE_SIGNATURE),
    size: readU32(b, off + 16, true),
    format: b[off + 20],
    state: b[off + 21],
  };
}

/** Does a plausible variable store header start at `off`? (either signature, formatted) */
export function looksLikeStoreHeader(b: Uint8Array, off = 0): boolean {
  if (off + VARIABLE_STORE_HEADER_SIZE > b.length) return false;
  if (!guidEquals(b, off, AUTH_STORE_SIGNATURE) && !guidEquals(b, off, PLAIN_STORE_SIGNATURE)) return false;
  return b[off + 20] === VARIABLE_STORE_FORMATTED;
}

export function storeStatus(b: Uint8Array, off = 0): StoreStatus {
  const signed = guidEquals(b, off, AUTH_STORE_SIGNATURE) || guidEquals(b, off, PLAIN_STORE_SIGNATURE);
  if (signed && b[off + 20] === VARIABLE_STORE_FORMATTED && b[off + 21] === VARIABLE_STORE_HEALTHY) return 'valid';
  for (let i = 0; i < 22; i++) if (b[off + i] !== 0xff) return 'invalid';
  return 'raw';
}

/** One variable as the walk finds it. Offsets are relative to the store's region. */
export interface StoreVariable {
  offset: number;
  header: VariableHeader;
  state: VariableState;
  /** Sizes the firmware uses (0 for a half-written header). */
  nameSize: number;
  dataSize: number;
  /** Stored name bytes (UTF-16LE, normally NUL-terminated) and the name up to its NUL. */
  nameBytes: Uint8Array;
  name: string;
  dataOffset: number;
  /** Offset of the next header (HEADER_ALIGN of this variable's end). */
  next: number;
  /** Why this variable is damaged (it runs past the store, a visible one has a bad name); empty when sound. */
  problems: string[];
}

/** Where the store sits in the region and how it was found. */
export interface StoreLocation {
  /** Offset of the VARIABLE_STORE_HEADER in the region. */
  offset: number;
  /** Alignment base: the start of the firmware volume (headers align to 4 bytes from it). */
  base: number;
}

/**
 * A variable store inside a region. The walk is done once at construction;
 * the write helpers keep the in-memory view and the region in step.
 */
export class VariableStore {
  readonly header: VariableStoreHeader;
  readonly status: StoreStatus;
  /** Region offsets: first variable, end of the store as the firmware computes it, and end of the last variable. */
  readonly start: number;
  readonly end: number;
  lastVariableEnd: number;
  readonly variables: StoreVariable[] = [];
  /** Problems with the store as a whole (size beyond the region, garbage in the free area). */
  readonly problems: string[] = [];
  /** Bytes after the last variable that are not 0xFF. */
  dirtyFreeBytes = 0;
  private readonly bytes: Uint8Array;

  constructor(
    readonly region: Region,
    readonly location: StoreLocation,
  ) {
    const off = location.offset;
    if (off + VARIABLE_STORE_HEADER_SIZE > region.size) {
      throw new CorruptImageError(`no room for a variable store header (${region.size}-byte image)`, off);
    }
    const head = region.read(off, VARIABLE_STORE_HEADER_SIZE);
    this.header = decodeStoreHeader(head);
    this.status = storeStatus(head);
    const align = (n: number): number => location.base + headerAlign(n - location.base);
    this.start = align(off + VARIABLE_STORE_HEADER_SIZE);
    let end = this.status === 'valid' ? align(off + this.header.size) : this.start;
    if (end > region.size) {
      this.problems.push(`store size 0x${this.header.size.toString(16)} runs past the end of the ${region.size}-byte image`);
      end = region.size;
    }
    if (end < this.start) end = this.start;
    this.end = end;
    this.bytes = region.read(off, Math.max(end, Math.min(this.start, region.size)) - off);
    this.lastVariableEnd = this.start;
    if (this.status === 'valid') this.walk();
  }

  /** Bytes of the store (a copy) from region offset `o`, `n` long. */
  private view(o: number, n: number): Uint8Array {
    const rel = o - this.location.offset;
    return this.bytes.subarray(rel, rel + n);
  }

  private walk(): void {
    const auth = this.header.auth;
    const hs = headerSize(auth);
    const align = (n: number): number => this.location.base + headerAlign(n - this.location.base);
    let p = this.start;
    while (p < this.end) {
      const b = this.view(p, 2);
      if (b.length < 2 || (b[0] | (b[1] << 8)) !== VARIABLE_DATA) break;
      const problems: string[] = [];
      let hb = this.view(p, hs);
      if (hb.length < hs) {
        // The firmware reads on past the store; we only have the image.
        problems.push(`header runs past the end of the store (0x${(p + hs - this.end).toString(16)} bytes)`);
        const padded = new Uint8Array(hs).fill(0xff);
        padded.set(hb);
        hb = padded;
      }
      const header = decodeVariableHeader(hb, 0, auth);
      const { nameSize, dataSize } = effectiveSizes(header);
      const state = variableState(header.state);
      const dataOffset = p + hs + nameSize;
      const varEnd = dataOffset + dataSize;
      const next = align(varEnd);
      if (varEnd > this.end) problems.push(`name and data (0x${(nameSize + dataSize).toString(16)} bytes) run past the end of the store`);
      const nameBytes = this.view(p + hs, Math.min(nameSize, Math.max(0, this.end - p - hs)));
      if ((state === 'added' || state === 'in-deletion') && problems.length === 0) {
        if (nameSize < 2 || nameSize % 2 !== 0) problems.push(`name size ${nameSize} is not a UTF-16 string`);
        else if (nameBytes[nameSize - 1] !== 0 || nameBytes[nameSize - 2] !== 0) problems.push('name is not NUL-terminated');
      }
      this.variables.push({
        offset: p,
        header,
        state,
        nameSize,
        dataSize,
        nameBytes,
        name: decodeName(nameBytes),
        dataOffset,
        next,
        problems,
      });
      p = next;
    }
    this.lastVariableEnd = Math.min(p, this.end);
    const free = this.view(this.lastVariableEnd, this.end - this.lastVariableEnd);
    let dirty = 0;
    for (let i = 0; i < free.length; i++) if (free[i] !== 0xff) dirty++;
    this.dirtyFreeBytes = dirty;
    if (dirty) this.problems.push(`${dirty} byte${dirty === 1 ? '' : 's'} of the free area after the last variable are not erased (0xFF): the firmware reclaims the store at the next boot`);
  }

  /** A variable's data (a copy); only the part inside the store when it runs past the end. */
  data(v: StoreVariable): Uint8Array {
    const n = Math.max(0, Math.min(v.dataSize, this.end - v.dataOffset));
    return this.view(v.dataOffset, n).slice();
  }

  /** Free bytes after the last variable (what a runtime write can use; no reclaim at runtime). */
  get freeBytes(): number {
    return this.end - this.lastVariableEnd;
  }

  /** Bytes held by variables that are not visible any more (deleted, half written): reclaimable at boot. */
  get reclaimableBytes(): number {
    let n = 0;
    for (const v of this.variables) if (v.state !== 'added' && v.state !== 'in-deletion') n += v.next - v.offset;
    return n;
  }

  /** Store-level or variable-level damage. */
  get damaged(): boolean {
    return this.status === 'invalid' || this.problems.length > 0 || this.variables.some((v) => v.problems.length > 0);
  }

  /**
   * Append a variable after the last one in the firmware's four steps (header
   * with State 0xFF, State HEADER_VALID_ONLY, name and data, State ADDED).
   * The caller has checked that it fits.
   */
  append(v: NewVariable): StoreVariable {
    const at = this.lastVariableEnd;
    const auth = this.header.auth;
    const hs = headerSize(auth);
    const bytes = encodeVariable(v, auth, VAR_ADDED);
    const header = bytes.slice(0, hs);
    header[2] = 0xff;
    this.writeBytes(at, header);
    this.writeBytes(at + 2, Uint8Array.of(VAR_HEADER_VALID_ONLY));
    this.writeBytes(at + hs, bytes.subarray(hs));
    this.writeBytes(at + 2, Uint8Array.of(VAR_ADDED));
    const nameSize = (v.name.length + 1) * 2;
    const added: StoreVariable = {
      offset: at,
      header: decodeVariableHeader(bytes, 0, auth),
      state: 'added',
      nameSize,
      dataSize: v.data.length,
      nameBytes: bytes.slice(hs, hs + nameSize),
      name: v.name,
      dataOffset: at + hs + nameSize,
      next: at + bytes.length,
      problems: [],
    };
    this.variables.push(added);
    this.lastVariableEnd = added.next;
    return added;
  }

  /** Clear State bits (`state &= mask`), as the firmware marks a variable in deletion or deleted. */
  clearState(v: StoreVariable, mask: number): void {
    const s = v.header.state & mask;
    this.writeBytes(v.offset + 2, Uint8Array.of(s));
    v.header = { ...v.header, state: s };
    v.state = variableState(s);
  }

  private writeBytes(o: number, data: Uint8Array): void {
    this.region.write(o, data);
    this.view(o, data.length).set(data);
  }
}

/** Aligned variable size the firmware accounts for a new variable. */
export function newVariableSpan(auth: boolean, name: string, dataSize: number): number {
  return headerAlign(headerSize(auth) + (name.length + 1) * 2 + dataSize);
}
