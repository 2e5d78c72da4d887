/** A UEFI variable store → EfiModel (worker side, like decode.ts). */
import { EfiImage } from '../api/efiImage.js';
import { MemoryRegion } from '../region/region.js';
import { fileModel, type EfiModel, type LayoutChoice } from './model.js';

export function decodeEfi(bytes: Uint8Array, choice: LayoutChoice): EfiModel {
  const t0 = Date.now();
  const image = new EfiImage(new MemoryRegion(bytes), { kernel: choice.kernel, offset: choice.offset, compress: choice.compress ?? 'auto' });
  const map = image.map();
  const warnings = map.fv && !map.fv.checksumOk ? ['the firmware volume header checksum is wrong (the firmware would not use this volume)'] : [];
  if (map.store.status !== 'valid') warnings.push(`the variable store header is ${map.store.status}`);
  return {
    backend: 'efi',
    imageSize: bytes.length,
    offset: image.fileOffset,
    kernel: image.kernel.name,
    arch: 'x86_64',
    warnings,
    map,
    reclaimableBytes: image.store.reclaimableBytes,
    files: image.files().map(fileModel),
    decodeMs: Date.now() - t0,
  };
}
