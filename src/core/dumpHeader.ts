/**
 * The first line pstore's core puts before each dmesg part:
 * `<Reason>#<oopscount> Part<part>\n` (pstore_dump). Written here and read
 * back by everyone who needs the reason, count or part of a record.
 */

export interface DumpHeader {
  /** As written: Panic, Oops, Emergency, Shutdown, Restart, Halt, Poweroff, Unknown. */
  reason: string;
  count: number;
  part: number;
  /** Bytes of the header line, newline included. */
  length: number;
}

const HEADER = /^([A-Za-z]+)#(\d+) Part(\d+)\n/;

export function formatDumpHeader(reason: string, count: number, part: number): string {
  return `${reason}#${count} Part${part}\n`;
}

/** The header at the start of `text`, or null (the first 64 characters are enough for any). */
export function parseDumpHeader(text: string): DumpHeader | null {
  const m = HEADER.exec(text.slice(0, 64));
  return m ? { reason: m[1], count: Number(m[2]), part: Number(m[3]), length: m[0].length } : null;
}
