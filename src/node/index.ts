/**
 * `linux-pstore/node`: what needs Node's file system — images as files or
 * devices, memory-mapped regions, streaming scans, file times as Linux sets them.
 */
export { FileRegion, openImageFile, FileAccessError, describeFsError, type OpenImageOptions as OpenImageFileOptions } from './fileRegion.js';
export { openImagePath, type OpenedPstoreFile } from './openImagePath.js';
export { MmapRegion, openMmapRegion, mmapUnavailableReason, type OpenMmapOptions } from './mmapRegion.js';
export { scanFile, type ScanFileOptions } from './scanFile.js';
export { setExactFileTime, settableFileTime } from './fileTime.js';
export { lockImage, ImageLockedError, type ImageLock } from './imageLock.js';
