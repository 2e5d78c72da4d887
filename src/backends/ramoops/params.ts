import { UsageError } from '../../errors.js';
import { RAMOOPS_DEFAULTS, type RamoopsParams } from './layout.js';

/** Parse `4096`, `0x1000`, `4K`, `1M`, `1G` (binary multiples), as memparse() does. */
export function parseSize(text: string | number, what = 'size'): number {
  if (typeof text === 'number') {
    if (!Number.isSafeInteger(text) || text < 0) throw new UsageError(`${what}: '${text}' is not a non-negative integer`);
    return text;
  }
  const m = /^\s*(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)\s*([kmgt]i?b?)?\s*$/i.exec(text);
  if (!m) throw new UsageError(`${what}: '${text}' is not a number (decimal, 0x-hex, or with a K/M/G suffix)`);
  let v = m[1].toLowerCase().startsWith('0x') ? parseInt(m[1], 16) : m[1].length > 1 && m[1].startsWith('0') ? parseInt(m[1], 8) : parseInt(m[1], 10);
  const suffix = (m[2] ?? '').toLowerCase()[0];
  const mult = suffix === 'k' ? 1024 : suffix === 'm' ? 1024 ** 2 : suffix === 'g' ? 1024 ** 3 : suffix === 't' ? 1024 ** 4 : 1;
  v *= mult;
  if (!Number.isSafeInteger(v)) throw new UsageError(`${what}: '${text}' is too large`);
  return v;
}

const KEYS = ['mem_size', 'record_size', 'console_size', 'ftrace_size', 'pmsg_size', 'ecc', 'max_reason', 'mem_address'] as const;
const ALIASES: Record<string, (typeof KEYS)[number]> = {
  'ecc-size': 'ecc',
  ecc_size: 'ecc',
  'record-size': 'record_size',
  'console-size': 'console_size',
  'ftrace-size': 'ftrace_size',
  'pmsg-size': 'pmsg_size',
  'mem-size': 'mem_size',
  'max-reason': 'max_reason',
  'mem-address': 'mem_address',
  reg_size: 'mem_size',
};

/**
 * Parameters from a JSON object keyed by module parameter names (`mem_size`,
 * `record_size`, …; DT names such as `record-size` too), values as numbers or
 * strings. Accepts a fixture-style `{ "ramoops": { … } }` wrapper. `dump_oops`
 * maps to max_reason as the kernel does.
 */
export function paramsFromObject(obj: unknown, where = 'params'): Partial<RamoopsParams> {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new UsageError(`${where}: expected a JSON object`);
  const src = obj as Record<string, unknown>;
  const inner = src.ramoops && typeof src.ramoops === 'object' ? (src.ramoops as Record<string, unknown>) : src;
  const out: Partial<RamoopsParams> = {};
  for (const [k, raw] of Object.entries(inner)) {
    const key = (KEYS as readonly string[]).includes(k) ? (k as (typeof KEYS)[number]) : ALIASES[k];
    if (k === 'dump_oops' && inner.max_reason === undefined) {
      const v = parseSize(String(raw), `${where}.dump_oops`);
      out.max_reason = v ? 2 : 1;
      continue;
    }
    if (!key) continue;
    if (typeof raw !== 'number' && typeof raw !== 'string') throw new UsageError(`${where}.${k}: expected a number`);
    out[key] = parseSize(raw, `${where}.${k}`);
  }
  return out;
}

/** Fill in module-parameter defaults; mem_size defaults to what the caller says (the image size). */
export function withDefaults(p: Partial<RamoopsParams>, memSize: number): RamoopsParams {
  return { ...RAMOOPS_DEFAULTS, mem_size: memSize, ...p };
}
