/**
 * Worker threads never open the image (one writer per image, and a worker's
 * writes would race the main thread's). They send lines to the main thread
 * over a BroadcastChannel; the main thread writes them in arrival order, so
 * every write to the file stays on one thread. A line is in the image once the
 * main thread has handled the message: a kill before that loses it (a worker's
 * own stdout, relayed by Node through the main thread, has the same window).
 */
import { BroadcastChannel } from 'node:worker_threads';
import type { LogLevel, Recorder } from './recorder.js';

export const RECORDER_CHANNEL = 'pstore-recorder';

type WorkerMessage = { kind: 'console'; data: string | Uint8Array; level?: LogLevel } | { kind: 'log'; level: LogLevel; text: string } | { kind: 'pmsg'; data: string | Uint8Array };

/** Main thread: accept lines from workers. Returns the function that stops listening. */
export function acceptWorkerLogs(rec: Recorder, channel = RECORDER_CHANNEL): () => void {
  const bc = new BroadcastChannel(channel);
  bc.onmessage = (ev: unknown): void => {
    const msg = (ev as { data: WorkerMessage }).data;
    if (rec.closed || !msg || typeof msg !== 'object') return;
    try {
      if (msg.kind === 'log') rec.log(msg.level, String(msg.text));
      else if (msg.kind === 'console') rec.console.write(msg.data, msg.level);
      else if (msg.kind === 'pmsg') rec.pmsg.write(msg.data);
    } catch {
      /* a bad message must not take the service down */
    }
  };
  // Listening must not keep the process alive.
  (bc as unknown as { unref?: () => void }).unref?.();
  return () => bc.close();
}

export interface WorkerLogger {
  log(level: LogLevel, text: string): void;
  console: { write(data: string | Uint8Array, level?: LogLevel): void };
  pmsg: { write(data: string | Uint8Array): void };
  close(): void;
}

/** Worker side: the same calls as a Recorder, posted to the main thread. */
export function workerLogger(channel = RECORDER_CHANNEL): WorkerLogger {
  const bc = new BroadcastChannel(channel);
  (bc as unknown as { unref?: () => void }).unref?.();
  const post = (m: WorkerMessage): void => bc.postMessage(m);
  return {
    log: (level, text) => post({ kind: 'log', level, text }),
    console: { write: (data, level) => post({ kind: 'console', data, level }) },
    pmsg: { write: (data) => post({ kind: 'pmsg', data }) },
    close: () => bc.close(),
  };
}
