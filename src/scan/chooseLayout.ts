/**
 * From a scan to one layout: the most trusted region of the backends asked
 * for, as the options that open it. What `--auto` (and an opener given
 * `backend: 'auto'`) runs on; the CLI only formats what it returns.
 */
import type { BlkImageOptions } from '../api/blkImage.js';
import type { EfiImageOptions } from '../api/efiImage.js';
import type { RamoopsImageOptions } from '../api/ramoopsImage.js';
import { PstoreError } from '../errors.js';
import { efiRegionImageOptions, type EfiScanRegion } from './efiStores.js';
import { AUTO_MIN_CONFIDENCE, bestAnyRegion, blkRegionImageOptions, regionImageOptions, type BlkScanRegion, type ScanRegion, type ScanResult } from './scanDump.js';

export type ScanBackend = 'ramoops' | 'blk' | 'efi';

/** The layout chosen from a scan, ready to open. */
export type ChosenLayout =
  | { backend: 'ramoops'; region: ScanRegion; options: RamoopsImageOptions; others: number }
  | { backend: 'blk'; region: BlkScanRegion; options: BlkImageOptions; others: number }
  | { backend: 'efi'; region: EfiScanRegion; options: EfiImageOptions; others: number };

const hex = (n: number): string => `0x${n.toString(16)}`;

/**
 * The most trusted region of `scan` (regions that fit inside the dump first).
 * `others` counts the other trusted regions. Nothing convincing, or the best
 * region truncated: a one-line PstoreError naming `dumpName`.
 */
export function chooseLayout(scan: ScanResult, options: { backends?: readonly ScanBackend[]; dumpName?: string } = {}): ChosenLayout {
  const backends = options.backends ?? ['ramoops', 'blk', 'efi'];
  const path = options.dumpName ?? 'DUMP';
  const ramoops = backends.includes('ramoops') ? scan.regions : [];
  const blk = backends.includes('blk') ? scan.blkRegions : [];
  const efi = backends.includes('efi') ? scan.efiRegions : [];
  const trustedCount = [...ramoops, ...blk, ...efi].filter((r) => r.confidence >= AUTO_MIN_CONFIDENCE).length;
  const zoneBest = bestAnyRegion(ramoops.filter((r) => !r.truncated), blk.filter((r) => !r.truncated));
  const efiBest = efi.filter((r) => !r.truncated && r.confidence >= AUTO_MIN_CONFIDENCE).reduce<EfiScanRegion | null>((a, r) => (!a || r.confidence > a.confidence ? r : a), null);
  // A firmware volume holding a variable store is unambiguous: it wins ties.
  if (efiBest && (!zoneBest || efiBest.confidence >= zoneBest.confidence)) {
    return { backend: 'efi', region: efiBest, options: efiRegionImageOptions(efiBest), others: trustedCount - 1 };
  }
  const best =
    bestAnyRegion(
      ramoops.filter((r) => !r.truncated),
      blk.filter((r) => !r.truncated),
    ) ?? bestAnyRegion(ramoops, blk);
  if (!best) {
    const top = [...ramoops, ...blk].reduce<ScanRegion | BlkScanRegion | null>((a, r) => (!a || r.confidence > a.confidence ? r : a), null);
    throw new PstoreError(
      `--auto: no ramoops region found in '${path}' with confidence >= ${AUTO_MIN_CONFIDENCE}` +
        (top ? ` (best candidate at ${hex(top.offset)}: confidence ${top.confidence.toFixed(2)})` : ` (${scan.candidates.length + scan.blkCandidates.length} zone header candidates)`) +
        (backends.includes('blk') ? ', nor a pstore/blk device' : '') +
        (backends.includes('efi') ? ', nor an EFI variable store' : '') +
        '; give the layout flags (pstore scan lists what was found)',
    );
  }
  const what = best.backend === 'blk' ? 'pstore/blk device' : 'ramoops region';
  if (best.truncated) throw new PstoreError(`--auto: the ${what} at ${hex(best.offset)} in '${path}' runs past the end of the file (truncated dump?); pstore scan shows what was found`);
  const others = trustedCount - 1;
  return best.backend === 'blk'
    ? { backend: 'blk', region: best, options: blkRegionImageOptions(best), others }
    : { backend: 'ramoops', region: best, options: regionImageOptions(best), others };
}
