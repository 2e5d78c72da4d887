/** The records a previous run left, as the recorder hands them to the application. */
import type { EccStatus, PstoreFile, PstoreType, RecordTime } from '../core/record.js';
import { parseDumpHeader } from '../core/dumpHeader.js';
import { parseKmsgDumpReason } from '../frontends/kmsgDump.js';

export interface PreviousRecord {
  /** File name as /sys/fs/pstore and `pstore extract` show it, e.g. `dmesg-ramoops-0`. */
  name: string;
  type: PstoreType;
  /** dmesg: the kmsg_dump reason code from the `Panic#1 Part1` header (1 Panic, 2 Oops, 4 Shutdown...). */
  reason: number | null;
  /** dmesg: the word of the header (`Panic`, `Oops`, ...). */
  reasonName: string | null;
  /** dmesg: the dump count of that run (`#N`). */
  count: number | null;
  /** dmesg: the record time (wall clock of the dump); null for console/pmsg. */
  time: RecordTime | null;
  /** The record text (UTF-8, lossy), without the ECC notice. */
  text: string;
  /** The record bytes, without the ECC notice (pmsg may be binary). */
  bytes: Uint8Array;
  ecc: EccStatus | null;
  /** The file is still compressed (`.enc.z`): no decompressor accepted it. */
  compressed: boolean;
}

const decoder = new TextDecoder('utf-8', { fatal: false });

export function previousRecord(file: PstoreFile): PreviousRecord {
  const notice = file.record.eccNotice.length;
  const bytes = notice && file.content.length >= notice ? file.content.subarray(0, file.content.length - notice) : file.content;
  const text = decoder.decode(bytes);
  let reason: number | null = null;
  let reasonName: string | null = null;
  let count: number | null = null;
  if (file.type === 'dmesg') {
    const h = parseDumpHeader(text);
    if (h) {
      reasonName = h.reason;
      reason = parseKmsgDumpReason(h.reason) ?? null;
      count = h.count;
    }
  }
  return {
    name: file.name,
    type: file.type,
    reason,
    reasonName,
    count,
    time: file.type === 'dmesg' ? file.mtime : null,
    text,
    bytes,
    ecc: file.ecc,
    compressed: file.name.endsWith('.enc.z'),
  };
}
