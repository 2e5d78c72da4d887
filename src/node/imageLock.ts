/**
 * One writer per image. Node has no flock(), so the lock is a sibling file
 * `<image>.lock`, created with O_CREAT|O_EXCL (atomic on local file systems),
 * holding the owner's identity: pid, host, boot id and the process start time
 * (Linux /proc). A lock is stale when its owner is gone: other boot, no such
 * pid, or the pid now belongs to a process started at another time (pid reuse,
 * e.g. a container whose service is always pid 1). A lock from another host is
 * never judged stale. Threads share the pid, so a second open from a worker of
 * the owning process is refused too.
 */
import { closeSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { PstoreError } from '../errors.js';
import { describeFsError } from './fsErrors.js';

/** The image is already open for writing by a live process (or this one). */
export class ImageLockedError extends PstoreError {
  constructor(
    message: string,
    /** Holder's pid when known. */
    readonly pid?: number,
  ) {
    super(message);
  }
}

export interface ImageLock {
  readonly lockPath: string;
  release(): void;
}

interface Owner {
  pid: number;
  host: string;
  boot: string;
  /** /proc/<pid>/stat starttime (clock ticks since boot); '' where unknown. */
  start: string;
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function startTimeOf(pid: number): string {
  const stat = readText(`/proc/${pid}/stat`);
  // Field 22; the command name (field 2) may hold spaces, so count from its ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19] ?? '';
}

const bootId = (): string => readText('/proc/sys/kernel/random/boot_id').trim();

function self(): Owner {
  return { pid: process.pid, host: hostname(), boot: bootId(), start: startTimeOf(process.pid) };
}

function parseOwner(text: string): Owner | null {
  const [pid, host = '', boot = '', start = ''] = text.trim().split(/\s+/);
  const n = Number(pid);
  return Number.isSafeInteger(n) && n > 0 ? { pid: n, host, boot: boot === '-' ? '' : boot, start: start === '-' ? '' : start } : null;
}

function isAlive(o: Owner): boolean {
  if (o.host !== hostname()) return true;
  const boot = bootId();
  if (o.boot && boot && o.boot !== boot) return false;
  try {
    process.kill(o.pid, 0);
  } catch (e) {
    // EPERM: it exists but belongs to another user.
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const start = startTimeOf(o.pid);
  return !(o.start && start && o.start !== start);
}

/** Locks this thread holds (absolute image paths). */
const held = new Set<string>();

/**
 * Take the advisory lock of `imagePath`. Throws ImageLockedError naming the
 * holder when a live process (this one included) has it.
 */
export function lockImage(imagePath: string): ImageLock {
  const abs = resolve(imagePath);
  const lockPath = `${abs}.lock`;
  if (held.has(abs)) throw new ImageLockedError(`'${imagePath}' is already open for writing in this thread`, process.pid);
  const me = self();
  const line = `${me.pid} ${me.host} ${me.boot || '-'} ${me.start || '-'}\n`;
  for (let attempt = 0; attempt < 4; attempt++) {
    let fd: number;
    try {
      fd = openSync(lockPath, 'wx', 0o644);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw describeFsError(e, 'create lock file', lockPath);
      const owner = parseOwner(readText(lockPath));
      if (!owner && attempt === 0) {
        // Its creator writes the owner line right after creating it: look again shortly.
        const until = Date.now() + 25;
        while (Date.now() < until) {
          /* brief wait; this runs once, at open */
        }
        continue;
      }
      if (owner && isAlive(owner)) {
        const who = owner.pid === process.pid && owner.start === me.start ? `this process (pid ${owner.pid}, another thread)` : `process ${owner.pid}${owner.host !== me.host ? ` on ${owner.host}` : ''}`;
        throw new ImageLockedError(`'${imagePath}' is open for writing by ${who}; lock file ${lockPath}`, owner.pid);
      }
      // Stale (or unreadable after a wait): move it aside atomically so only one taker wins, then retry O_EXCL.
      const aside = `${lockPath}.stale.${process.pid}.${attempt}`;
      try {
        renameSync(lockPath, aside);
        unlinkSync(aside);
      } catch {
        /* another process took it over first; the next attempt decides */
      }
      continue;
    }
    try {
      writeSync(fd, line);
    } catch (e) {
      // A full file system: no lock without its owner line (others would wait for it, then take it over).
      closeSync(fd);
      unlinkSync(lockPath);
      throw describeFsError(e, 'write lock file', lockPath);
    }
    closeSync(fd);
    held.add(abs);
    let released = false;
    return {
      lockPath,
      release(): void {
        if (released) return;
        released = true;
        held.delete(abs);
        const owner = parseOwner(readText(lockPath));
        if (owner && owner.pid === me.pid && owner.start === me.start) {
          try {
            unlinkSync(lockPath);
          } catch {
            /* already gone */
          }
        }
      },
    };
  }
  throw new ImageLockedError(`cannot take the lock '${lockPath}' (contended)`);
}
