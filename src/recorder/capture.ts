/**
 * Tee process.stdout / process.stderr into the console zone. console.* write
 * through these streams, so they are captured too. Each chunk is written to
 * the zone first, then handed to the real stream unchanged: whatever reached
 * the terminal is in the image.
 */
import type { Recorder } from './recorder.js';

type WriteFn = (chunk: unknown, encoding?: unknown, cb?: unknown) => boolean;

function chunkBytes(chunk: unknown, encoding: unknown): string | Uint8Array | null {
  if (typeof chunk === 'string') {
    if (typeof encoding === 'string' && encoding !== 'utf8' && encoding !== 'utf-8' && Buffer.isEncoding(encoding)) {
      return new Uint8Array(Buffer.from(chunk, encoding));
    }
    return chunk;
  }
  if (chunk instanceof Uint8Array) return chunk;
  return null;
}

/** The real write of a captured stream (to forward without recording twice). */
const originals = new WeakMap<object, WriteFn>();

/** Write to a stream bypassing the capture (plain write when it is not captured). */
export function writeUncaptured(stream: { write(chunk: string): unknown }, chunk: string): void {
  const original = originals.get(stream);
  if (original) original.call(stream, chunk);
  else stream.write(chunk);
}

export interface CaptureOptions {
  stdout?: boolean;
  stderr?: boolean;
  /** Called once if the recorder fails (e.g. I/O error); capture then stops, output goes on. */
  onError?: (err: unknown) => void;
}

/** Returns the function that puts the original write methods back. */
export function captureStdio(rec: Recorder, options: CaptureOptions = {}): () => void {
  const restore: (() => void)[] = [];
  let failed = false;
  const tee = (stream: NodeJS.WriteStream, level: number): void => {
    const original = stream.write as WriteFn;
    const patched: WriteFn = function (this: NodeJS.WriteStream, chunk, encoding, cb) {
      if (!failed && !rec.closed) {
        try {
          const data = chunkBytes(chunk, encoding);
          if (data !== null) rec.console.write(data, level);
        } catch (e) {
          failed = true;
          options.onError?.(e);
        }
      }
      return original.call(this, chunk, encoding, cb);
    };
    (stream as { write: WriteFn }).write = patched;
    originals.set(stream, original);
    restore.push(() => {
      originals.delete(stream);
      if ((stream as { write: WriteFn }).write === patched) (stream as { write: WriteFn }).write = original;
    });
  };
  if (options.stdout ?? true) tee(process.stdout, 6);
  if (options.stderr ?? true) tee(process.stderr, 3);
  return () => {
    for (const r of restore.splice(0)) r();
  };
}
