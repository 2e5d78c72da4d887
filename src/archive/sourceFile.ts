/**
 * One file of the source as the archive sees it: its name, exact bytes and
 * mtime. A live /sys/fs/pstore and an extracted directory give their stat
 * times (nanoseconds); an image gives record times, or the archive's clock
 * where the kernel would show its mount time.
 */
import type { RecordTime } from '../core/record.js';

export interface SourceFile {
  name: string;
  /** Path relative to a directory source when it is not `name` (a file in a subdirectory, e.g. systemd-pstore's archive). */
  path?: string;
  content: Uint8Array;
  mtime: RecordTime;
  /** The mtime is a record time (dmesg), not a mount time. */
  recordTime: boolean;
}

export function timeFromNs(ns: bigint): RecordTime {
  return { sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) };
}

export function timeFromDate(d: Date): RecordTime {
  const ms = d.getTime();
  return { sec: Math.floor(ms / 1000), nsec: (ms % 1000) * 1_000_000 };
}

/** `2024-01-01T00:00:11.000000000Z`: ISO 8601 with every nanosecond. */
export function isoNs(t: RecordTime): string {
  return `${new Date(t.sec * 1000).toISOString().slice(0, 19)}.${String(t.nsec).padStart(9, '0')}Z`;
}

export function compareTime(a: RecordTime, b: RecordTime): number {
  return a.sec - b.sec || a.nsec - b.nsec;
}
