/** node:fs errors as one line a user can act on (`cannot open 'x': no such file or directory`). */
import { PstoreError } from '../errors.js';

/** A file system error turned into one line a user can act on. */
export class FileAccessError extends PstoreError {
  constructor(
    message: string,
    /** errno code such as ENOENT, when there was one. */
    readonly code?: string,
  ) {
    super(message);
  }
}

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'a path component is not a directory',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EEXIST: 'already exists',
  ENOTEMPTY: 'directory not empty',
  EMFILE: 'too many open files',
  EBUSY: 'device or resource busy',
  EIO: 'input/output error',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'file name too long',
  EFBIG: 'file too large',
};

function errnoCode(e: unknown): string | undefined {
  if (e && typeof e === 'object' && 'code' in e && typeof (e as { code: unknown }).code === 'string') return (e as { code: string }).code;
  return undefined;
}

/**
 * Turns an exception from node:fs into a FileAccessError (`cannot open 'x': no
 * such file or directory`); anything that is not an errno error is returned unchanged.
 */
export function describeFsError(e: unknown, action: string, path: string): unknown {
  if (e instanceof PstoreError) return e;
  const code = errnoCode(e);
  if (!code) return e;
  const reason = REASONS[code] ?? (e instanceof Error ? e.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '') : code);
  return new FileAccessError(`cannot ${action} '${path}': ${reason}`, code);
}
