/** Text formatting shared by the commands: times, tables, escaped bytes. */
import type { RecordTime } from '../core/record.js';
import type { BlkImage } from '../api/blkImage.js';
import type { EfiImage } from '../api/efiImage.js';
import type { RamoopsImage } from '../api/ramoopsImage.js';

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/**
 * The fraction as `stat` prints an inode's nanoseconds: nine digits, more
 * when the kernel kept tv_nsec >= 1e9 (a header `.1234567` → `1234567000`).
 */
const fracDigits = (n: number, w: number): string => (n < 0 ? `-${pad(-n, w)}` : pad(n, w));

function utcParts(t: RecordTime): { date: string; time: string } {
  const d = new Date(t.sec * 1000);
  if (Number.isNaN(d.getTime())) return { date: '????-??-??', time: '??:??:??' };
  return {
    date: `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`,
    time: `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`,
  };
}

/** `2024-01-01T00:00:09.058434000Z`: the inode's seconds and nanoseconds, unnormalised. */
export function isoTime(t: RecordTime): string {
  const p = utcParts(t);
  return `${p.date}T${p.time}.${fracDigits(t.nsec, 9)}Z`;
}

/** `2024-01-01 00:00:09.058434` (UTC, the microseconds the record header holds: `.1234567` stays 1234567). */
export function shortTime(t: RecordTime): string {
  const p = utcParts(t);
  return `${p.date} ${p.time}.${fracDigits(Math.trunc(t.nsec / 1000), 6)}`;
}

/** Left-aligned columns separated by two spaces; `right` lists right-aligned column indexes. */
export function table(header: string[], rows: string[][], right: number[] = []): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (right.includes(i) ? c.padStart(widths[i]) : i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

export const hex = (n: number): string => `0x${n.toString(16)}`;

/**
 * Bytes as readable text: valid UTF-8, newlines and tabs pass; other control
 * bytes, DEL and invalid UTF-8 become `\xNN`, so binary records (pmsg, .enc.z)
 * cannot disturb the terminal.
 */
export function escapeBinary(bytes: Uint8Array): string {
  const parts: string[] = [];
  let run = 0; // start of the current passthrough run
  const dec = new TextDecoder();
  const flush = (end: number): void => {
    if (end > run) parts.push(dec.decode(bytes.subarray(run, end)));
  };
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    if (b >= 0x20 && b < 0x7f) {
      i++;
      continue;
    }
    if (b === 0x0a || b === 0x09) {
      i++;
      continue;
    }
    const n = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (n > 0 && i + n < bytes.length && validUtf8(bytes, i, n)) {
      i += n + 1;
      continue;
    }
    flush(i);
    parts.push(`\\x${b.toString(16).padStart(2, '0')}`);
    i++;
    run = i;
  }
  flush(bytes.length);
  return parts.join('');
}

function validUtf8(b: Uint8Array, i: number, n: number): boolean {
  for (let k = 1; k <= n; k++) if ((b[i + k] & 0xc0) !== 0x80) return false;
  const b0 = b[i];
  const b1 = b[i + 1];
  // Overlongs and surrogates are rejected as a strict decoder does.
  if (b0 === 0xe0 && b1 < 0xa0) return false;
  if (b0 === 0xed && b1 > 0x9f) return false;
  if (b0 === 0xf0 && b1 < 0x90) return false;
  if (b0 === 0xf4 && b1 > 0x8f) return false;
  return true;
}

/** True when the bytes are text a terminal can show as is (escapeBinary changes nothing). */
export function isPlainText(bytes: Uint8Array): boolean {
  for (const b of bytes) if ((b < 0x20 && b !== 0x0a && b !== 0x09) || b === 0x7f) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * "no records", and why when the layout looks wrong: most zones carry no
 * valid header where these flags put them.
 */
export function noRecordsMessage(image: RamoopsImage | BlkImage | EfiImage): string {
  if (image.kind === 'ramoops') {
    const zones = image.zones();
    const bad = zones.filter((r) => r.attach.state === 'no-signature' || r.attach.state === 'invalid').length;
    if (bad * 2 > zones.length) {
      return `pstore: no records: ${bad} of ${zones.length} zones have no valid ramoops header where this layout puts them — wrong layout flags? Try --auto or 'pstore scan IMAGE'\n`;
    }
  }
  if (image.kind === 'efi') {
    const stop = image.backend.readNotes[0];
    if (stop) return `pstore: no records: ${stop.message}${stop.offset >= 0 ? ` (variable at 0x${(stop.offset + image.fileOffset).toString(16)})` : ''}\n`;
  }
  return 'pstore: no records\n';
}
