/** A pstore/blk device image → BlkModel (worker side, like decode.ts). */
import { BlkImage } from '../api/blkImage.js';
import { kmsgDumpReasonStr } from '../backends/blk/zoneFormat.js';
import { MemoryRegion } from '../region/region.js';
import { fileModel, zonedOptions, type BlkModel, type LayoutChoice } from './model.js';

export function decodeBlk(bytes: Uint8Array, choice: LayoutChoice): BlkModel {
  const t0 = Date.now();
  const image = new BlkImage(new MemoryRegion(bytes), { params: choice.blk, deviceSize: choice.deviceSize, ...zonedOptions(choice) });
  const zones = image.zones().map((r) => ({
    type: r.zone.type,
    index: r.zone.index,
    label: r.zone.label,
    offset: r.zone.offset,
    size: r.zone.size,
    bufferSize: r.zone.bufferSize,
    state: r.state,
    datalen: r.header.datalen,
    start: r.header.start,
    dump: r.kmsg && r.state !== 'bad-magic' ? { reason: kmsgDumpReasonStr(r.kmsg.reason), counter: r.kmsg.counter, time: r.kmsg.time, compressed: r.kmsg.compressed } : null,
  }));
  const l = image.layout;
  const warnings = l.unused ? [`${l.unused} bytes at the end of the device are not used by any zone`] : [];
  return {
    backend: 'blk',
    imageSize: bytes.length,
    offset: choice.offset ?? 0,
    params: image.params,
    deviceSize: l.totalSize,
    kernel: image.kernel.name,
    arch: image.arch.name,
    ftraceCpus: l.ftraceCpus,
    used: l.totalSize - l.unused,
    warnings,
    zones,
    files: image.files().map(fileModel),
    recoveryProblem: image.recoveryProblem()?.message ?? null,
    decodeMs: Date.now() - t0,
  };
}
