import type { KernelProfile } from './kernel.js';
import { PstoreError } from '../errors.js';
import { KmsgDumpIter, kmsgDumpReasonString, type KmsgDumper } from '../frontends/kmsgDump.js';
import type { PstoreBackend, WriteRecord } from './backend.js';
import { getCompressor, zbufsize } from './compress/registry.js';
import type { Compressor, CompressorName } from './compress/types.js';
import type { RecordTime } from './record.js';
import { formatDumpHeader } from './dumpHeader.js';

/** CONFIG_PSTORE_DEFAULT_KMSG_BYTES. */
export const DEFAULT_KMSG_BYTES = 10240;
/** 6.6+: the compression buffer is bufsize * 100 / 60. */
const DMESG_COMP_PERCENT = 60;

export interface PstoreOptions {
  /** `pstore.compress`: an algorithm, or 'none'. */
  compress: CompressorName | 'none';
  /** Decides the buffer sizing and the fallback when compression fails. */
  kernel: KernelProfile;
  /** pstore.kmsg_bytes. */
  kmsgBytes?: number;
  /** Wall clock for record times (ktime_get_real_fast_ns); injectable for reproducible images. */
  clock?: () => RecordTime;
}

export function systemClock(): RecordTime {
  const ms = Date.now();
  return { sec: Math.floor(ms / 1000), nsec: (ms % 1000) * 1_000_000 };
}

const encoder = new TextEncoder();

/**
 * The pstore core (fs/pstore/platform.c) for one registered backend: the
 * dmesg dumper with its per-boot oops count, header, kmsg_bytes loop and
 * compression, and the console/pmsg/ftrace entry points.
 */
export class Pstore implements KmsgDumper {
  /** Dumps since this "boot" (the `#N` in `Panic#N`). */
  oopscount = 0;
  readonly maxReason: number;
  readonly kmsgBytes: number;
  private readonly compressor: Compressor | null;
  /** big_oops_buf: header + text are built here before compression. */
  private readonly bigBuf: Uint8Array | null;
  private readonly buf: Uint8Array;
  private readonly clock: () => RecordTime;

  constructor(
    readonly backend: PstoreBackend,
    readonly options: PstoreOptions,
  ) {
    this.maxReason = backend.maxReason;
    this.kmsgBytes = options.kmsgBytes ?? DEFAULT_KMSG_BYTES;
    this.clock = options.clock ?? systemClock;
    this.buf = new Uint8Array(backend.bufsize);
    if (options.compress !== 'none' && backend.bufsize > 0) {
      this.compressor = getCompressor(options.compress);
      const modern = options.kernel.compression === 'zlib';
      if (modern && options.compress !== 'deflate') {
        throw new PstoreError(`Linux ${options.kernel.name} compresses with deflate only (asked for ${options.compress})`);
      }
      const size = modern ? Math.floor((backend.bufsize * 100) / DMESG_COMP_PERCENT) : zbufsize(options.compress, backend.bufsize, '6.1');
      this.bigBuf = new Uint8Array(size);
    } else {
      this.compressor = null;
      this.bigBuf = null;
    }
  }

  /** pstore_dump: called by kmsgDump for each admitted reason. */
  dump(reason: number, iter: KmsgDumpIter): void {
    const why = kmsgDumpReasonString(reason);
    const bufsize = this.backend.bufsize;
    if (!bufsize) return;
    iter.rewind();
    this.oopscount++;
    let total = 0;
    let part = 1;
    while (total < this.kmsgBytes) {
      const dst = this.bigBuf ?? this.buf;
      // snprintf into dst: the header is cut to the buffer like the kernel's.
      const header = encoder.encode(formatDumpHeader(why, this.oopscount, part));
      const headerSize = Math.min(header.length, dst.length - 1);
      dst.set(header.subarray(0, headerSize), 0);
      const dumpSize = iter.getBuffer(true, dst.subarray(headerSize), dst.length - headerSize);
      if (dumpSize === false) break;
      const record: WriteRecord = {
        type: 'dmesg',
        reason,
        count: this.oopscount,
        part,
        data: this.buf,
        compressed: false,
        time: this.clock(),
      };
      const len = headerSize + dumpSize;
      if (this.bigBuf && this.compressor) {
        const zipped = this.compressor.compress(this.bigBuf.subarray(0, len), bufsize);
        if (zipped && zipped.length > 0) {
          this.buf.set(zipped, 0);
          record.compressed = true;
          record.data = this.buf.subarray(0, zipped.length);
        } else if (this.options.kernel.compression === 'zlib') {
          // 6.6+: keep the first bufsize bytes of header + text.
          this.buf.set(this.bigBuf.subarray(0, bufsize), 0);
          record.data = this.buf.subarray(0, bufsize);
        } else {
          record.data = this.buf.subarray(0, copyKmsgToBuffer(this.bigBuf, this.buf, headerSize, dumpSize));
        }
      } else {
        record.data = this.buf.subarray(0, len);
      }
      // Like the kernel, keep going after a refused part: it only advances the iterator.
      this.backend.write(record);
      total += record.data.length;
      part++;
    }
  }

  /** Console frontend: one printed line (or any bytes) appended to the console zone. */
  writeConsole(data: Uint8Array): boolean {
    return this.backend.write({ type: 'console', reason: 0, count: 0, part: 0, data, compressed: false, time: this.clock() });
  }

  /** pmsg frontend: bytes written to /dev/pmsg0. */
  writePmsg(data: Uint8Array): boolean {
    const rec: WriteRecord = { type: 'pmsg', reason: 0, count: 0, part: 0, data, compressed: false, time: this.clock() };
    return this.backend.writeUser ? this.backend.writeUser(rec) : false;
  }

  /** ftrace frontend: one encoded pstore_ftrace_record from `cpu`. */
  writeFtrace(data: Uint8Array, cpu: number): boolean {
    return this.backend.write({ type: 'ftrace', reason: 0, count: 0, part: 0, data, compressed: false, time: this.clock(), cpu });
  }
}

/** copy_kmsg_to_buffer (before 6.6): the header plus the newest text that fits. */
function copyKmsgToBuffer(big: Uint8Array, buf: Uint8Array, hsize: number, len: number): number {
  const total = hsize + len;
  if (total <= buf.length) {
    buf.set(big.subarray(0, total), 0);
    return total;
  }
  const diff = total - buf.length + hsize;
  buf.set(big.subarray(0, hsize), 0);
  buf.set(big.subarray(diff, diff + buf.length - hsize), hsize);
  return buf.length;
}
