/** Messages between the page and the decode worker. */
import type { BackendKind, DecodeFailure, ImageModel, LayoutChoice } from './model.js';

export type WorkerRequest = { kind: 'decode'; bytes: Uint8Array; choice: LayoutChoice } | { kind: 'detect'; bytes: Uint8Array };

export type WorkerResponse =
  | { kind: 'decoded'; model: ImageModel }
  | { kind: 'detected'; choice: LayoutChoice | null; source: 'scan' | 'none'; found: BackendKind | null }
  | { kind: 'failed'; failure: DecodeFailure };
