/**
 * One crash event as it is stored: the original files byte for byte, the
 * readable files derived from them (dmesg.txt, console.txt, ftrace.txt,
 * logcat.txt) and crash.json, under a directory name that sorts by time and
 * says what happened: `20240101T000011Z-panic-kernel-sysrq_handle_crash-6a79b15a`.
 */
import { createHash } from 'node:crypto';
import { decodePmsg, pmsgToLogcat } from '../core/logcat.js';
import type { EccStatus, RecordTime } from '../core/record.js';
import { parseCrashLog } from './crashLog.js';
import { eventEcc, joinedLog, type CrashEvent } from './events.js';
import { parsePstoreName } from './names.js';
import { crashSignature } from './signature.js';
import { isoNs, type SourceFile } from './sourceFile.js';

export const CRASH_JSON = 'crash.json';
export const CRASH_FORMAT = 1;

/** An original file as crash.json lists it. */
export interface ArchivedFileInfo {
  name: string;
  size: number;
  sha256: string;
  mtime: string;
  type: string | null;
  /** Record id from the name (a decimal string: efi and erst ids exceed 2^53). */
  id: string | null;
  part?: number;
  /** Compressor that decoded an `.enc.z` part. */
  decodedWith?: string | null;
}

export interface CrashJson {
  format: number;
  /** Content id: a hash of the original files' names and bytes. */
  id: string;
  signature: string;
  /** Dump reason as the kernel names it (`Panic`, `Oops`, `Shutdown`, …); null without a dump. */
  reason: string | null;
  count: number | null;
  time: string;
  timeEpoch: number;
  backend: string;
  recordIds: string[];
  parts: number;
  kernel: { version: string | null; cmdline: string | null };
  message: string | null;
  panic: string | null;
  oops: string | null;
  faultFunction: string | null;
  callTrace: string[];
  ecc: EccStatus | null;
  /** Original files (byte for byte, with their mtimes). */
  files: ArchivedFileInfo[];
  /** Readable files made from them. */
  derived: string[];
  /** Where the files came from. */
  source: string;
}

export interface PreparedCrash {
  /** Directory name without a collision suffix. */
  dirName: string;
  json: CrashJson;
  originals: SourceFile[];
  derived: { name: string; content: Uint8Array }[];
}

export function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** 20240101T000011Z */
export function compactTime(t: RecordTime): string {
  return new Date(t.sec * 1000).toISOString().slice(0, 19).replace(/[-:]/g, '') + 'Z';
}

const latin1 = new TextDecoder('latin1');

/** A pmsg file in Android's logger framing, as logcat lines; null for plain pmsg. */
function logcatOf(bytes: Uint8Array): string | null {
  const r = decodePmsg(bytes);
  if (!r.entries.length || r.skippedBytes * 2 > bytes.length) return null;
  return pmsgToLogcat(bytes).text;
}

export function prepareCrash(event: CrashEvent, source: string): PreparedCrash {
  const originals = [...event.parts.map((p) => p.file), ...event.others].sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
  const derived: { name: string; content: Uint8Array }[] = [];
  const enc = new TextEncoder();
  let log = null;
  if (event.parts.length) {
    const text = joinedLog(event);
    derived.push({ name: 'dmesg.txt', content: text });
    log = parseCrashLog(latin1.decode(text));
  }
  const byType = (type: string): SourceFile[] => event.others.filter((f) => parsePstoreName(f.name)?.type === type);
  const one = (files: SourceFile[], base: string, ext: string, content: (f: SourceFile) => Uint8Array | null): void => {
    for (const f of files) {
      const c = content(f);
      if (c) derived.push({ name: files.length === 1 ? `${base}.${ext}` : `${f.name}.${ext}`, content: c });
    }
  };
  one(byType('console'), 'console', 'txt', (f) => f.content);
  one(byType('ftrace'), 'ftrace', 'txt', (f) => f.content);
  one(byType('pmsg'), 'logcat', 'txt', (f) => {
    const t = logcatOf(f.content);
    return t === null ? null : enc.encode(t);
  });
  const idHash = createHash('sha256');
  for (const f of originals) idHash.update(`${f.name}\0${sha256(f.content)}\n`);
  const signature = log ? crashSignature(event.reason, log) : `kernel-${event.others.length ? 'no_dump' : 'unknown'}-${idHash.copy().digest('hex').slice(0, 8)}`;
  const partOf = new Map(event.parts.map((p) => [p.file, p]));
  const files: ArchivedFileInfo[] = originals.map((f) => {
    const parsed = parsePstoreName(f.name);
    const p = partOf.get(f);
    const info: ArchivedFileInfo = { name: f.name, size: f.content.length, sha256: sha256(f.content), mtime: isoNs(f.mtime), type: parsed?.type ?? null, id: parsed?.id ?? null };
    if (p?.part !== undefined) info.part = p.part;
    if (parsed?.encZ) info.decodedWith = p?.decodedWith ?? null;
    return info;
  });
  const json: CrashJson = {
    format: CRASH_FORMAT,
    id: idHash.digest('hex').slice(0, 32),
    signature,
    reason: event.reason ?? null,
    count: event.count ?? null,
    time: isoNs(event.time),
    timeEpoch: event.time.sec + event.time.nsec / 1e9,
    backend: event.backend,
    recordIds: event.parts.map((p) => p.parsed?.id ?? p.file.name),
    parts: event.parts.length,
    kernel: { version: log?.kernelVersion ?? null, cmdline: log?.cmdline ?? null },
    message: log?.headline ?? null,
    panic: log?.panic ?? null,
    oops: log?.oops ?? null,
    faultFunction: log?.faultFunction ?? null,
    callTrace: log?.callTrace ?? [],
    ecc: eventEcc(event),
    files,
    derived: derived.map((d) => d.name),
    source,
  };
  // Without a dump the name says which records there are (`console_pmsg`).
  const types = [...new Set(event.others.map((f) => parsePstoreName(f.name)?.type ?? 'other'))].sort().join('_');
  const what = (event.reason ?? (event.parts.length ? 'unknown' : types)).toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const dirName = `${compactTime(event.time)}-${what}-${signature}`;
  return { dirName, json, originals, derived };
}
