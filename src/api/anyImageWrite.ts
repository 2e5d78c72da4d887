/**
 * One write API over both image kinds: each function takes a RamoopsImage
 * or a BlkImage and runs the ramoops (writeImage.ts) or pstore/blk
 * (blkWrite.ts) path. What the write commands call once an image is open.
 */
import type { DumpOptions, DumpSummary, FtraceInputRecord } from './writeImage.js';
import { appendConsole, appendFtrace, appendPmsg, dumpToImage, removeRecord } from './writeImage.js';
import type { BlkImage } from './blkImage.js';
import { appendBlkConsole, appendBlkFtrace, appendBlkPmsg, dumpToBlkImage, removeBlkRecord } from './blkWrite.js';
import type { RamoopsImage } from './ramoopsImage.js';

export type AnyImage = RamoopsImage | BlkImage;

/** `notWritten`: blk only, dumps a best-effort device never receives (a panic and what follows). */
export function dumpToAnyImage(image: AnyImage, options: DumpOptions): DumpSummary & { notWritten: number[] } {
  if (image.kind === 'blk') return dumpToBlkImage(image, options);
  return { ...dumpToImage(image, options), notWritten: [] };
}

export function appendConsoleAny(image: AnyImage, data: Uint8Array): void {
  if (image.kind === 'blk') appendBlkConsole(image, data);
  else appendConsole(image, data);
}

export function appendPmsgAny(image: AnyImage, data: Uint8Array): void {
  if (image.kind === 'blk') appendBlkPmsg(image, data);
  else appendPmsg(image, data);
}

export function appendFtraceAny(image: AnyImage, records: FtraceInputRecord[]): void {
  if (image.kind === 'blk') appendBlkFtrace(image, records);
  else appendFtrace(image, records);
}

export function removeRecordAny(image: AnyImage, name: string): void {
  if (image.kind === 'blk') removeBlkRecord(image, name);
  else removeRecord(image, name);
}
