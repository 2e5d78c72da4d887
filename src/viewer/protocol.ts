/** Messages between the page and the decode worker. */
import type { DecodeFailure, ImageModel, LayoutChoice } from './model.js';

export type WorkerRequest = { kind: 'decode'; bytes: Uint8Array; choice: LayoutChoice } | { kind: 'detect'; bytes: Uint8Array };

export type WorkerResponse =
  | { kind: 'decoded'; model: ImageModel }
  | { kind: 'detected'; choice: LayoutChoice | null; source: 'scan' | 'none' | 'unavailable' }
  | { kind: 'failed'; failure: DecodeFailure };
