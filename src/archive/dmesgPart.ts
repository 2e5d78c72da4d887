/**
 * One dmesg file made readable: `.enc.z` bytes decompressed by trying every
 * compressor (the reading kernel may have had another `pstore.compress` than
 * the writer, or none), the `Reason#N PartM` line the dump path puts first
 * read, and the ECC notice ramoops appends split off.
 */
import { decompressAny } from '../core/compress/registry.js';
import { parseDumpHeader } from '../core/dumpHeader.js';
import type { EccStatus } from '../core/record.js';
import type { ParsedName } from './names.js';
import type { SourceFile } from './sourceFile.js';

export interface DmesgPart {
  file: SourceFile;
  parsed: ParsedName | undefined;
  /** The log text of this part without its header line and ECC notice; null when no compressor decodes it. */
  body: Uint8Array | null;
  /** `Panic`, `Oops`, `Shutdown`, … from the header line. */
  reason?: string;
  count?: number;
  part?: number;
  /** Compressor that decoded an `.enc.z` part; null for plain text. */
  decodedWith: string | null;
  ecc: EccStatus | null;
}

/** Largest decompressed part we accept: well above any kernel's dump buffer. */
const MAX_DECOMPRESSED = 16 << 20;

const ECC_NOTICE = /\nECC: (?:No errors detected|(\d+) Corrected bytes, (\d+) unrecoverable blocks)\n$/;

const latin1 = new TextDecoder('latin1');

/** Splits a trailing ramoops ECC notice off `bytes`. */
export function splitEccNotice(bytes: Uint8Array): { data: Uint8Array; ecc: EccStatus | null } {
  const tail = latin1.decode(bytes.subarray(Math.max(0, bytes.length - 80)));
  const m = ECC_NOTICE.exec(tail);
  if (!m) return { data: bytes, ecc: null };
  const noticeLen = Buffer.byteLength(m[0], 'latin1');
  return { data: bytes.subarray(0, bytes.length - noticeLen), ecc: { corrected: Number(m[1] ?? 0), bad: Number(m[2] ?? 0) } };
}

export function readDmesgPart(file: SourceFile, parsed: ParsedName | undefined): DmesgPart {
  const { data, ecc } = splitEccNotice(file.content);
  let text: Uint8Array | null = data;
  let decodedWith: string | null = null;
  if (parsed?.encZ) {
    const d = decompressAny(data, MAX_DECOMPRESSED);
    text = d ? d.data : null;
    decodedWith = d ? d.name : null;
  }
  const part: DmesgPart = { file, parsed, body: text, decodedWith, ecc };
  if (text) {
    const h = parseDumpHeader(latin1.decode(text.subarray(0, 64)));
    if (h) {
      part.reason = h.reason;
      part.count = h.count;
      part.part = h.part;
      part.body = text.subarray(h.length);
    }
  }
  // efi ids carry the part and count even when the text cannot be read.
  if (part.part === undefined && parsed?.efi) {
    part.part = parsed.efi.part;
    part.count = parsed.efi.count;
  }
  return part;
}
