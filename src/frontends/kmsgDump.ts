/**
 * Kernel message dumpers (kernel/printk/printk.c kmsg_dump*, 6.1): the
 * iterator a dumper such as pstore_dump reads the log through, and the
 * registry that calls dumpers for a crash reason.
 */
import type { LogBuffer, LogRecord } from './logBuffer.js';
import { recordPrintText, recordPrintTextSize } from './printkFormat.js';

/** enum kmsg_dump_reason (include/linux/kmsg_dump.h, 5.7+). */
export const KMSG_DUMP_UNDEF = 0;
export const KMSG_DUMP_PANIC = 1;
export const KMSG_DUMP_OOPS = 2;
export const KMSG_DUMP_EMERG = 3;
export const KMSG_DUMP_SHUTDOWN = 4;
export const KMSG_DUMP_MAX = 5;

/** kmsg_dump_reason_str: the word pstore puts in `%s#%d Part%u`. */
export function kmsgDumpReasonString(reason: number): string {
  switch (reason) {
    case KMSG_DUMP_PANIC:
      return 'Panic';
    case KMSG_DUMP_OOPS:
      return 'Oops';
    case KMSG_DUMP_EMERG:
      return 'Emergency';
    case KMSG_DUMP_SHUTDOWN:
      return 'Shutdown';
    default:
      return 'Unknown';
  }
}

/**
 * The reason a header word names, case-insensitively. Pre-5.7 kernels wrote
 * Restart/Halt/Poweroff, since merged into Shutdown. `Unknown` maps to UNDEF;
 * anything else is undefined.
 */
export function parseKmsgDumpReason(name: string): number | undefined {
  switch (name.toLowerCase()) {
    case 'panic':
      return KMSG_DUMP_PANIC;
    case 'oops':
      return KMSG_DUMP_OOPS;
    case 'emergency':
      return KMSG_DUMP_EMERG;
    case 'shutdown':
    case 'restart':
    case 'halt':
    case 'poweroff':
      return KMSG_DUMP_SHUTDOWN;
    case 'unknown':
      return KMSG_DUMP_UNDEF;
    default:
      return undefined;
  }
}

export interface KmsgDumpOptions {
  /** printk.time (default true). */
  time?: boolean;
  /** CONFIG_PRINTK_CALLER (default false). */
  caller?: boolean;
}

/**
 * struct kmsg_dump_iter: [curSeq, nextSeq) is what is still to be dumped.
 * A new iterator is rewound (covers the whole log after clear_seq).
 */
export class KmsgDumpIter {
  /** Oldest record still to dump. */
  curSeq = 0;
  /** One past the newest record still to dump. */
  nextSeq = 0;
  readonly time: boolean;
  readonly caller: boolean;

  constructor(
    readonly log: LogBuffer,
    opts: KmsgDumpOptions = {},
  ) {
    this.time = opts.time ?? true;
    this.caller = opts.caller ?? false;
    this.rewind();
  }

  /** kmsg_dump_rewind. */
  rewind(): void {
    this.curSeq = this.log.clearSeq;
    this.nextSeq = this.log.nextSeq;
  }

  /**
   * kmsg_dump_get_line: the oldest remaining record, printed into
   * dst[0 .. size) (cut like record_print_text when it does not fit), and
   * advances. With dst null, only measures the record. Returns the length,
   * or false when no record is left. Unlike get_buffer this does not stop
   * at nextSeq: it reads up to the newest record, as the kernel does.
   */
  getLine(syslog: boolean, dst: Uint8Array | null, size: number = dst ? dst.length : 0): number | false {
    if (this.curSeq < this.log.clearSeq) this.curSeq = this.log.clearSeq;
    const rec = this.log.readValid(this.curSeq);
    if (!rec) return false;
    const opts = { syslog, time: this.time, caller: this.caller };
    const len = dst ? recordPrintText(rec, opts, dst, 0, Math.min(size, dst.length)) : recordPrintTextSize(rec, opts);
    this.curSeq = rec.seq + 1;
    return len;
  }

  /**
   * kmsg_dump_get_buffer: the newest remaining records whose printed form
   * fits in size - 1 bytes, written to dst[0 ..), oldest first; the next call
   * returns the block just before. Returns the length, or false when nothing
   * is left (or size is 0). A record longer than size - 1 on its own yields
   * an empty block and the iterator does not move past it (kernel behaviour).
   */
  getBuffer(syslog: boolean, dst: Uint8Array, size: number = dst.length): number | false {
    size = Math.min(size, dst.length);
    if (size <= 0) return false;
    const log = this.log;
    if (this.curSeq < log.clearSeq) this.curSeq = log.clearSeq;
    const first = log.readValid(this.curSeq);
    // Records lost from the ring: start at the oldest one still held.
    if (first && first.seq !== this.curSeq) this.curSeq = first.seq;
    if (this.curSeq >= this.nextSeq) return false;

    const opts = { syslog, time: this.time, caller: this.caller };
    const seq = this.firstFittingSeq(size - 1, opts);
    let len = 0;
    for (let s = seq; s < this.nextSeq; s++) {
      const rec = log.get(s);
      if (!rec) break;
      len += recordPrintText(rec, opts, dst, len, size - len);
    }
    this.nextSeq = seq;
    return len;
  }

  /** Convenience: getBuffer into a fresh array; null when nothing is left. */
  getBufferBytes(syslog: boolean, size: number): Uint8Array | null {
    const buf = new Uint8Array(Math.max(0, size));
    const n = this.getBuffer(syslog, buf, size);
    return n === false ? null : buf.slice(0, n);
  }

  /** find_first_fitting_seq over [curSeq, nextSeq). */
  private firstFittingSeq(size: number, opts: { syslog: boolean; time: boolean; caller: boolean }): number {
    const log = this.log;
    let len = 0;
    let maxSeq = this.nextSeq;
    let seq = this.curSeq;
    let rec: LogRecord | undefined;
    for (; (rec = log.get(seq)) !== undefined; seq++) {
      if (rec.seq >= maxSeq) break;
      len += recordPrintTextSize(rec, opts);
    }
    if (seq < maxSeq) maxSeq = seq;
    for (seq = this.curSeq; (rec = log.get(seq)) !== undefined; seq++) {
      if (len <= size || rec.seq >= maxSeq) break;
      len -= recordPrintTextSize(rec, opts);
    }
    return seq;
  }
}

/** struct kmsg_dumper. `maxReason` 0/undefined means the default (Oops, or all with alwaysKmsgDump). */
export interface KmsgDumper {
  maxReason?: number;
  dump(reason: number, iter: KmsgDumpIter): void;
}

export interface DumperRegistryOptions extends KmsgDumpOptions {
  /** printk.always_kmsg_dump: dumpers without maxReason get every reason. */
  alwaysKmsgDump?: boolean;
}

/** The dump_list: dumpers called in registration order by kmsgDump(reason). */
export class DumperRegistry {
  alwaysKmsgDump: boolean;
  private readonly dumpers: KmsgDumper[] = [];
  private readonly iterOpts: KmsgDumpOptions;

  constructor(
    readonly log: LogBuffer,
    opts: DumperRegistryOptions = {},
  ) {
    this.alwaysKmsgDump = opts.alwaysKmsgDump ?? false;
    this.iterOpts = { time: opts.time, caller: opts.caller };
  }

  /** kmsg_dump_register; false when already registered (-EBUSY). */
  register(d: KmsgDumper): boolean {
    if (this.dumpers.includes(d)) return false;
    this.dumpers.push(d);
    return true;
  }

  /** kmsg_dump_unregister; false when not registered (-EINVAL). */
  unregister(d: KmsgDumper): boolean {
    const i = this.dumpers.indexOf(d);
    if (i < 0) return false;
    this.dumpers.splice(i, 1);
    return true;
  }

  /** Effective max_reason of a dumper. */
  maxReasonOf(d: KmsgDumper): number {
    const m = d.maxReason ?? KMSG_DUMP_UNDEF;
    if (m !== KMSG_DUMP_UNDEF) return m;
    return this.alwaysKmsgDump ? KMSG_DUMP_MAX : KMSG_DUMP_OOPS;
  }

  /** kmsg_dump: each admitting dumper gets a freshly rewound iterator. */
  kmsgDump(reason: number): void {
    for (const d of [...this.dumpers]) {
      if (reason > this.maxReasonOf(d)) continue;
      d.dump(reason, new KmsgDumpIter(this.log, this.iterOpts));
    }
  }
}
