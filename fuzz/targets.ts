/**
 * Entry points under fuzz. Each takes the mutated bytes and the seed they
 * came from (its layout, algorithm, arch) and exercises one public path the
 * way the CLI, the viewer or a library user does. A target may throw only a
 * PstoreError (src/errors.ts); anything else, or a broken invariant
 * (FuzzInvariantError), is a failure.
 */
import { BlkImage } from '../src/api/blkImage.js';
import { EfiImage } from '../src/api/efiImage.js';
import { RamoopsImage } from '../src/api/ramoopsImage.js';
import { planRepair } from '../src/api/repair.js';
import { blkCheckReport, checkReport } from '../src/cli/commands/check.js';
import { decompressAny, getCompressor } from '../src/core/compress/registry.js';
import type { CompressorName } from '../src/core/compress/types.js';
import { combineFtraceLog, formatFtraceText } from '../src/core/ftrace.js';
import { decodePmsg, pmsgToLogcat } from '../src/core/logcat.js';
import { archByName } from '../src/backends/ramoops/arch.js';
import { MemoryRegion } from '../src/region/region.js';
import { inferLayout, scanDump } from '../src/scan/index.js';
import { decodeImage } from '../src/viewer/decode.js';
import type { Seed } from './seeds.js';

/** A broken promise of an API (output over its limit, a write outside its zone): a bug even though nothing crashed. */
export class FuzzInvariantError extends Error {}

function invariant(ok: boolean, what: string): void {
  if (!ok) throw new FuzzInvariantError(what);
}

export interface Target {
  name: string;
  family: Seed['family'];
  /** Seeds of the family this target takes (default: all of them). */
  accepts?: (s: Seed) => boolean;
  /** Runs the entry point; returns the bytes it produced (for the statistics). */
  run(bytes: Uint8Array, seed: Seed): number;
}

function ramoops(bytes: Uint8Array, seed: Seed): RamoopsImage {
  if (seed.ctx.kind !== 'ramoops') throw new Error('not a ramoops seed');
  return new RamoopsImage(new MemoryRegion(bytes), seed.ctx.options);
}

function filesBytes(files: Array<{ content: Uint8Array }>): number {
  return files.reduce((n, f) => n + f.content.length, 0);
}

/** Every decompressor; lz4hc reads lz4 blocks, so one entry covers both. */
const DECOMPRESSORS: readonly CompressorName[] = ['deflate', 'lzo', 'lz4', '842', 'zstd'];

export const TARGETS: readonly Target[] = [
  {
    name: 'ramoops-files',
    family: 'ramoops',
    run(bytes, seed) {
      const img = ramoops(bytes, seed);
      const files = img.files();
      img.zones();
      img.describe();
      const out = filesBytes(files);
      // Text of the zones plus what decompression may add (3 x bufsize per dmesg record at most in 6.6+).
      invariant(out <= 4 * img.layout.params.mem_size + 0x10000, `files hold ${out} bytes for a ${img.layout.params.mem_size}-byte region`);
      return out;
    },
  },
  {
    name: 'ramoops-check-repair',
    family: 'ramoops',
    run(bytes, seed) {
      const img = ramoops(bytes, seed);
      checkReport(img.zones());
      const plan = planRepair(img);
      const copy = bytes.slice();
      for (const w of plan.writes) {
        const zone = img.layout.zones.find((z) => w.offset >= z.offset && w.offset + w.bytes.length <= z.offset + z.size);
        invariant(zone !== undefined, `repair writes ${w.bytes.length} bytes at 0x${w.offset.toString(16)}, outside every zone`);
        copy.set(w.bytes, w.offset);
      }
      // What check --repair leaves must read again, and needs no second repair of the blocks it fixed.
      const again = ramoops(copy, seed);
      const files = again.files();
      const second = planRepair(again);
      invariant(plan.remainingBad > 0 || second.corrected === 0, `a repaired image needs ${second.corrected} more corrections`);
      return filesBytes(files);
    },
  },
  {
    name: 'viewer-decode',
    family: 'ramoops',
    run(bytes, seed) {
      if (seed.ctx.kind !== 'ramoops') return 0;
      const o = seed.ctx.options;
      const model = decodeImage(bytes, { params: o.params ?? {}, kernel: o.kernel, arch: o.arch, ftraceCpus: o.ftraceCpus, compress: 'auto' });
      return filesBytes(model.files);
    },
  },
  {
    name: 'blk-files-check',
    family: 'blk',
    run(bytes, seed) {
      if (seed.ctx.kind !== 'blk') return 0;
      // The device size is the (mutated) file's: a truncated device must fail cleanly or shrink the layout.
      const img = new BlkImage(new MemoryRegion(bytes), { ...seed.ctx.options, deviceSize: undefined });
      const files = img.files();
      blkCheckReport(img);
      img.describe();
      const out = filesBytes(files);
      invariant(out <= 4 * bytes.length + 0x10000, `files hold ${out} bytes for a ${bytes.length}-byte device`);
      return out;
    },
  },
  {
    name: 'efi-files-check',
    family: 'efi',
    run(bytes, seed) {
      if (seed.ctx.kind !== 'efi') return 0;
      const img = new EfiImage(new MemoryRegion(bytes), seed.ctx.options);
      const files = img.files();
      img.health();
      img.map();
      img.describe();
      const out = filesBytes(files);
      invariant(out <= 4 * bytes.length + 0x10000, `files hold ${out} bytes for a ${bytes.length}-byte store`);
      return out;
    },
  },
  ...DECOMPRESSORS.map(
    (name): Target => ({
      name: `decompress-${name}`,
      family: 'payload',
      run(bytes, seed) {
        const limit = seed.ctx.kind === 'payload' ? seed.ctx.limit : 0x10000;
        const out = getCompressor(name).decompress(bytes, limit);
        invariant(out.length <= limit, `${name} produced ${out.length} bytes over the ${limit}-byte limit`);
        return out.length;
      },
    }),
  ),
  {
    name: 'decompress-any',
    family: 'payload',
    run(bytes, seed) {
      const limit = seed.ctx.kind === 'payload' ? seed.ctx.limit : 0x10000;
      const r = decompressAny(bytes, limit);
      invariant(!r || r.data.length <= limit, `decompressAny produced ${r?.data.length} bytes over the ${limit}-byte limit`);
      return r ? r.data.length : 0;
    },
  },
  {
    name: 'logcat',
    family: 'pmsg',
    run(bytes) {
      const d = decodePmsg(bytes);
      invariant(d.skippedBytes <= bytes.length, 'skipped more bytes than there are');
      return pmsgToLogcat(bytes).text.length;
    },
  },
  {
    name: 'ftrace',
    family: 'ftrace',
    run(bytes, seed) {
      if (seed.ctx.kind !== 'ftrace') return 0;
      const arch = archByName(seed.ctx.arch);
      const half = bytes.length >> 1;
      const merged = combineFtraceLog(bytes.subarray(0, half), bytes.subarray(half), arch);
      invariant(merged.length <= bytes.length, 'merged log longer than its inputs');
      return formatFtraceText(merged, arch, seed.ctx.symbols).length + formatFtraceText(bytes, archByName('arm'), null).length;
    },
  },
  {
    name: 'scan',
    family: 'ramoops',
    accepts: (s) => s.bytes.length <= 0x50000 || s.name.endsWith('panic-ecc16'),
    run(bytes) {
      const r = scanDump(bytes);
      inferLayout(bytes);
      return r.regions.length;
    },
  },
  {
    name: 'scan-blk',
    family: 'blk',
    run(bytes) {
      const r = scanDump(bytes);
      inferLayout(bytes);
      return r.regions.length + r.blkRegions.length;
    },
  },
];

export function targetByName(name: string): Target {
  const t = TARGETS.find((x) => x.name === name);
  if (!t) throw new Error(`fuzz: no target named ${name}`);
  return t;
}
