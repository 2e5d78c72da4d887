/**
 * What a /sys/fs/pstore file name says: `<type>-<backend>-<id>[.enc.z]`
 * (fs/pstore/inode.c). Backends name their ids differently: ramoops and
 * pstore/blk count zones, efi-pstore packs the time, part and dump count into
 * the id as ((seconds * 100 + part) * 1000 + count) (6.1 and 6.12 alike), and
 * ERST ids are the firmware's record ids, which say nothing by themselves.
 */
import { PSTORE_TYPES, type PstoreType } from '../core/record.js';

export interface ParsedName {
  type: PstoreType;
  backend: string;
  /** The id as written (efi and erst ids exceed 2^53, so kept as a string). */
  id: string;
  /** `.enc.z`: the kernel could not decompress the record. */
  encZ: boolean;
  /** Only for efi backends: what the id encodes. */
  efi?: { seconds: number; part: number; count: number };
}

// Longest type first: `powerpc-common-…` must not parse as type `powerpc`.
const TYPES = [...PSTORE_TYPES].sort((a, b) => b.length - a.length);

/** efi-pstore's backend name: `efi` up to 6.2, `efi_pstore` since. */
export function isEfiBackend(backend: string): boolean {
  return backend === 'efi' || backend === 'efi_pstore';
}

/** Splits an efi-pstore id (decimal) into seconds, part and count. */
export function decodeEfiId(id: string): { seconds: number; part: number; count: number } | undefined {
  if (!/^\d{6,20}$/.test(id)) return undefined;
  const n = BigInt(id);
  return { seconds: Number(n / 100000n), part: Number((n / 1000n) % 100n), count: Number(n % 1000n) };
}

/** The parts of a pstore file name, or undefined for a name the kernel would not make. */
export function parsePstoreName(name: string): ParsedName | undefined {
  const type = TYPES.find((t) => name.startsWith(`${t}-`));
  if (!type) return undefined;
  const m = /^([A-Za-z0-9_.]+?)-(\d+)(\.enc\.z)?$/.exec(name.slice(type.length + 1));
  if (!m) return undefined;
  const parsed: ParsedName = { type, backend: m[1], id: m[2], encZ: Boolean(m[3]) };
  if (isEfiBackend(parsed.backend)) {
    const efi = decodeEfiId(parsed.id);
    if (efi) parsed.efi = efi;
  }
  return parsed;
}
