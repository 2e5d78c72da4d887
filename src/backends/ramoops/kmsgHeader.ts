import type { RecordTime } from '../../core/record.js';

/** RAMOOPS_KERNMSG_HDR: every dmesg record starts with it. */
export const KERNMSG_HDR = '====';

export interface KmsgHeader {
  time: RecordTime;
  compressed: boolean;
  /** Bytes the header takes (the `%n` of the kernel's sscanf). */
  length: number;
}

/** The kernel's isspace (lib/ctype.c): also 0xa0, Latin-1 no-break space. */
export const isKernelSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0;
const isSpace = isKernelSpace;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

function skipSpaces(b: Uint8Array, i: number): number {
  while (i < b.length && isSpace(b[i])) i++;
  return i;
}

/**
 * A decimal conversion as the kernel's vsscanf reads it (simple_strntoull):
 * digits accumulate modulo 2^64 without an overflow check, `-` negates
 * (simple_strntoll). Returns the 64-bit two's-complement value; null when no digits.
 */
function scanNumber(b: Uint8Array, i: number, signed: boolean): { value: bigint; next: number } | null {
  i = skipSpaces(b, i);
  let neg = false;
  if (signed && b[i] === 0x2d) {
    neg = true;
    i++;
  }
  if (i >= b.length || !isDigit(b[i])) return null;
  let v = 0n;
  // Accumulate in chunks of 15 digits (exact in a double), wrapping to 64 bits.
  while (i < b.length && isDigit(b[i])) {
    let chunk = 0;
    let scale = 1;
    while (i < b.length && isDigit(b[i]) && scale < 1e15) {
      chunk = chunk * 10 + (b[i++] - 0x30);
      scale *= 10;
    }
    v = BigInt.asUintN(64, v * BigInt(scale) + BigInt(chunk));
  }
  return { value: BigInt.asIntN(64, neg ? -v : v), next: i };
}

/**
 * The record time exactly as ramoops_read_kmsg_hdr leaves it: tv_sec the
 * `%lld`, tv_nsec the `%lu` times 1000 in a 64-bit long, wrapping and not
 * normalised (`.1234567` is 1234567000 ns). Values past ±2^53 lose precision
 * as JavaScript numbers (headers with 13 or more digits after the dot).
 */
function kernelTime(sec: bigint, usec: bigint): RecordTime {
  return { sec: Number(sec), nsec: Number(BigInt.asIntN(64, usec * 1000n)) };
}

/**
 * ramoops_read_kmsg_hdr: `====%lld.%lu-%c\n%n`, else `====%lld.%lu\n%n`
 * (legacy, uncompressed). Returns null where the kernel finds no header (it
 * then zaps the zone and shows nothing). A `\n` in a scanf format matches any
 * run of white space, including none.
 */
export function parseKmsgHeader(b: Uint8Array): KmsgHeader | null {
  if (b.length < 4 || b[0] !== 0x3d || b[1] !== 0x3d || b[2] !== 0x3d || b[3] !== 0x3d) return null;
  const sec = scanNumber(b, 4, true);
  if (!sec || b[sec.next] !== 0x2e) return null;
  const usec = scanNumber(b, sec.next + 1, false);
  if (!usec) return null;
  let i = usec.next;
  const time = (): RecordTime => kernelTime(sec.value, usec.value);
  // `%c` fails on a NUL (vsscanf stops at the end of the string); then the
  // legacy format matches and the header ends before the '-'. Past the end of
  // the old log the kernel reads whatever follows in its buffer: we take a NUL.
  if (b[i] === 0x2d && i + 1 < b.length && b[i + 1] !== 0) {
    const type = b[i + 1];
    i = skipSpaces(b, i + 2);
    return { time: time(), compressed: type === 0x43 /* 'C' */, length: i };
  }
  return { time: time(), compressed: false, length: skipSpaces(b, i) };
}

/** ramoops_write_kmsg_hdr: `====%lld.%06lu-%c\n`. */
export function formatKmsgHeader(time: RecordTime, compressed: boolean): string {
  const usec = Math.floor(time.nsec / 1000);
  return `${KERNMSG_HDR}${time.sec}.${String(usec).padStart(6, '0')}-${compressed ? 'C' : 'D'}\n`;
}
