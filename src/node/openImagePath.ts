/**
 * openImage for a path: the file as a Region (positioned reads, any size),
 * scanned by streaming when the layout is to be inferred.
 */
import { openImage, type OpenedPstoreImage, type OpenImageOptions } from '../api/openImage.js';
import { PstoreError } from '../errors.js';
import { describeFsError, openImageFile, type FileRegion } from './fileRegion.js';
import { scanFile } from './scanFile.js';

export interface OpenedPstoreFile extends OpenedPstoreImage {
  file: FileRegion;
  close(): void;
}

/** Opens PATH (read-only unless `write`) as openImage does; the caller closes it. */
export function openImagePath(path: string, options: OpenImageOptions = {}, io: { write?: boolean } = {}): OpenedPstoreFile {
  if (options.backend === 'auto' && !options.scan) {
    try {
      options = { ...options, scan: scanFile(path, { dumpName: path }) };
    } catch (e) {
      const err = describeFsError(e, 'read', path);
      throw err instanceof PstoreError ? err : e;
    }
  }
  const file = openImageFile(path, { write: io.write });
  try {
    return { ...openImage(file, options, path), file, close: () => file.close() };
  } catch (e) {
    file.close();
    throw e;
  }
}
