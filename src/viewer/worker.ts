/** The decode worker: one request per worker; the page terminates it on timeout. */
import { decodeImage, describeFailure } from './decode.js';
import { detectLayout } from './detect.js';
import type { WorkerRequest, WorkerResponse } from './protocol.js';

const post = (msg: WorkerResponse): void => (self as unknown as Worker).postMessage(msg);

self.onmessage = async (ev: MessageEvent<WorkerRequest>) => {
  const req = ev.data;
  try {
    if (req.kind === 'decode') {
      post({ kind: 'decoded', model: decodeImage(req.bytes, req.choice) });
    } else {
      const d = await detectLayout(req.bytes);
      post({ kind: 'detected', choice: d.choice, source: d.source, found: d.kind });
    }
  } catch (e) {
    post({ kind: 'failed', failure: describeFailure(e) });
  }
};
