/** pstore: Linux pstore/ramoops in TypeScript. Browser-safe entry point (Node-only helpers: `linux-pstore/node`). */
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
export { kernelProfile, linuxVersionCode, parseFrontends, formatFrontends, withFrontends, type KernelProfile, type Frontends } from './core/kernel.js';
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
  type DumpSummary,
  type FtraceInputRecord,
  type WriteImageOptions,
} from './api/writeImage.js';
export type { PstoreImage, PstoreImageKind } from './api/image.js';
export {
  openImage,
  type AnyPstoreImage,
  type AutoImageOptions,
  type ExplicitImageOptions,
  type ImageBackend,
  type OpenedPstoreImage,
  type OpenImageOptions,
} from './api/openImage.js';
export { BlkImage, blkDefaultParams, type BlkImageOptions, type BlkZoneReport } from './api/blkImage.js';
export {
  createBlk,
  openBlkForWrite,
  dumpToBlkImage,
  appendBlkConsole,
  appendBlkPmsg,
  appendBlkFtrace,
  removeBlkRecord,
  blkDumpReachesDevice,
  type BlkCreateOptions,
  type BlkDumpSummary,
  type BlkWriteOptions,
} from './api/blkWrite.js';
export { dumpToAnyImage, appendConsoleAny, appendPmsgAny, appendFtraceAny, removeRecordAny, type AnyImage } from './api/anyImageWrite.js';
export {
  decodePmsg,
  pmsgToLogcat,
  formatThreadtime,
  logcatTime,
  encodePmsgRecord,
  textPayload,
  eventPayload,
  LogId,
  LogPriority,
  EventType,
  LOGGER_MAGIC,
  LOGGER_ENTRY_MAX_PAYLOAD,
  LOG_HEADER_SIZE,
  PMSG_HEADER_SIZE,
  PMSG_FRAME_HEADER,
  type EventValue,
  type LogcatEntry,
  type LogcatOptions,
  type PmsgDecodeResult,
  type PmsgRecordFields,
  type SkippedRun,
} from './core/logcat.js';
export * from './scan/index.js';
export { Pstore, DEFAULT_KMSG_BYTES, type PstoreOptions } from './core/platform.js';
export { pstoreFiles, type PstoreFsOptions } from './core/pstoreFs.js';
export { SymbolMap, formatFtraceText, combineFtraceLog } from './core/ftrace.js';
export type { BackendRecord, PstoreFile, PstoreType, RecordTime, EccStatus } from './core/record.js';
export type { PstoreBackend, WriteRecord } from './core/backend.js';
export { getCompressor, compressorNames, decompressAny, initZstd, type Compressor, type CompressorName } from './core/compress/registry.js';
export * from './frontends/index.js';
export { repairPrz, type PrzRepair, type ZonePatch } from './zone/repair.js';
export { planRepair, type RepairPlan } from './api/repair.js';
export { EfiImage, type EfiImageOptions, type EfiStoreHealth } from './api/efiImage.js';
export { EfiBackend, PSTORE_EFI_ATTRIBUTES, type EfiRecord, type EfiReadNote } from './backends/efi/backend.js';
export { efiPstoreProfile, parseDumpName, dumpVariableName, genericId, type DumpName, type EfiPstoreProfile } from './backends/efi/dumpName.js';
export { decodeFvHeader, type FirmwareVolumeHeader } from './backends/efi/firmwareVolume.js';
export { LINUX_EFI_CRASH_GUID, guidText, guidBytes } from './backends/efi/guid.js';
export { locateStore, type LocatedStore } from './backends/efi/locate.js';
export { RuntimeVariableServices, type EfiStatus } from './backends/efi/runtimeServices.js';
export { VariableStore, type StoreVariable, type VariableStoreHeader } from './backends/efi/variableStore.js';
export { variableState, type VariableState, type VariableHeader } from './backends/efi/variable.js';
export { storeMap, looksLikeEfiStore, type EfiStoreMap, type EfiVariableEntry } from './backends/efi/storeMap.js';
export { createEfiStore, dumpToEfiImage, openEfiForWrite, removeEfiRecord, type CreateEfiStoreOptions, type EfiDumpOptions, type EfiDumpSummary } from './api/efiWrite.js';
