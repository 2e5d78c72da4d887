// Worker entry: Node 20 does not hand the parent's `--import tsx` loader to
// worker threads, so register tsx here before loading the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
