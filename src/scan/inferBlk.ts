/**
 * pstore/blk devices in a dump: group pstore/zone headers into devices and
 * infer the pstore_blk parameters (kmsg/pmsg/console/ftrace sizes, ftrace
 * CPUs, device start and size), then confirm them by rebuilding the zone map
 * the kernel would lay out (blkLayout) and checking each header against it.
 */
import { blkLayout, blkParamsFromKiB, PSZ_BUFFER_HEADER_SIZE, PSZ_MAX_TOTAL_SIZE, type BlkLayout, type BlkZoneType } from '../backends/blk/layout.js';
import { PSTORE_KMSG_HEADER_MAGIC } from '../backends/blk/zoneFormat.js';
import { PstoreError } from '../errors.js';
import { readView, type Region } from '../region/region.js';
import { roundest } from './infer.js';
import type { BlkZoneCandidate } from './signature.js';

/** The pstore_blk module parameters a scan infers (sizes in KiB, as the module takes them). */
export interface BlkInferredParams {
  kmsg_size: number;
  pmsg_size: number;
  console_size: number;
  ftrace_size: number;
}

export interface BlkInferredZone {
  type: BlkZoneType;
  index: number;
  label: string;
  /** Absolute offset in the dump. */
  offset: number;
  size: number;
  /** `found`: a header of this type here; `missing`: none; `mismatch`: a header of another type. */
  state: 'found' | 'missing' | 'mismatch';
  datalen: number | null;
  start: number | null;
}

export interface BlkInferredRegion {
  backend: 'blk';
  /** Where the device starts in the dump (its pmsg zone, or the first zone the layout has). */
  offset: number;
  /** Device size in bytes (`--mem-size`): at least the zones found, stretched over blank space after them. */
  deviceSize: number;
  params: BlkInferredParams;
  /** nr_cpu_ids: one ftrace zone each; 1 without ftrace. */
  ftraceCpus: number;
  kernel: string;
  arch: string;
  littleEndian: boolean;
  /** 0..1, like the ramoops regions'. */
  confidence: number;
  zones: BlkInferredZone[];
  zonesFound: number;
  truncated: boolean;
  /**
   * Another layout explains the headers as well but shows different files:
   * the choice is a guess (the alternatives say what differs).
   */
  ambiguous: boolean;
  /** Equally good layouts with different files, one line each (what differs). */
  alternatives: string[];
  notes: string[];
}

/** Kconfig default zone size (CONFIG_PSTORE_BLK_*_SIZE = 64 KiB): the guess when a size cannot be measured. */
const DEFAULT_BLK_ZONE = 64 * 1024;
const PAGE = 4096;
/** Most headers looked at per device (bounded work on hostile input). */
const MAX_GROUP = 65536;
/** Bytes read at most when stretching a device over blank space. */
const MAX_BLANK_READ = PSZ_MAX_TOTAL_SIZE;
const BLANK_STEP = 64 * 1024;

const RANK: Record<BlkZoneType, number> = { pmsg: 0, console: 1, ftrace: 2, dmesg: 3 };

const gcd = (a: number, b: number): number => {
  while (b) [a, b] = [b, a % b];
  return a;
};
const roundUp = (n: number, m: number): number => Math.ceil(n / m) * m;
const hex = (n: number): string => `0x${n.toString(16)}`;

/** Bytes a zone needs to hold what its header says it holds. */
function need(c: BlkZoneCandidate): number {
  return PSZ_BUFFER_HEADER_SIZE + Math.max(c.datalen, c.start);
}

interface Group {
  le: boolean;
  cands: BlkZoneCandidate[];
  /** gcd of the kmsg header spacings (0 with fewer than two). */
  kmsgGrid: number;
}

/** Device inference over the pstore/zone header candidates of one dump. */
export class BlkInference {
  constructor(
    readonly dump: Region,
    readonly candidates: readonly BlkZoneCandidate[],
  ) {}

  regions(): BlkInferredRegion[] {
    const groups = this.group(this.candidates.filter((c) => this.plausible(c)));
    const out: BlkInferredRegion[] = [];
    for (let i = 0; i < groups.length; i++) {
      const next = i + 1 < groups.length ? groups[i + 1].cands[0].offset : this.dump.size;
      const r = this.infer(groups[i], next);
      if (r) out.push(r);
    }
    return out;
  }

  /** kmsg zones must carry the kmsg header magic after the zone header (the DBGC word alone is ramoops's too). */
  private plausible(c: BlkZoneCandidate): boolean {
    if (c.type !== 'dmesg') return true;
    const at = c.offset + PSZ_BUFFER_HEADER_SIZE;
    if (at + 4 > this.dump.size) return false;
    const b = this.dump.read(at, 4);
    const magic = c.littleEndian ? (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0 : ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
    return magic === PSTORE_KMSG_HEADER_MAGIC;
  }

  /**
   * Greedy grouping in offset order: zones of one device come pmsg, console,
   * ftrace…, kmsg… within 128 MiB, never inside the data of the previous
   * zone, with kmsg headers on one grid of whole pages.
   */
  private group(cands: BlkZoneCandidate[]): Group[] {
    const groups: Group[] = [];
    let g: Group | null = null;
    let lastEnd = 0;
    let maxKmsgNeed = 0;
    let firstK: BlkZoneCandidate | null = null;
    for (const c of cands) {
      if (g) {
        const last = g.cands[g.cands.length - 1];
        if (c.littleEndian === g.le && c.offset < lastEnd) continue; // inside the previous zone's data: log text
        let fits = c.littleEndian === g.le && c.offset - g.cands[0].offset < PSZ_MAX_TOTAL_SIZE && g.cands.length < MAX_GROUP;
        const r = RANK[c.type];
        const lr = RANK[last.type];
        if (fits && (r < lr || (r === lr && r < 2))) fits = false;
        let grid = g.kmsgGrid;
        if (fits && c.type === 'dmesg' && firstK) {
          grid = gcd(grid, c.offset - firstK.offset);
          if (grid % PAGE || grid < Math.max(maxKmsgNeed, need(c))) fits = false;
        }
        if (fits) {
          g.cands.push(c);
          g.kmsgGrid = grid;
          lastEnd = c.offset + need(c);
          if (c.type === 'dmesg') {
            firstK ??= c;
            maxKmsgNeed = Math.max(maxKmsgNeed, need(c));
          }
          continue;
        }
      }
      g = { le: c.littleEndian, cands: [c], kmsgGrid: 0 };
      groups.push(g);
      lastEnd = c.offset + need(c);
      firstK = c.type === 'dmesg' ? c : null;
      maxKmsgNeed = c.type === 'dmesg' ? need(c) : 0;
    }
    return groups;
  }

  /** Whether two kmsg zones hold the same record: same length, same first 4 KiB (its header, counter and time first). */
  private sameRecord(a: BlkZoneCandidate, b: BlkZoneCandidate): boolean {
    if (a.datalen !== b.datalen || a.start !== b.start || a.datalen === 0) return false;
    const n = Math.min(a.datalen, 4096);
    if (b.offset + PSZ_BUFFER_HEADER_SIZE + n > this.dump.size || a.offset + PSZ_BUFFER_HEADER_SIZE + n > this.dump.size) return false;
    const x = this.dump.read(a.offset + PSZ_BUFFER_HEADER_SIZE, n); // a copy: the view of y may replace a cached block
    const y = readView(this.dump, b.offset + PSZ_BUFFER_HEADER_SIZE, n);
    for (let i = 0; i < n; i++) if (x[i] !== y[i]) return false;
    return true;
  }

  /** Whether [from, from+len) of the dump is all 0x00 or all 0xFF (never-written device space). */
  private blank(from: number, len: number): boolean {
    for (let p = from; p < from + len; p += BLANK_STEP) {
      const b = readView(this.dump, p, Math.min(BLANK_STEP, from + len - p));
      const v = b[0];
      if (v !== 0 && v !== 0xff) return false;
      for (let i = 1; i < b.length; i++) if (b[i] !== v) return false;
    }
    return true;
  }

  private infer(g: Group, nextGroup: number): BlkInferredRegion | null {
    const notes: string[] = [];
    const alternatives: string[] = [];
    const K = g.cands.filter((c) => c.type === 'dmesg');
    const P = g.cands.find((c) => c.type === 'pmsg') ?? null;
    const C = g.cands.find((c) => c.type === 'console') ?? null;
    const F = g.cands.filter((c) => c.type === 'ftrace');
    let guessed = false;

    // kmsg_size: the spacing of kmsg headers; with one header, the default (or a ring zone's size) if it holds it.
    let kmsg = 0;
    const ringSizes: number[] = [];
    if (P && C) ringSizes.push(C.offset - P.offset);
    if (K.length >= 2) kmsg = g.kmsgGrid;
    else if (K.length === 1) {
      const min = roundUp(need(K[0]), PAGE);
      const pick = [...ringSizes, DEFAULT_BLK_ZONE].find((s) => s >= min && s % PAGE === 0);
      kmsg = pick ?? 2 ** Math.ceil(Math.log2(min));
      guessed = true;
      notes.push(`kmsg_size ${kmsg / 1024} KiB is a guess (one kmsg zone header; the zone holds ${K[0].datalen} bytes)`);
    }

    // ftrace: contiguous per-CPU zones of one size.
    let fz = 0;
    if (F.length >= 2) {
      fz = F[1].offset - F[0].offset;
      for (let i = 2; i < F.length; i++) if (F[i].offset - F[i - 1].offset !== fz) return null;
    }

    // Ring zones in device order and the size of each but the last.
    const rings = [P, C, F[0] ?? null].filter((c): c is BlkZoneCandidate => c !== null);
    const size = new Map<BlkZoneCandidate, number>();
    for (let i = 0; i + 1 < rings.length; i++) size.set(rings[i], rings[i + 1].offset - rings[i].offset);
    const lastRing = rings.length ? rings[rings.length - 1] : null;
    let kmsgStart = K.length ? K[0].offset : -1;
    if (lastRing) {
      const lastNeed = lastRing.type === 'ftrace' ? (fz ? F[F.length - 1].offset + fz - F[0].offset : need(lastRing)) : roundUp(need(lastRing), PAGE);
      let s: number;
      if (lastRing.type === 'ftrace' && fz) {
        s = F.length * fz;
        if (K.length && (K[0].offset - (F[0].offset + s)) % kmsg !== 0) notes.push('kmsg zones are off the grid that the ftrace zones imply');
        if (K.length && K[0].offset < F[0].offset + s) return null;
      } else if (K.length) {
        // The kmsg area starts j kmsg zones before the first kmsg header: prefer a ring size seen elsewhere, the default, a power of two, then j = 0.
        let best = -1;
        let bestScore = -Infinity;
        for (let j = 0; j <= 8; j++) {
          const cand = K[0].offset - j * kmsg - lastRing.offset;
          if (cand < lastNeed) break;
          if (cand % PAGE) continue;
          const known = [...size.values()];
          // People choose powers of two: 24 KiB of pmsg is more likely 16 KiB and an unwritten kmsg zone 0.
          const pow2 = (cand & (cand - 1)) === 0;
          const score = (known.includes(cand) ? 2 : 0) + (cand === kmsg ? 1 : 0) + (cand === DEFAULT_BLK_ZONE ? 1 : 0) + (pow2 ? 1 : 0) - 0.5 * j * j;
          if (score > bestScore) [best, bestScore] = [cand, score];
        }
        if (best < 0) return null;
        s = best;
        // Only the first kmsg header bounds this zone: a size no one would choose (not a power of two,
        // seen nowhere else) is as well explained by two devices back to back, the kmsg zones another's.
        if ((s & (s - 1)) !== 0 && ![...size.values()].includes(s) && s !== kmsg) {
          alternatives.push(`the ${lastRing.type} zone would be ${s / 1024} KiB, a size seen nowhere else: the device may end after a smaller ${lastRing.type} zone and the kmsg zones from ${hex(K[0].offset)} be another device's (two devices back to back)`);
        }
        if (s !== K[0].offset - lastRing.offset) {
          notes.push(`kmsg zone 0 assumed at ${hex(lastRing.offset + s)} (no header there)`);
          // The space without headers may be kmsg zones never written, or a ring zone (ftrace) never written: the names differ.
          alternatives.push(`the ${hex(K[0].offset - lastRing.offset - s)} bytes without a header before the first kmsg header may be another zone never written (e.g. ftrace): kmsg files would be numbered ${(K[0].offset - lastRing.offset - s) / kmsg} lower`);
        }
      } else {
        const known = [...size.values()];
        const pick = [...known, DEFAULT_BLK_ZONE].find((x) => x >= lastNeed && x % PAGE === 0);
        s = pick ?? 2 ** Math.ceil(Math.log2(Math.max(PAGE, lastNeed)));
        guessed = true;
        notes.push(`size of the ${lastRing.type} zone (${s / 1024} KiB) is a guess: nothing follows it`);
      }
      size.set(lastRing, s);
      kmsgStart = lastRing.offset + s;
    }
    const offset = rings.length ? rings[0].offset : kmsgStart;
    if (offset < 0) return null;
    if (!rings.length && kmsg && offset >= kmsg) {
      // A kmsg header one zone before the first (grouped with a device before it, across zones without
      // a header): it may be this device's first zone, and then every kmsg file is numbered differently.
      const prev = this.candidates.find((c) => c.offset === offset - kmsg && c.type === 'dmesg' && c.littleEndian === g.le);
      if (prev && this.plausible(prev)) alternatives.push(`the device may start one kmsg zone earlier, at ${hex(prev.offset)} (a kmsg header there): kmsg files would be numbered 1 higher`);
    }
    if (!rings.length && kmsg) {
      // Whole kmsg zones of blank bytes just before the first header, set off from what precedes them: kmsg zones never written?
      let n = 0;
      const fill = offset > 0 ? this.dump.read(offset - 1, 1)[0] : -1;
      const same = (from: number): boolean => this.blank(from, kmsg) && this.dump.read(from, 1)[0] === fill;
      while (n < 4 && offset - (n + 1) * kmsg >= 0 && same(offset - (n + 1) * kmsg)) n++;
      const before = offset - n * kmsg;
      if (n && (before === 0 || (n < 4 && !this.dump.read(Math.max(0, before - 64), Math.min(64, before)).every((x) => x === fill)))) {
        alternatives.push(`the device may start ${n} kmsg zone(s) earlier, at ${hex(before)} (zones never written): kmsg files would be numbered ${n} higher`);
      }
    }
    // The kernel numbers every dump (`Panic#N Part1`, counter, time): two kmsg zones holding the same
    // record are not two dumps of one device — two devices back to back (each with its first record), or a copy.
    for (let i = 1; i < K.length && i < 64; i++) {
      if (this.sameRecord(K[i - 1], K[i])) {
        alternatives.push(`the kmsg zones at ${hex(K[i - 1].offset)} and ${hex(K[i].offset)} hold the same record: two devices back to back (the second starting at or before ${hex(K[i].offset)}), or a copied zone`);
        break;
      }
    }
    if (!P && (C || F.length)) notes.push('no pmsg header: the device is taken to start at its first header (a pmsg zone never written looks the same)');

    const pmsgSz = P ? size.get(P)! : 0;
    const consoleSz = C ? size.get(C)! : 0;
    const cpus = F.length || 1;
    let ftraceSz = 0;
    if (F.length) {
      const zone = fz || size.get(F[0])!;
      // The 4 KiB multiple whose per-CPU split is the zone size.
      ftraceSz = roundUp(zone * cpus, PAGE);
      if (Math.floor(ftraceSz / cpus) !== zone) return null;
    }
    for (const s of [pmsgSz, consoleSz, kmsg]) if (s % PAGE) return null;

    // Device size: past the last zone found, stretched over blank space (zones never written).
    const usedEnd = K.length ? K[K.length - 1].offset + kmsg : kmsgStart;
    const minSize = roundUp(usedEnd - offset, PAGE);
    const step = kmsg || PAGE;
    let end = offset + minSize;
    const limit = Math.min(this.dump.size, nextGroup, offset + PSZ_MAX_TOTAL_SIZE, offset + minSize + MAX_BLANK_READ);
    while (end + step <= limit && this.blank(end, step)) end += step;
    const truncated = offset + minSize > this.dump.size;
    let deviceSize = minSize;
    if (!truncated) {
      const hi = Math.floor((end - offset) / PAGE) * PAGE;
      if (hi > minSize) {
        deviceSize = roundest(minSize, hi + 1);
        notes.push(`device size from blank space after the last zone: the device may be smaller (${hex(minSize)} at least)`);
      }
    }
    const params: BlkInferredParams = { kmsg_size: kmsg / 1024, pmsg_size: pmsgSz / 1024, console_size: consoleSz / 1024, ftrace_size: ftraceSz / 1024 };
    let layout: BlkLayout;
    try {
      layout = blkLayout(blkParamsFromKiB({ ...params, max_reason: 2 }, Math.max(deviceSize, PAGE), cpus));
      // The requested ftrace size can leave one kmsg zone fewer than fit after the used zones.
      if (K.length && !layout.kmsg.some((z) => offset + z.offset === K[K.length - 1].offset)) {
        deviceSize += kmsg;
        layout = blkLayout(blkParamsFromKiB({ ...params, max_reason: 2 }, deviceSize, cpus));
      }
    } catch (e) {
      if (e instanceof PstoreError) return null;
      throw e;
    }

    // Confirm: every header where the layout puts a zone of its type.
    const byOffset = new Map(g.cands.map((c) => [c.offset, c]));
    const zones: BlkInferredZone[] = [];
    let found = 0;
    let mismatch = 0;
    let invalid = 0;
    let evidence = 0;
    const placed = new Set<BlkZoneCandidate>();
    for (const z of layout.zones) {
      const abs = offset + z.offset;
      const c = byOffset.get(abs);
      let state: BlkInferredZone['state'] = 'missing';
      if (c) {
        placed.add(c);
        if (c.type === z.type) {
          state = 'found';
          found++;
          if (c.datalen > z.bufferSize || c.start > z.bufferSize) invalid++;
          else evidence += c.type === 'dmesg' ? 1.5 : 1;
        } else {
          state = 'mismatch';
          mismatch++;
        }
      }
      zones.push({ type: z.type, index: z.index, label: z.label, offset: abs, size: z.size, state, datalen: c ? c.datalen : null, start: c ? c.start : null });
    }
    const stray = g.cands.length - placed.size;
    if (stray) notes.push(`${stray} zone header(s) fall between the zones of this layout`);
    if (truncated) notes.push('the device runs past the end of the dump (truncated dump?)');
    let confidence = 1 - 2 ** -evidence;
    if (found < 2) confidence *= 0.75;
    if (mismatch || invalid || stray) confidence *= 0.7;
    if (truncated) confidence *= 0.8;
    if (guessed && found < 2) confidence *= 0.95;
    // pstore/zone fills kmsg zones in turn from the first: one without a header between written ones
    // is an erased record, or two devices back to back read as one. The layout is then a guess.
    const kz = zones.filter((z) => z.type === 'dmesg');
    const lastK = kz.map((z) => z.state).lastIndexOf('found');
    const kGaps = kz.filter((z, i) => i < lastK && z.state === 'missing').length;
    if (kGaps) {
      confidence = Math.min(confidence, 0.65);
      notes.push(`${kGaps} kmsg zone(s) without a header before a written one: erased records, or two devices back to back`);
    }
    // A guess between layouts that show different files is never trusted.
    if (alternatives.length) confidence = Math.min(confidence, 0.5);
    return {
      backend: 'blk',
      offset,
      deviceSize,
      params,
      ftraceCpus: cpus,
      kernel: '6.1',
      arch: g.le ? 'x86_64' : 'ppc64',
      littleEndian: g.le,
      confidence: Math.round(confidence * 1000) / 1000,
      zones,
      zonesFound: found,
      truncated,
      ambiguous: alternatives.length > 0,
      alternatives,
      notes,
    };
  }
}

/** Infer every pstore/blk device in a dump from its pstore/zone header candidates. */
export function inferBlkRegions(dump: Region, candidates: readonly BlkZoneCandidate[]): BlkInferredRegion[] {
  return new BlkInference(dump, candidates).regions();
}
