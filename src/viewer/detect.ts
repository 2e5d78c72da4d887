/**
 * Which kind of image a file is, and its layout: src/scan finds ramoops
 * regions and pstore/blk devices by their zone headers and chooseLayout
 * picks the one `--auto` would. The scanner is loaded only when asked (its
 * own chunk).
 */
import { PstoreError } from '../errors.js';
import type { ChosenLayout } from '../scan/index.js';
import type { BackendKind, LayoutChoice } from './model.js';

/** The form's layout for what the scan chose. */
export function choiceFromChosen(chosen: ChosenLayout): LayoutChoice {
  const { kernel, offset } = chosen.options;
  if (chosen.backend === 'efi') return { backend: 'efi', params: {}, kernel, offset };
  const { arch, ftraceCpus } = chosen.options;
  if (chosen.backend === 'blk') return { backend: 'blk', params: {}, blk: chosen.options.params, deviceSize: chosen.options.deviceSize, kernel, arch, ftraceCpus, offset };
  return { backend: 'ramoops', params: chosen.options.params ?? {}, kernel, arch, ftraceCpus, offset };
}

export interface Detection {
  choice: LayoutChoice | null;
  /** 'scan' when a region was found. */
  source: 'scan' | 'none';
  kind: BackendKind | null;
}

export async function detectLayout(bytes: Uint8Array): Promise<Detection> {
  const { chooseLayout, scanDump } = await import('../scan/index.js');
  let chosen: ChosenLayout;
  try {
    chosen = chooseLayout(scanDump(bytes));
  } catch (e) {
    // Nothing convincing (or only a truncated region): the page falls back to the defaults.
    if (e instanceof PstoreError) return { choice: null, source: 'none', kind: null };
    throw e;
  }
  return { choice: choiceFromChosen(chosen), source: 'scan', kind: chosen.backend };
}
