/**
 * Writing efi-pstore records into a variable store as a running Linux does
 * through the firmware: each dump part becomes a `dump-type0-…` variable
 * appended after the last variable (EDK2's four-step write, auth header
 * fields zero, 0xFF padding); `rm` deletes the variable (State &= DELETED).
 * A damaged store is refused; a dump that does not fit entirely is refused
 * unless `partial` (then the parts that fit are written, as the kernel
 * would). Refusals leave the bytes untouched.
 */
import { EFI_PSTORE_RECORD_SIZE } from '../backends/efi/dumpName.js';
import { encodeFtwHeader } from '../backends/efi/ftw.js';
import { FV_HEADER_FIXED_SIZE, FV_SIGNATURE, fvHeaderSum, NV_DATA_FV_GUID } from '../backends/efi/firmwareVolume.js';
import { AUTH_STORE_SIGNATURE, PLAIN_STORE_SIGNATURE, VARIABLE_STORE_FORMATTED, VARIABLE_STORE_HEALTHY, VARIABLE_STORE_HEADER_SIZE } from '../backends/efi/variableStore.js';
import { CorruptImageError, LayoutError, UsageError } from '../errors.js';
import { writeU32 } from '../region/bytes.js';
import { MemoryRegion, type Region } from '../region/region.js';
import { EfiImage, type EfiImageOptions } from './efiImage.js';
import { removeNamedRecord } from './image.js';
import { runDumps, type DumpOptions, type DumpSummary } from './writeImage.js';

export interface EfiDumpOptions extends DumpOptions {
  /** Write the parts that fit when the store cannot take the whole dump (the kernel's behaviour) instead of refusing. */
  partial?: boolean;
}

export interface EfiDumpSummary extends DumpSummary {
  /** Variables written, in order. */
  written: string[];
  /** Parts the firmware (or efi-pstore's 5 KiB reserve) refused: only with `partial`. */
  refused: { name: string; reason: string }[];
}

/** Refuse a store the firmware or the kernel would not write correctly. */
export function assertWritable(image: EfiImage): void {
  const h = image.health();
  if (h.status !== 'valid') throw new CorruptImageError(`the variable store header is not valid (${h.status}): the firmware would not write it`, h.storeOffset);
  if (h.problems.length) throw new CorruptImageError(`the variable store is damaged, not writing: ${h.problems[0]}${h.problems.length > 1 ? ` (+${h.problems.length - 1} more; pstore check --backend efi lists them)` : ''}`, h.storeOffset);
}

/** Open a store for writing: it must be sound. */
export function openEfiForWrite(region: Region, options: EfiImageOptions = {}): EfiImage {
  const image = new EfiImage(region, options);
  assertWritable(image);
  return image;
}

/**
 * `pstore dump --backend efi`: log lines into the printk buffer, then
 * kmsg_dump(reason) for each reason through the pstore core. The dump runs
 * on a copy first; the store is changed only when every part fits (or with
 * `partial`), by writing the bytes that differ.
 */
export function dumpToEfiImage(image: EfiImage, options: EfiDumpOptions): EfiDumpSummary {
  assertWritable(image);
  const copy = new MemoryRegion(image.region.read(0, image.region.size));
  const trial = new EfiImage(copy, { ...image.options, offset: 0 });
  const written: string[] = [];
  const refused: { name: string; reason: string }[] = [];
  const backend = trial.backend;
  const write = backend.write.bind(backend);
  backend.write = (record) => {
    const ok = write(record);
    const name = backend.lastWriteName ?? '?';
    if (ok) written.push(name);
    else refused.push({ name, reason: backend.lastWriteStatus === 'reserve' ? 'less than 5 KiB would stay free (efi-pstore keeps EFI_MIN_RESERVE)' : `firmware: ${backend.lastWriteStatus}` });
    return ok;
  };
  const summary = runDumps(backend, trial.kernel, options);
  if (refused.length && !options.partial) {
    throw new LayoutError(
      `the variable store is full: ${refused.length} of ${refused.length + written.length} dump parts do not fit (${image.store.freeBytes} bytes free; first refused ${refused[0].name}: ${refused[0].reason}); nothing written`,
    );
  }
  applyDiff(image.region, copy.bytes, image.region.read(0, image.region.size));
  image.invalidate();
  return { ...summary, written, refused };
}

/** Write the runs where `next` differs from `old`. */
function applyDiff(region: Region, next: Uint8Array, old: Uint8Array): void {
  let i = 0;
  while (i < next.length) {
    if (next[i] === old[i]) {
      i++;
      continue;
    }
    let j = i + 1;
    // Runs closer than 8 bytes become one write.
    for (;;) {
      while (j < next.length && next[j] !== old[j]) j++;
      let k = j;
      while (k < next.length && k < j + 8 && next[k] === old[k]) k++;
      if (k < next.length && k < j + 8) j = k;
      else break;
    }
    region.write(i, next.slice(i, j));
    i = j;
  }
}

/** `rm /sys/fs/pstore/NAME` on an efi-pstore mount: the variable is deleted (its bytes stay until a reclaim). */
export function removeEfiRecord(image: EfiImage, name: string): void {
  assertWritable(image);
  removeNamedRecord(image, name);
}

export interface CreateEfiStoreOptions {
  /** Whole image size (default 540672, OVMF_VARS_4M.fd). */
  size?: number;
  /** Variable store size including its header (default: OVMF's 0x40000 minus the volume header). */
  storeSize?: number;
  /** Authenticated variable headers (default true, as OVMF). */
  auth?: boolean;
}

/**
 * An empty store as a firmware volume (gEfiSystemNvDataFvGuid, 4 KiB
 * blocks, checksummed header) followed by a formatted, healthy variable
 * store and erased flash. OVMF's fault-tolerant-write areas after the store
 * are left erased; the firmware initialises them at its first boot.
 */
export function createEfiStore(region: Region, options: CreateEfiStoreOptions = {}): EfiImage {
  const size = options.size ?? region.size;
  const headerLength = 0x48;
  const storeSize = options.storeSize ?? Math.min(0x40000, size) - headerLength;
  if (size > region.size) throw new UsageError(`the store image (${size} bytes) is larger than the ${region.size}-byte file`);
  if (size % 0x1000) throw new UsageError(`the firmware volume size must be whole 4 KiB blocks (got ${size})`);
  if (storeSize < VARIABLE_STORE_HEADER_SIZE + 1024 || headerLength + storeSize > size) throw new UsageError(`variable store size ${storeSize} does not fit a ${size}-byte volume`);
  const img = new Uint8Array(size).fill(0xff);
  img.fill(0, 0, headerLength);
  img.set(NV_DATA_FV_GUID, 16);
  writeU32(img, 32, size, true);
  writeU32(img, 40, FV_SIGNATURE, true);
  // EFI_FVB2 attributes as OVMF's NV volume carries them.
  writeU32(img, 44, 0x0004feff, true);
  img[48] = headerLength;
  img[55] = 2;
  writeU32(img, FV_HEADER_FIXED_SIZE, size / 0x1000, true);
  writeU32(img, FV_HEADER_FIXED_SIZE + 4, 0x1000, true);
  const checksum = (0x10000 - fvHeaderSum(img, 0, headerLength)) & 0xffff;
  img[50] = checksum & 0xff;
  img[51] = checksum >> 8;
  const s = headerLength;
  img.set(options.auth === false ? PLAIN_STORE_SIGNATURE : AUTH_STORE_SIGNATURE, s);
  writeU32(img, s + 16, storeSize, true);
  img[s + 20] = VARIABLE_STORE_FORMATTED;
  img[s + 21] = VARIABLE_STORE_HEALTHY;
  img.fill(0, s + 22, s + VARIABLE_STORE_HEADER_SIZE);
  // OVMF's layout: a 4 KiB gap, then the FTW working block, then the spare area.
  const ftw = headerLength + storeSize + 0x1000;
  if (ftw + 0x1000 <= size) img.set(encodeFtwHeader(0x1000), ftw);
  region.write(0, img);
  return new EfiImage(region, {});
}

export { EFI_PSTORE_RECORD_SIZE };
