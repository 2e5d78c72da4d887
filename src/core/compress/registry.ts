/**
 * The compressor registry. pstore writes no algorithm id, only `-C`, so a
 * reader that does not know the writer's `pstore.compress=` tries candidates.
 *
 * Order of decompressAny, strongest self-check and likeliest first:
 * deflate is the 6.1 default and the only choice from 6.6, and inflating
 * rejects foreign bytes quickly (Huffman structure, a final block must end
 * the stream); zstd has a 4-byte magic and a content size; 842 ends with a
 * CRC-32; lzo must end exactly on its 3-byte end marker; lz4 blocks have
 * only their end-of-block rules, the weakest check, so they go last. lz4 and
 * lz4hc share one block format: the first of them that is tried answers.
 */
import { DecompressError, UsageError } from '../../errors.js';
import { deflate } from './deflate.js';
import { lz4, lz4hc } from './lz4.js';
import { lzo } from './lzo.js';
import { sw842 } from './sw842-entry.js';
import type { Compressor, CompressorName } from './types.js';
import { zstd } from './zstd.js';

export { decompressLimit, zbufsize, type KernelProfile } from './zbufsize.js';
export type { Compressor, CompressorName } from './types.js';
export { initZstd } from './zstd.js';

export const compressorNames: readonly CompressorName[] = ['deflate', 'lzo', 'lz4', 'lz4hc', '842', 'zstd'];

/** Try order for decompressAny (see the file comment). */
export const decompressOrder: readonly CompressorName[] = ['deflate', 'zstd', '842', 'lzo', 'lz4', 'lz4hc'];

const registry = new Map<CompressorName, Compressor>();
for (const c of [deflate, lzo, lz4, lz4hc, sw842, zstd]) registry.set(c.name, c);

export function isCompressorName(name: string): name is CompressorName {
  return (compressorNames as readonly string[]).includes(name);
}

export function getCompressor(name: string): Compressor {
  if (!isCompressorName(name)) throw new UsageError(`unknown compressor '${name}' (one of ${compressorNames.join(', ')})`);
  const c = registry.get(name);
  if (!c) throw new UsageError(`compressor '${name}' is not registered`);
  return c;
}

/** Adds or replaces a compressor, e.g. a deflate that can also write. */
export function registerCompressor(c: Compressor): void {
  if (!isCompressorName(c.name)) throw new UsageError(`unknown compressor name '${c.name as string}'`);
  registry.set(c.name, c);
}

export interface Decompressed {
  name: CompressorName;
  data: Uint8Array;
}

const SAME_FORMAT: Partial<Record<CompressorName, CompressorName>> = { lz4hc: 'lz4' };

/**
 * Decompresses with the first candidate that accepts `src` within `maxOut`
 * bytes; null when none does (the kernel then shows the record as `.enc.z`).
 * Candidates are tried in decompressOrder, whatever order they are given in.
 */
export function decompressAny(src: Uint8Array, maxOut: number, candidates?: readonly CompressorName[]): Decompressed | null {
  if (src.length === 0) return null;
  const wanted = candidates ?? compressorNames;
  const tried = new Set<CompressorName>();
  for (const name of decompressOrder) {
    if (!wanted.includes(name)) continue;
    const format = SAME_FORMAT[name] ?? name;
    if (tried.has(format)) continue;
    tried.add(format);
    const c = registry.get(name);
    if (!c) continue;
    try {
      return { name, data: c.decompress(src, maxOut) };
    } catch (e) {
      if (!(e instanceof DecompressError)) throw e;
    }
  }
  return null;
}
