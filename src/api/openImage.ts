/**
 * One opener for an image of any backend: what the CLI, the viewer's server
 * and `archive` call. A backend is one entry in OPENERS; `backend: 'auto'`
 * scans the bytes and opens the region the scan trusts most.
 */
import { BlkImage, type BlkImageOptions } from './blkImage.js';
import { EfiImage, type EfiImageOptions } from './efiImage.js';
import type { FileViewOptions } from './image.js';
import { RamoopsImage, type RamoopsImageOptions } from './ramoopsImage.js';
import { LayoutError, PstoreError, UsageError } from '../errors.js';
import type { Region } from '../region/region.js';
import { chooseLayout, type ChosenLayout } from '../scan/chooseLayout.js';
import { scanDump, type ScanResult } from '../scan/scanDump.js';

/** Every image kind the opener knows; discriminate on `image.kind`. */
export type AnyPstoreImage = RamoopsImage | BlkImage | EfiImage;
export type ImageBackend = AnyPstoreImage['kind'];

/** Options of an explicit layout: the backend and that image kind's options. */
export type ExplicitImageOptions = ({ backend?: 'ramoops' } & RamoopsImageOptions) | ({ backend: 'blk' } & BlkImageOptions) | ({ backend: 'efi' } & EfiImageOptions);

/** Infer the layout from the bytes (read-only). */
export interface AutoImageOptions extends FileViewOptions {
  backend: 'auto';
  /** Overrides the inferred kernel profile (a scan cannot tell debian-6.1 from 6.1). */
  kernel?: string;
  /** Backends to look for (default all). */
  backends?: readonly ImageBackend[];
  /** A scan of `source` already made (Node streams a file faster than Region reads). */
  scan?: ScanResult;
}

export type OpenImageOptions = ExplicitImageOptions | AutoImageOptions;

export interface OpenedPstoreImage {
  image: AnyPstoreImage;
  /** Layout warnings (rounding, unused space): the image still opens. */
  warnings: string[];
  /** With `backend: 'auto'`: what was inferred. */
  inferred: ChosenLayout | null;
}

/** How each backend opens a source with explicit options. A new backend is one line here. */
const OPENERS: { [K in ImageBackend]: (source: Region, options: Extract<ExplicitImageOptions, { backend?: K }>, name: string) => OpenedPstoreImage } = {
  ramoops: openRamoops,
  blk: openBlk,
  efi: (source, opts, name) => {
    if (source.size === 0) throw new PstoreError(`'${name}' is empty: not an EFI variable store`);
    return { image: new EfiImage(source, opts), warnings: [], inferred: null };
  },
};

function openRamoops(source: Region, opts: RamoopsImageOptions, name: string): OpenedPstoreImage {
  if (source.size === 0) throw new PstoreError(`'${name}' is empty: not a ramoops image`);
  const memSize = opts.params?.mem_size;
  const offset = opts.offset ?? 0;
  if (memSize !== undefined && offset + memSize > source.size) {
    throw new LayoutError(
      `'${name}' has ${source.size} bytes but the layout needs 0x${(offset + memSize).toString(16)} (mem_size 0x${memSize.toString(16)} at offset 0x${offset.toString(16)}): truncated image or wrong --mem-size/--offset`,
    );
  }
  const image = new RamoopsImage(source, opts);
  return { image, warnings: [...image.layout.warnings], inferred: null };
}

function openBlk(source: Region, opts: BlkImageOptions, name: string): OpenedPstoreImage {
  if (source.size === 0) throw new PstoreError(`'${name}' is empty: not a pstore/blk device image`);
  const image = new BlkImage(source, opts);
  const warnings = image.layout.unused ? [`${image.layout.unused} bytes at the end of the device are not used by any zone`] : [];
  return { image, warnings, inferred: null };
}

/**
 * Opens `source` (a file, a window of a dump, bytes) as a pstore image.
 * `name` names it in messages. Bad options or a layout that does not fit:
 * one-line typed errors.
 */
export function openImage(source: Region, options: OpenImageOptions = {}, name = 'image'): OpenedPstoreImage {
  if (options.backend === 'auto') {
    const scan = options.scan ?? scanDump(source, { dumpName: name });
    const chosen = chooseLayout(scan, { backends: options.backends, dumpName: name });
    const { compress, symbols, ftraceWalk } = options;
    const view = { compress, symbols, ftraceWalk, ...(options.kernel !== undefined ? { kernel: options.kernel } : {}) };
    const opened =
      chosen.backend === 'blk'
        ? openBlk(source, { ...chosen.options, ...view }, name)
        : chosen.backend === 'efi'
          ? OPENERS.efi(source, { backend: 'efi', ...chosen.options, compress: view.compress, ...(view.kernel !== undefined ? { kernel: view.kernel } : {}) }, name)
          : openRamoops(source, { ...chosen.options, ...view }, name);
    return { ...opened, inferred: chosen };
  }
  const backend = options.backend ?? 'ramoops';
  const opener = OPENERS[backend] as ((source: Region, options: ExplicitImageOptions, name: string) => OpenedPstoreImage) | undefined;
  if (!opener) throw new UsageError(`backend '${String(backend)}' is not one of ${Object.keys(OPENERS).join(', ')}`);
  return opener(source, options, name);
}
