/**
 * The UEFI variable services of EDK2's variable driver (VariableParsing.c,
 * Variable.c) over one non-volatile store, as the OS sees them at runtime:
 * GetNextVariableName walks the store in order and shows ADDED variables and
 * IN_DELETED_TRANSITION ones that have no ADDED twin; lookups by name take
 * the first ADDED match, else the last in-transition one; variables without
 * EFI_VARIABLE_RUNTIME_ACCESS are invisible; writes append at the end (no
 * reclaim at runtime) and retire the old copy; a delete only clears State
 * bits.
 */
import { nameUnits, EFI_VARIABLE_HARDWARE_ERROR_RECORD, EFI_VARIABLE_RUNTIME_ACCESS, VAR_DELETED, VAR_IN_DELETED_TRANSITION, headerSize, headerAlign } from './variable.js';
import { VARIABLE_STORE_HEADER_SIZE, type StoreVariable, type VariableStore } from './variableStore.js';

/** The EFI_STATUS values these services return. */
export type EfiStatus = 'success' | 'not-found' | 'buffer-too-small' | 'invalid-parameter' | 'out-of-resources' | 'write-protected';

/** OVMF's PcdHwErrStorageSize: space kept back for hardware error records. */
export const OVMF_HW_ERR_STORAGE_SIZE = 0x1000;

export interface RuntimeServicesOptions {
  /** PcdHwErrStorageSize of the firmware (OVMF: 0x1000). */
  hwErrStorageSize?: number;
}

/** A name as the caller's buffer holds it: code units up to the NUL. */
const key = (units: readonly number[], guid: string): string => `${guid}/${units.join(',')}`;

export class RuntimeVariableServices {
  readonly hwErrStorageSize: number;
  /** Name+GUID key of each variable, computed once (names never change in place). */
  private readonly keys = new WeakMap<StoreVariable, string>();

  constructor(
    readonly store: VariableStore,
    options: RuntimeServicesOptions = {},
  ) {
    this.hwErrStorageSize = options.hwErrStorageSize ?? OVMF_HW_ERR_STORAGE_SIZE;
  }

  /** Can the OS see this variable at all (state and runtime access)? */
  private live(v: StoreVariable): boolean {
    return (v.state === 'added' || v.state === 'in-deletion') && (v.header.attributes & EFI_VARIABLE_RUNTIME_ACCESS) !== 0;
  }

  private keyOf(v: StoreVariable): string {
    let k = this.keys.get(v);
    if (k === undefined) {
      k = key(nameUnits(v.nameBytes), v.header.vendorGuid);
      this.keys.set(v, k);
    }
    return k;
  }

  /** FindVariableEx: first ADDED match, else the last in-transition one. */
  find(units: readonly number[], guid: string): StoreVariable | null {
    const k = key(units, guid);
    let inDeletion: StoreVariable | null = null;
    for (const v of this.store.variables) {
      if (!this.live(v) || this.keyOf(v) !== k) continue;
      if (v.state === 'added') return v;
      inDeletion = v;
    }
    return inDeletion;
  }

  private addedTwin(v: StoreVariable): StoreVariable | null {
    const f = this.find(nameUnits(v.nameBytes), v.header.vendorGuid);
    return f && f.state === 'added' ? f : null;
  }

  /**
   * GetNextVariableName. `prev` null starts the enumeration. Returns the
   * next variable, or the status that ends the caller's walk.
   */
  getNextVariableName(prev: { units: readonly number[]; guid: string } | null, nameBufferSize: number): StoreVariable | EfiStatus {
    const vars = this.store.variables;
    let i: number;
    if (!prev) {
      // An empty name: FindVariableEx returns the first ADDED variable, else the last in-transition one.
      let inDeletion = -1;
      i = -1;
      for (let j = 0; j < vars.length; j++) {
        if (!this.live(vars[j])) continue;
        if (vars[j].state === 'added') {
          i = j;
          break;
        }
        inDeletion = j;
      }
      if (i < 0) i = inDeletion;
      if (i < 0) return 'not-found';
    } else {
      const cur = this.find(prev.units, prev.guid);
      if (!cur) return 'invalid-parameter';
      i = vars.indexOf(cur) + 1;
    }
    for (; i < vars.length; i++) {
      const v = vars[i];
      if (!this.live(v)) continue;
      if (v.state === 'in-deletion' && this.addedTwin(v)) continue;
      return v.nameSize <= nameBufferSize ? v : 'buffer-too-small';
    }
    return 'not-found';
  }

  /** GetVariable into a buffer of `bufferSize` bytes. */
  getVariable(units: readonly number[], guid: string, bufferSize: number): { status: 'success'; data: Uint8Array; variable: StoreVariable } | { status: Exclude<EfiStatus, 'success'> } {
    const v = this.find(units, guid);
    if (!v) return { status: 'not-found' };
    if (v.dataSize > bufferSize) return { status: 'buffer-too-small' };
    return { status: 'success', data: this.store.data(v), variable: v };
  }

  /** Space the runtime may still use for common (non hardware-error) variables. */
  private runtimeSpace(): { total: number; space: number } {
    let total = 0;
    for (const v of this.store.variables) if ((v.header.attributes & EFI_VARIABLE_HARDWARE_ERROR_RECORD) === 0) total += v.next - v.offset;
    const space = this.store.header.size - VARIABLE_STORE_HEADER_SIZE - this.hwErrStorageSize;
    return { total, space };
  }

  /** QueryVariableInfo's RemainingVariableStorageSize at runtime: every variable counts, deleted or not. */
  remainingStorage(): number {
    const { total, space } = this.runtimeSpace();
    return Math.max(0, space - total);
  }

  /**
   * SetVariable for a non-volatile variable at runtime. A zero-length
   * `data` deletes. Returns the status; the store is unchanged unless it is
   * 'success'.
   */
  setVariable(name: string, guid: string, attributes: number, data: Uint8Array): EfiStatus {
    const units = Array.from(name, (c) => c.charCodeAt(0));
    const cur = this.find(units, guid);
    // The in-transition copy an interrupted update left behind, if the ADDED one was found.
    const stale = cur && cur.state === 'added' ? this.inDeletionTwin(cur) : null;
    if (data.length === 0) {
      if (!cur) return 'not-found';
      if (stale) this.store.clearState(stale, VAR_DELETED);
      this.store.clearState(cur, VAR_DELETED);
      return 'success';
    }
    if (cur && cur.header.attributes !== attributes) return 'invalid-parameter';
    if (cur && cur.dataSize === data.length && equalBytes(this.store.data(cur), data)) return 'success';
    const span = headerAlign(headerSize(this.store.header.auth) + (name.length + 1) * 2 + data.length);
    const { total, space } = this.runtimeSpace();
    if (span + total > space || this.store.lastVariableEnd + span > this.store.end) return 'out-of-resources';
    if (cur && cur.state === 'added') this.store.clearState(cur, VAR_IN_DELETED_TRANSITION);
    this.store.append({ name, vendorGuid: guid, attributes, data });
    if (stale) this.store.clearState(stale, VAR_DELETED);
    if (cur) this.store.clearState(cur, VAR_DELETED);
    return 'success';
  }

  private inDeletionTwin(v: StoreVariable): StoreVariable | null {
    const k = this.keyOf(v);
    let last: StoreVariable | null = null;
    for (const w of this.store.variables) {
      if (w === v) break;
      if (this.live(w) && w.state === 'in-deletion' && this.keyOf(w) === k) last = w;
    }
    return last;
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
