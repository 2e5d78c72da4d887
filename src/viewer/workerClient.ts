/**
 * Runs one request in a fresh worker with a deadline. A hostile image cannot
 * freeze the tab: the work is off the main thread, and a worker that does not
 * answer in time is terminated.
 */
import type { WorkerRequest, WorkerResponse } from './protocol.js';

/** `?decodeTimeout=MS` overrides the deadline (tests use it to exercise the timeout). */
export const DEFAULT_TIMEOUT_MS = ((): number => {
  const v = Number(new URLSearchParams(globalThis.location?.search ?? '').get('decodeTimeout'));
  return Number.isFinite(v) && v > 0 ? v : 20_000;
})();
export const CANCELLED = 'Cancelled';

let cancelCurrent: (() => void) | null = null;

/** Stops the request in flight (a new image or layout supersedes it); it resolves as Cancelled. */
export function cancelWorker(): void {
  cancelCurrent?.();
}

export function runInWorker(req: WorkerRequest, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<WorkerResponse> {
  cancelWorker();
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  return new Promise((resolve) => {
    let done = false;
    const finish = (msg: WorkerResponse): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      worker.terminate();
      if (cancelCurrent === cancel) cancelCurrent = null;
      resolve(msg);
    };
    const fail = (errorName: string, message: string): void => finish({ kind: 'failed', failure: { errorName, message } });
    const cancel = (): void => fail(CANCELLED, 'superseded by a newer request');
    cancelCurrent = cancel;
    const timer = setTimeout(
      () => fail('Timeout', `decoding took longer than ${Math.round(timeoutMs / 1000)} s and was stopped: the image or layout is probably not a ramoops region`),
      timeoutMs,
    );
    worker.onmessage = (ev: MessageEvent<WorkerResponse>) => finish(ev.data);
    worker.onerror = (ev: ErrorEvent) => {
      ev.preventDefault();
      fail('WorkerError', `the decoder crashed: ${ev.message || 'unknown error'}`);
    };
    worker.onmessageerror = () => fail('WorkerError', 'the decoder sent an unreadable answer');
    // Structured clone copies the bytes: the page keeps its own for the next layout.
    worker.postMessage(req);
  });
}
