import type { BackendRecord, PstoreType, RecordTime } from './record.js';

/** kmsg_dump reasons (enum kmsg_dump_reason). */
export const KmsgDumpReason = {
  UNDEF: 0,
  PANIC: 1,
  OOPS: 2,
  EMERG: 3,
  SHUTDOWN: 4,
  MAX: 5,
} as const;
export type KmsgDumpReasonCode = number;

/** What the core asks a backend to store (like `struct pstore_record` on write). */
export interface WriteRecord {
  type: PstoreType;
  /** For dmesg: the dump reason, oops count and part number (1-based). */
  reason: number;
  count: number;
  part: number;
  /** The payload: header + text, or compressed bytes. */
  data: Uint8Array;
  compressed: boolean;
  time: RecordTime;
  /** The CPU that writes (ftrace picks a per-CPU zone by it). */
  cpu?: number;
}

/** Which frontends a backend serves (PSTORE_FLAGS_*). */
export interface BackendFlags {
  dmesg: boolean;
  console: boolean;
  ftrace: boolean;
  pmsg: boolean;
}

/**
 * The operations interface between the pstore core and a backend, modelled on
 * the kernel's `struct pstore_info`. Reads are a generator instead of
 * open/read/close.
 */
export interface PstoreBackend {
  readonly name: string;
  /** Size of the dmesg write buffer (psinfo->bufsize). */
  readonly bufsize: number;
  readonly flags: BackendFlags;
  readonly maxReason: number;
  /** All records, in the kernel's read order. */
  read(): Iterable<BackendRecord>;
  /**
   * Store a record. Returns false where the kernel's backend returns an error
   * (ramoops refuses parts > 1 with -ENOSPC), so the caller stops the loop.
   */
  write(record: WriteRecord): boolean;
  /** pmsg: bytes from user space, unchanged. */
  writeUser?(record: WriteRecord): boolean;
  /** Erase one record, as `rm /sys/fs/pstore/NAME` does (`idText`: the record's exact id when it has one). */
  erase(type: PstoreType, id: number, idText?: string): void;
}
