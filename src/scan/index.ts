export { MAX_ZONE_DATA, SignatureFinder, signatureCode, type BlkZoneCandidate, type FinderStats, type ZoneCandidate } from './signature.js';
export { BlkInference, inferBlkRegions, type BlkInferredParams, type BlkInferredRegion, type BlkInferredZone } from './inferBlk.js';
export { ECC_CANDIDATES, inferRegions, LayoutInference, roundest, type InferredParams, type InferredRegion, type InferredZone } from './infer.js';
export {
  analyseCandidates,
  AUTO_MIN_CONFIDENCE,
  bestAnyRegion,
  bestRegion,
  blkExtractCommand,
  blkRegionImageOptions,
  extractCommand,
  findCandidates,
  inferLayout,
  regionImageOptions,
  scanDump,
  type BlkScanRegion,
  type ScanOptions,
  type ScanRegion,
  type ScanResult,
} from './scanDump.js';
export { chooseLayout, type ChosenLayout, type ScanBackend } from './chooseLayout.js';
