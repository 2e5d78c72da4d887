/**
 * A UEFI variable store holding efi-pstore records (a VM's OVMF_VARS.fd /
 * libvirt NVRAM file, or the NV region of a firmware flash dump): the entry
 * point for the CLI and the library, like RamoopsImage and BlkImage. The
 * files are those Linux shows in /sys/fs/pstore after booting on the store.
 */
import { EfiBackend, type EfiReadNote } from '../backends/efi/backend.js';
import { efiPstoreProfile, type EfiPstoreProfile } from '../backends/efi/dumpName.js';
import type { FirmwareVolumeHeader } from '../backends/efi/firmwareVolume.js';
import { decodeFtwHeader, FTW_WORKING_HEADER_SIZE, type FtwWorkingHeader } from '../backends/efi/ftw.js';
import { LINUX_EFI_CRASH_GUID } from '../backends/efi/guid.js';
import { locateStore, type LocatedStore } from '../backends/efi/locate.js';
import { RuntimeVariableServices } from '../backends/efi/runtimeServices.js';
import { storeMap, type EfiStoreMap } from '../backends/efi/storeMap.js';
import { VariableStore, type StoreVariable } from '../backends/efi/variableStore.js';
import { archByName } from '../backends/ramoops/arch.js';
import { kernelProfile, type KernelProfile } from '../backends/ramoops/kernelProfile.js';
import type { CompressorName } from '../core/compress/types.js';
import type { PstoreFile } from '../core/record.js';
import { UsageError } from '../errors.js';
import { WindowRegion, type Region } from '../region/region.js';
import { backendFiles, findFile, type PstoreImage } from './image.js';

export interface EfiImageOptions {
  /** Kernel version profile (`6.1`, `6.12`, …): backend name, record size, compressor family. */
  kernel?: string;
  /** Where the firmware volume (or bare store) starts inside the file. */
  offset?: number;
  /** The reading kernel's compressor: `auto` tries each (default), `none` leaves compressed dumps `.enc.z`. */
  compress?: 'auto' | 'none' | CompressorName;
  /** `efi_pstore.record_size` (6.3 and later; at least 1024). */
  recordSize?: number;
  /** The firmware's PcdHwErrStorageSize (OVMF 0x1000): space runtime writes may not use. */
  hwErrStorageSize?: number;
}

/** The store's health for `pstore check`. */
export interface EfiStoreHealth {
  /** Offsets in the file. */
  fvOffset: number | null;
  fvChecksumOk: boolean | null;
  storeOffset: number;
  storeSize: number;
  format: 'authenticated' | 'plain';
  status: 'valid' | 'raw' | 'invalid';
  variables: { added: number; inDeletion: number; headerOnly: number; deleted: number; unknown: number };
  /** Bytes used by every variable from the first header to the end of the last one. */
  usedBytes: number;
  /** Bytes after the last variable (what runtime writes can use). */
  freeBytes: number;
  /** Bytes held by deleted or half-written variables: reclaimed by the firmware at a boot that needs the space. */
  reclaimableBytes: number;
  /** Space left for common variables at runtime (QueryVariableInfo), before efi-pstore's 5 KiB reserve. */
  remainingForRuntime: number;
  pstoreVariables: number;
  /** Damaged headers and store problems, one line each with its offset. */
  problems: string[];
  /** Why Linux's read stops early, if it does. */
  readNotes: EfiReadNote[];
  /** OVMF's fault-tolerant-write working block after the store (file offset), when the volume holds one. */
  ftw: { offset: number; crcOk: boolean; valid: boolean } | null;
  damaged: boolean;
}

export class EfiImage implements PstoreImage {
  readonly kind = 'efi' as const;
  /** The volume (or bare store) window of the file. */
  readonly region: Region;
  readonly kernel: KernelProfile;
  readonly profile: EfiPstoreProfile;
  readonly located: LocatedStore;
  private current: { store: VariableStore; backend: EfiBackend };
  private cachedFiles: PstoreFile[] | null = null;

  constructor(
    image: Region,
    readonly options: EfiImageOptions = {},
  ) {
    const offset = options.offset ?? 0;
    if (!Number.isSafeInteger(offset) || offset < 0 || offset >= image.size) {
      throw new UsageError(`--offset 0x${offset.toString(16)} is beyond the end of the ${image.size}-byte image`);
    }
    this.kernel = kernelProfile(options.kernel);
    this.profile = efiPstoreProfile(this.kernel, options.recordSize);
    const at = locateStore(image, offset);
    this.region = at.base === 0 && at.length === image.size ? image : new WindowRegion(image, at.base, at.length);
    this.located = { ...at, base: 0, storeOffset: at.storeOffset - at.base };
    this.fileOffset = at.base;
    this.current = this.attach();
  }

  /** Where the volume starts in the file (the --offset). */
  readonly fileOffset: number;

  private attach(): { store: VariableStore; backend: EfiBackend } {
    const store = new VariableStore(this.region, { offset: this.located.storeOffset, base: 0 });
    const services = new RuntimeVariableServices(store, { hwErrStorageSize: this.options.hwErrStorageSize });
    return { store, backend: new EfiBackend(services, this.profile) };
  }

  get fv(): FirmwareVolumeHeader | null {
    return this.located.fv;
  }

  get store(): VariableStore {
    return this.current.store;
  }

  get backend(): EfiBackend {
    return this.current.backend;
  }

  /** Every variable in store order, with its state (the viewer's map). */
  variables(): StoreVariable[] {
    return this.current.store.variables;
  }

  /** The store as plain objects with file offsets (the viewer's map, JSON). */
  map(): EfiStoreMap {
    return storeMap(this.current.store, this.fv, this.fileOffset, this.region.size);
  }

  files(): PstoreFile[] {
    if (!this.cachedFiles) this.cachedFiles = backendFiles(this.current.backend, this.kernel, archByName(undefined), this.options);
    return this.cachedFiles;
  }

  file(name: string): PstoreFile {
    return findFile(this.files(), name);
  }

  describe(): string {
    const s = this.current.store;
    const n = s.variables.filter((v) => v.header.vendorGuid === LINUX_EFI_CRASH_GUID && (v.state === 'added' || v.state === 'in-deletion')).length;
    const where = this.fv ? `firmware volume of 0x${this.region.size.toString(16)} bytes` : 'bare variable store';
    return (
      `EFI variable store (${s.header.auth ? 'authenticated' : 'plain'}, 0x${s.header.size.toString(16)} bytes) in a ${where}, ` +
      `${s.variables.length} variables, ${n} efi-pstore, ${s.freeBytes} bytes free, kernel ${this.kernel.name}`
    );
  }

  /** The store's health as `pstore check` reports it. */
  health(): EfiStoreHealth {
    const s = this.current.store;
    const count = { added: 0, inDeletion: 0, headerOnly: 0, deleted: 0, unknown: 0 };
    const problems: string[] = [];
    const abs = (o: number): string => `0x${(o + this.fileOffset).toString(16)}`;
    for (const v of s.variables) {
      if (v.state === 'added') count.added++;
      else if (v.state === 'in-deletion') count.inDeletion++;
      else if (v.state === 'header-only') count.headerOnly++;
      else if (v.state === 'deleted') count.deleted++;
      else count.unknown++;
      for (const p of v.problems) problems.push(`variable at ${abs(v.offset)} (${v.name || 'no name'}): ${p}`);
      if (v.state === 'unknown') problems.push(`variable at ${abs(v.offset)} (${v.name || 'no name'}): State 0x${v.header.state.toString(16)} is not one the firmware writes`);
    }
    if (s.status === 'invalid') problems.push(`variable store header at ${abs(this.located.storeOffset)} is not valid (format 0x${s.header.format.toString(16)}, state 0x${s.header.state.toString(16)}): the firmware does not use it`);
    for (const p of s.problems) problems.push(`store at ${abs(this.located.storeOffset)}: ${p}`);
    if (this.fv && !this.fv.checksumOk) problems.push(`firmware volume header at ${abs(0)}: checksum does not sum to zero`);
    // Run Linux's read for its notes.
    const files = this.files();
    const ftw = this.findFtw();
    return {
      fvOffset: this.fv ? this.fileOffset : null,
      fvChecksumOk: this.fv ? this.fv.checksumOk : null,
      storeOffset: this.located.storeOffset + this.fileOffset,
      storeSize: s.header.size,
      format: s.header.auth ? 'authenticated' : 'plain',
      status: s.status,
      variables: count,
      usedBytes: s.lastVariableEnd - s.start,
      freeBytes: s.freeBytes,
      reclaimableBytes: s.reclaimableBytes,
      remainingForRuntime: this.current.backend.services.remainingStorage(),
      pstoreVariables: files.length,
      problems,
      readNotes: this.current.backend.readNotes,
      ftw: ftw ? { offset: ftw.offset + this.fileOffset, crcOk: ftw.header.crcOk, valid: ftw.header.valid } : null,
      damaged: problems.length > 0,
    };
  }

  /** The FTW working block header on a 4 KiB boundary after the store, inside the volume. */
  private findFtw(): { offset: number; header: FtwWorkingHeader } | null {
    if (!this.fv) return null;
    const s = this.current.store;
    for (let o = Math.ceil(s.end / 0x1000) * 0x1000; o + FTW_WORKING_HEADER_SIZE <= this.region.size; o += 0x1000) {
      const header = decodeFtwHeader(this.region.read(o, FTW_WORKING_HEADER_SIZE));
      if (header) return { offset: o, header };
    }
    return null;
  }

  /** Forget cached records and walk the store again (after a write). */
  invalidate(): void {
    this.cachedFiles = null;
    this.current = this.attach();
  }
}
