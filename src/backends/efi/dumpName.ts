/**
 * efi-pstore's record naming (drivers/firmware/efi/efi-pstore.c): a dump part
 * is the UEFI variable `dump-type<type>-<part>-<count>-<seconds>-<C|D>`
 * under LINUX_EFI_CRASH_GUID, and /sys/fs/pstore shows it with the id
 * `(seconds * 100 + part) * 1000 + count` (u64 arithmetic). The reader
 * accepts two older forms too (without the C/D flag, and without the count).
 * Parsing follows the kernel's sscanf, so odd names get the kernel's answer.
 */
import type { KernelProfile } from '../ramoops/kernelProfile.js';

/** The kernel's name buffer: UCS-2 names are converted to at most this many UTF-8 bytes. */
export const DUMP_NAME_LEN = 66;
/** EFIVARS_DATA_SIZE_MAX (6.1) and the default / minimum `record_size` of later kernels. */
export const EFI_PSTORE_RECORD_SIZE = 1024;

/** What differs between kernel versions. */
export interface EfiPstoreProfile {
  /** `efi` up to 6.1; KBUILD_MODNAME `efi_pstore` from 6.2. */
  backendName: string;
  /** psinfo->bufsize, and the most data a read accepts (larger variables end the read with an error). */
  recordSize: number;
  /** Buffer (bytes) offered to GetNextVariableName: longer names end the read with an error. */
  varNameSize: number;
}

/**
 * The efi-pstore of a kernel. `recordSize` is the `efi_pstore.record_size`
 * module parameter (from 6.8; raised to 1024 when smaller); 6.1 ignores it.
 */
export function efiPstoreProfile(kernel: KernelProfile, recordSize?: number): EfiPstoreProfile {
  const v = kernel.major * 1000 + kernel.minor;
  const size = v >= 6003 ? Math.max(recordSize ?? EFI_PSTORE_RECORD_SIZE, EFI_PSTORE_RECORD_SIZE) : EFI_PSTORE_RECORD_SIZE;
  return {
    backendName: v >= 6002 ? 'efi_pstore' : 'efi',
    recordSize: size,
    varNameSize: v >= 6008 ? 512 : 1024,
  };
}

/** A variable name that efi-pstore reads as a record. */
export interface DumpName {
  /** enum pstore_type_id (0 = dmesg). */
  type: number;
  part: number;
  /** Signed, as the kernel's `int count`. */
  count: number;
  /** Seconds (u64), the file's mtime. */
  time: bigint;
  compressed: boolean;
  /** The file id (u64). */
  id: bigint;
  /** Which of the kernel's three patterns matched. */
  form: 'dump-type%u-%u-%d-%llu-%c' | 'dump-type%u-%u-%d-%llu' | 'dump-type%u-%u-%llu';
}

const U64 = (n: bigint): bigint => BigInt.asUintN(64, n);

/** generic_id(): (timestamp * 100 + part) * 1000 + count, modulo 2^64. */
export function genericId(time: bigint, part: number, count: number): bigint {
  return U64(U64(U64(time * 100n) + BigInt(part)) * 1000n + U64(BigInt(count)));
}

/** ucs2_as_utf8(dest, src, DUMP_NAME_LEN): at most `max` bytes, characters cut whole. */
export function ucs2AsUtf8(units: readonly number[], max = DUMP_NAME_LEN): Uint8Array {
  const out: number[] = [];
  let left = max;
  const limit = Math.min(units.length, max);
  for (let i = 0; left && i < limit; i++) {
    const c = units[i];
    if (c >= 0x800) {
      if (left < 3) break;
      left -= 3;
      out.push(0xe0 | ((c & 0xf000) >> 12), 0x80 | ((c & 0x0fc0) >> 6), 0x80 | (c & 0x3f));
    } else if (c >= 0x80) {
      if (left < 2) break;
      left -= 2;
      out.push(0xc0 | ((c & 0x7c0) >> 6), 0x80 | (c & 0x3f));
    } else {
      left -= 1;
      out.push(c & 0x7f);
    }
  }
  return Uint8Array.from(out);
}

/** The kernel's isspace(): \t \n \v \f \r, space and 0xA0. */
const isSpace = (c: number): boolean => (c >= 9 && c <= 13) || c === 32 || c === 0xa0;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

type Conv = 'u' | 'd' | 'llu' | 'c';

/**
 * The kernel's vsscanf for the formats efi-pstore uses: literals, %u, %d,
 * %llu and %c. Returns the converted values (as many as matched).
 * Integers skip leading white space, take a '-' only for %d, keep every
 * following digit and wrap like simple_strntoull; %u and %d then truncate to
 * 32 bits.
 */
function kernelSscanf(s: Uint8Array, format: readonly (string | Conv)[]): (bigint | number)[] {
  const out: (bigint | number)[] = [];
  let i = 0;
  const at = (k: number): number => (k < s.length ? s[k] : 0);
  for (const item of format) {
    if (item !== 'u' && item !== 'd' && item !== 'llu' && item !== 'c') {
      for (const ch of item) {
        if (at(i) !== ch.charCodeAt(0)) return out;
        i++;
      }
      continue;
    }
    if (!at(i)) return out;
    if (item === 'c') {
      out.push(at(i++));
      continue;
    }
    while (isSpace(at(i))) i++;
    let neg = false;
    if (item === 'd' && at(i) === 0x2d) {
      neg = true;
      i++;
    }
    if (!isDigit(at(i))) return out;
    let v = 0n;
    while (isDigit(at(i))) v = U64(v * 10n + BigInt(at(i++) - 0x30));
    if (neg) v = U64(-v);
    if (item === 'llu') out.push(v);
    else if (item === 'u') out.push(Number(BigInt.asUintN(32, v)));
    else out.push(Number(BigInt.asIntN(32, v)));
  }
  return out;
}

const CURRENT: (string | Conv)[] = ['dump-type', 'u', '-', 'u', '-', 'd', '-', 'llu', '-', 'c'];
const NO_FLAG: (string | Conv)[] = ['dump-type', 'u', '-', 'u', '-', 'd', '-', 'llu'];
const OLD: (string | Conv)[] = ['dump-type', 'u', '-', 'u', '-', 'llu'];

/**
 * efi_pstore_read_func's name check on the UTF-8 form of the variable name
 * (see ucs2AsUtf8); null when the kernel does not take it for a record.
 */
export function parseDumpName(utf8: Uint8Array): DumpName | null {
  let r = kernelSscanf(utf8, CURRENT);
  if (r.length === 5) {
    const [type, part, count, time, flag] = r as [number, number, number, bigint, number];
    return { type, part, count, time, compressed: flag === 0x43, id: genericId(time, part, count), form: 'dump-type%u-%u-%d-%llu-%c' };
  }
  r = kernelSscanf(utf8, NO_FLAG);
  if (r.length === 4) {
    const [type, part, count, time] = r as [number, number, number, bigint];
    return { type, part, count, time, compressed: false, id: genericId(time, part, count), form: 'dump-type%u-%u-%d-%llu' };
  }
  r = kernelSscanf(utf8, OLD);
  if (r.length === 3) {
    const [type, part, time] = r as [number, number, bigint];
    return { type, part, count: 0, time, compressed: false, id: genericId(time, part, 0), form: 'dump-type%u-%u-%llu' };
  }
  return null;
}

/** The variable name efi_pstore_write gives a record. */
export function dumpVariableName(type: number, part: number, count: number, sec: number, compressed: boolean): string {
  return `dump-type${type >>> 0}-${part >>> 0}-${count | 0}-${sec}-${compressed ? 'C' : 'D'}`;
}
