import type { PstoreBackend, WriteRecord, BackendFlags } from '../../core/backend.js';
import { combineFtraceLog } from '../../core/ftrace.js';
import type { BackendRecord, PstoreType } from '../../core/record.js';
import { CorruptImageError, LayoutError, PstoreError } from '../../errors.js';
import { readView, type Region } from '../../region/region.js';
import { attachPrz, PERSISTENT_RAM_SIG, PersistentRamZone, readPrzHeader, eccNoticeText, type PrzAttachResult, type PrzOptions } from '../../zone/persistentRamZone.js';
import { linuxVersionCode } from './kernelProfile.js';
import { formatKmsgHeader, parseKmsgHeader } from './kmsgHeader.js';
import type { RamoopsLayout, RamoopsZone } from './layout.js';

export const RAMOOPS_NAME = 'ramoops';

/** A zone as the kernel sees it when it attaches, plus what the reader made of it. */
export interface RamoopsZoneReport {
  zone: RamoopsZone;
  attach: PrzAttachResult;
  /**
   * dmesg zones the kernel's read reaches whose record header is missing: it
   * zaps the zone and skips it (ramoops_pstore_read).
   */
  noKmsgHeader: boolean;
  /**
   * dmesg zone with a valid header and nothing after it: it reads as 0 bytes,
   * and pstore_get_backend_records stops there.
   */
  emptyRecord: boolean;
  /** The read ended at an earlier empty record: no file for this zone, no zap. */
  unread: boolean;
}

/**
 * The ftrace zone signature: LINUX_VERSION_CODE of the writing kernel. With a
 * full `--kernel x.y.z` it is fixed; otherwise it is read from the first ftrace
 * zone when that looks like a version code of the profile's x.y.
 */
export function ftraceSignature(region: Region, layout: RamoopsLayout): number {
  const k = layout.kernel;
  const expected = linuxVersionCode(k.major, k.minor, k.patch ?? 0);
  if (k.patch !== null) return expected;
  const first = layout.zones.find((z) => z.type === 'ftrace');
  if (!first) return expected;
  const sig = (readPrzHeader(region.read(first.offset, 12), layout.arch.littleEndian).sig ^ PERSISTENT_RAM_SIG) >>> 0;
  return sig >>> 8 === expected >>> 8 ? sig : expected;
}

export function przOptions(layout: RamoopsLayout, zone: RamoopsZone, ftraceSig: number): PrzOptions {
  return {
    sig: zone.type === 'ftrace' ? ftraceSig : 0,
    eccSize: layout.params.ecc,
    littleEndian: layout.arch.littleEndian,
    emptyRule: layout.kernel.emptyRule,
    zapOld: zone.zapOld,
    label: zone.label,
  };
}

function checkFits(region: Region, layout: RamoopsLayout): void {
  if (layout.params.mem_size > region.size) {
    throw new LayoutError(
      `mem_size 0x${layout.params.mem_size.toString(16)} is larger than the image (0x${region.size.toString(16)} bytes from the offset): truncated image or wrong --mem-size/--offset`,
    );
  }
}

/**
 * The ramoops backend (fs/pstore/ram.c) on a Region. Reading attaches every
 * zone on a copy, so the medium is not modified; writes go through
 * PersistentRamZone and behave as a running kernel's.
 */
export class Ramoops implements PstoreBackend {
  readonly name = RAMOOPS_NAME;
  readonly bufsize: number;
  readonly flags: BackendFlags;
  readonly maxReason: number;
  readonly ftraceSig: number;
  private reports: RamoopsZoneReport[] | null = null;
  private writers: Map<RamoopsZone, PersistentRamZone> | null = null;
  /** dump_write_cnt: restarts at zone 0 every boot (every open). */
  private dumpWriteCnt = 0;

  constructor(
    readonly region: Region,
    readonly layout: RamoopsLayout,
  ) {
    checkFits(region, layout);
    this.bufsize = layout.bufsize;
    this.maxReason = layout.params.max_reason;
    this.flags = {
      dmesg: layout.dmesgCount > 0,
      console: layout.params.console_size > 0,
      ftrace: layout.ftraceCount > 0,
      pmsg: layout.params.pmsg_size > 0,
    };
    this.ftraceSig = ftraceSignature(region, layout);
  }

  /** Attach results for every zone, in layout order (computed once). */
  zoneReports(): RamoopsZoneReport[] {
    if (!this.reports) {
      const reports = this.layout.zones.map((zone): RamoopsZoneReport => {
        // attachPrz never writes to its input: a view is enough where the region has one.
        const attach = attachPrz(readView(this.region, zone.offset, zone.size), przOptions(this.layout, zone, this.ftraceSig));
        const log = zone.type === 'dmesg' && attach.oldLog && attach.oldLog.length ? attach.oldLog : null;
        const hdr = log ? parseKmsgHeader(log) : null;
        return { zone, attach, noKmsgHeader: Boolean(log && !hdr), emptyRecord: Boolean(log && hdr && hdr.length === log.length), unread: false };
      });
      // ramoops_pstore_read order: dmesg zones, then console, pmsg, ftrace (all after any dmesg zone).
      const stop = reports
        .filter((r) => r.zone.type === 'dmesg')
        .sort((a, b) => a.zone.index - b.zone.index)
        .find((r) => r.emptyRecord);
      if (stop) {
        for (const r of reports) {
          if (r.zone.type !== 'dmesg' || r.zone.index > stop.zone.index) {
            r.unread = true;
            r.noKmsgHeader = false;
          }
        }
      }
      this.reports = reports;
    }
    return this.reports;
  }

  /** Records in ramoops_pstore_read order: dmesg zones, console, pmsg, merged ftrace. */
  *read(): Iterable<BackendRecord> {
    const reports = this.zoneReports();
    const ofType = (t: RamoopsZone['type']): RamoopsZoneReport[] => reports.filter((r) => r.zone.type === t);
    const ref = (r: RamoopsZoneReport) => ({ label: r.zone.label, offset: r.zone.offset, size: r.zone.size });
    const eccOf = (r: RamoopsZoneReport) => (r.attach.ecc ? { corrected: r.attach.ecc.correctedBytes, bad: r.attach.ecc.badBlocks } : null);

    for (const r of ofType('dmesg')) {
      const log = r.attach.oldLog;
      if (!log || !log.length) continue;
      const hdr = parseKmsgHeader(log);
      if (!hdr) continue;
      yield {
        type: 'dmesg',
        id: r.zone.index,
        data: log.subarray(hdr.length),
        eccNotice: r.attach.eccNotice,
        ecc: eccOf(r),
        time: hdr.time,
        compressed: hdr.compressed,
        zones: [ref(r)],
      };
    }
    for (const type of ['console', 'pmsg'] as const) {
      for (const r of ofType(type)) {
        const log = r.attach.oldLog;
        if (!log || !log.length) continue;
        yield { type, id: 0, data: log, eccNotice: r.attach.eccNotice, ecc: eccOf(r), time: null, compressed: false, zones: [ref(r)] };
      }
    }
    const ftrace = ofType('ftrace');
    if (!ftrace.length) return;
    if (!this.layout.ftracePerCpu) {
      const r = ftrace[0];
      const log = r.attach.oldLog;
      if (log && log.length) yield { type: 'ftrace', id: 0, data: log, eccNotice: r.attach.eccNotice, ecc: eccOf(r), time: null, compressed: false, zones: [ref(r)] };
      return;
    }
    if (!this.layout.kernel.ftraceFrontend) return; // combine_log is a stub without CONFIG_PSTORE_FTRACE
    // The kernel merges the logs of every zone that has one into one record.
    let merged = new Uint8Array(0);
    let corrected = 0;
    let bad = 0;
    let any = false;
    const used: RamoopsZoneReport[] = [];
    for (const r of ftrace) {
      const log = r.attach.oldLog;
      if (!log || !log.length) continue;
      any = true;
      used.push(r);
      if (r.attach.ecc) {
        corrected += r.attach.ecc.correctedBytes;
        bad += r.attach.ecc.badBlocks;
      }
      merged = combineFtraceLog(merged, log, this.layout.arch) as Uint8Array<ArrayBuffer>;
    }
    if (!any || !merged.length) return;
    const eccOn = this.layout.params.ecc > 0;
    yield {
      type: 'ftrace',
      id: 0,
      data: merged,
      eccNotice: eccOn ? eccNoticeText(corrected, bad) : '',
      ecc: eccOn ? { corrected, bad } : null,
      time: null,
      compressed: false,
      zones: used.map(ref),
    };
  }

  private writer(zone: RamoopsZone): PersistentRamZone {
    if (!this.writers) this.writers = new Map();
    let w = this.writers.get(zone);
    if (!w) {
      w = new PersistentRamZone(this.region, zone.offset, zone.size, przOptions(this.layout, zone, this.ftraceSig));
      this.writers.set(zone, w);
    }
    return w;
  }

  private zonesOf(type: RamoopsZone['type']): RamoopsZone[] {
    return this.layout.zones.filter((z) => z.type === type);
  }

  /** Zones whose header the kernel would not accept (wrong signature, start/size out of range). */
  unformattedZones(): RamoopsZone[] {
    return this.zoneReports()
      .filter((r) => r.attach.state === 'no-signature' || r.attach.state === 'invalid')
      .map((r) => r.zone);
  }

  /** Sign and empty every zone, as the kernel's first attach does (`pstore create`). */
  format(zones: RamoopsZone[] = this.layout.zones): void {
    for (const z of zones) this.writer(z).format();
    this.reports = null;
  }

  /** ramoops_pstore_write. */
  write(record: WriteRecord): boolean {
    this.reports = null;
    switch (record.type) {
      case 'console': {
        const [z] = this.zonesOf('console');
        if (!z) return false;
        this.writer(z).write(record.data);
        return true;
      }
      case 'ftrace': {
        const zones = this.zonesOf('ftrace');
        if (!zones.length) return false;
        const idx = this.layout.ftracePerCpu ? (record.cpu ?? 0) : 0;
        if (idx >= zones.length) throw new PstoreError(`no ftrace zone for CPU ${idx} (${zones.length} zones)`);
        this.writer(zones[idx]).write(record.data);
        return true;
      }
      case 'dmesg': {
        // Only part 1 of a dump is kept, so a report is never split across zones.
        if (record.part !== 1) return false;
        const zones = this.zonesOf('dmesg');
        if (!zones.length) return false;
        const w = this.writer(zones[this.dumpWriteCnt]);
        w.zap();
        const hdr = new TextEncoder().encode(formatKmsgHeader(record.time, record.compressed));
        w.write(hdr);
        let data = record.data;
        if (data.length + hdr.length > w.geometry.dataSize) data = data.subarray(0, Math.max(0, w.geometry.dataSize - hdr.length));
        w.write(data);
        this.dumpWriteCnt = (this.dumpWriteCnt + 1) % zones.length;
        return true;
      }
      default:
        return false;
    }
  }

  /** pmsg: user bytes appended unchanged. */
  writeUser(record: WriteRecord): boolean {
    this.reports = null;
    const [z] = this.zonesOf('pmsg');
    if (!z) return false;
    this.writer(z).write(record.data);
    return true;
  }

  /** ramoops_pstore_erase: zap the zone that holds the record. */
  erase(type: PstoreType, id: number): void {
    this.reports = null;
    let zone: RamoopsZone | undefined;
    if (type === 'dmesg' || type === 'ftrace') zone = this.zonesOf(type)[id];
    else if (type === 'console' || type === 'pmsg') zone = this.zonesOf(type)[0];
    if (!zone) throw new CorruptImageError(`no ${type} zone with id ${id}`, 0);
    this.writer(zone).zap();
  }
}
