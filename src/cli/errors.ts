/** Turning any failure into the CLI's one line on stderr and an exit status. */
import { PstoreError } from '../errors.js';
import { describeFsError } from '../node/fileRegion.js';

export const EXIT_DATA = 1;
export const EXIT_USAGE = 2;

export interface ErrorReport {
  /** `pstore: <message>`, one line, newline-terminated. */
  text: string;
  exitCode: number;
}

const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, '; ').trim();

/**
 * PstoreErrors print their message and carry their exit status; errno errors
 * that escaped become file errors; anything else is a bug and says so (the
 * stack only with PSTORE_DEBUG=1).
 */
export function reportError(e: unknown, debug = false): ErrorReport {
  const err = describeFsError(e, 'access', e && typeof e === 'object' && 'path' in e ? String((e as { path: unknown }).path) : 'file');
  if (err instanceof PstoreError) {
    let text = `pstore: ${oneLine(err.message)}\n`;
    if (debug && err.stack) text += err.stack + '\n';
    return { text, exitCode: err.exitCode };
  }
  const msg = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  let text = `pstore: internal error: ${oneLine(msg)} (bug: run with PSTORE_DEBUG=1 for a stack trace)\n`;
  if (debug && err instanceof Error && err.stack) text += err.stack + '\n';
  return { text, exitCode: EXIT_DATA };
}
