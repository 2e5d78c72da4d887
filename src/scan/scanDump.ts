import { BlkImage, type BlkImageOptions } from '../api/blkImage.js';
import type { RamoopsImageOptions } from '../api/ramoopsImage.js';
import { RamoopsImage } from '../api/ramoopsImage.js';
import { PstoreError } from '../errors.js';
import { MemoryRegion, readView, type Region } from '../region/region.js';
import { inferRegions, type InferredRegion } from './infer.js';
import { inferEfiStores, type EfiScanRegion } from './efiStores.js';
import { inferBlkRegions, type BlkInferredRegion } from './inferBlk.js';
import { OverlayRegion } from './overlayRegion.js';
import { shellQuote } from './shellQuote.js';
import { SignatureFinder, type BlkZoneCandidate, type FinderStats, type ZoneCandidate } from './signature.js';

export interface ScanRegion extends InferredRegion {
  backend: 'ramoops';
  /** File names /sys/fs/pstore would show for this layout. */
  records: string[];
  /** Why records could not be listed (e.g. a truncated region), when so. */
  recordsError?: string;
  /** The exact command that extracts the records. */
  extractCommand: string;
}

/** A pstore/blk device found in a dump, with its records and extract command. */
export interface BlkScanRegion extends BlkInferredRegion {
  records: string[];
  recordsError?: string;
  extractCommand: string;
}

export interface ScanResult {
  /** Bytes scanned. */
  size: number;
  /** Every ramoops region found, by offset; the confidence says which to trust. */
  regions: ScanRegion[];
  /** Every pstore/blk device found, by offset. */
  blkRegions: BlkScanRegion[];
  /** Every EDK2 variable store found (efi-pstore), by offset. */
  efiRegions: EfiScanRegion[];
  /** Every header-like word that passed start <= size (most are noise). */
  candidates: ZoneCandidate[];
  /** pstore/zone header candidates (kmsg ones not yet checked for their magic). */
  blkCandidates: BlkZoneCandidate[];
  stats: FinderStats;
}

export interface ScanOptions {
  /** Bytes read per step (default 4 MiB). */
  chunkSize?: number;
  /** Called after each chunk with bytes done and total. */
  onProgress?: (done: number, total: number) => void;
  /** Dump path for the extract command (default `DUMP`). */
  dumpName?: string;
}

/** Confidence below which `--auto` refuses a region. */
export const AUTO_MIN_CONFIDENCE = 0.4;
/** Confidence from which an unambiguous inference is trusted without a warning. */
export const CONFIDENT = 0.7;

const hex = (n: number): string => `0x${n.toString(16)}`;


/** Options that make RamoopsImage read an inferred region. */
export function regionImageOptions(r: InferredRegion): RamoopsImageOptions {
  const opts: RamoopsImageOptions = {
    params: { ...r.params, max_reason: 2 },
    kernel: r.kernel,
    offset: r.offset,
    ftraceCpus: r.ftraceCpus,
  };
  if (!r.littleEndian) opts.arch = r.arch;
  return opts;
}

/** `pstore extract DUMP OUT --offset … --mem-size …` with every inferred flag. */
export function extractCommand(r: InferredRegion, dumpName = 'DUMP', outDir = 'OUT'): string {
  const p = r.params;
  const parts = [
    'pstore extract',
    shellQuote(dumpName),
    shellQuote(outDir),
    `--offset ${hex(r.offset)}`,
    `--mem-size ${hex(p.mem_size)}`,
    `--record-size ${hex(p.record_size)}`,
    `--console-size ${hex(p.console_size)}`,
    `--ftrace-size ${hex(p.ftrace_size)}`,
    `--pmsg-size ${hex(p.pmsg_size)}`,
    `--ecc ${p.ecc}`,
    `--kernel ${r.kernel}`,
  ];
  if (p.ftrace_size) parts.push(`--ftrace-cpus ${r.ftraceCpus}`);
  if (!r.littleEndian) parts.push(`--arch ${r.arch}`);
  return parts.join(' ');
}

/** Options that make BlkImage read an inferred pstore/blk device. */
export function blkRegionImageOptions(r: BlkInferredRegion): BlkImageOptions {
  const opts: BlkImageOptions = {
    params: { ...r.params, max_reason: 2 },
    kernel: r.kernel,
    offset: r.offset,
    deviceSize: r.deviceSize,
    ftraceCpus: r.ftraceCpus,
  };
  if (!r.littleEndian) opts.arch = r.arch;
  return opts;
}

/** `pstore extract DUMP OUT --backend blk --offset … --mem-size … --kmsg-size …` (sizes in KiB, as pstore_blk takes them). */
export function blkExtractCommand(r: BlkInferredRegion, dumpName = 'DUMP', outDir = 'OUT'): string {
  const p = r.params;
  const parts = [
    'pstore extract',
    shellQuote(dumpName),
    shellQuote(outDir),
    '--backend blk',
    `--offset ${hex(r.offset)}`,
    `--mem-size ${hex(r.deviceSize)}`,
    `--kmsg-size ${p.kmsg_size}`,
    `--pmsg-size ${p.pmsg_size}`,
    `--console-size ${p.console_size}`,
    `--ftrace-size ${p.ftrace_size}`,
    `--kernel ${r.kernel}`,
  ];
  if (p.ftrace_size) parts.push(`--ftrace-cpus ${r.ftraceCpus}`);
  if (!r.littleEndian) parts.push(`--arch ${r.arch}`);
  return parts.join(' ');
}

/** Records of a region we may be wrong about: a decoder's complaint becomes recordsError, never a failed scan. */
function listRecords(truncated: boolean, confidence: number, open: () => { files(): Array<{ name: string }> }): { records: string[]; recordsError?: string } {
  if (truncated) return { records: [], recordsError: 'region extends past the end of the dump' };
  if (confidence < AUTO_MIN_CONFIDENCE) return { records: [], recordsError: 'not listed (low confidence)' };
  try {
    return { records: open().files().map((f) => f.name) };
  } catch (e) {
    if (!(e instanceof PstoreError) && !(e instanceof RangeError)) throw e;
    return { records: [], recordsError: e.message };
  }
}

/** Stream a region through the signature finder in chunks (constant memory beyond the candidates). */
export function findCandidates(dump: Region, options: ScanOptions = {}): SignatureFinder {
  const chunk = Math.max(4096, options.chunkSize ?? 4 << 20);
  const finder = new SignatureFinder();
  for (let pos = 0; pos < dump.size; pos += chunk) {
    const n = Math.min(chunk, dump.size - pos);
    // The finder only reads its chunks: a view where the region has one (no copy of the whole dump).
    finder.push(readView(dump, pos, n));
    options.onProgress?.(pos + n, dump.size);
  }
  finder.finish();
  return finder;
}

/** Infer regions from candidates and list each one's records. */
export function analyseCandidates(dump: Region, finder: SignatureFinder, dumpName = 'DUMP'): ScanResult {
  const candidates = finder.finish();
  const regions = inferRegions(dump, candidates).map(
    (r): ScanRegion => ({
      backend: 'ramoops',
      ...r,
      ...listRecords(r.truncated, r.confidence, () => new RamoopsImage(new OverlayRegion(dump), regionImageOptions(r))),
      extractCommand: extractCommand(r, dumpName),
    }),
  );
  const blkRegions = inferBlkRegions(dump, finder.blkCandidates).map(
    (r): BlkScanRegion => ({
      ...r,
      ...listRecords(r.truncated, r.confidence, () => new BlkImage(new OverlayRegion(dump), blkRegionImageOptions(r))),
      extractCommand: blkExtractCommand(r, dumpName),
    }),
  );
  const efiRegions = inferEfiStores(dump, finder.efi.candidates, dumpName);
  return { size: dump.size, regions, blkRegions, efiRegions, candidates, blkCandidates: finder.blkCandidates, stats: finder.stats };
}

/** Plain Uint8Array view (a Buffer's slice() is a view, MemoryRegion's reads must be copies). */
function asRegion(source: Region | Uint8Array): Region {
  if (!(source instanceof Uint8Array)) return source;
  return new MemoryRegion(new Uint8Array(source.buffer, source.byteOffset, source.byteLength));
}

/**
 * Find and decode ramoops regions in a memory dump of unknown layout: zone
 * headers by signature, then the layout that puts a zone at each header.
 */
export function scanDump(source: Region | Uint8Array, options: ScanOptions = {}): ScanResult {
  const dump = asRegion(source);
  return analyseCandidates(dump, findCandidates(dump, options), options.dumpName);
}

/** Pick the most trusted region of a scan; null when none reaches `minConfidence`. */
export function bestRegion<T extends InferredRegion>(regions: readonly T[], minConfidence = AUTO_MIN_CONFIDENCE): T | null {
  let best: T | null = null;
  for (const r of regions) if (r.confidence >= minConfidence && (!best || r.confidence > best.confidence)) best = r;
  return best;
}

/** The most trusted region of either backend (ramoops wins a tie); null when none reaches `minConfidence`. */
export function bestAnyRegion<R extends InferredRegion, B extends BlkInferredRegion>(
  regions: readonly R[],
  blkRegions: readonly B[],
  minConfidence = AUTO_MIN_CONFIDENCE,
): R | B | null {
  const r = bestRegion(regions, minConfidence);
  let b: B | null = null;
  for (const x of blkRegions) if (x.confidence >= minConfidence && (!b || x.confidence > b.confidence)) b = x;
  if (r && b) return b.confidence > r.confidence ? b : r;
  return r ?? b;
}

/**
 * For `--auto`: the layout of the most trusted ramoops region in `source`
 * (RamoopsImage options including offset), or null when nothing convincing is found.
 */
export function inferLayout(source: Region | Uint8Array, minConfidence = AUTO_MIN_CONFIDENCE): (RamoopsImageOptions & { confidence: number }) | null {
  const dump = asRegion(source);
  const finder = findCandidates(dump);
  const best = bestRegion(inferRegions(dump, finder.finish()), minConfidence);
  return best ? { ...regionImageOptions(best), confidence: best.confidence } : null;
}
