/**
 * Which kind of image a file is, and its layout: src/scan finds ramoops
 * regions and pstore/blk devices by their zone headers. The scanner is
 * loaded only when asked (its own chunk).
 */
import type { AnyInferredLayout } from '../scan/index.js';
import type { BackendKind, LayoutChoice } from './model.js';

/** The form's layout for what the scan inferred. */
export function choiceFromInferred(found: AnyInferredLayout): LayoutChoice {
  const common = { kernel: found.kernel, arch: found.arch, ftraceCpus: found.ftraceCpus, offset: found.offset };
  if (found.backend === 'blk') return { backend: 'blk', params: {}, blk: found.params, deviceSize: found.deviceSize, ...common };
  return { backend: 'ramoops', params: found.params ?? {}, ...common };
}

export interface Detection {
  choice: LayoutChoice | null;
  /** 'scan' when a region was found. */
  source: 'scan' | 'none';
  kind: BackendKind | null;
}

export async function detectLayout(bytes: Uint8Array): Promise<Detection> {
  const { inferAnyLayout } = await import('../scan/index.js');
  const found = inferAnyLayout(bytes);
  if (!found) return { choice: null, source: 'none', kind: null };
  return { choice: choiceFromInferred(found), source: 'scan', kind: found.backend };
}
