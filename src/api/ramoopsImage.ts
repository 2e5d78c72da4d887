import { archByName } from '../backends/ramoops/arch.js';
import { kernelProfile } from '../backends/ramoops/kernelProfile.js';
import { ramoopsLayout, RAMOOPS_DEFAULTS, type RamoopsLayout, type RamoopsParams } from '../backends/ramoops/layout.js';
import { Ramoops, type RamoopsZoneReport } from '../backends/ramoops/ramoops.js';
import { getCompressor, zbufsize } from '../core/compress/registry.js';
import type { CompressorName } from '../core/compress/types.js';
import type { SymbolMap } from '../core/ftrace.js';
import { pstoreFiles, type DecompressFn } from '../core/pstoreFs.js';
import type { PstoreFile } from '../core/record.js';
import { DecompressError, UsageError } from '../errors.js';
import { WindowRegion, type Region } from '../region/region.js';
import { findFile, type PstoreImage } from './image.js';

/** Order in which compressors are tried when the user does not say which one wrote a record. */
export const AUTO_COMPRESSORS: readonly CompressorName[] = ['deflate', 'zstd', 'lz4', 'lzo', '842'];

export interface RamoopsImageOptions {
  /** Module parameters; missing ones take the module defaults, mem_size the region size. */
  params?: Partial<RamoopsParams>;
  /** Kernel version profile (`6.1`, `6.12`, `debian-6.1`, …). */
  kernel?: string;
  arch?: string;
  /** nr_cpu_ids of the kernel that wrote the image (per-CPU ftrace zones). */
  ftraceCpus?: number;
  ftracePerCpu?: boolean;
  /** Offset of the ramoops region inside the image (memory dumps). */
  offset?: number;
  /**
   * The reading kernel's compressor: `auto` tries each (default), `none` is a
   * kernel with compression off (compressed records stay `.enc.z`).
   */
  compress?: 'auto' | 'none' | CompressorName;
  symbols?: SymbolMap | null;
  ftraceWalk?: 'kernel' | 'correct';
}

/** Builds the kernel's decompression step for a reading kernel's compressor(s). */
export function decompressorFor(compress: RamoopsImageOptions['compress'], bufsize: number, profile: '6.1' | '6.12'): DecompressFn | null {
  if (compress === 'none') return null;
  const names = !compress || compress === 'auto' ? AUTO_COMPRESSORS : [compress];
  return (data, _maxOut) => {
    for (const name of names) {
      try {
        const limit = zbufsize(name, bufsize, profile);
        return { name, data: getCompressor(name).decompress(data, limit) };
      } catch (e) {
        if (!(e instanceof DecompressError)) throw e;
      }
    }
    return null;
  };
}

/**
 * A ramoops region with a layout: zones, records and files as Linux shows
 * them. The entry point for the CLI, the viewer and scan.
 */
export class RamoopsImage implements PstoreImage {
  readonly kind = 'ramoops' as const;
  readonly region: Region;
  readonly layout: RamoopsLayout;
  readonly backend: Ramoops;
  private cachedFiles: PstoreFile[] | null = null;

  constructor(
    image: Region,
    readonly options: RamoopsImageOptions = {},
  ) {
    const offset = options.offset ?? 0;
    if (offset < 0 || offset > image.size) throw new UsageError(`--offset 0x${offset.toString(16)} is beyond the end of the ${image.size}-byte image`);
    const memSize = options.params?.mem_size ?? image.size - offset;
    const params: RamoopsParams = { ...RAMOOPS_DEFAULTS, ...options.params, mem_size: memSize };
    this.layout = ramoopsLayout({
      params,
      kernel: kernelProfile(options.kernel),
      arch: archByName(options.arch),
      ftraceCpus: options.ftraceCpus,
      ftracePerCpu: options.ftracePerCpu,
    });
    if (offset + memSize > image.size) {
      throw new UsageError(
        `the region (0x${memSize.toString(16)} bytes at offset 0x${offset.toString(16)}) does not fit the ${image.size}-byte image: truncated image or wrong --mem-size/--offset`,
      );
    }
    this.region = offset === 0 && memSize === image.size ? image : new WindowRegion(image, offset, memSize);
    this.backend = new Ramoops(this.region, this.layout);
  }

  /** The files /sys/fs/pstore would show. */
  files(): PstoreFile[] {
    if (!this.cachedFiles) {
      const k = this.layout.kernel;
      const profile = k.compression === 'zlib' ? '6.12' : '6.1';
      this.cachedFiles = pstoreFiles(this.backend, {
        decompress: decompressorFor(this.options.compress, this.layout.bufsize, profile),
        maxUnzipped: 0,
        arch: this.layout.arch,
        symbols: this.options.symbols ?? null,
        ftraceWalk: this.options.ftraceWalk,
      });
    }
    return this.cachedFiles;
  }

  file(name: string): PstoreFile {
    return findFile(this.files(), name);
  }

  describe(): string {
    const l = this.layout;
    const p = l.params;
    const n = l.dmesgCount;
    return (
      `ramoops region of 0x${p.mem_size.toString(16)} bytes, ${n} dmesg zone${n === 1 ? '' : 's'}` +
      `${p.console_size ? ', console' : ''}${p.pmsg_size ? ', pmsg' : ''}${l.ftraceCount ? ', ftrace' : ''}, ` +
      `ecc ${p.ecc || 'off'}, kernel ${l.kernel.name}`
    );
  }

  zones(): RamoopsZoneReport[] {
    return this.backend.zoneReports();
  }

  /** Forget cached records after writes. */
  invalidate(): void {
    this.cachedFiles = null;
  }
}
