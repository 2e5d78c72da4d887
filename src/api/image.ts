/**
 * What every image kind offers the read commands: the files /sys/fs/pstore
 * would show and a one-line description. RamoopsImage (persistent RAM) and
 * BlkImage (pstore/zone on a block device) both implement it; code that needs
 * more switches on `kind`.
 */
import type { PstoreFile } from '../core/record.js';
import type { Region } from '../region/region.js';

export type PstoreImageKind = 'ramoops' | 'blk';

export interface PstoreImage {
  readonly kind: PstoreImageKind;
  /** The bytes the backend owns (a window of the file with --offset). */
  readonly region: Region;
  /** The files /sys/fs/pstore would show, in the kernel's read order. */
  files(): PstoreFile[];
  /** One file by name; NotFoundError listing the names otherwise. */
  file(name: string): PstoreFile;
  /** e.g. `ramoops region of 0x100000 bytes, 15 dmesg zones, ecc 16, kernel 6.1`. */
  describe(): string;
  /** Forget cached records (after a write). */
  invalidate(): void;
}
