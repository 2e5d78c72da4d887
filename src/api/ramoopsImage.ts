import { archByName } from '../backends/ramoops/arch.js';
import { kernelProfile } from '../core/kernel.js';
import { ramoopsLayout, RAMOOPS_DEFAULTS, type RamoopsLayout, type RamoopsParams } from '../backends/ramoops/layout.js';
import { Ramoops, type RamoopsZoneReport } from '../backends/ramoops/ramoops.js';
import type { CompressorName } from '../core/compress/types.js';
import type { SymbolMap } from '../core/ftrace.js';
import type { PstoreFile } from '../core/record.js';
import { UsageError } from '../errors.js';
import { WindowRegion, type Region } from '../region/region.js';
import { backendFiles, findFile, type PstoreImage } from './image.js';

export { AUTO_COMPRESSORS, decompressorFor } from './image.js';

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
    if (!this.cachedFiles) this.cachedFiles = backendFiles(this.backend, this.layout.kernel, this.layout.arch, this.options);
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
