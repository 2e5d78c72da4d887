/**
 * A pino destination: `pino({}, pstoreDestination())`. Each JSON line goes to
 * the console zone and the log buffer at the syslog level matching pino's
 * numeric level, then (by default) on to stdout. Without an explicit recorder
 * it uses the one `linux-pstore/register` installed, and only forwards when none is.
 */
import { writeUncaptured } from './capture.js';
import { getGlobalRecorder } from './global.js';
import type { Recorder } from './recorder.js';

export interface PinoDestinationOptions {
  recorder?: Recorder;
  /** Where lines go after the recorder (default process.stdout; null: nowhere). */
  forward?: { write(chunk: string): unknown } | null;
}

/** pino level (10 trace … 60 fatal) → syslog level. */
export function pinoToSyslog(level: number): number {
  if (level >= 60) return 0;
  if (level >= 50) return 3;
  if (level >= 40) return 4;
  if (level >= 30) return 6;
  return 7;
}

const LEVEL = /"level":(\d+)/;

export function pstoreDestination(options: PinoDestinationOptions = {}): { write(chunk: string): boolean } {
  const forward = options.forward === undefined ? process.stdout : options.forward;
  return {
    write(chunk: string): boolean {
      const rec = options.recorder ?? getGlobalRecorder();
      if (rec && !rec.closed) {
        const m = LEVEL.exec(chunk.length > 200 ? chunk.slice(0, 200) : chunk);
        rec.console.write(chunk, m ? pinoToSyslog(Number(m[1])) : 6);
      }
      // A captured stdout would record the line a second time.
      if (forward) writeUncaptured(forward, chunk);
      return true;
    },
  };
}

export default pstoreDestination;
