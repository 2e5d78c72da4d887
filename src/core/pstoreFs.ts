import type { Arch } from '../backends/ramoops/arch.js';
import { DecompressError } from '../errors.js';
import type { PstoreBackend } from './backend.js';
import { formatFtraceText, type SymbolMap } from './ftrace.js';
import { pstoreFileName, type BackendRecord, type PstoreFile, type RecordTime } from './record.js';

/** Tries the compressors a reading kernel would use; null when none accepts the data. */
export type DecompressFn = (data: Uint8Array, maxOut: number) => { name: string; data: Uint8Array } | null;

export interface PstoreFsOptions {
  /** null: the reading kernel has compression off (`pstore.compress=none`): compressed records stay `.enc.z`. */
  decompress: DecompressFn | null;
  /** Largest decompressed size the kernel accepts (big_oops_buf, or 3 × bufsize from 6.6). */
  maxUnzipped: number;
  arch: Arch;
  /** Resolve ftrace addresses (`%ps`, `%pS`) with the crashed kernel's System.map. */
  symbols?: SymbolMap | null;
  /**
   * ftrace: walk the records as the kernel does, with the ECC notice counted
   * into the length (what /sys/fs/pstore shows; default), or decode them correctly.
   */
  ftraceWalk?: 'kernel' | 'correct';
}

const encoder = new TextEncoder();

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/**
 * What /sys/fs/pstore shows for a backend's records: decompression with the
 * ECC notice appended after it, `.enc.z` for records that do not decompress,
 * the ftrace text view, and the kernel's rules that a record read as zero
 * bytes ends the enumeration and a second record with the same type and id
 * is dropped (pstore_get_backend_records, pstore_mkfile).
 */
export function pstoreFiles(backend: PstoreBackend, options: PstoreFsOptions): PstoreFile[] {
  const files: PstoreFile[] = [];
  const seen = new Set<string>();
  for (const record of backend.read()) {
    // psi->read() returned size <= 0 ("no more records"); the size excludes
    // the ECC notice, so a header-only dmesg record ends the list even with ECC.
    if (record.data.length === 0) break;
    const key = `${record.type}/${record.idText ?? record.id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    files.push(recordToFile(backend.name, record, options));
  }
  return files;
}

/**
 * The record time as `stat` shows the file: pstore_mkfile copies it into the
 * inode without normalising (a header `.1234567` gives tv_nsec 1234567000),
 * and statx reports tv_nsec as a u32 — the low 32 bits, on 6.1 (whose inode
 * keeps a 64-bit long) as on 6.12 (whose inode keeps a u32 i_mtime_nsec).
 */
export function statTime(t: RecordTime): RecordTime {
  if (t.nsec >= 0 && t.nsec <= 0xffffffff) return t;
  return { sec: t.sec, nsec: Number(BigInt.asUintN(32, BigInt(Math.trunc(t.nsec)))) };
}

export function recordToFile(backendName: string, record: BackendRecord, options: PstoreFsOptions): PstoreFile {
  const notice = encoder.encode(record.eccNotice);
  let content: Uint8Array;
  let stillCompressed = false;
  let compression: string | null = null;
  if (record.type === 'ftrace') {
    const buf = options.ftraceWalk === 'correct' ? record.data : concat(record.data, notice);
    content = formatFtraceText(buf, options.arch, options.symbols ?? null);
  } else if (record.compressed && record.type === 'dmesg') {
    let unzipped: { name: string; data: Uint8Array } | null = null;
    if (options.decompress) {
      try {
        unzipped = options.decompress(record.data, options.maxUnzipped);
      } catch (e) {
        if (!(e instanceof DecompressError)) throw e;
      }
    }
    if (unzipped) {
      content = concat(unzipped.data, notice);
      compression = unzipped.name;
    } else {
      content = concat(record.data, notice);
      stillCompressed = true;
    }
  } else {
    content = concat(record.data, notice);
  }
  return {
    name: pstoreFileName(record.type, backendName, record.idText ?? record.id, stillCompressed),
    type: record.type,
    id: record.id,
    backend: backendName,
    content,
    // A file without a record time gets the mount time; so does a zero time.
    mtime: record.time && record.time.sec !== 0 ? statTime(record.time) : null,
    compressed: record.compressed,
    compression,
    ecc: record.ecc,
    record,
  };
}
