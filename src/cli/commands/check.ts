/**
 * `pstore check IMAGE [--json]`: what the kernel finds in each zone when it
 * attaches: signature, ring state, ECC corrections. Exit status 1 when any
 * data is unrecoverable (a block, or a header, that ECC cannot correct).
 */
import type { Command } from 'commander';
import type { BlkImage, BlkZoneReport } from '../../api/blkImage.js';
import type { RamoopsZoneReport } from '../../backends/ramoops/ramoops.js';
import { kmsgDumpReasonStr, kmsgHeaderLayout } from '../../backends/blk/zoneFormat.js';
import { BlockHealth } from '../../zone/persistentRamZone.js';
import { planRepair, type RepairPlan } from '../../api/repair.js';
import { writePatchesAtomically } from '../atomicPatch.js';
import { efiCheck } from './checkEfi.js';
import { hex, table } from '../format.js';
import type { CliIo } from '../io.js';
import { addAutoOption, addLayoutOptions, openPstoreImage, type LayoutFlags } from '../layoutOptions.js';

export interface CheckFlags extends LayoutFlags {
  json?: boolean;
  /** Write the ECC corrections back (data and fresh parity), atomically. */
  repair?: boolean;
}

export interface ZoneCheck {
  type: string;
  label: string;
  offset: number;
  size: number;
  /** none: a pstore/blk zone never written (blank). */
  signature: 'ok' | 'bad' | 'none';
  /** empty | valid | invalid (start/size out of range) | no-signature */
  state: string;
  start: number;
  /** Bytes the header says are stored. */
  used: number;
  capacity: number;
  /** ECC: 'off', 'clean', 'corrected N', 'bad'. */
  header_ecc: string;
  corrected: number;
  bad_blocks: number;
  /** Indexes of uncorrectable blocks. */
  bad_block_list: number[];
  /** dmesg zone with data but no `====sec.usec` header (the kernel skips it); blk: no kmsg header magic. */
  no_record_header: boolean;
  /** The zone's record reads as 0 bytes (header only): Linux's enumeration of records stops here. */
  read_stops_here?: boolean;
  /** Linux's enumeration stopped at an earlier zone: no file for this one (and no zap). */
  unread?: boolean;
  /** pstore/blk kmsg zones: the dump header (reason, counter, time, compressed). */
  dump?: { reason: string; counter: number; time: number; nsec: number; compressed: boolean } | null;
}

export interface CheckReport {
  zones: ZoneCheck[];
  corrected: number;
  bad_blocks: number;
  ok: boolean;
  /** pstore/blk: why the kernel's recovery fails and it shows no records (then ok is false). */
  recovery_error?: string | null;
}

function headerEcc(r: RamoopsZoneReport): string {
  const e = r.attach.ecc;
  if (!e) return 'off';
  if (e.header < 0) return 'bad';
  return e.header > 0 ? `corrected ${e.header}` : 'clean';
}

export function zoneCheck(r: RamoopsZoneReport): ZoneCheck {
  const a = r.attach;
  const badList: number[] = [];
  if (a.ecc) a.ecc.blocks.forEach((h, i) => h === BlockHealth.Bad && badList.push(i));
  return {
    type: r.zone.type,
    label: r.zone.label,
    offset: r.zone.offset,
    size: r.zone.size,
    signature: a.state === 'no-signature' ? 'bad' : 'ok',
    state: a.state,
    start: a.header.start,
    used: a.header.size,
    capacity: a.geometry.dataSize,
    header_ecc: headerEcc(r),
    corrected: a.ecc?.correctedBytes ?? 0,
    bad_blocks: a.ecc?.badBlocks ?? 0,
    bad_block_list: badList,
    no_record_header: r.noKmsgHeader,
    read_stops_here: r.emptyRecord,
    unread: r.unread,
  };
}

/** One line naming the zone where Linux's enumeration of records ends, or ''. */
function readStopLine(report: CheckReport): string {
  const stop = report.zones.find((z) => z.read_stops_here);
  if (!stop) return '';
  const hidden = report.zones.filter((z) => z.unread && z.used > 0).length;
  return `${stop.label}: record header and no data: Linux reads it as 0 bytes and shows no record from here on (${hidden} zones with data not shown)\n`;
}

function zoneStateLabel(z: ZoneCheck): string {
  if (z.no_record_header) return `${z.state} (no header)`;
  if (z.read_stops_here) return `${z.state} (empty record: read stops)`;
  if (z.unread) return `${z.state} (not read)`;
  return z.state;
}

export function checkReport(reports: RamoopsZoneReport[]): CheckReport {
  const zones = reports.map(zoneCheck);
  const corrected = zones.reduce((n, z) => n + z.corrected, 0);
  const bad = zones.reduce((n, z) => n + z.bad_blocks, 0);
  return { zones, corrected, bad_blocks: bad, ok: bad === 0 };
}

/** A pstore/blk zone in the same shape (no ECC: pstore/zone has none). */
export function blkZoneCheck(r: BlkZoneReport): ZoneCheck {
  const k = r.kmsg;
  return {
    type: r.zone.type,
    label: r.zone.label,
    offset: r.zone.offset,
    size: r.zone.size,
    signature: r.state === 'blank' ? 'none' : r.state === 'no-signature' ? 'bad' : 'ok',
    state: r.state,
    start: r.header.start,
    used: r.header.datalen,
    capacity: r.zone.bufferSize,
    header_ecc: 'none',
    corrected: 0,
    bad_blocks: 0,
    bad_block_list: [],
    no_record_header: r.state === 'bad-magic',
    read_stops_here: false,
    unread: false,
    dump:
      r.zone.type === 'dmesg'
        ? k && r.state !== 'bad-magic'
          ? { reason: kmsgDumpReasonStr(k.reason), counter: k.counter, time: k.time.sec, nsec: k.time.nsec, compressed: k.compressed }
          : null
        : undefined,
  };
}

export function blkCheckReport(image: BlkImage): CheckReport {
  const reports = image.zones();
  const zones = reports.map(blkZoneCheck);
  // psz_kmsg_read returns 0 for a compressed dump without data: Linux's read of records ends there
  // (kmsg zones in order, then ftrace, pmsg, console).
  const hdr = kmsgHeaderLayout(image.arch).size;
  const stop = reports
    .filter((r) => r.zone.type === 'dmesg')
    .sort((a, b) => a.zone.index - b.zone.index)
    .find((r) => r.state === 'valid' && r.kmsg?.compressed && r.header.datalen === hdr);
  if (stop) {
    reports.forEach((r, i) => {
      if (r === stop) zones[i].read_stops_here = true;
      else if (r.zone.type !== 'dmesg' || r.zone.index > stop.zone.index) zones[i].unread = true;
    });
  }
  const err = image.recoveryProblem();
  return { zones, corrected: 0, bad_blocks: 0, ok: !err, recovery_error: err ? err.message : null };
}

function blkCheck(image: BlkImage, flags: CheckFlags, io: CliIo): number {
  const report = blkCheckReport(image);
  if (flags.json) io.stdout(JSON.stringify(report, null, 2) + '\n');
  else {
    io.stdout(
      table(
        ['ZONE', 'OFFSET', 'SIZE', 'SIG', 'STATE', 'START', 'USED', 'DUMP'],
        report.zones.map((z) => [
          z.label,
          hex(z.offset),
          hex(z.size),
          z.signature,
          z.no_record_header ? z.state : zoneStateLabel(z),
          String(z.start),
          `${z.used}/${z.capacity}`,
          z.dump ? `${z.dump.reason}#${z.dump.counter}${z.dump.compressed ? ' compressed' : ''}` : '-',
        ]),
        [5, 6],
      ),
    );
    io.stdout(readStopLine(report));
    io.stdout(report.ok ? 'pstore/blk has no ECC: corruption cannot be detected\n' : `recovery fails: ${report.recovery_error}\n`);
  }
  if (!report.ok) io.stderr(`pstore: the kernel's recovery of this device fails: it shows no records\n`);
  return report.ok ? 0 : 1;
}

export function checkCommand(imagePath: string, flags: CheckFlags, io: CliIo): number {
  const { image, close } = openPstoreImage(imagePath, flags, { warn: (w) => io.stderr(`pstore: warning: ${w}\n`), note: (m) => io.stderr(`pstore: ${m}\n`) });
  try {
    if (image.kind === 'blk') {
      if (flags.repair) io.stderr('pstore: --repair: pstore/blk zones carry no ECC: nothing can be repaired\n');
      return blkCheck(image, flags, io);
    }
    if (image.kind === 'efi') {
      if (flags.repair) io.stderr('pstore: --repair: a variable store carries no ECC: nothing can be repaired\n');
      return efiCheck(image, Boolean(flags.json), io);
    }
    const report = checkReport(image.zones());
    if (flags.json) {
      io.stdout(JSON.stringify(report, null, 2) + '\n');
    } else {
      io.stdout(
        table(
          ['ZONE', 'OFFSET', 'SIZE', 'SIG', 'STATE', 'START', 'USED', 'HDR-ECC', 'CORRECTED', 'BAD'],
          report.zones.map((z) => [
            z.label,
            hex(z.offset),
            hex(z.size),
            z.signature,
            zoneStateLabel(z),
            String(z.start),
            `${z.used}/${z.capacity}`,
            z.header_ecc,
            String(z.corrected),
            z.bad_block_list.length ? `${z.bad_blocks} (blocks ${z.bad_block_list.join(',')})` : String(z.bad_blocks),
          ]),
          [5, 6, 8],
        ),
      );
      io.stdout(readStopLine(report));
      const ecc = image.layout.params.ecc;
      io.stdout(
        ecc
          ? `ECC ${ecc}: ${report.corrected} corrected bytes, ${report.bad_blocks} unrecoverable blocks${report.ok ? '' : ' -- data lost'}\n`
          : 'ECC off: corruption cannot be detected\n',
      );
    }
    if (flags.repair) {
      const plan = planRepair(image);
      close();
      return repairCommand(imagePath, image.layout.params.ecc, image.options.offset ?? 0, plan, io);
    }
    if (!report.ok) io.stderr(`pstore: ${report.bad_blocks} unrecoverable block${report.bad_blocks === 1 ? '' : 's'}\n`);
    return report.ok ? 0 : 1;
  } finally {
    close();
  }
}

/**
 * `check --repair`: write what ECC corrects (data, header) with fresh parity.
 * A regular file is repaired in a copy that replaces it by rename, so an
 * interruption leaves the original or the repaired image, never a mix.
 */
function repairCommand(imagePath: string, ecc: number, base: number, plan: RepairPlan, io: CliIo): number {
  if (!ecc) {
    io.stderr('pstore: --repair: this layout has no ECC: nothing can be repaired\n');
    return 0;
  }
  for (const z of plan.zones) {
    const r = z.repair;
    if (r.skipped && r.skipped !== 'no ECC' && r.skipped !== 'no signature') io.stderr(`pstore: --repair: ${z.zone.label}: left as is (${r.skipped})\n`);
    if (r.header || r.blocks.length) {
      io.stderr(`pstore: --repair: ${z.zone.label}: ${r.correctedBytes} corrected bytes${r.header ? ' (header)' : ''}${r.blocks.length ? ` in block${r.blocks.length === 1 ? '' : 's'} ${r.blocks.join(',')}` : ''}\n`);
    }
  }
  if (!plan.writes.length) {
    io.stderr('pstore: --repair: nothing to repair\n');
  } else {
    writePatchesAtomically(imagePath, plan.writes.map((w) => ({ offset: base + w.offset, bytes: w.bytes })));
    io.stderr(`pstore: --repair: wrote ${plan.writes.reduce((n, w) => n + w.bytes.length, 0)} bytes in ${plan.writes.length} ranges\n`);
  }
  if (plan.remainingBad) {
    io.stderr(`pstore: ${plan.remainingBad} unrecoverable block${plan.remainingBad === 1 ? '' : 's'} remain (left untouched)\n`);
    return 1;
  }
  return 0;
}

export function registerCheck(program: Command, io: CliIo, done: (code: number) => void): void {
  const cmd = program
    .command('check')
    .description('verify every zone: signature, ring state, ECC (exit 1 when data is unrecoverable; blk: when recovery fails; efi: the variable store health, exit 1 when damaged)')
    .argument('<image>', 'ramoops region, RAM dump (with --offset), or pstore/blk device image (--backend blk)')
    .option('--json', 'JSON report {zones: [...], corrected, bad_blocks, ok}')
    .option('--repair', 'write the ECC corrections back (data and header, with fresh parity); unrecoverable blocks stay as they are; a file is replaced atomically');
  addLayoutOptions(cmd);
  addAutoOption(cmd);
  cmd.action((image: string, flags: CheckFlags) => done(checkCommand(image, flags, io)));
}
