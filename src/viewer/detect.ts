/**
 * Layout detection hook. src/scan (another module) exports
 * `inferLayout(region)`; it is looked up through a glob import so the page
 * builds whether or not scan exists yet, and only loads when asked.
 */
import { MemoryRegion, type Region } from '../region/region.js';
import type { LayoutChoice } from './model.js';

type InferLayout = (region: Region) => unknown;

const scanModules = import.meta.glob<Record<string, unknown>>('../scan/index.ts');

async function findInferLayout(): Promise<InferLayout | null> {
  for (const load of Object.values(scanModules)) {
    const mod = await load();
    if (typeof mod.inferLayout === 'function') return mod.inferLayout as InferLayout;
  }
  return null;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Keeps only what the layout form knows from whatever inferLayout returned. */
export function choiceFromUnknown(found: unknown): LayoutChoice | null {
  if (!found || typeof found !== 'object') return null;
  const o = found as Record<string, unknown>;
  const p = (o.params && typeof o.params === 'object' ? o.params : o) as Record<string, unknown>;
  const params: LayoutChoice['params'] = {};
  for (const k of ['mem_size', 'record_size', 'console_size', 'ftrace_size', 'pmsg_size', 'ecc', 'max_reason'] as const) {
    const v = num(p[k]);
    if (v !== undefined) params[k] = v;
  }
  const kernelField = o.kernel;
  const kernel = str(kernelField) ?? (kernelField && typeof kernelField === 'object' ? str((kernelField as Record<string, unknown>).name) : undefined);
  const archField = o.arch;
  const arch = str(archField) ?? (archField && typeof archField === 'object' ? str((archField as Record<string, unknown>).name) : undefined);
  return { params, kernel, arch, ftraceCpus: num(o.ftraceCpus), offset: num(o.offset) };
}

export interface Detection {
  choice: LayoutChoice | null;
  /** 'scan' when inferLayout answered, 'unavailable' when the module is missing. */
  source: 'scan' | 'none' | 'unavailable';
}

export async function detectLayout(bytes: Uint8Array): Promise<Detection> {
  const infer = await findInferLayout();
  if (!infer) return { choice: null, source: 'unavailable' };
  const choice = choiceFromUnknown(infer(new MemoryRegion(bytes)));
  return { choice, source: choice ? 'scan' : 'none' };
}
