export { MAX_ZONE_DATA, SignatureFinder, signatureCode, type FinderStats, type ZoneCandidate } from './signature.js';
export { ECC_CANDIDATES, inferRegions, LayoutInference, roundest, type InferredParams, type InferredRegion, type InferredZone } from './infer.js';
export {
  analyseCandidates,
  AUTO_MIN_CONFIDENCE,
  bestRegion,
  extractCommand,
  findCandidates,
  inferLayout,
  regionImageOptions,
  scanDump,
  type ScanOptions,
  type ScanRegion,
  type ScanResult,
} from './scanDump.js';
