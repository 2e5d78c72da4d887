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
 * The closest time utimensat accepts for an inode time (which may hold
 * tv_nsec >= 1e9 or < 0, as pstore_mkfile copies record times unnormalised):
 * the same seconds — what `ls -l`, `stat -c %Y` and tar show — with the
 * nanoseconds clamped into 0..999999999 (utimensat refuses others with EINVAL).
 */
export function settableFileTime(t: RecordTime): RecordTime {
  return { sec: t.sec, nsec: Math.min(Math.max(t.nsec, 0), 999_999_999) };
}

/**
 * Seconds as a double for utimes. libuv truncates to microseconds, and a
 * double near 1.7e9 is off by up to ~0.1 µs, so half a microsecond is added:
 * record times (sec.usec) then land exactly.
 */
export function utimesSeconds(t: RecordTime): number {
  // Never past the last microsecond of the second: the seconds must stay.
  return t.sec + Math.min(t.nsec + 500, 999_999_000) / 1e9;
}
