/**
 * Image bytes + layout → ImageModel. Runs in the worker (and in Node tests):
 * no DOM, no Node modules.
 */
import { RamoopsImage } from '../api/ramoopsImage.js';
import { CorruptImageError, PstoreError } from '../errors.js';
import { MemoryRegion } from '../region/region.js';
import { scanBlockHealth } from '../zone/persistentRamZone.js';
import { HEALTH_UNCHECKED, type DecodeFailure, type FileModel, type ImageModel, type LayoutChoice, type ZoneModel } from './model.js';

export function decodeImage(bytes: Uint8Array, choice: LayoutChoice): ImageModel {
  const t0 = Date.now();
  const image = new RamoopsImage(new MemoryRegion(bytes), {
    params: choice.params,
    kernel: choice.kernel,
    arch: choice.arch,
    ftraceCpus: choice.ftraceCpus,
    offset: choice.offset,
    compress: choice.compress ?? 'auto',
  });
  const zones: ZoneModel[] = image.zones().map((r) => {
    const g = r.attach.geometry;
    const zoneBytes = image.region.read(r.zone.offset, r.zone.size);
    const health = scanBlockHealth(zoneBytes, g.eccSize);
    const checked = new Uint8Array(g.eccBlocks);
    if (r.attach.ecc) for (let b = 0; b < g.eccBlocks; b++) checked[b] = r.attach.ecc.blocks[b] !== HEALTH_UNCHECKED ? 1 : 0;
    return {
      type: r.zone.type,
      index: r.zone.index,
      label: r.zone.label,
      offset: r.zone.offset,
      size: r.zone.size,
      geometry: g,
      state: r.attach.state,
      rawHeader: r.attach.rawHeader,
      header: r.attach.header,
      headerEcc: r.attach.ecc ? r.attach.ecc.header : null,
      correctedBytes: r.attach.ecc?.correctedBytes ?? 0,
      badBlocks: r.attach.ecc?.badBlocks ?? 0,
      health,
      kernelChecked: checked,
      noKmsgHeader: r.noKmsgHeader,
      emptyRecord: r.emptyRecord,
      unread: r.unread,
    };
  });
  const files: FileModel[] = image.files().map((f) => ({
    name: f.name,
    type: f.type,
    id: f.id,
    content: f.content,
    mtime: f.mtime,
    compressed: f.compressed,
    compression: f.compression,
    ecc: f.ecc,
    zones: f.record.zones,
  }));
  const l = image.layout;
  return {
    imageSize: bytes.length,
    offset: choice.offset ?? 0,
    params: l.params,
    kernel: l.kernel.name,
    arch: l.arch.name,
    ftraceCpus: l.ftraceCpus,
    used: l.used,
    warnings: l.warnings,
    zones,
    files,
    decodeMs: Date.now() - t0,
  };
}

/** Any thrown value as a message for the page; unexpected errors say so. */
export function describeFailure(e: unknown): DecodeFailure {
  if (e instanceof CorruptImageError) return { errorName: e.name, message: e.message, offset: e.offset, zone: e.zone };
  if (e instanceof PstoreError) return { errorName: e.name, message: e.message };
  if (e instanceof RangeError) return { errorName: 'RangeError', message: `the image is too large or malformed for this layout (${e.message})` };
  const msg = e instanceof Error ? e.message : String(e);
  return { errorName: 'InternalError', message: `unexpected error while decoding: ${msg}` };
}
