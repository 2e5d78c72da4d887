// efi-pstore through our library for the interop tier: the files our reader
// predicts for a UEFI variable store (a whole OVMF_VARS pflash image).
import { EfiImage } from '../../src/api/efiImage.js';
import { dumpToEfiImage, openEfiForWrite, removeEfiRecord } from '../../src/api/efiWrite.js';
import type { DumpOptions } from '../../src/api/writeImage.js';
import { installNodeDeflate } from '../../src/node/deflate.js';
import { MemoryRegion } from '../../src/region/region.js';
import { predicted } from './ours.js';
import { guestProfile, type GuestKernelVersion, type PredictedFile } from './vm.js';

/** Our reader on a copy of `store`, as the guest kernel reads it (Debian's default compressor, deflate). */
export function ourEfiImage(store: Uint8Array, kernel?: GuestKernelVersion): EfiImage {
  return new EfiImage(new MemoryRegion(store.slice()), { kernel: guestProfile(kernel), compress: 'deflate' });
}

/** What /sys/fs/pstore shows for `store` according to our reader. */
export function ourEfiFiles(store: Uint8Array, kernel?: GuestKernelVersion): PredictedFile[] {
  return predicted(ourEfiImage(store, kernel).files());
}

/** efi-pstore variables in the store by state (what an erase leaves behind: `deleted`). */
export function pstoreVariableStates(store: Uint8Array): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of ourEfiImage(store).map().variables) if (v.isPstore) out[v.state] = (out[v.state] ?? 0) + 1;
  return out;
}

/**
 * `store` with dumps written by our library as the guest kernel's efi-pstore
 * would (in place), then the records named in `remove` deleted as `rm` does.
 * Returns the variable names written.
 */
export function writeEfiDumps(store: Uint8Array, kernel: GuestKernelVersion | undefined, dumps: DumpOptions[], remove: (names: string[]) => string[] = () => []): string[] {
  installNodeDeflate(kernel === '6.12' ? '6.12' : '6.1');
  const image = openEfiForWrite(new MemoryRegion(store), { kernel: guestProfile(kernel) });
  const written = dumps.flatMap((d) => dumpToEfiImage(image, d).written);
  for (const name of remove(image.files().map((f) => f.name))) removeEfiRecord(image, name);
  return written;
}
