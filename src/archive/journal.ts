/**
 * One journal entry per archived crash, over journald's native protocol: a
 * datagram of fields, `KEY=VALUE\n` for single-line values and, for values
 * holding a newline, `KEY\n` + the length as 64-bit little endian + the bytes
 * + `\n`. The fields: MESSAGE (the panic or Oops line), PRIORITY, MESSAGE_ID
 * and PSTORE_* (signature, reason, count, backend, time, record ids, kernel,
 * call trace, ECC, directory), so `journalctl PSTORE_SIGNATURE=…` finds every
 * occurrence of one crash.
 */
import { PstoreError } from '../errors.js';
import { loadUnixDgram, unixDgramUnavailableReason } from '../node/unixDgram.js';
import type { StoredCrash } from './store.js';

export const JOURNAL_SOCKET = '/run/systemd/journal/socket';
/** Identifies pstore-archive's crash entries (`journalctl MESSAGE_ID=…`). */
export const PSTORE_MESSAGE_ID = 'f3c7d1a4b25e4c0e9a8b6d2f1e0c9b7a';

export type JournalFields = [string, string][];

/** Syslog priorities: crit for a panic, err for an Oops, notice otherwise (shutdown dumps, console only). */
function priorityOf(reason: string | null): number {
  if (reason === 'Panic' || reason === 'Emergency') return 2;
  if (reason === 'Oops') return 3;
  return 5;
}

export function journalFields(crash: StoredCrash): JournalFields {
  const j = crash.json;
  const what = j.reason ? `${j.reason}${j.count !== null ? ` #${j.count}` : ''}` : 'pstore records';
  const fields: JournalFields = [
    ['MESSAGE', `${what}: ${j.message ?? 'no panic or Oops line'} [${j.signature}], archived in ${crash.dir}`],
    ['PRIORITY', String(priorityOf(j.reason))],
    ['MESSAGE_ID', PSTORE_MESSAGE_ID],
    ['SYSLOG_IDENTIFIER', 'pstore-archive'],
    ['PSTORE_SIGNATURE', j.signature],
    ['PSTORE_BACKEND', j.backend],
    ['PSTORE_TIME', j.time],
    ['PSTORE_DIR', crash.dir],
    ['PSTORE_ID', j.id],
  ];
  if (j.reason) fields.push(['PSTORE_REASON', j.reason]);
  if (j.count !== null) fields.push(['PSTORE_COUNT', String(j.count)]);
  if (j.recordIds.length) fields.push(['PSTORE_RECORD_IDS', j.recordIds.join(' ')]);
  if (j.kernel.version) fields.push(['PSTORE_KERNEL_VERSION', j.kernel.version]);
  if (j.kernel.cmdline) fields.push(['PSTORE_KERNEL_CMDLINE', j.kernel.cmdline]);
  if (j.panic) fields.push(['PSTORE_PANIC', j.panic]);
  if (j.oops) fields.push(['PSTORE_OOPS', j.oops]);
  if (j.callTrace.length) fields.push(['PSTORE_CALL_TRACE', j.callTrace.join('\n')]);
  if (j.ecc) fields.push(['PSTORE_ECC', `${j.ecc.corrected} corrected, ${j.ecc.bad} unrecoverable`]);
  fields.push(['PSTORE_FILES', j.files.map((f) => f.name).join(' ')]);
  return fields;
}

const enc = new TextEncoder();

/** The datagram journald reads. Field names: A–Z, 0–9, _ (not first). */
export function encodeJournalEntry(fields: JournalFields): Buffer {
  const chunks: Uint8Array[] = [];
  for (const [key, value] of fields) {
    if (!/^[A-Z0-9][A-Z0-9_]{0,63}$/.test(key)) throw new PstoreError(`invalid journal field name '${key}'`);
    const v = enc.encode(value);
    if (!value.includes('\n')) {
      chunks.push(enc.encode(`${key}=`), v, enc.encode('\n'));
      continue;
    }
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(v.length));
    chunks.push(enc.encode(`${key}\n`), len, v, enc.encode('\n'));
  }
  return Buffer.concat(chunks);
}

/** Parses a native-protocol datagram (the fake journald of the tests, and a check of our encoder). */
export function decodeJournalEntry(buf: Uint8Array): JournalFields {
  const out: JournalFields = [];
  const dec = new TextDecoder();
  let i = 0;
  while (i < buf.length) {
    const nl = buf.indexOf(0x0a, i);
    if (nl < 0) throw new PstoreError(`journal entry: field at ${i} has no end`);
    const line = dec.decode(buf.subarray(i, nl));
    const eq = line.indexOf('=');
    if (eq >= 0) {
      out.push([line.slice(0, eq), line.slice(eq + 1)]);
      i = nl + 1;
      continue;
    }
    if (nl + 9 > buf.length) throw new PstoreError(`journal entry: field ${line} has no length`);
    const len = Number(Buffer.from(buf.buffer, buf.byteOffset + nl + 1, 8).readBigUInt64LE());
    const start = nl + 9;
    if (start + len + 1 > buf.length || buf[start + len] !== 0x0a) throw new PstoreError(`journal entry: field ${line} overruns the datagram`);
    out.push([line, dec.decode(buf.subarray(start, start + len))]);
    i = start + len + 1;
  }
  return out;
}

/** Sends one entry per crash to journald's socket at `socketPath`. */
export function sendToJournal(crashes: readonly StoredCrash[], socketPath = JOURNAL_SOCKET): void {
  if (!crashes.length) return;
  const sock = loadUnixDgram();
  if (!sock) throw new PstoreError(`cannot log to the journal: ${unixDgramUnavailableReason()}`);
  for (const c of crashes) {
    try {
      sock.send(socketPath, encodeJournalEntry(journalFields(c)));
    } catch (e) {
      throw new PstoreError(`cannot log to the journal at '${socketPath}': ${(e as Error).message}`);
    }
  }
}
