// pstore/blk through our library for the interop tier: the files our reader
// predicts for a disk, and disks written by our dump path.
import { decompressorFor } from '../../src/api/ramoopsImage.js';
import { kernelProfile } from '../../src/backends/ramoops/kernelProfile.js';
import { BlkBackend, createBlkImage } from '../../src/backends/blk/backend.js';
import { blkLayout, blkParamsFromKiB, type BlkModuleParams } from '../../src/backends/blk/layout.js';
import { KmsgDumpReason } from '../../src/core/backend.js';
import { Pstore } from '../../src/core/platform.js';
import { pstoreFiles } from '../../src/core/pstoreFs.js';
import { DumperRegistry, LogBuffer, loadLog } from '../../src/frontends/index.js';
import { installNodeDeflate } from '../../src/node/deflate.js';
import { MemoryRegion } from '../../src/region/region.js';
import { predicted } from './ours.js';
import { DEFAULT_GUEST_KERNEL, guestProfile, type BlkParams, type GuestKernelVersion, type PredictedFile } from './vm.js';

export function blkModuleParams(p: BlkParams): BlkModuleParams {
  return { kmsg_size: p.kmsgSize, pmsg_size: p.pmsgSize ?? 0, console_size: p.consoleSize ?? 0, ftrace_size: p.ftraceSize ?? 0, max_reason: p.maxReason ?? 2 };
}

function open(disk: Uint8Array, p: BlkParams, options: ConstructorParameters<typeof BlkBackend>[2] = {}): BlkBackend {
  return new BlkBackend(new MemoryRegion(disk), blkLayout(blkParamsFromKiB(blkModuleParams(p), disk.length)), options);
}

/** What /sys/fs/pstore shows for a pstore/blk disk read by Debian's `kernel` (deflate). */
export function ourBlkFiles(disk: Uint8Array, p: BlkParams, kernel: GuestKernelVersion = DEFAULT_GUEST_KERNEL): PredictedFile[] {
  const backend = open(disk.slice(), p);
  return predicted(pstoreFiles(backend, { decompress: decompressorFor('deflate', backend.bufsize, kernel), maxUnzipped: 0, arch: backend.arch }));
}

export interface BlkDump {
  log: string;
  reason: number;
  time: { sec: number; nsec: number };
  compress: 'deflate' | 'none';
}

/**
 * A fresh disk written by our pstore dump path on BlkBackend, as a best-effort
 * pstore/blk kernel does for Oopses (dirty zones flushed by the worker), then
 * pmsg bytes written from user space (flushed directly).
 */
export function ourBlkDisk(size: number, p: BlkParams, dumps: BlkDump[], pmsg?: Uint8Array, kernel: GuestKernelVersion = DEFAULT_GUEST_KERNEL): Uint8Array {
  installNodeDeflate(kernel);
  const disk = new Uint8Array(size);
  const layout = blkLayout(blkParamsFromKiB(blkModuleParams(p), size));
  createBlkImage(new MemoryRegion(disk), layout);
  const backend = open(disk, p, { deferWrites: true });
  for (const d of dumps) {
    const log = new LogBuffer();
    loadLog(log, d.log);
    const pstore = new Pstore(backend, { compress: d.compress, kernel: kernelProfile(guestProfile(kernel)), clock: () => d.time });
    const registry = new DumperRegistry(log);
    registry.register(pstore);
    registry.kmsgDump(d.reason);
    backend.flushDirtyZones();
  }
  if (pmsg) {
    const direct = open(disk, p);
    direct.writeUser({ type: 'pmsg', reason: 0, count: 0, part: 0, data: pmsg, compressed: false, time: { sec: 0, nsec: 0 } });
  }
  return disk;
}

export { KmsgDumpReason };
