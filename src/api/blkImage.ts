/**
 * A pstore/blk device image (pstore/zone on a block device): the entry point
 * for the CLI and the library, mirroring RamoopsImage. Sizes are taken in
 * KiB, as the pstore_blk module parameters are.
 */
import { archByName } from '../backends/ramoops/arch.js';
import { kernelProfile, type KernelProfile } from '../core/kernel.js';
import { BlkBackend, BLK_BACKEND_NAME } from '../backends/blk/backend.js';
import { BLK_DEFAULT_PARAMS, blkLayout, blkParamsFromKiB, PSZ_BUFFER_HEADER_SIZE, type BlkLayout, type BlkModuleParams, type BlkZone } from '../backends/blk/layout.js';
import {
  blkArchFrom,
  decodeKmsgHeader,
  decodePszBuffer,
  kmsgHeaderLayout,
  PSTORE_KMSG_HEADER_MAGIC,
  type BlkArch,
  type KmsgHeader,
  type PszBufferHeader,
} from '../backends/blk/zoneFormat.js';
import type { CompressorName } from '../core/compress/types.js';
import type { SymbolMap } from '../core/ftrace.js';
import type { PstoreFile } from '../core/record.js';
import { UsageError } from '../errors.js';
import { WindowRegion, type Region } from '../region/region.js';
import { backendFiles, findFile, type PstoreImage } from './image.js';

export interface BlkImageOptions {
  /** pstore_blk module parameters, sizes in KiB (<= 0 disables); missing ones take the kernel's defaults. */
  params?: BlkModuleParams;
  /** Kernel profile (`6.1`, `debian-6.1`, …): the compressor family, and which frontends exist by default. */
  kernel?: string;
  arch?: string;
  /** nr_cpu_ids of the kernel that wrote the image: the ftrace area is split per CPU. */
  ftraceCpus?: number;
  /** Where the device starts inside the file. */
  offset?: number;
  /** Device size in bytes (bdev_nr_bytes); default: the file size minus `offset`. */
  deviceSize?: number;
  /** The reading kernel's compressor: `auto` tries each (default), `none` leaves compressed dumps `.enc.z`. */
  compress?: 'auto' | 'none' | CompressorName;
  symbols?: SymbolMap | null;
  /** Accepted for symmetry with ramoops; pstore/blk has no ECC notice, so both walks agree. */
  ftraceWalk?: 'kernel' | 'correct';
  /**
   * The device has a panic_write op (an MTD or a driver registered with
   * pstore/blk). Best-effort pstore/blk on a plain block device has none, so
   * a panic dump never reaches it (default false).
   */
  panicWrite?: boolean;
}

/**
 * Defaults for module parameters left out. blk.c makes pmsg/console/ftrace
 * -1 (off) when the frontend is not built in: Debian's kernels build none of
 * them, while a full-feature kernel takes the Kconfig defaults (64 KiB).
 */
export function blkDefaultParams(kernel: KernelProfile): Required<BlkModuleParams> {
  const f = kernel.frontends;
  return {
    ...BLK_DEFAULT_PARAMS,
    ...(f.pmsg ? {} : { pmsg_size: 0 }),
    ...(f.console ? {} : { console_size: 0 }),
    ...(f.ftrace ? {} : { ftrace_size: 0 }),
  };
}

/** What the kernel finds in one zone when it recovers the device (for `pstore check`). */
export interface BlkZoneReport {
  zone: BlkZone;
  header: PszBufferHeader;
  /**
   * blank: never written (header all 0x00 or 0xff); no-signature: other
   * bytes (not this layout, or damage); empty: a ring zone with
   * datalen 0; erased: a kmsg zone whose dump was removed; valid: holds data;
   * overtop: datalen/start beyond the buffer (ignored by the kernel);
   * bad-magic: kmsg zone without the psz_kmsg_header magic (skipped);
   * invalid: start > datalen in a ring zone (the kernel's whole recovery fails).
   */
  state: 'blank' | 'no-signature' | 'empty' | 'erased' | 'valid' | 'overtop' | 'bad-magic' | 'invalid';
  /** kmsg zones with a signature: the dump header. */
  kmsg: KmsgHeader | null;
}

export class BlkImage implements PstoreImage {
  readonly kind = 'blk' as const;
  readonly region: Region;
  readonly layout: BlkLayout;
  readonly arch: BlkArch;
  readonly kernel: KernelProfile;
  /** The module parameters in effect (KiB), defaults filled in. */
  readonly params: Required<BlkModuleParams>;
  private current: BlkBackend;
  private cachedFiles: PstoreFile[] | null = null;

  constructor(
    image: Region,
    readonly options: BlkImageOptions = {},
  ) {
    const offset = options.offset ?? 0;
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > image.size) {
      throw new UsageError(`--offset 0x${offset.toString(16)} is beyond the end of the ${image.size}-byte image`);
    }
    const size = options.deviceSize ?? image.size - offset;
    if (!Number.isSafeInteger(size) || size < 0 || offset + size > image.size) {
      throw new UsageError(
        `the device (0x${size.toString(16)} bytes at offset 0x${offset.toString(16)}) does not fit the ${image.size}-byte image: truncated image or wrong --mem-size/--offset`,
      );
    }
    this.kernel = kernelProfile(options.kernel);
    this.arch = blkArchFrom(archByName(options.arch));
    this.params = { ...blkDefaultParams(this.kernel), ...definedOnly(options.params ?? {}) };
    this.layout = blkLayout(blkParamsFromKiB(this.params, size, options.ftraceCpus ?? 1));
    this.region = offset === 0 && size === image.size ? image : new WindowRegion(image, offset, size);
    this.current = this.boot();
  }

  /** One attach of the kernel to the device (psz_recovery). */
  private boot(): BlkBackend {
    return new BlkBackend(this.region, this.layout, { arch: this.arch, panicWrite: this.options.panicWrite ?? false, ftraceFrontend: this.kernel.frontends.ftrace });
  }

  /** The backend of the current "boot": writes go through it. */
  get backend(): BlkBackend {
    return this.current;
  }

  /** The files /sys/fs/pstore would show. */
  files(): PstoreFile[] {
    if (!this.cachedFiles) this.cachedFiles = backendFiles(this.current, this.kernel, this.arch, this.options);
    return this.cachedFiles;
  }

  file(name: string): PstoreFile {
    return findFile(this.files(), name);
  }

  describe(): string {
    const l = this.layout;
    const n = l.kmsg.length;
    const kib = (b: number): string => `${b / 1024} KiB`;
    const parts = [`${n} kmsg zone${n === 1 ? '' : 's'} of ${kib(l.sizes.kmsg)}`];
    if (l.pmsg) parts.push(`pmsg ${kib(l.sizes.pmsg)}`);
    if (l.console) parts.push(`console ${kib(l.sizes.console)}`);
    if (l.ftrace.length) parts.push(`ftrace ${kib(l.sizes.ftrace)}${l.ftrace.length > 1 ? ` (${l.ftrace.length} CPUs)` : ''}`);
    return `${BLK_BACKEND_NAME} device of 0x${l.totalSize.toString(16)} bytes, ${parts.join(', ')}, max_reason ${l.maxReason}, kernel ${this.kernel.name}`;
  }

  /** Zone states as the kernel's recovery sees them, in device order. */
  zones(): BlkZoneReport[] {
    const hdr = kmsgHeaderLayout(this.arch).size;
    return this.layout.zones.map((zone) => {
      const head = this.region.read(zone.offset, Math.min(zone.size, PSZ_BUFFER_HEADER_SIZE + hdr));
      const header = decodePszBuffer(head, this.arch);
      const bs = zone.bufferSize;
      let state: BlkZoneReport['state'];
      let kmsg: KmsgHeader | null = null;
      if (header.sig !== zone.sig) state = isBlank(head.subarray(0, PSZ_BUFFER_HEADER_SIZE)) ? 'blank' : 'no-signature';
      else if (zone.type === 'dmesg') {
        if (header.datalen > bs) state = 'overtop';
        else {
          kmsg = head.length >= PSZ_BUFFER_HEADER_SIZE + hdr ? decodeKmsgHeader(head, this.arch, PSZ_BUFFER_HEADER_SIZE) : null;
          if (!kmsg || kmsg.magic !== PSTORE_KMSG_HEADER_MAGIC) state = 'bad-magic';
          else state = header.datalen === 0 ? 'erased' : 'valid';
        }
      } else if (header.datalen > bs || header.start > bs) state = 'overtop';
      else if (header.datalen === 0) state = 'empty';
      else if (header.start > header.datalen) state = 'invalid';
      else state = 'valid';
      return { zone, header, state, kmsg };
    });
  }

  /** Why the kernel would show nothing at all (its recovery fails), or null. */
  recoveryProblem(): Error | null {
    return this.current.recoveryError;
  }

  /** Forget cached records and re-attach, as the next boot would see the device. */
  invalidate(): void {
    this.cachedFiles = null;
    this.current = this.boot();
  }
}

function isBlank(b: Uint8Array): boolean {
  return b.every((x) => x === 0) || b.every((x) => x === 0xff);
}

function definedOnly(p: BlkModuleParams): BlkModuleParams {
  const out: BlkModuleParams = {};
  for (const [k, v] of Object.entries(p) as [keyof BlkModuleParams, number | undefined][]) if (v !== undefined) out[k] = v;
  return out;
}
