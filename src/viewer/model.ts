/**
 * What the page shows about an image, decoded off the main thread: plain
 * structured-clone data (no classes), built from RamoopsImage exactly as the
 * CLI builds `ls`/`cat`/`extract` output.
 */
import type { RamoopsParams } from '../backends/ramoops/layout.js';
import type { CompressorName } from '../core/compress/types.js';
import type { PstoreType, RecordTime, ZoneRef } from '../core/record.js';
import type { PrzGeometry } from '../zone/eccLayout.js';

/** Block health values as src/zone/persistentRamZone.ts BlockHealth numbers them. */
export const HEALTH_UNCHECKED = 0;
export const HEALTH_CLEAN = 1;
export const HEALTH_CORRECTED = 2;
export const HEALTH_BAD = 3;
export const HEALTH_NAMES = ['unchecked', 'clean', 'corrected', 'bad'] as const;
export type HealthName = (typeof HEALTH_NAMES)[number];

/** Layout as the form edits it: RamoopsImageOptions without symbols. */
export interface LayoutChoice {
  params: Partial<RamoopsParams>;
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

export interface ImageModel {
  imageSize: number;
  /** Region start inside the image. */
  offset: number;
  /** Effective parameters (after the kernel's rounding). */
  params: RamoopsParams;
  kernel: string;
  arch: string;
  ftraceCpus: number;
  /** Bytes of the region the zones use. */
  used: number;
  warnings: string[];
  zones: ZoneModel[];
  files: FileModel[];
  /** Milliseconds the decode took in the worker. */
  decodeMs: number;
}

/** Why an image could not be shown: the error's class and one-line message. */
export interface DecodeFailure {
  errorName: string;
  message: string;
  offset?: number;
  zone?: string;
}
