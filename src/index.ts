/** pstore: Linux pstore/ramoops in TypeScript. Browser-safe entry point (Node-only helpers: `pstore/node`). */
export * from './errors.js';
export { MemoryRegion, WindowRegion, type Region } from './region/region.js';
export { reedSolomon, ReedSolomon } from './ecc/index.js';
export { przGeometry, type PrzGeometry } from './zone/eccLayout.js';
export {
  attachPrz,
  scanBlockHealth,
  BlockHealth,
  PersistentRamZone,
  PERSISTENT_RAM_SIG,
  type PrzAttachResult,
  type PrzOptions,
  type PrzState,
} from './zone/persistentRamZone.js';
export { ramoopsLayout, RAMOOPS_DEFAULTS, type RamoopsLayout, type RamoopsParams, type RamoopsZone } from './backends/ramoops/layout.js';
export { kernelProfile, linuxVersionCode, type KernelProfile } from './backends/ramoops/kernelProfile.js';
export { archByName, type Arch } from './backends/ramoops/arch.js';
export { parseSize, paramsFromObject } from './backends/ramoops/params.js';
export { Ramoops, type RamoopsZoneReport } from './backends/ramoops/ramoops.js';
export { parseKmsgHeader, formatKmsgHeader } from './backends/ramoops/kmsgHeader.js';
export { RamoopsImage, type RamoopsImageOptions } from './api/ramoopsImage.js';
export {
  openForWrite,
  createImage,
  dumpToImage,
  appendConsole,
  appendPmsg,
  appendFtrace,
  parseFtraceText,
  removeRecord,
  type DumpOptions,
  type WriteImageOptions,
} from './api/writeImage.js';
export { Pstore, DEFAULT_KMSG_BYTES, type PstoreOptions } from './core/platform.js';
export { pstoreFiles, type PstoreFsOptions } from './core/pstoreFs.js';
export { SymbolMap, formatFtraceText, combineFtraceLog } from './core/ftrace.js';
export type { BackendRecord, PstoreFile, PstoreType, RecordTime, EccStatus } from './core/record.js';
export type { PstoreBackend, WriteRecord } from './core/backend.js';
export { getCompressor, compressorNames, decompressAny, initZstd, type Compressor, type CompressorName } from './core/compress/registry.js';
export * from './frontends/index.js';
