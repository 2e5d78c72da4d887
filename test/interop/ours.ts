// Our library as the interop tier sees it: predicted /sys/fs/pstore files and
// the region as the kernel leaves it after attaching, for a ramoops region
// with the harness's parameters (camelCase, byte sizes).
import { RamoopsImage } from '../../src/api/ramoopsImage.js';
import type { RamoopsParams as OurParams } from '../../src/backends/ramoops/layout.js';
import type { PstoreFile } from '../../src/core/record.js';
import { MemoryRegion } from '../../src/region/region.js';
import { guestProfile, type GuestKernelVersion, type KernelView, type PredictedFile, type RamoopsParams } from './vm.js';

/** Harness parameters as our module-parameter names; every size explicit (ours default to 4 KiB zones). */
export function ourParams(p: RamoopsParams): OurParams {
  return {
    mem_size: p.memSize,
    record_size: p.recordSize,
    console_size: p.consoleSize ?? 0,
    ftrace_size: p.ftraceSize ?? 0,
    pmsg_size: p.pmsgSize ?? 0,
    ecc: p.ecc ?? 0,
    max_reason: p.maxReason ?? 2,
  };
}

/** The reading kernel's compressor: Debian's default is deflate, `none` turns it off. */
export function readCompress(compress: string | undefined): 'deflate' | 'none' {
  return compress === 'none' ? 'none' : 'deflate';
}

/** Our reader as `kernel` (a Debian guest kernel, default 6.1) reads `region`. */
export function ourImage(region: Uint8Array, p: RamoopsParams, compress?: string, kernel?: GuestKernelVersion): RamoopsImage {
  return new RamoopsImage(new MemoryRegion(region), { params: ourParams(p), kernel: guestProfile(kernel), compress: readCompress(compress) });
}

export function predicted(files: readonly PstoreFile[]): PredictedFile[] {
  return files.map((f) => ({
    name: f.name,
    data: f.content,
    mtimeEpoch: f.mtime?.sec,
    mtimeNsec: f.mtime?.nsec,
  }));
}

/** Our reader on a copy of `region`: the files the kernel should show. */
export function ourFiles(region: Uint8Array, p: RamoopsParams, compress?: string, kernel?: GuestKernelVersion): PredictedFile[] {
  return predicted(ourImage(region.slice(), p, compress, kernel).files());
}

/** The region after the kernel attaches every zone, as our attach model predicts it. */
export function ourRegionAfter(region: Uint8Array, p: RamoopsParams, kernel?: GuestKernelVersion): Uint8Array {
  const image = ourImage(region.slice(), p, undefined, kernel);
  const out = region.slice();
  for (const r of image.zones()) out.set(r.attach.after, r.zone.offset);
  return out;
}

/** Byte ranges where two regions differ, `off+len` in hex, for assertion messages. */
export function changedRanges(a: Uint8Array, b: Uint8Array, max = 12): string[] {
  const out: string[] = [];
  let i = 0;
  const n = Math.max(a.length, b.length);
  while (i < n && out.length < max) {
    if (a[i] === b[i]) {
      i++;
      continue;
    }
    const start = i;
    while (i < n && a[i] !== b[i]) i++;
    out.push(`0x${start.toString(16)}+${i - start}`);
  }
  return out;
}

/** Differences between the kernel's region after its read boot and our prediction; [] when equal. */
export function regionAfterDiffs(view: KernelView, before: Uint8Array, p: RamoopsParams): string[] {
  const ours = ourRegionAfter(before, p, view.kernel);
  const diff = changedRanges(view.regionAfter, ours);
  if (!diff.length) return [];
  return [`region after attach differs from our model at ${diff.join(', ')} (kernel changed ${changedRanges(before, view.regionAfter).join(', ') || 'nothing'})`];
}
