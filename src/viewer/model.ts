/**
 * What the page shows about an image, decoded off the main thread: plain
 * structured-clone data (no classes), built from RamoopsImage or BlkImage
 * exactly as the CLI builds `ls`/`cat`/`extract` output.
 */
import type { BlkModuleParams, BlkZoneType } from '../backends/blk/layout.js';
import type { EfiStoreMap } from '../backends/efi/storeMap.js';
import type { RamoopsParams } from '../backends/ramoops/layout.js';
import type { CompressorName } from '../core/compress/types.js';
import type { PstoreFile, PstoreType, RecordTime, ZoneRef } from '../core/record.js';
import type { PrzGeometry } from '../zone/eccLayout.js';

/** Block health values as src/zone/persistentRamZone.ts BlockHealth numbers them. */
export const HEALTH_UNCHECKED = 0;
export const HEALTH_CLEAN = 1;
export const HEALTH_CORRECTED = 2;
export const HEALTH_BAD = 3;
export const HEALTH_NAMES = ['unchecked', 'clean', 'corrected', 'bad'] as const;
export type HealthName = (typeof HEALTH_NAMES)[number];

/** The pstore backends the page reads: persistent RAM, pstore/blk devices, UEFI variable stores. */
export type BackendKind = 'ramoops' | 'blk' | 'efi';
export const BACKEND_KINDS: readonly BackendKind[] = ['ramoops', 'blk', 'efi'];

/** Layout as the form edits it: RamoopsImageOptions / BlkImageOptions without symbols. */
export interface LayoutChoice {
  /** Default ramoops. */
  backend?: BackendKind;
  /** ramoops module parameters (bytes). */
  params: Partial<RamoopsParams>;
  /** pstore_blk module parameters (KiB), with backend 'blk'. */
  blk?: BlkModuleParams;
  /** blk: the device's size in bytes (default: the file size minus offset). */
  deviceSize?: number;
  kernel?: string;
  arch?: string;
  ftraceCpus?: number;
  offset?: number;
  compress?: 'auto' | 'none' | CompressorName;
}

export interface ZoneModel {
  type: 'dmesg' | 'console' | 'ftrace' | 'pmsg';
  index: number;
  label: string;
  /** From the region start. */
  offset: number;
  size: number;
  geometry: PrzGeometry;
  state: 'empty' | 'valid' | 'invalid' | 'no-signature';
  rawHeader: { sig: number; start: number; size: number };
  header: { sig: number; start: number; size: number };
  /** Header ECC: symbols corrected, -1 uncorrectable; null without ECC. */
  headerEcc: number | null;
  correctedBytes: number;
  badBlocks: number;
  /** Health of every ECC block (scanBlockHealth): the map's colours. */
  health: Uint8Array;
  /** Which blocks the kernel checks when it attaches (those below `size`). */
  kernelChecked: Uint8Array;
  noKmsgHeader: boolean;
  /** Header and no data: Linux's read of records stops at this zone. */
  emptyRecord: boolean;
  /** Linux's read stopped at an earlier zone: nothing of this one is shown. */
  unread: boolean;
}

export interface FileModel {
  name: string;
  type: PstoreType;
  id: number;
  content: Uint8Array;
  mtime: RecordTime | null;
  compressed: boolean;
  compression: string | null;
  ecc: { corrected: number; bad: number } | null;
  zones: ZoneRef[];
}

/** A /sys/fs/pstore file as the page keeps it. */
export function fileModel(f: PstoreFile): FileModel {
  return {
    name: f.name,
    type: f.type,
    id: f.id,
    content: f.content,
    mtime: f.mtime,
    compressed: f.compressed,
    compression: f.compression,
    ecc: f.ecc,
    zones: f.record.zones,
  };
}

/** The image options every zoned backend (ramoops, blk) takes from the form alike. */
export function zonedOptions(c: LayoutChoice): Pick<LayoutChoice, 'kernel' | 'arch' | 'ftraceCpus' | 'offset'> & { compress: NonNullable<LayoutChoice['compress']> } {
  return { kernel: c.kernel, arch: c.arch, ftraceCpus: c.ftraceCpus, offset: c.offset, compress: c.compress ?? 'auto' };
}

/** What every backend's model has. */
interface ModelBase {
  imageSize: number;
  /** Region (device, store) start inside the image. */
  offset: number;
  kernel: string;
  arch: string;
  warnings: string[];
  files: FileModel[];
  /** Milliseconds the decode took in the worker. */
  decodeMs: number;
}

export interface RamoopsModel extends ModelBase {
  backend: 'ramoops';
  /** Effective parameters (after the kernel's rounding). */
  params: RamoopsParams;
  ftraceCpus: number;
  /** Bytes of the region the zones use. */
  used: number;
  zones: ZoneModel[];
}

/** One pstore/zone zone of a pstore/blk device, as the kernel's recovery sees it. */
export interface BlkZoneModel {
  type: BlkZoneType;
  index: number;
  label: string;
  /** From the device start. */
  offset: number;
  size: number;
  /** Data bytes after the 12-byte psz_buffer header. */
  bufferSize: number;
  /** See BlkZoneReport: blank, no-signature, empty, erased, valid, overtop, bad-magic, invalid. */
  state: string;
  datalen: number;
  start: number;
  /** dmesg zones with a dump header: why, which, when, compressed. */
  dump: { reason: string; counter: number; time: RecordTime; compressed: boolean } | null;
}

export interface BlkModel extends ModelBase {
  backend: 'blk';
  /** The pstore_blk parameters in effect (KiB), defaults filled in. */
  params: Required<BlkModuleParams>;
  deviceSize: number;
  ftraceCpus: number;
  /** Bytes of the device the zones use. */
  used: number;
  zones: BlkZoneModel[];
  /** Why the kernel would show nothing (its recovery fails), or null. */
  recoveryProblem: string | null;
}

export interface EfiModel extends ModelBase {
  backend: 'efi';
  /** The volume, the store header, every variable (file offsets) and the free space. */
  map: EfiStoreMap;
  /** Bytes held by deleted or half-written variables, until the firmware reclaims them. */
  reclaimableBytes: number;
}

export type ImageModel = RamoopsModel | BlkModel | EfiModel;

/** Why an image could not be shown: the error's class and one-line message. */
export interface DecodeFailure {
  errorName: string;
  message: string;
  offset?: number;
  zone?: string;
}
