/**
 * From EFI signature hits to variable stores: a `_FVH` firmware volume whose
 * header is followed by a formatted variable store, or a bare store header
 * that no volume claims. Each is opened like `--backend efi --offset` would
 * and its records listed.
 */
import { EfiImage, type EfiImageOptions } from '../api/efiImage.js';
import { decodeFvHeader } from '../backends/efi/firmwareVolume.js';
import { looksLikeEfiStore } from '../backends/efi/storeMap.js';
import { decodeStoreHeader, storeStatus, VARIABLE_STORE_HEADER_SIZE } from '../backends/efi/variableStore.js';
import { PstoreError } from '../errors.js';
import type { Region } from '../region/region.js';
import type { EfiCandidate } from './efiSignature.js';
import { OverlayRegion } from './overlayRegion.js';
import { shellQuote } from './shellQuote.js';

export interface EfiScanRegion {
  backend: 'efi';
  /** Start of the firmware volume (or of a bare store) in the dump. */
  offset: number;
  /** FvLength, or the store size for a bare store. */
  length: number;
  kind: 'firmware-volume' | 'variable-store';
  format: 'authenticated' | 'plain';
  /** The volume's FileSystemGuid is gEfiSystemNvDataFvGuid (where firmware keeps its NV variables). */
  nvData: boolean;
  confidence: number;
  /** The volume or store runs past the end of the dump. */
  truncated: boolean;
  variables: number;
  pstoreVariables: number;
  records: string[];
  recordsError?: string;
  extractCommand: string;
}

const hex = (n: number): string => `0x${n.toString(16)}`;
const HEAD = 0x1000 + VARIABLE_STORE_HEADER_SIZE;


/** Options that open a found store. */
export function efiRegionImageOptions(r: EfiScanRegion): EfiImageOptions {
  return { offset: r.offset };
}

export function efiExtractCommand(r: EfiScanRegion, dumpName = 'DUMP', outDir = 'OUT'): string {
  return `pstore extract ${shellQuote(dumpName)} ${shellQuote(outDir)} --backend efi --offset ${hex(r.offset)}`;
}

export function inferEfiStores(dump: Region, candidates: readonly EfiCandidate[], dumpName = 'DUMP'): EfiScanRegion[] {
  const out: EfiScanRegion[] = [];
  const claimed = new Set<number>();
  // A volume inside one already found is a stale copy (OVMF's fault-tolerant-write spare area holds one after a reclaim).
  let volumeEnd = 0;
  for (const c of candidates) {
    if (c.kind !== 'fv' || c.offset >= dump.size || c.offset < volumeEnd) continue;
    const head = dump.read(c.offset, Math.min(HEAD, dump.size - c.offset));
    if (!looksLikeEfiStore(head)) continue;
    const fv = decodeFvHeader(head)!;
    claimed.add(c.offset + fv.headerLength);
    volumeEnd = c.offset + Math.max(fv.fvLength, fv.headerLength);
    const store = decodeStoreHeader(head, fv.headerLength);
    let confidence = fv.nvData ? 1 : 0.8;
    if (!fv.checksumOk) confidence -= 0.3;
    if (storeStatus(head, fv.headerLength) !== 'valid') confidence -= 0.3;
    out.push(describe(dump, c.offset, fv.fvLength, 'firmware-volume', store.auth, fv.nvData, confidence, dumpName));
  }
  const inVolume = (o: number): boolean => out.some((r) => o >= r.offset && o < r.offset + r.length);
  for (const c of candidates) {
    if (c.kind !== 'store' || claimed.has(c.offset) || c.offset >= dump.size || inVolume(c.offset)) continue;
    const head = dump.read(c.offset, Math.min(HEAD, dump.size - c.offset));
    if (storeStatus(head) !== 'valid') continue;
    const store = decodeStoreHeader(head);
    if (store.size < VARIABLE_STORE_HEADER_SIZE) continue;
    out.push(describe(dump, c.offset, store.size, 'variable-store', store.auth, false, 0.7, dumpName));
  }
  return out.sort((a, b) => a.offset - b.offset);
}

function describe(dump: Region, offset: number, length: number, kind: EfiScanRegion['kind'], auth: boolean, nvData: boolean, confidence: number, dumpName: string): EfiScanRegion {
  const r: EfiScanRegion = {
    backend: 'efi',
    offset,
    length,
    kind,
    format: auth ? 'authenticated' : 'plain',
    nvData,
    confidence: Math.max(0, confidence),
    truncated: offset + length > dump.size,
    variables: 0,
    pstoreVariables: 0,
    records: [],
    extractCommand: '',
  };
  r.extractCommand = efiExtractCommand(r, dumpName);
  try {
    const image = new EfiImage(new OverlayRegion(dump), { offset });
    const m = image.map();
    r.variables = m.variables.length;
    r.pstoreVariables = m.variables.filter((v) => v.isPstore && (v.state === 'added' || v.state === 'in-deletion')).length;
    r.records = image.files().map((f) => f.name);
  } catch (e) {
    if (!(e instanceof PstoreError) && !(e instanceof RangeError)) throw e;
    r.recordsError = e.message;
  }
  return r;
}
