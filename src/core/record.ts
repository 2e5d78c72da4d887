/**
 * pstore records: what a backend hands the core (like `struct pstore_record`)
 * and what the filesystem view shows (like an inode in /sys/fs/pstore).
 */

/** Record types in the kernel's enum order (PSTORE_TYPE_*). */
export const PSTORE_TYPES = [
  'dmesg',
  'mce',
  'console',
  'ftrace',
  'rtas',
  'powerpc-ofw',
  'powerpc-common',
  'pmsg',
  'powerpc-opal',
] as const;
export type PstoreType = (typeof PSTORE_TYPES)[number];

export interface RecordTime {
  /** Seconds since the epoch. */
  sec: number;
  nsec: number;
}

/** ECC status of the zone(s) a record came from. */
export interface EccStatus {
  corrected: number;
  bad: number;
}

/** A record as a backend reads it (before decompression). */
export interface BackendRecord {
  type: PstoreType;
  id: number;
  /** The id in decimal when it can exceed 2^53 (efi-pstore ids are u64); names and duplicate checks use it. */
  idText?: string;
  /** Record payload as stored: compressed bytes when `compressed`. Excludes the ECC notice. */
  data: Uint8Array;
  /** The backend's ECC notice, appended to the file after (de)compression; '' without ECC. */
  eccNotice: string;
  ecc: EccStatus | null;
  /** Record time (dmesg only); null when the backend has none (the kernel uses the mount time). */
  time: RecordTime | null;
  compressed: boolean;
  /** pstore/blk and efi keep the dump reason and count; ramoops does not. */
  reason?: number;
  count?: number;
  part?: number;
  /** Where it lives, for messages and the viewer: zone labels and offsets. */
  zones: ZoneRef[];
}

export interface ZoneRef {
  label: string;
  offset: number;
  size: number;
}

/** A file as /sys/fs/pstore shows it. */
export interface PstoreFile {
  /** e.g. `dmesg-ramoops-0`, `dmesg-ramoops-5.enc.z`. */
  name: string;
  type: PstoreType;
  id: number;
  backend: string;
  /** Exactly the file's bytes (decompressed text or compressed bytes, plus the ECC notice). */
  content: Uint8Array;
  /** mtime: the record time, or null where the kernel would use the mount time. */
  mtime: RecordTime | null;
  /** The record was stored compressed. */
  compressed: boolean;
  /** Name of the algorithm that decompressed it; null when not compressed or when none could. */
  compression: string | null;
  ecc: EccStatus | null;
  record: BackendRecord;
}

/** `<type>-<backend>-<id>[.enc.z]` as fs/pstore/inode.c names files. */
export function pstoreFileName(type: PstoreType, backend: string, id: number | string, stillCompressed: boolean): string {
  return `${type}-${backend}-${id}${stillCompressed ? '.enc.z' : ''}`;
}
