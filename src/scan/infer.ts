import { RamoopsImage, type RamoopsImageOptions } from '../api/ramoopsImage.js';
import { kernelProfile } from '../backends/ramoops/kernelProfile.js';
import { ramoopsLayout, type RamoopsLayout, type RamoopsParams, type RamoopsZoneType } from '../backends/ramoops/layout.js';
import { reedSolomon } from '../ecc/reedSolomon.js';
import { PstoreError } from '../errors.js';
import { readView, type Region } from '../region/region.js';
import { PRZ_HEADER_SIZE, przGeometry } from '../zone/eccLayout.js';
import { OverlayRegion } from './overlayRegion.js';
import type { ZoneCandidate } from './signature.js';

/** FNV-1a over bytes: enough to tell two decoded files apart. */
function hashBytes(b: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], 0x01000193);
  return (h >>> 0).toString(16);
}

const hx = (n: number): string => `0x${n.toString(16)}`;

function describeParams(e: { hyp: { offset: number; kernel: string }; params: InferredParams }): string {
  const p = e.params;
  return `offset ${hx(e.hyp.offset)} mem_size ${hx(p.mem_size)} record_size ${hx(p.record_size)} console_size ${hx(p.console_size)} ftrace_size ${hx(p.ftrace_size)} pmsg_size ${hx(p.pmsg_size)} ecc ${p.ecc} kernel ${e.hyp.kernel}`;
}

/** ECC sizes tried on a header, most common first. */
export const ECC_CANDIDATES: readonly number[] = [16, 8, 32, 64, 4, 2, 128];
/** Module-parameter default zone size, assumed for zones that carry no header at all (U-Boot-made images). */
const DEFAULT_ZONE = 4096;
/** Equally good layouts whose files are compared. */
const MAX_TIED = 24;
/**
 * Score difference (one bit of region-size roundness is 0.5) within which a
 * layout assuming headerless zones and one assuming fewer are equally good.
 */
const NEAR_TIE = 2;
/** How far back a blank run before a region is followed to what bounds it (beyond: the background; reads stay few on a file). */
const BLANK_RUN_LIMIT = 4 << 20;
/** Longest run of zones considered for one region. */
const MAX_ZONES = 8192;

/** The layout parameters a scan infers, named like the module parameters. */
export type InferredParams = Pick<RamoopsParams, 'mem_size' | 'record_size' | 'console_size' | 'ftrace_size' | 'pmsg_size' | 'ecc'>;

export interface InferredZone {
  type: RamoopsZoneType;
  index: number;
  label: string;
  /** Absolute offset in the dump. */
  offset: number;
  size: number;
  /** `found`: a header of the right kind sits here; `missing`: none; `mismatch`: a header of the other kind. */
  state: 'found' | 'missing' | 'mismatch';
  start: number | null;
  used: number | null;
}

export interface InferredRegion {
  /** Offset of the region (mem_address) in the dump. */
  offset: number;
  params: InferredParams;
  /** Kernel profile for `--kernel`: from the ftrace signature, the zone order, or the default. */
  kernel: string;
  /** Architecture for `--arch` (only byte order can be inferred: x86_64 or ppc64). */
  arch: string;
  littleEndian: boolean;
  /** Per-CPU ftrace zones (nr_cpu_ids); 1 without ftrace. */
  ftraceCpus: number;
  /** 0..1: headers found where the layout puts zones, how telling they are, nothing contradicting. */
  confidence: number;
  zones: InferredZone[];
  zonesFound: number;
  /** The region runs past the end of the dump. */
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

interface Hypothesis {
  offset: number;
  le: boolean;
  record: number;
  dmesgCount: number;
  dmesgZone: number;
  console: number;
  pmsg: number;
  /** ftrace zone size (each CPU) and count. */
  ftraceZone: number;
  ftraceCpus: number;
  /** Slack allowed after the zones (the region may be bigger than its zones). */
  tailSpace: number;
  kernel: string;
  /** Zones that are assumed to exist without headers (U-Boot images), for scoring. */
  unsigned: number;
  prior: number;
  notes: string[];
}

interface Evaluated {
  hyp: Hypothesis;
  params: InferredParams;
  score: number;
  zones: InferredZone[];
  found: number;
  missing: number;
  unsignedMissing: number;
  mismatch: number;
  orphans: number;
  evidence: number;
  truncated: boolean;
  matchedCands: ZoneCandidate[];
  /** Found headers whose parity does not check out at the zone size this layout gives them. */
  eccWrong: number;
  /** Found zones whose data contradicts their type (a dmesg zone without a kmsg record header, console text starting with one). */
  contentWrong: number;
  ambiguous?: boolean;
  alternatives?: string[];
}

const isPow2 = (n: number): boolean => n > 0 && 2 ** Math.round(Math.log2(n)) === n;
const floorPow2 = (n: number): number => (n >= 1 ? 2 ** Math.floor(Math.log2(n)) : 0);
const ceilPow2 = (n: number): number => (n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(n)));
function trailingZeros(n: number): number {
  if (n <= 0) return 0;
  let b = 0;
  while (b < 40 && n % 2 ** (b + 1) === 0) b++;
  return b;
}
/** The value in [lo, hi) with the most trailing zero bits: a region size a person would choose. */
export function roundest(lo: number, hi: number): number {
  for (let b = 40; b >= 0; b--) {
    const m = 2 ** b;
    const v = Math.ceil(lo / m) * m;
    if (v < hi) return v;
  }
  return lo;
}

/** Layout inference over the candidates of one dump. `dump` serves header, parity and record reads. */
export class LayoutInference {
  private readonly byOffset = new Map<number, ZoneCandidate>();
  private readonly eccCache = new Map<string, number>();
  private readonly textCache = new Map<number, 'kmsg' | 'other' | 'empty'>();
  private readonly parityCache = new Map<number, boolean>();

  constructor(
    readonly dump: Region,
    readonly candidates: readonly ZoneCandidate[],
  ) {
    for (const c of candidates) if (!this.byOffset.has(c.offset)) this.byOffset.set(c.offset, c);
  }

  /** Greedy: the best-scoring layout from the first unexplained candidate, then the next. */
  regions(): InferredRegion[] {
    const out: InferredRegion[] = [];
    const explained = new Set<ZoneCandidate>();
    const cands = this.candidates;
    for (let i = 0; i < cands.length; i++) {
      if (explained.has(cands[i])) continue;
      const best = this.bestFrom(i, explained);
      if (!best) {
        explained.add(cands[i]);
        continue;
      }
      for (const c of best.matchedCands) explained.add(c);
      explained.add(cands[i]);
      // Candidates inside the data of zones whose header was found are noise (log text, parity); a
      // written header past the data of the zone it sits in is not: it may start the next region.
      if (best.found >= 2) {
        const end = best.hyp.offset + best.params.mem_size;
        let zi = 0;
        for (let j = i; j < cands.length && cands[j].offset < end; j++) {
          const c = cands[j];
          const zones = best.zones;
          while (zi + 1 < zones.length && zones[zi + 1].offset <= c.offset) zi++;
          const z = zones[zi];
          const pastData = z && z.state === 'found' && c.offset >= z.offset + PRZ_HEADER_SIZE + Math.max(z.used ?? 0, z.start ?? 0);
          if (pastData && !(c.start === 0 && c.size === 0) && c.offset !== z.offset) continue;
          explained.add(c);
        }
      }
      out.push(this.toRegion(best));
    }
    return this.markAdjacent(out);
  }

  /**
   * Two regions back to back (the second starting within one zone of the
   * first one's end) may be one region whose tail (ftrace, pmsg) the first
   * layout left out: the files then differ, so both are a guess.
   */
  private markAdjacent(regions: InferredRegion[]): InferredRegion[] {
    const sorted = [...regions].sort((a, b) => a.offset - b.offset);
    for (let i = 0; i + 1 < sorted.length; i++) {
      const a = sorted[i];
      const b = sorted[i + 1];
      const end = a.offset + a.params.mem_size;
      const zone = Math.max(...a.zones.map((z) => z.size), DEFAULT_ZONE);
      if (b.offset < end - zone || b.offset - end > zone || a.littleEndian !== b.littleEndian) continue;
      const alt = `the regions at ${hx(a.offset)} and ${hx(b.offset)} may be one region (its zones at ${hx(b.offset)} found as a separate region)`;
      for (const r of [a, b]) {
        r.ambiguous = true;
        r.alternatives.push(alt);
        r.confidence = Math.min(r.confidence, 0.5);
      }
    }
    return regions;
  }

  private toRegion(e: Evaluated): InferredRegion {
    const coverage = e.found / Math.max(1, e.found + e.missing + e.unsignedMissing);
    let confidence = (1 - 2 ** -e.evidence) * (0.6 + 0.4 * coverage);
    // A guess between layouts that show different files is never trusted.
    if (e.ambiguous) confidence = Math.min(confidence, 0.5);
    if (e.mismatch || e.orphans) confidence *= 0.7;
    if (e.truncated) confidence *= 0.8;
    const notes = [...e.hyp.notes];
    // The kernel signs every zone it attaches: a zone without a header between zones with one is
    // a damaged header, or two regions back to back read as one. Either way the layout is a guess.
    const firstFound = e.zones.findIndex((z) => z.state === 'found');
    const lastFound = e.zones.length - 1 - [...e.zones].reverse().findIndex((z) => z.state === 'found');
    const gaps = firstFound < 0 ? 0 : e.zones.filter((z, i) => i > firstFound && i < lastFound && z.state === 'missing').length;
    if (gaps) {
      confidence = Math.min(confidence, 0.65);
      notes.push(`${gaps} zone(s) without a header between zones with one: a damaged header, or two regions back to back`);
    }
    // Every zone of a region has the same ECC: headers that disagree are damaged, or two regions read as one.
    if (e.eccWrong) {
      confidence = Math.min(confidence, 0.65);
      notes.push(`${e.eccWrong} header(s) whose parity does not check out at the region's ECC ${e.params.ecc}: damaged headers, or two regions back to back`);
    }
    if (e.truncated) notes.push('the region runs past the end of the dump (truncated dump?)');
    if (e.missing + e.unsignedMissing) notes.push(`${e.missing + e.unsignedMissing} of ${e.zones.length} zones have no header where the layout puts them`);
    return {
      offset: e.hyp.offset,
      params: e.params,
      kernel: e.hyp.kernel,
      arch: e.hyp.le ? 'x86_64' : 'ppc64',
      littleEndian: e.hyp.le,
      ftraceCpus: e.hyp.ftraceCpus || 1,
      confidence: Math.round(confidence * 1000) / 1000,
      zones: e.zones,
      zonesFound: e.found,
      truncated: e.truncated,
      ambiguous: Boolean(e.ambiguous),
      alternatives: e.alternatives ?? [],
      notes,
    };
  }

  /** Candidates that can be zone headers of a region starting at cands[i]: same byte order, not inside an earlier zone's data. */
  private sequence(i: number, explained: Set<ZoneCandidate>): ZoneCandidate[] {
    const first = this.candidates[i];
    const seq = [first];
    let dataEnd = first.offset + PRZ_HEADER_SIZE + first.size;
    for (let j = i + 1; j < this.candidates.length && seq.length < MAX_ZONES; j++) {
      const c = this.candidates[j];
      if (c.littleEndian !== first.littleEndian || explained.has(c)) continue;
      if (c.offset < dataEnd) continue;
      seq.push(c);
      dataEnd = c.offset + PRZ_HEADER_SIZE + c.size;
    }
    return seq;
  }

  private bestFrom(i: number, explained: Set<ZoneCandidate>): Evaluated | null {
    const seq = this.sequence(i, explained);
    let best: Evaluated | null = null;
    const all: Evaluated[] = [];
    for (const h of this.hypotheses(seq)) {
      const e = this.evaluate(h, seq);
      if (!e) continue;
      all.push(e);
      if (!best || e.score > best.score) best = e;
    }
    if (best) {
      // A first zone whose header was damaged (its dmesg record still there): try the region starting one or more zones earlier.
      // The layouts that read the same dmesg zones as well as the best one move with it (their tails
      // differ: console or pmsg), so that the moved region is still compared with its equals.
      const b0 = best;
      const peers = all
        .filter((x) => x !== b0 && x.hyp.offset === b0.hyp.offset && x.hyp.dmesgZone === b0.hyp.dmesgZone && x.hyp.dmesgCount === b0.hyp.dmesgCount && x.found === b0.found)
        .sort((a, b) => b.score - a.score)
        .slice(0, MAX_TIED);
      const shifted = (h: Hypothesis, back: number): Hypothesis => ({ ...h, offset: h.offset - back * h.dmesgZone, dmesgCount: h.dmesgCount + back, notes: [...h.notes, `first ${back} dmesg zone(s) assumed (no header)`] });
      for (let back = 1; back <= 2 && b0.hyp.dmesgCount > 0; back++) {
        const off = b0.hyp.offset - back * b0.hyp.dmesgZone;
        if (off < 0 || !this.damagedDmesgZone(off)) break;
        const e = this.evaluate(shifted(b0.hyp, back), seq);
        // Worth one missing header when it makes the region a power of two and it was not.
        const pow2 = (x: Evaluated): boolean => isPow2(x.params.mem_size);
        if (e) {
          all.push(e);
          for (const p of peers) {
            const q = this.evaluate(shifted(p.hyp, back), seq);
            if (q) all.push(q);
          }
          if (e.score > best.score || (e.score > best.score - 3.5 && pow2(e) && !pow2(best))) best = e;
        }
      }
      best = this.challenged(this.settle(best, all), all);
    }
    return best;
  }

  /**
   * The layouts that explain the headers exactly as well as the best one
   * (same headers found, same zone starts without a header, nothing
   * contradicting) differ only in what no header shows. Their files decide:
   * ECC that fails under one layout rules it out; when the files still
   * differ, the choice is a guess and the region is marked ambiguous.
   * Zones assumed without a header (U-Boot) are supported by nothing but the
   * roundness of the region they make: a layout that assumes fewer of them
   * and scores within NEAR_TIE is equally good.
   */
  private settle(best: Evaluated, all: Evaluated[]): Evaluated {
    const key = (e: Evaluated, assumed: boolean): string =>
      [e.hyp.offset === best.hyp.offset ? 0 : 1, e.found, e.missing + (assumed ? e.unsignedMissing : 0), e.mismatch, e.orphans, e.eccWrong, e.contentWrong, e.truncated].join(',');
    const k0 = key(best, true);
    const k1 = key(best, false);
    const seen = new Set<string>();
    const tied: Evaluated[] = [];
    for (const e of [...all].sort((a, b) => b.score - a.score)) {
      const near = e.unsignedMissing !== best.unsignedMissing && key(e, false) === k1 && e.score >= best.score - NEAR_TIE;
      if (e !== best && key(e, true) !== k0 && !near) continue;
      const sig = `${e.hyp.offset}:${JSON.stringify(e.params)}:${e.hyp.kernel}:${e.hyp.ftraceCpus}`;
      if (seen.has(sig)) continue;
      seen.add(sig);
      tied.push(e);
      if (tied.length >= MAX_TIED) break;
    }
    if (!tied.includes(best)) tied.unshift(best);
    if (tied.length < 2) return this.leadingBlank(best);
    const views = tied.map((e) => ({ e, ...this.filesOf(e) }));
    const fewestBad = Math.min(...views.map((v) => v.bad));
    const clean = views.filter((v) => v.bad === fewestBad);
    const winner = clean.reduce((a, v) => (v.e.score > a.e.score ? v : a));
    const differ = clean.filter((v) => v !== winner && v.files !== winner.files);
    if (!differ.length) return this.leadingBlank(winner.e);
    const alternatives = differ.map((v) => `${describeParams(v.e)}: files ${v.names.join(', ') || 'none'} (chosen: ${winner.names.join(', ') || 'none'})`);
    return { ...winner.e, ambiguous: true, alternatives };
  }

  /**
   * Layouts that explain more of the headers than the chosen one and
   * contradict nothing more (typically a last ftrace or pmsg zone that no
   * later header bounds, left out for a rounder region size): when their
   * files differ, the choice is a guess and the region is ambiguous.
   */
  private challenged(chosen: Evaluated, all: Evaluated[]): Evaluated {
    const worse = (e: Evaluated): boolean =>
      e.mismatch > chosen.mismatch || e.orphans > chosen.orphans || e.eccWrong > chosen.eccWrong || e.contentWrong > chosen.contentWrong || (e.truncated && !chosen.truncated);
    const seen = new Set<string>();
    const rivals: Evaluated[] = [];
    for (const e of [...all].sort((a, b) => b.score - a.score)) {
      if (e.found <= chosen.found || worse(e)) continue;
      const sig = `${e.hyp.offset}:${JSON.stringify(e.params)}:${e.hyp.kernel}:${e.hyp.ftraceCpus}`;
      if (seen.has(sig)) continue;
      seen.add(sig);
      rivals.push(e);
      if (rivals.length >= MAX_TIED) break;
    }
    if (!rivals.length) return chosen;
    const mine = this.filesOf(chosen);
    const differ = rivals.map((e) => ({ e, ...this.filesOf(e) })).filter((v) => v.bad <= mine.bad && v.files !== mine.files);
    if (!differ.length) return chosen;
    const alternatives = differ.map((v) => `${describeParams(v.e)} (explains ${v.e.found - chosen.found} more header(s)): files ${v.names.join(', ') || 'none'} (chosen: ${mine.names.join(', ') || 'none'})`);
    return { ...chosen, ambiguous: true, alternatives: [...(chosen.alternatives ?? []), ...alternatives] };
  }

  /**
   * dmesg zones the kernel never wrote carry no header: whole zones of blank
   * bytes (0x00 or 0xFF) just before the region, set off from what precedes
   * them, may be its first zones, and then every dmesg file is named
   * differently. Nothing tells which: the region is ambiguous.
   */
  private leadingBlank(e: Evaluated): Evaluated {
    const z = e.hyp.dmesgCount ? e.hyp.dmesgZone : 0;
    if (!z || e.ambiguous) return e;
    let n = 0;
    const fill = e.hyp.offset >= z ? this.dump.read(e.hyp.offset - 1, 1)[0] : -1;
    while (n < 4 && e.hyp.offset - (n + 1) * z >= 0 && this.isBlank(e.hyp.offset - (n + 1) * z, z, fill)) n++;
    if (!n) return e;
    const before = e.hyp.offset - n * z;
    // A blank run that something written bounds (another region's data, 0xFF or random bytes) is
    // memory that was cleared, unwritten zones of this region or of another, however long it is;
    // one that reaches the start of the dump is its background.
    const bounded = before === 0 || (n < 4 && !this.dump.read(Math.max(0, before - 64), Math.min(64, before)).every((x) => x === fill)) || this.blankRunBounded(before, fill);
    if (!bounded) return e;
    const alternatives = [`the region may start ${n === 1 ? 'one dmesg zone' : `${n} dmesg zones`} earlier, at ${hx(before)} (blank zones the kernel never wrote): dmesg files would be numbered ${n} higher`];
    return { ...e, ambiguous: true, alternatives: [...(e.alternatives ?? []), ...alternatives] };
  }

  /** Whether a byte other than `fill` comes before `at` within BLANK_RUN_LIMIT bytes. */
  private blankRunBounded(at: number, fill: number): boolean {
    for (let end = at; end > 0 && at - end < BLANK_RUN_LIMIT; ) {
      const from = Math.max(0, end - 65536);
      const b = readView(this.dump, from, end - from);
      for (let i = b.length - 1; i >= 0; i--) if (b[i] !== fill) return true;
      end = from;
    }
    return false;
  }

  /** Whether [from, from+len) holds one repeated blank byte (0x00 or 0xFF). */
  private isBlank(from: number, len: number, fill: number): boolean {
    if ((fill !== 0 && fill !== 0xff) || len <= 0 || from < 0 || from + len > this.dump.size) return false;
    for (let p = from; p < from + len; p += 65536) {
      const b = readView(this.dump, p, Math.min(65536, from + len - p));
      for (let i = 0; i < b.length; i++) if (b[i] !== fill) return false;
    }
    return true;
  }

  /** The files a hypothesis would show (names and bytes, as one comparable string) and its ECC-bad blocks. */
  private filesOf(e: Evaluated): { files: string; names: string[]; bad: number } {
    try {
      const opts: RamoopsImageOptions = { params: { ...e.params, max_reason: 2 }, kernel: e.hyp.kernel, offset: e.hyp.offset, ftraceCpus: Math.max(1, e.hyp.ftraceCpus) };
      if (!e.hyp.le) opts.arch = 'ppc64';
      const files = new RamoopsImage(new OverlayRegion(this.dump), opts).files();
      let bad = 0;
      for (const f of files) bad += f.ecc?.bad ?? 0;
      const names = files.map((f) => f.name).sort();
      return { files: files.map((f) => `${f.name}:${f.content.length}:${hashBytes(f.content)}`).sort().join('|'), names, bad };
    } catch (e2) {
      if (!(e2 instanceof PstoreError) && !(e2 instanceof RangeError)) throw e2;
      return { files: `error:${(e2 as Error).message}`, names: [], bad: Infinity };
    }
  }

  /** Proposed layouts for a region whose first zone header is seq[0]. */
  private *hypotheses(seq: ZoneCandidate[]): Generator<Hypothesis> {
    const o = seq[0].offset;
    const rel = seq.map((c) => c.offset - o);
    const le = seq[0].littleEndian;
    const zOptions = new Set<number>();
    if (seq.length > 1) zOptions.add(rel[1]);
    if (seq.length > 2 && seq[1].kind === 'plain') zOptions.add(rel[2] - rel[1]);
    const next = seq.length > 1 ? rel[1] : Infinity;
    if (seq.length === 1 || seq[0].kind === 'ftrace') for (const s of this.sizeOptions(seq[0], [], next)) zOptions.add(s.size);

    for (const z of zOptions) {
      if (!(z > PRZ_HEADER_SIZE)) continue;
      // The run of dmesg zones: plain headers on the z grid (zones without a header allowed).
      let m = 0;
      let j = 0;
      if (seq[0].kind === 'plain') {
        while (j < seq.length && seq[j].kind === 'plain' && rel[j] % z === 0 && rel[j] / z < MAX_ZONES) j++;
        m = j ? rel[j - 1] / z + 1 : 0;
      }
      // Where the dmesg run ends: after any header on the grid (the rest are console, pmsg, …), or with blank zones after the last.
      const ks = new Set<number>([m, m - 1, m - 2, m + 1, m + 2, 0].filter((k) => k >= 0));
      for (let q = 1; q < j && ks.size < 48; q++) ks.add(rel[q] / z);
      for (const k of ks) yield* this.withTail(seq, rel, o, le, k, z);
    }
  }

  private *withTail(seq: ZoneCandidate[], rel: number[], o: number, le: boolean, k: number, z: number): Generator<Hypothesis> {
    const record = k ? floorPow2(z) : 0;
    const tailStart = k * z;
    let first = rel.findIndex((r) => r >= tailStart);
    if (first < 0) first = seq.length;
    // Tail slots: their offsets (relative) and headers; a missing header where the tail starts is allowed.
    const slotOff: number[] = [];
    const slotCand: (ZoneCandidate | null)[] = [];
    if (first < seq.length && rel[first] > tailStart) {
      slotOff.push(tailStart);
      slotCand.push(null);
    }
    for (let j = first; j < seq.length && slotOff.length < 3 + 64; j++) {
      slotOff.push(rel[j]);
      slotCand.push(seq[j]);
    }
    const nextAfter = (n: number): number => (n < slotOff.length ? slotOff[n] : Infinity);
    const kinds = slotCand.map((c) => (c && c.kind === 'ftrace' ? 'F' : 'P')).join('');
    const codes = slotCand.filter((c): c is ZoneCandidate => c !== null && c.kind === 'ftrace').map((c) => c.versionCode);
    for (let n = 0; n <= slotOff.length; n++) {
      const pat = /^(P{0,2})(F*)(P?)$/.exec(kinds.slice(0, n));
      if (!pat) break;
      const a = pat[1].length;
      const c = pat[2].length;
      const b = pat[3].length;
      if (b && !c && a + b > 2) continue;
      if (c && b && a > 1) continue;
      if (!c && a === 0 && b === 0 && k === 0) continue;
      const types: RamoopsZoneType[] = [];
      // Which plain slots are console and pmsg.
      const variants: Array<{ types: RamoopsZoneType[]; prior: number }> = [];
      if (!c) {
        const p = a + b;
        if (p === 0) variants.push({ types: [], prior: 0 });
        else if (p === 1) variants.push({ types: ['console'], prior: 0 }, { types: ['pmsg'], prior: -0.25 });
        else variants.push({ types: ['console', 'pmsg'], prior: 0 });
      } else {
        const fs: RamoopsZoneType[] = Array(c).fill('ftrace');
        if (b) variants.push({ types: [...(a ? (['console'] as const) : []), ...fs, 'pmsg'], prior: a ? 0 : -1 });
        else if (a === 2) variants.push({ types: ['console', 'pmsg', ...fs], prior: 0 });
        else if (a === 1) variants.push({ types: ['console', ...fs], prior: 0 }, { types: ['pmsg', ...fs], prior: -1.25 });
        else variants.push({ types: fs, prior: -1 });
      }
      void types;
      const code = codes.length ? codes.slice(0, c).sort((x, y) => x - y)[Math.floor(Math.min(c, codes.length) / 2)] : 0;
      const sizes: number[] = [];
      for (let s = 0; s + 1 < n; s++) sizes.push(slotOff[s + 1] - slotOff[s]);
      const lastCand = n ? slotCand[n - 1] : null;
      const lastOpts = n ? this.sizeOptions(lastCand, sizes, nextAfter(n) - slotOff[n - 1], this.dump.size - (o + slotOff[n - 1])) : [{ size: 0, prior: 0 }];
      for (const v of variants) {
        for (const last of lastOpts) {
          const all = n ? [...sizes, last.size] : [];
          const h = this.build(o, le, k, z, record, v.types, all, slotCand.slice(0, n), code, v.prior + last.prior);
          if (h) {
            yield h;
            // U-Boot writes only some zones: a console alone may be followed by default-size ftrace and pmsg zones without headers.
            if (v.types.length === 1 && v.types[0] === 'console') {
              yield { ...h, ftraceZone: DEFAULT_ZONE, ftraceCpus: 1, pmsg: DEFAULT_ZONE, unsigned: h.unsigned + 2, notes: [...h.notes, 'ftrace and pmsg zones assumed at the default size (no headers)'] };
              yield { ...h, pmsg: DEFAULT_ZONE, unsigned: h.unsigned + 1, notes: [...h.notes, 'pmsg zone assumed at the default size (no header)'] };
            }
          }
        }
      }
    }
  }

  private build(
    o: number,
    le: boolean,
    k: number,
    z: number,
    record: number,
    types: RamoopsZoneType[],
    sizes: number[],
    cands: (ZoneCandidate | null)[],
    code: number,
    prior: number,
  ): Hypothesis | null {
    let consoleSz = 0;
    let pmsgSz = 0;
    let fz = 0;
    let cpus = 0;
    let p = prior;
    const notes: string[] = [];
    for (let t = 0; t < types.length; t++) {
      const s = sizes[t];
      if (!(s > PRZ_HEADER_SIZE)) return null;
      if (types[t] === 'ftrace') {
        if (fz && fz !== s) return null;
        fz = s;
        cpus++;
      } else {
        if (!isPow2(s)) return null;
        if (types[t] === 'console') consoleSz = s;
        else pmsgSz = s;
        const cand = cands[t];
        if (cand && k && s === z && cand.size === 0) p -= 0.5; // indistinguishable from one more dmesg zone
        if (cand && this.dataText(cand) === 'kmsg') p -= 5; // console and pmsg data never start with a kmsg header
      }
    }
    if (!consoleSz && (pmsgSz || fz) && k) p -= 0; // prior already in the variant
    // Kernel: the ftrace signature names it; otherwise the zone order, otherwise the default.
    let kernel = '6.1';
    const fi = types.indexOf('ftrace');
    const pi = types.indexOf('pmsg');
    const newOrder = fi >= 0 && pi >= 0 && pi < fi;
    const oldOrder = fi >= 0 && pi >= 0 && pi > fi;
    if (code) {
      const maj = code >>> 16;
      const min = (code >>> 8) & 0xff;
      kernel = `${maj}.${min}`;
      const v = maj * 1000 + min;
      if ((newOrder && v < 6002) || (oldOrder && v >= 6002)) return null;
    } else if (newOrder) kernel = '6.12';
    else if (k && z % 2) kernel = '5.15';
    if (k && z % 2 && kernelProfile(kernel).alignDown2) return null;
    if (!code && fz) notes.push('ftrace zones without a version signature');
    return { offset: o, le, record, dmesgCount: k, dmesgZone: z, console: consoleSz, pmsg: pmsgSz, ftraceZone: fz, ftraceCpus: cpus, tailSpace: 0, kernel, unsigned: 0, prior: p - (k ? 0 : 1), notes };
  }

  /**
   * Plausible sizes of a zone whose end is not marked by another header, each
   * with a prior: the smallest power of two that holds its data and the sizes
   * seen elsewhere are likely; every further doubling costs a little.
   */
  private sizeOptions(cand: ZoneCandidate | null, known: number[], limit: number, toDumpEnd = 0): Array<{ size: number; prior: number }> {
    const min = Math.max(32, cand ? ceilPow2(PRZ_HEADER_SIZE + cand.size) : DEFAULT_ZONE);
    // A zone that ends exactly where the dump (or the next header) ends is likely: an image file is the region.
    const likely = new Set<number>([min, DEFAULT_ZONE, ...known, toDumpEnd, Number.isFinite(limit) ? limit : 0].filter((x) => x >= min));
    const opts = new Set<number>(likely);
    // Up to the next header or the end of the dump (1 MiB at most): a console larger than every other zone is common.
    const top = Math.max(DEFAULT_ZONE, ...known, Math.min(1 << 20, limit, toDumpEnd || Infinity));
    for (let s = min; s <= top; s *= 2) opts.add(s);
    const out: Array<{ size: number; prior: number }> = [];
    for (const size of opts) {
      if (size < min || size > limit) continue;
      if (!isPow2(size) && !(cand && cand.kind === 'ftrace')) continue;
      out.push({ size, prior: likely.has(size) ? 0 : -0.3 * Math.log2(size / min) });
    }
    return out.sort((x, y) => x.size - y.size);
  }

  /** A zone at `at` without a signature whose data still starts with a kmsg record header: a dmesg zone whose header was damaged. */
  private damagedDmesgZone(at: number): boolean {
    if (at + PRZ_HEADER_SIZE + 4 > this.dump.size) return false;
    const d = this.dump.read(at + PRZ_HEADER_SIZE, 4);
    return d[0] === 0x3d && d[1] === 0x3d && d[2] === 0x3d && d[3] === 0x3d;
  }

  /** Whether a zone's data starts with a kmsg record header. */
  private dataText(c: ZoneCandidate): 'kmsg' | 'other' | 'empty' {
    let t = this.textCache.get(c.offset);
    if (!t) {
      if (!c.size) t = 'empty';
      else {
        try {
          const d = this.dump.read(c.offset + PRZ_HEADER_SIZE, 4);
          t = d[0] === 0x3d && d[1] === 0x3d && d[2] === 0x3d && d[3] === 0x3d ? 'kmsg' : 'other';
        } catch {
          t = 'other';
        }
      }
      this.textCache.set(c.offset, t);
    }
    return t;
  }

  /**
   * Whether a header carries ECC parity: it checks out, uncorrected, at
   * `zoneSize`, at the distance to the next header, or at a power-of-two zone
   * size up to 1 MiB — unless a header with the same bytes (two blank zones)
   * inside that zone could end where it does: the parity may then be that one's.
   */
  private hasParity(c: ZoneCandidate, zoneSize: number): boolean {
    if (this.headerEcc(c, zoneSize, true)) return true;
    let v = this.parityCache.get(c.offset);
    if (v === undefined) {
      const first = this.firstAfter(c.offset + PRZ_HEADER_SIZE);
      const sizes = new Set<number>();
      const next = this.candidates[first];
      if (next) sizes.add(next.offset - c.offset);
      for (let s = 256; s <= 1 << 20 && c.offset + s <= this.dump.size; s *= 2) sizes.add(s);
      v = false;
      for (const s of sizes) {
        if (s <= PRZ_HEADER_SIZE || !this.headerEcc(c, s, true)) continue;
        let twin = false;
        for (let j = first, n = 0; j < this.candidates.length && n < 4096 && !twin; j++, n++) {
          const y = this.candidates[j];
          if (y.offset >= c.offset + s) break;
          twin = y.start === c.start && y.size === c.size && y.kind === c.kind && y.littleEndian === c.littleEndian && isPow2(c.offset + s - y.offset);
        }
        if (!twin) {
          v = true;
          break;
        }
      }
      this.parityCache.set(c.offset, v);
    }
    return v;
  }

  /** Index of the first candidate at or after `at` (candidates come in dump order). */
  private firstAfter(at: number): number {
    let lo = 0;
    let hi = this.candidates.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.candidates[mid].offset >= at) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** The ECC size whose header parity (for a zone of `zoneSize` bytes) matches, or 0. */
  headerEcc(c: ZoneCandidate, zoneSize: number, exact = false): number {
    const key = `${c.offset}:${zoneSize}:${exact}`;
    let ecc = this.eccCache.get(key);
    if (ecc !== undefined) return ecc;
    ecc = 0;
    for (const n of ECC_CANDIDATES) {
      let g;
      try {
        g = przGeometry(zoneSize, n);
      } catch {
        continue;
      }
      if (c.offset + g.headerParityOffset + n > this.dump.size) continue;
      // Copies: decode corrects in place, and some regions return views of the dump.
      const hdr = new Uint8Array(this.dump.read(c.offset, PRZ_HEADER_SIZE));
      const par = new Uint8Array(this.dump.read(c.offset + g.headerParityOffset, n));
      const rs = reedSolomon(n);
      if (rs.check(hdr, 0, PRZ_HEADER_SIZE, par, 0)) {
        ecc = n;
        break;
      }
      // A corrupted header that its parity still corrects: few corrections, a
      // parity that was written (not zeros), and the signature left intact.
      if (exact || par.every((x) => x === 0)) continue;
      const sig = hdr.slice(0, 4);
      const fixed = rs.decode(hdr, 0, PRZ_HEADER_SIZE, par.slice(), 0);
      if (fixed > 0 && fixed <= n / 4 && sig.every((x, i) => x === hdr[i])) {
        ecc = n;
        break;
      }
    }
    this.eccCache.set(key, ecc);
    return ecc;
  }

  private evaluate(hIn: Hypothesis, seq: ZoneCandidate[]): Evaluated | null {
    let h = hIn;
    const tails = h.console + h.pmsg;
    const cpus = h.ftraceCpus;
    // ftrace_size: the power of two whose per-CPU split is the observed zone size.
    let ftraceSize = 0;
    if (h.ftraceZone) {
      const lo = cpus * h.ftraceZone;
      const hi = cpus * (h.ftraceZone + 2);
      ftraceSize = ceilPow2(lo);
      if (ftraceSize >= hi) return null;
    }
    let dLo = 0;
    let dHi = 1;
    if (h.dmesgCount) {
      const k = h.dmesgCount;
      const z = h.dmesgZone;
      // Zones are floor(rest / k): kernels that round them down to even (6.1 LTS, 6.8+) allow a range twice as wide.
      const step = z % 2 === 0 && kernelProfile(h.kernel).alignDown2 ? 2 : 1;
      dLo = Math.max(k * z, k * h.record);
      dHi = Math.min(k * (z + step), (k + 1) * h.record);
      if (dLo >= dHi) return null;
    }
    const fixed = tails + ftraceSize;
    // The roundest size the zones allow, but not past the end of the dump when the zones fit in it.
    const room = this.dump.size - h.offset;
    const memSize = roundest(dLo + fixed, dLo + fixed <= room ? Math.min(dHi + fixed, room + 1) : dHi + fixed);
    const params: RamoopsParams = {
      mem_size: memSize,
      record_size: h.record,
      console_size: h.console,
      ftrace_size: ftraceSize,
      pmsg_size: h.pmsg,
      ecc: 0,
      max_reason: 2,
    };
    let layout: RamoopsLayout;
    try {
      layout = ramoopsLayout({ params, kernel: h.kernel, ftraceCpus: Math.max(1, cpus), arch: h.le ? 'x86_64' : 'ppc64' });
    } catch (e) {
      if (e instanceof PstoreError) return null;
      throw e;
    }
    if (layout.dmesgCount !== h.dmesgCount || (h.dmesgCount && layout.zones[0].size !== h.dmesgZone)) return null;

    // ECC: the size whose header parity matches most of the found headers.
    const votes = new Map<number, number>();
    let checked = 0;
    for (const z of layout.zones) {
      if (checked >= 16) break;
      const c = this.byOffset.get(h.offset + z.offset);
      if (!c || (c.kind === 'ftrace') !== (z.type === 'ftrace') || c.littleEndian !== h.le) continue;
      checked++;
      const n = this.headerEcc(c, z.size);
      if (n) votes.set(n, (votes.get(n) ?? 0) + 1);
    }
    let ecc = 0;
    let eccVotes = 0;
    for (const [n, v] of votes) if (v > eccVotes) [ecc, eccVotes] = [n, v];
    if (eccVotes * 2 < checked) ecc = 0;
    if (ecc) {
      params.ecc = ecc;
      try {
        layout = ramoopsLayout({ params, kernel: h.kernel, ftraceCpus: Math.max(1, cpus), arch: h.le ? 'x86_64' : 'ppc64' });
      } catch (e) {
        if (e instanceof PstoreError) return null;
        throw e;
      }
    }

    const zones: InferredZone[] = [];
    const matchedCands: ZoneCandidate[] = [];
    const zoneStarts = new Set<number>();
    let found = 0;
    let missing = 0;
    let mismatch = 0;
    let invalid = 0;
    let evidence = 0;
    let missingRuns = 0;
    let prevMissing = false;
    let prior = h.prior;
    let unsignedMissing = 0;
    let eccWrong = 0;
    let contentWrong = 0;
    const profile = kernelProfile(h.kernel);
    for (let zi = 0; zi < layout.zones.length; zi++) {
      const z = layout.zones[zi];
      const abs = h.offset + z.offset;
      zoneStarts.add(abs);
      const c = this.byOffset.get(abs);
      let state: InferredZone['state'] = 'missing';
      if (c && c.littleEndian === h.le) {
        if ((c.kind === 'ftrace') === (z.type === 'ftrace')) {
          state = 'found';
          found++;
          matchedCands.push(c);
          if (c.size > z.geometry.dataSize) invalid++;
          const text = this.dataText(c);
          if (z.type === 'dmesg' && text === 'other') {
            prior -= 8; // a kmsg record always starts with its plain-text header, compressed or not
            contentWrong++;
          }
          // An ftrace signature names the kernel version that wrote it (and its record format).
          if (c.kind === 'ftrace' && c.versionCode && c.versionCode >>> 8 !== ((profile.major << 8) | profile.minor)) {
            prior -= 8;
            contentWrong++;
          }
          // console and pmsg data never start with a kmsg header
          if ((z.type === 'console' || z.type === 'pmsg') && text === 'kmsg') contentWrong++;
          // A signature exactly where the layout predicts one is strong evidence (a chance word
          // matches 1 in 2^32); the anchor header is only as good as its contents.
          evidence += c.offset !== seq[0].offset || (c.size === 0 && c.start === 0) || text === 'kmsg' ? 1 : 0.3;
          if (ecc && found <= 64) {
            // The header parity sits at the end of the zone: it checks out only with the zone's true size.
            if (this.headerEcc(c, z.size) === ecc) evidence += found <= 16 ? 1 : 0;
            else eccWrong++;
          } else if (!ecc && found <= 64 && this.hasParity(c, z.size)) {
            // The kernel gives every zone of a region the same ECC: a header whose parity checks out
            // (at this zone size or another) in a region read without ECC belongs to another region.
            eccWrong++;
          }
        } else {
          state = 'mismatch';
          mismatch++;
        }
      } else if (zi >= layout.zones.length - h.unsigned) {
        unsignedMissing++;
      } else {
        missing++;
        // A block of zones without headers counts about once: U-Boot signs only the zones it writes.
        if (!prevMissing) missingRuns++;
      }
      prevMissing = state === 'missing';
      zones.push({ type: z.type, index: z.index, label: z.label, offset: abs, size: z.size, state, start: c && state !== 'missing' ? c.start : null, used: c && state !== 'missing' ? c.size : null });
    }
    // Headers inside the region that are not zone starts: empty ones, or written ones past the data
    // of the zone they sit in (where no log text hides them). This layout misplaces zones.
    let orphans = 0;
    const end = h.offset + memSize;
    let zi = 0;
    for (const c of seq) {
      if (c.offset < h.offset || c.offset >= end || zoneStarts.has(c.offset)) continue;
      if (c.start === 0 && c.size === 0) {
        orphans++;
        continue;
      }
      while (zi + 1 < zones.length && zones[zi + 1].offset <= c.offset) zi++;
      const z = zones[zi];
      if (z && z.offset <= c.offset && (z.state !== 'found' || c.offset >= z.offset + PRZ_HEADER_SIZE + Math.max(z.used ?? 0, z.start ?? 0))) orphans++;
    }
    const truncated = end > this.dump.size;
    // Zones assumed without a header (U-Boot signs only what it writes) earn the region's roundness only
    // over zeroed memory: over other bytes a rounder region is no evidence that they exist.
    const assumed = h.unsigned ? layout.zones.slice(layout.zones.length - h.unsigned) : [];
    const assumedBytes = assumed.every((z) => this.isBlank(h.offset + z.offset, z.size, 0)) ? 0 : assumed.reduce((n, z) => n + z.size, 0);
    const score =
      4 * found -
      3 * missingRuns -
      0.005 * missing -
      unsignedMissing -
      4 * mismatch -
      2 * invalid -
      16 * eccWrong - // header parity that fails at this zone size rules the size out, whatever its roundness
      3 * orphans +
      0.5 * Math.min(trailingZeros(memSize), trailingZeros(memSize - assumedBytes), 30) +
      prior +
      (truncated ? -2 : 0);
    if (!unsignedMissing) h = { ...h, notes: h.notes.filter((n) => !n.includes('assumed at the default size')) };
    return { eccWrong, contentWrong, unsignedMissing, hyp: h, params: { mem_size: memSize, record_size: h.record, console_size: h.console, ftrace_size: ftraceSize, pmsg_size: h.pmsg, ecc }, score, zones, found, missing, mismatch, orphans, evidence, truncated, matchedCands };
  }
}

/** Infer every ramoops region in a dump from its zone-header candidates. */
export function inferRegions(dump: Region, candidates: readonly ZoneCandidate[]): InferredRegion[] {
  return new LayoutInference(dump, candidates).regions();
}
