/**
 * Nanosecond file times. Node's utimes goes through libuv, which keeps only
 * microseconds; pstore/blk records carry nanoseconds (timespec64), and the
 * kernel gives the file exactly those. coreutils touch calls utimensat with
 * the full value, so it is used where the microsecond call would lose digits.
 */
import { spawnSync } from 'node:child_process';
import type { RecordTime } from '../core/record.js';

/** Set atime and mtime to `t` to the nanosecond; false when no capable `touch` is there (the µs time stays). */
export function setExactFileTime(path: string, t: RecordTime): boolean {
  if (!Number.isSafeInteger(t.sec) || !Number.isInteger(t.nsec) || t.nsec < 0 || t.nsec > 999_999_999) return false;
  const r = spawnSync('touch', ['-c', '-d', `@${t.sec}.${String(t.nsec).padStart(9, '0')}`, '--', path], { stdio: 'ignore', timeout: 5000 });
  return r.status === 0;
}

/**
 * Seconds as a double for utimes. libuv truncates to microseconds, and a
 * double near 1.7e9 is off by up to ~0.1 µs, so half a microsecond is added:
 * record times (sec.usec) then land exactly.
 */
export function utimesSeconds(t: RecordTime): number {
  return t.sec + (t.nsec + 500) / 1e9;
}
