/**
 * What every image kind offers the read commands: the files /sys/fs/pstore
 * would show and a one-line description. RamoopsImage (persistent RAM) and
 * BlkImage (pstore/zone on a block device) both implement it; code that needs
 * more switches on `kind`.
 */
import type { PstoreBackend } from '../core/backend.js';
import type { PstoreFile } from '../core/record.js';
import { NotFoundError } from '../errors.js';
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

/** The file called `name`, or a NotFoundError that lists the names there are. */
export function findFile(files: readonly PstoreFile[], name: string): PstoreFile {
  const f = files.find((x) => x.name === name);
  if (!f) {
    const names = files.map((x) => x.name);
    throw new NotFoundError(`no record named '${name}' (records: ${names.length ? names.join(', ') : 'none'})`);
  }
  return f;
}

/** `rm /sys/fs/pstore/NAME`: the backend erases the record's zone (any image kind). */
export function removeNamedRecord(image: PstoreImage & { readonly backend: PstoreBackend }, name: string): void {
  const file = findFile(image.files(), name);
  image.backend.erase(file.type, file.id);
  image.invalidate();
}
