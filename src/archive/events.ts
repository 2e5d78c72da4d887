/**
 * Files → crash events. One event is one kmsg dump: its parts are the dmesg
 * files whose `Reason#N PartM` headers continue each other (ramoops and
 * pstore/blk store only Part1, so each of their files is a dump; efi-pstore
 * and ERST store one record per part). Console, pmsg and ftrace files hold the
 * previous boot's output, so they join that boot's newest dump of the same
 * backend; without any dump they form an event of their own. Unknown files
 * (a directory source may hold anything) are kept the same way.
 */
import type { EccStatus } from '../core/record.js';
import { readDmesgPart, type DmesgPart } from './dmesgPart.js';
import { parsePstoreName } from './names.js';
import { compareTime, type SourceFile } from './sourceFile.js';
import type { RecordTime } from '../core/record.js';

export interface CrashEvent {
  /** Backend of the dump (or of the other files). */
  backend: string;
  /** `Panic`, `Oops`, …; undefined when no header could be read. */
  reason?: string;
  count?: number;
  /** The dump's parts in part order (Part1 = newest text first). */
  parts: DmesgPart[];
  /** Console, pmsg, ftrace and other files that belong with it. */
  others: SourceFile[];
  time: RecordTime;
}

/** Parts of one dump are written within moments; a larger gap means another dump. */
const PART_GAP_SECONDS = 120;

/** When a part was written: efi ids carry it (a copied file may have lost its mtime), else the file's mtime. */
export function partTime(p: DmesgPart): RecordTime {
  return p.parsed?.efi ? { sec: p.parsed.efi.seconds, nsec: 0 } : p.file.mtime;
}

export function groupEvents(files: readonly SourceFile[]): CrashEvent[] {
  const parts: DmesgPart[] = [];
  const others: SourceFile[] = [];
  for (const f of files) {
    const parsed = parsePstoreName(f.name);
    if (parsed?.type === 'dmesg') parts.push(readDmesgPart(f, parsed));
    else others.push(f);
  }
  parts.sort((a, b) => compareTime(partTime(a), partTime(b)) || (a.part ?? 0) - (b.part ?? 0) || a.file.name.localeCompare(b.file.name));
  const events: CrashEvent[] = [];
  const open = new Map<string, CrashEvent>();
  for (const p of parts) {
    const backend = p.parsed?.backend ?? 'unknown';
    const key = `${backend}|${p.reason ?? '?'}|${p.count ?? '?'}`;
    const cur = open.get(key);
    const last = cur?.parts[cur.parts.length - 1];
    if (
      cur &&
      last &&
      p.part !== undefined &&
      last.part !== undefined &&
      p.part === last.part + 1 &&
      partTime(p).sec - partTime(last).sec <= PART_GAP_SECONDS
    ) {
      cur.parts.push(p);
      continue;
    }
    const ev: CrashEvent = { backend, reason: p.reason, count: p.count, parts: [p], others: [], time: partTime(p) };
    events.push(ev);
    if (p.part !== undefined) open.set(key, ev);
  }
  for (const f of others) {
    const backend = parsePstoreName(f.name)?.backend ?? 'unknown';
    // A name can repeat (systemd-pstore's archive keeps several boots' files in subdirectories): never two in one crash.
    const free = (e: CrashEvent): boolean => !e.others.some((o) => o.name === f.name);
    const home = newest(events.filter((e) => e.backend === backend && e.parts.length && free(e))) ?? newest(events.filter((e) => e.parts.length && free(e)));
    if (home) home.others.push(f);
    else {
      const own = events.find((e) => !e.parts.length && e.backend === backend && free(e));
      if (own) {
        own.others.push(f);
        if (compareTime(f.mtime, own.time) < 0) own.time = f.mtime;
      } else events.push({ backend, parts: [], others: [f], time: f.mtime });
    }
  }
  events.sort((a, b) => compareTime(a.time, b.time) || a.backend.localeCompare(b.backend));
  return events;
}

function newest(events: CrashEvent[]): CrashEvent | undefined {
  let best: CrashEvent | undefined;
  for (const e of events) if (!best || compareTime(e.time, best.time) >= 0) best = e;
  return best;
}

/** The dump's log, oldest part first, each without its header line. */
export function joinedLog(event: CrashEvent): Uint8Array {
  const chunks: Uint8Array[] = [];
  const enc = new TextEncoder();
  for (const p of [...event.parts].sort((a, b) => (b.part ?? 0) - (a.part ?? 0))) {
    chunks.push(p.body ?? enc.encode(`[pstore archive: ${p.file.name} could not be decoded by any compressor]\n`));
  }
  return Buffer.concat(chunks);
}

/** ECC status over all parts: null when no part came from an ECC zone. */
export function eventEcc(event: CrashEvent): EccStatus | null {
  let ecc: EccStatus | null = null;
  for (const p of event.parts) {
    if (!p.ecc) continue;
    ecc ??= { corrected: 0, bad: 0 };
    ecc.corrected += p.ecc.corrected;
    ecc.bad += p.ecc.bad;
  }
  return ecc;
}
