/** pstore_blk module parameters from text and JSON (KiB sizes, as the module takes them). */
import { UsageError } from '../../errors.js';
import { parseSize } from '../ramoops/params.js';
import type { BlkModuleParams } from './layout.js';

/**
 * A pstore_blk size in KiB as the module takes it. A bare number is KiB
 * (`64`); with a K/M/G suffix it is bytes and must be whole KiB (`64K`, `1M`).
 */
export function parseKiB(text: string | number, what: string): number {
  if (typeof text === 'string' && /[kmgt]/i.test(text) && !/^\s*0x/i.test(text)) {
    const bytes = parseSize(text, what);
    if (bytes % 1024) throw new UsageError(`${what}: '${text}' is not a whole number of KiB`);
    return bytes / 1024;
  }
  return parseSize(text, what);
}

const BLK_KEYS = ['kmsg_size', 'pmsg_size', 'console_size', 'ftrace_size', 'max_reason'] as const;

export interface BlkParamsJson {
  params: BlkModuleParams;
  kernel?: string;
  arch?: string;
  ftraceCpus?: number;
  /** best_effort n: the device has a panic_write. */
  panicWrite?: boolean;
}

/** Does a params JSON describe a pstore/blk device (a `pstore_blk` section and no `ramoops` one)? */
export function isBlkParamsObject(obj: unknown): boolean {
  return !!obj && typeof obj === 'object' && 'pstore_blk' in obj && !('ramoops' in obj);
}

/**
 * pstore_blk parameters from a params JSON: the `pstore_blk` section of a
 * fixture's params.json, or the module parameter names at the top level;
 * fixture keys kernel_profile, arch and ftrace_cpus too.
 */
export function blkParamsFromObject(obj: unknown, where: string): BlkParamsJson {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new UsageError(`${where}: expected a JSON object`);
  const src = obj as Record<string, unknown>;
  const inner = src.pstore_blk && typeof src.pstore_blk === 'object' ? (src.pstore_blk as Record<string, unknown>) : src;
  const params: BlkModuleParams = {};
  for (const k of BLK_KEYS) {
    const raw = inner[k];
    if (raw === undefined) continue;
    if (typeof raw !== 'number' && typeof raw !== 'string') throw new UsageError(`${where}: ${k}: expected a number`);
    // The module takes longs; negative means off, like 0.
    params[k] = typeof raw === 'number' && raw < 0 ? 0 : k === 'max_reason' ? parseSize(raw, `${where}: ${k}`) : parseKiB(raw, `${where}: ${k}`);
  }
  const out: BlkParamsJson = { params };
  if (typeof src.kernel_profile === 'string') out.kernel = src.kernel_profile;
  if (typeof src.arch === 'string') out.arch = src.arch;
  if (typeof src.ftrace_cpus === 'number' && src.ftrace_cpus > 0) out.ftraceCpus = src.ftrace_cpus;
  const be = inner.best_effort;
  if (typeof be === 'string' || typeof be === 'boolean') out.panicWrite = !(be === true || /^[yY1]/.test(String(be)));
  return out;
}
