/**
 * What every image kind offers the read commands: the files /sys/fs/pstore
 * would show and a one-line description. RamoopsImage (persistent RAM) and
 * BlkImage (pstore/zone on a block device) both implement it; code that needs
 * more switches on `kind`.
 */
import type { Arch } from '../backends/ramoops/arch.js';
import type { KernelProfile } from '../core/kernel.js';
import type { PstoreBackend } from '../core/backend.js';
import { deflateDecompress } from '../core/compress/deflate.js';
import { decompressLimit, getCompressor } from '../core/compress/registry.js';
import type { CompressorName } from '../core/compress/types.js';
import type { SymbolMap } from '../core/ftrace.js';
import { pstoreFiles, type DecompressFn } from '../core/pstoreFs.js';
import type { PstoreFile } from '../core/record.js';
import { DecompressError, NotFoundError } from '../errors.js';
import type { Region } from '../region/region.js';

export type PstoreImageKind = 'ramoops' | 'blk' | 'efi';

export interface PstoreImage {
  readonly kind: PstoreImageKind;
  /** The bytes the backend owns (a window of the file with --offset). */
  readonly region: Region;
  /** The files /sys/fs/pstore would show, in the kernel's read order. */
  files(): PstoreFile[];
  /** One file by name; NotFoundError listing the names otherwise. */
  file(name: string): PstoreFile;
  /** e.g. `ramoops region of 0x100000 bytes, 15 dmesg zones, ecc 16, kernel 6.1`. */
  describe(): string;
  /** Forget cached records (after a write). */
  invalidate(): void;
}

/** The file called `name`, or a NotFoundError that lists the names there are. */
export function findFile(files: readonly PstoreFile[], name: string): PstoreFile {
  const f = files.find((x) => x.name === name);
  if (!f) {
    const names = files.map((x) => x.name);
    throw new NotFoundError(`no record named '${name}' (records: ${names.length ? names.join(', ') : 'none'})`);
  }
  return f;
}

/** `rm /sys/fs/pstore/NAME`: the backend erases the record's zone (any image kind). */
export function removeNamedRecord(image: PstoreImage & { readonly backend: PstoreBackend }, name: string): void {
  const file = findFile(image.files(), name);
  image.backend.erase(file.type, file.id, file.record.idText);
  image.invalidate();
}

/** Order in which compressors are tried when the user does not say which one wrote a record. */
export const AUTO_COMPRESSORS: readonly CompressorName[] = ['deflate', 'zstd', 'lz4', 'lzo', '842'];

/**
 * The reading kernel's decompression step: its compressor (or each candidate,
 * for `auto`) with the output limit of that kernel (big_oops_buf before 6.6,
 * 3 × bufsize from 6.6). null: compression off, records stay `.enc.z`.
 */
export function decompressorFor(compress: 'auto' | 'none' | CompressorName | undefined, bufsize: number, profile: '6.1' | '6.12'): DecompressFn | null {
  if (compress === 'none') return null;
  const names = !compress || compress === 'auto' ? AUTO_COMPRESSORS : [compress];
  // 6.6+ inflates in one Z_FINISH call: no 6.1-style retry with an extra zero byte.
  const decompress = (name: CompressorName, data: Uint8Array, limit: number): Uint8Array =>
    name === 'deflate' && profile === '6.12' ? deflateDecompress(data, limit, { zeroByteRetry: false }) : getCompressor(name).decompress(data, limit);
  return (data) => {
    for (const name of names) {
      try {
        return { name, data: decompress(name, data, decompressLimit(name, bufsize, profile)) };
      } catch (e) {
        if (!(e instanceof DecompressError)) throw e;
      }
    }
    return null;
  };
}

/** Reading options every image kind shares. */
export interface FileViewOptions {
  compress?: 'auto' | 'none' | CompressorName;
  symbols?: SymbolMap | null;
  ftraceWalk?: 'kernel' | 'correct';
}

/** The files a kernel of this profile shows for a backend's records. */
export function backendFiles(backend: PstoreBackend, kernel: KernelProfile, arch: Arch, options: FileViewOptions): PstoreFile[] {
  return pstoreFiles(backend, {
    decompress: decompressorFor(options.compress, backend.bufsize, kernel.compression === 'zlib' ? '6.12' : '6.1'),
    maxUnzipped: 0,
    arch,
    symbols: options.symbols ?? null,
    ftraceWalk: options.ftraceWalk,
  });
}
