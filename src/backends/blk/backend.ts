/**
 * The pstore/blk backend (fs/pstore/zone.c on top of fs/pstore/blk.c). One
 * BlkBackend is one boot of the kernel attached to the device: constructing it
 * recovers the old records like psz_recovery, read() yields what
 * /sys/fs/pstore would show, and writes change the device the way the kernel
 * would (best-effort blk: no panic_write, so a panic dump never reaches it).
 */
import type { BackendFlags, PstoreBackend, WriteRecord } from '../../core/backend.js';
import { KmsgDumpReason } from '../../core/backend.js';
import type { BackendRecord, PstoreType, ZoneRef } from '../../core/record.js';
import { CorruptImageError, LayoutError, NotFoundError } from '../../errors.js';
import type { Region } from '../../region/region.js';
import { combineFtraceLog } from '../../core/ftrace.js';
import { type BlkLayout, type BlkZone, PSZ_BUFFER_HEADER_SIZE } from './layout.js';
import {
  BLK_ARCH_X86_64,
  type BlkArch,
  PSTORE_KMSG_HEADER_MAGIC,
  decodeKmsgHeader,
  decodePszBuffer,
  encodeKmsgHeader,
  encodePszBuffer,
  kmsgHeaderLayout,
  kmsgReadPrefix,
  ringContents,
} from './zoneFormat.js';

export const BLK_BACKEND_NAME = 'pstore_blk';

export interface BlkBackendOptions {
  /** C layout of the headers (default x86_64). */
  arch?: BlkArch;
  /**
   * The device has a panic_write op. pstore/blk's best_effort mode has none,
   * so a panic dump and everything after it stays in memory (default false).
   */
  panicWrite?: boolean;
  /**
   * Writes come from atomic context (IRQs off), where best-effort blk returns
   * -EBUSY: zones are only marked dirty until flushDirtyZones() runs, as the
   * kernel's delayed psz_cleaner work does (default false).
   */
  deferWrites?: boolean;
  /**
   * CONFIG_PSTORE_FTRACE of the reading kernel (default true): without it
   * pstore_ftrace_combine_log is a stub that leaves the record empty, so
   * psz_ftrace_read shows no ftrace file.
   */
  ftraceFrontend?: boolean;
}

/** Something the kernel would have logged (or silently skipped) while recovering or reading. */
export interface BlkNote {
  zone: string;
  offset: number;
  message: string;
}

/** enum psz_flush_mode. */
const enum Flush {
  Part,
  Meta,
  All,
}

/** A zone as the kernel holds it in memory (struct pstore_zone). */
interface ZoneState {
  zone: BlkZone;
  sig: number;
  datalen: number;
  start: number;
  /** buffer->data, bufferSize bytes. */
  data: Uint8Array;
  /** Ring zones: the old log recovered at attach (oldbuf), in write order. */
  old: Uint8Array | null;
  dirty: boolean;
}

function freshState(zone: BlkZone): ZoneState {
  // psz_init_zone: data 0xFF, datalen = start = 0.
  return { zone, sig: zone.sig, datalen: 0, start: 0, data: new Uint8Array(zone.bufferSize).fill(0xff), old: null, dirty: false };
}

const zoneRef = (z: BlkZone): ZoneRef => ({ label: z.label, offset: z.offset, size: z.size });

export class BlkBackend implements PstoreBackend {
  readonly name = BLK_BACKEND_NAME;
  readonly bufsize: number;
  readonly flags: BackendFlags;
  readonly maxReason: number;
  readonly arch: BlkArch;
  /** What recovery and reading noticed (the kernel's pr_info/pr_debug lines). */
  readonly notes: BlkNote[] = [];
  /** Set when the kernel's recovery would fail: it then shows no records and writes nothing. */
  readonly recoveryError: CorruptImageError | null = null;

  private readonly kmsg: ZoneState[];
  private readonly pmsg: ZoneState | null;
  private readonly console: ZoneState | null;
  private readonly ftrace: ZoneState[];
  private readonly hdrSize: number;
  private readonly panicWrite: boolean;
  private readonly deferWrites: boolean;
  private recovered = false;
  private onPanic = false;
  private inWorker = false;
  private readonly ftraceFrontend: boolean;
  private kmsgWriteCnt = 0;
  private oopsCounter = 0;
  private panicCounter = 0;
  /** Counters of the dmesg records last read, for psz_kmsg_erase's "already updated" check. */
  private readonly readCounts = new Map<number, number>();

  constructor(
    readonly region: Region,
    readonly layout: BlkLayout,
    options: BlkBackendOptions = {},
  ) {
    const end = layout.zones.reduce((m, z) => Math.max(m, z.offset + z.size), 0);
    if (region.size < end) throw new LayoutError(`pstore/blk layout needs ${end} bytes; the device has ${region.size}`);
    this.arch = options.arch ?? BLK_ARCH_X86_64;
    this.panicWrite = options.panicWrite ?? false;
    this.deferWrites = options.deferWrites ?? false;
    this.ftraceFrontend = options.ftraceFrontend ?? true;
    this.hdrSize = kmsgHeaderLayout(this.arch).size;
    this.kmsg = layout.kmsg.map(freshState);
    this.pmsg = layout.pmsg ? freshState(layout.pmsg) : null;
    this.console = layout.console ? freshState(layout.console) : null;
    this.ftrace = layout.ftrace.map(freshState);
    this.maxReason = layout.maxReason;
    this.bufsize = this.kmsg.length ? this.kmsg[0].zone.bufferSize - this.hdrSize : 0;
    this.flags = {
      dmesg: layout.sizes.kmsg > 0,
      console: layout.sizes.console > 0,
      ftrace: layout.sizes.ftrace > 0,
      pmsg: layout.sizes.pmsg > 0,
    };
    this.recoveryError = this.recover();
  }

  /** The device has seen a panic dump: only dmesg writes are taken from now on. */
  get panicking(): boolean {
    return this.onPanic;
  }

  // ---- recovery (psz_recovery) ----

  private note(z: BlkZone, message: string): void {
    this.notes.push({ zone: z.label, offset: z.offset, message });
  }

  private recover(): CorruptImageError | null {
    this.recoverKmsg();
    for (const st of [this.pmsg, this.console, ...this.ftrace]) {
      if (!st) continue;
      const err = this.recoverRing(st);
      if (err) return err;
    }
    this.recovered = true;
    return null;
  }

  private recoverKmsg(): void {
    const le = this.kmsg.length;
    let newest = 0;
    for (let i = 0; i < le; i++) {
      const st = this.kmsg[i];
      const z = st.zone;
      const head = this.region.read(z.offset, PSZ_BUFFER_HEADER_SIZE + this.hdrSize);
      const b = decodePszBuffer(head, this.arch);
      if (b.sig !== st.sig) continue;
      if (b.datalen > z.bufferSize) {
        this.note(z, `found overtop zone: datalen ${b.datalen} > ${z.bufferSize}`);
        continue;
      }
      const h = decodeKmsgHeader(head, this.arch, PSZ_BUFFER_HEADER_SIZE);
      if (h.magic !== PSTORE_KMSG_HEADER_MAGIC) {
        this.note(z, `found invalid zone: kmsg magic 0x${h.magic.toString(16)}`);
        continue;
      }
      // The newest dump (by seconds, last one on ties) decides where the next one goes.
      if (h.time.sec >= newest) {
        newest = h.time.sec;
        this.kmsgWriteCnt = (i + 1) % le;
      }
      if (h.reason === KmsgDumpReason.OOPS) this.oopsCounter = Math.max(this.oopsCounter, h.counter);
      else if (h.reason === KmsgDumpReason.PANIC) this.panicCounter = Math.max(this.panicCounter, h.counter);
      if (b.datalen === 0) {
        this.note(z, 'found erased zone');
        continue;
      }
      const whole = this.region.read(z.offset, z.size);
      st.datalen = b.datalen;
      st.start = b.start;
      st.data = whole.subarray(PSZ_BUFFER_HEADER_SIZE);
    }
  }

  private recoverRing(st: ZoneState): CorruptImageError | null {
    const z = st.zone;
    const b = decodePszBuffer(this.region.read(z.offset, PSZ_BUFFER_HEADER_SIZE), this.arch);
    if (b.sig !== st.sig) return null;
    if (b.datalen > z.bufferSize || b.start > z.bufferSize) {
      this.note(z, `found overtop zone: datalen ${b.datalen}, start ${b.start}, buffer ${z.bufferSize}`);
      return null;
    }
    if (b.datalen === 0) {
      this.note(z, 'found erased zone');
      return null;
    }
    if (b.start > b.datalen) {
      // The kernel asks the device for (datalen - start) bytes, a negative
      // count; the read fails and so does the whole recovery.
      return new CorruptImageError(
        `zone start ${b.start} > datalen ${b.datalen}: the kernel's recovery fails and it shows no ${BLK_BACKEND_NAME} records`,
        z.offset + 8,
        z.label,
      );
    }
    const data = this.region.read(z.offset + PSZ_BUFFER_HEADER_SIZE, b.datalen);
    st.old = ringContents(data, b.start, b.datalen);
    return null;
  }

  // ---- read (psz_pstore_read) ----

  *read(): Iterable<BackendRecord> {
    if (this.recoveryError) throw this.recoveryError;
    this.readCounts.clear();
    for (let i = 0; i < this.kmsg.length; i++) {
      const st = this.kmsg[i];
      if (st.datalen === 0) continue;
      const rec = this.readKmsg(st, i);
      // A zero-sized record ends pstore_get_backend_records (the core stops there).
      if (rec) yield rec;
    }
    let ft: Uint8Array = new Uint8Array(0);
    if (this.ftraceFrontend) for (const st of this.ftrace) if (st.old && st.old.length) ft = combineFtraceLog(ft, st.old, this.arch);
    if (ft.length) yield this.plainRecord('ftrace', ft, this.ftrace.filter((s) => s.old).map((s) => zoneRef(s.zone)));
    for (const st of [this.pmsg, this.console]) {
      if (st?.old && st.old.length) yield this.plainRecord(st.zone.type, st.old, [zoneRef(st.zone)]);
    }
  }

  private plainRecord(type: PstoreType, data: Uint8Array, zones: ZoneRef[]): BackendRecord {
    return { type, id: 0, data, eccNotice: '', ecc: null, time: null, compressed: false, zones };
  }

  private readKmsg(st: ZoneState, id: number): BackendRecord | null {
    const z = st.zone;
    const h = decodeKmsgHeader(st.data, this.arch);
    if (h.magic !== PSTORE_KMSG_HEADER_MAGIC) {
      // psz_kmsg_read clears such a zone in memory only.
      st.datalen = 0;
      st.dirty = false;
      return null;
    }
    const size = st.datalen - this.hdrSize;
    if (size < 0) {
      this.note(z, `datalen ${st.datalen} is shorter than the ${this.hdrSize}-byte kmsg header (kernel behaviour undefined); skipped`);
      return null;
    }
    if (size === 0 && h.compressed) {
      // kmalloc(0) succeeds and the read returns 0: pstore_get_backend_records stops here.
      this.note(z, 'empty compressed dump: the kernel stops reading records here');
    }
    const payload = st.data.subarray(this.hdrSize, this.hdrSize + size);
    let data: Uint8Array;
    if (h.compressed) data = payload.slice();
    else {
      const prefix = new TextEncoder().encode(kmsgReadPrefix(h.reason, h.counter));
      data = new Uint8Array(prefix.length + payload.length);
      data.set(prefix, 0);
      data.set(payload, prefix.length);
    }
    this.readCounts.set(id, h.counter);
    return {
      type: 'dmesg',
      id,
      data,
      eccNotice: '',
      ecc: null,
      time: h.time,
      compressed: h.compressed,
      reason: h.reason,
      count: h.counter,
      zones: [zoneRef(z)],
    };
  }

  // ---- write (psz_pstore_write) ----

  write(record: WriteRecord): boolean {
    if (record.type === 'dmesg' && record.reason === KmsgDumpReason.PANIC) this.onPanic = true;
    if (this.onPanic && record.type !== 'dmesg') return false;
    switch (record.type) {
      case 'dmesg':
        return this.kmsgWrite(record);
      case 'console':
        return this.ringWrite(this.console, record.data);
      case 'pmsg':
        return this.ringWrite(this.pmsg, record.data);
      case 'ftrace': {
        const st = this.ftrace[record.cpu ?? 0];
        return st ? this.ringWrite(st, record.data) : false;
      }
      default:
        return false;
    }
  }

  writeUser(record: WriteRecord): boolean {
    return this.write(record);
  }

  private kmsgWrite(record: WriteRecord): boolean {
    // Only the first part of a dump is stored (-ENOSPC for the rest).
    if (record.part !== 1 || this.kmsg.length === 0) return false;
    const zonenum = this.kmsgWriteCnt;
    const st = this.kmsg[zonenum];
    const bs = st.zone.bufferSize;
    // A fresh zeroed buffer replaces the old one (kzalloc in psz_kmsg_write_record).
    st.data = new Uint8Array(bs);
    st.datalen = 0;
    st.start = 0;
    let counter = 0;
    if (record.reason === KmsgDumpReason.OOPS) counter = ++this.oopsCounter;
    else if (record.reason === KmsgDumpReason.PANIC) counter = ++this.panicCounter;
    encodeKmsgHeader(
      { magic: PSTORE_KMSG_HEADER_MAGIC, time: record.time, compressed: record.compressed, counter, reason: record.reason },
      this.arch,
      st.data,
    );
    const size = Math.min(record.data.length, bs - this.hdrSize);
    this.zoneWrite(st, Flush.All, record.data, size, this.hdrSize);
    this.kmsgWriteCnt = (zonenum + 1) % this.kmsg.length;
    // With a panic_write the kernel pushes out everything still pending.
    if (this.onPanic && this.panicWrite) this.flushAll();
    return true;
  }

  /** psz_record_write: append to a ring zone (console, pmsg, ftrace). */
  private ringWrite(st: ZoneState | null, src: Uint8Array): boolean {
    if (!st) return false;
    const bs = st.zone.bufferSize;
    let full = st.datalen >= bs;
    let buf = src;
    if (buf.length > bs) buf = buf.subarray(buf.length - bs);
    let start = st.start;
    const rem = bs - start;
    if (rem < buf.length) {
      this.zoneWrite(st, Flush.Part, buf, rem, start);
      buf = buf.subarray(rem);
      start = 0;
      full = true;
    }
    st.start = buf.length + start;
    this.zoneWrite(st, Flush.Part, buf, buf.length, start);
    if (full) {
      st.datalen = bs;
      this.zoneWrite(st, Flush.Meta, null, 0, 0);
    }
    return true;
  }

  /** psz_zone_write: update the in-memory zone, then write to the device if the kernel could now. */
  private zoneWrite(st: ZoneState, mode: Flush, buf: Uint8Array | null, len: number, off: number): void {
    const bs = st.zone.bufferSize;
    if (off > bs) return;
    const wlen = Math.min(len, bs - off);
    if (buf && wlen) {
      st.data.set(buf.subarray(0, wlen), off);
      st.datalen = wlen + off;
    }
    if (!this.canWrite()) {
      st.dirty = true;
      return;
    }
    const z = st.zone;
    if (mode === Flush.Part) this.region.write(z.offset + PSZ_BUFFER_HEADER_SIZE + off, st.data.subarray(off, off + wlen));
    if (mode === Flush.Part || mode === Flush.Meta) this.region.write(z.offset, this.header(st));
    else {
      const whole = new Uint8Array(z.size);
      whole.set(this.header(st), 0);
      whole.set(st.data, PSZ_BUFFER_HEADER_SIZE);
      this.region.write(z.offset, whole);
    }
  }

  private canWrite(): boolean {
    if (this.onPanic) return this.panicWrite;
    if (!this.recovered) return false;
    return this.inWorker || !this.deferWrites;
  }

  private header(st: ZoneState): Uint8Array {
    return encodePszBuffer({ sig: st.sig, datalen: st.datalen, start: st.start }, this.arch);
  }

  private flushZone(st: ZoneState): void {
    if (!this.recovered || !st.dirty) return;
    st.dirty = false;
    this.zoneWrite(st, Flush.All, null, 0, 0);
  }

  private flushAll(): void {
    for (const st of [this.pmsg, this.console, ...this.kmsg, ...this.ftrace]) if (st) this.flushZone(st);
  }

  /** psz_flush_all_dirty_zones from the delayed work (process context): write every dirty zone whole. */
  flushDirtyZones(): void {
    this.inWorker = true;
    try {
      this.flushAll();
    } finally {
      this.inWorker = false;
    }
  }

  // ---- erase (psz_pstore_erase) ----

  erase(type: PstoreType, id: number): void {
    switch (type) {
      case 'dmesg': {
        const st = this.kmsg[id];
        if (!Number.isInteger(id) || !st || st.datalen === 0) throw new NotFoundError(`no dmesg-${this.name}-${id}`);
        const counter = decodeKmsgHeader(st.data, this.arch).counter;
        const seen = this.readCounts.get(id);
        // The zone was rewritten since it was read: the file named an older dump.
        if (seen !== undefined && seen !== counter) return;
        st.datalen = 0;
        this.zoneWrite(st, Flush.Meta, null, 0, 0);
        return;
      }
      case 'pmsg':
      case 'console': {
        const st = type === 'pmsg' ? this.pmsg : this.console;
        if (id !== 0 || !st?.old) throw new NotFoundError(`no ${type}-${this.name}-${id}`);
        this.recordErase(st);
        return;
      }
      case 'ftrace': {
        // The merged file has id 0, so the kernel only ever erases CPU 0's zone.
        if (id !== 0 || !this.ftrace.some((s) => s.old)) throw new NotFoundError(`no ftrace-${this.name}-${id}`);
        const st = this.ftrace[id];
        if (st.old) this.recordErase(st);
        return;
      }
      default:
        throw new NotFoundError(`${this.name} stores no ${type} records`);
    }
  }

  private recordErase(st: ZoneState): void {
    st.old = null;
    // New data written this boot already supersedes the old log on the device.
    if (st.datalen === 0) this.zoneWrite(st, Flush.Meta, null, 0, 0);
    else this.flushZone(st);
  }
}

/**
 * The device as the kernel leaves it right after attaching: pstore/zone
 * writes no headers at attach (zones are set up in memory, 0xFF-filled, and
 * only reach the device on the first flush), so this just blanks the area the
 * layout covers with `fill` (0 for a new virtual disk, 0xFF for erased flash).
 */
export function createBlkImage(region: Region, layout: BlkLayout, fill = 0): void {
  const chunk = new Uint8Array(Math.min(layout.totalSize, 1 << 20)).fill(fill);
  for (let off = 0; off < layout.totalSize; off += chunk.length) {
    const n = Math.min(chunk.length, layout.totalSize - off);
    region.write(off, n === chunk.length ? chunk : chunk.subarray(0, n));
  }
}
