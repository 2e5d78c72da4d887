/** The process-wide recorder that `linux-pstore/register` installs (shared across module copies). */
import type { Recorder } from './recorder.js';

const KEY = Symbol.for('pstore.recorder');
type Holder = { [KEY]?: Recorder };

export function setGlobalRecorder(rec: Recorder | null): void {
  const g = globalThis as Holder;
  if (rec) g[KEY] = rec;
  else delete g[KEY];
}

/** The recorder installed by `linux-pstore/register`, if any (and still open). */
export function getGlobalRecorder(): Recorder | null {
  const rec = (globalThis as Holder)[KEY];
  return rec && !rec.closed ? rec : null;
}
