/**
 * Random kernel layouts for the inference property test: a ramoops region or
 * a pstore/blk device written as the kernel would (random records, random
 * zones blanked), embedded at a random offset in zero, random or 0xFF data,
 * sometimes beside a second region. Everything follows from one seed.
 */
import { appendBlkConsole, appendBlkFtrace, appendBlkPmsg, createBlk, dumpToBlkImage } from '../../src/api/blkWrite.js';
import { openImage, type ExplicitImageOptions } from '../../src/api/openImage.js';
import { appendConsole, appendFtrace, appendPmsg, createImage, dumpToImage } from '../../src/api/writeImage.js';
import type { PstoreFile } from '../../src/core/record.js';
import { PstoreError } from '../../src/errors.js';
import { installNodeDeflate } from '../../src/node/deflate.js';
import type { RamoopsImageOptions } from '../../src/api/ramoopsImage.js';
import { MemoryRegion } from '../../src/region/region.js';
import { noise } from './noise.js';

/** mulberry32: small, fast, seedable. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface PlantedRegion {
  /** Offset in the dump. */
  offset: number;
  size: number;
  options: ExplicitImageOptions;
  /** One line: what was planted (for failure messages). */
  describe: string;
}

export interface InferCase {
  seed: number;
  dump: Uint8Array;
  regions: PlantedRegion[];
}

installNodeDeflate();

const LOG = Array.from({ length: 60 }, (_, i) => `<6>[${(i * 0.013).toFixed(6)}] line ${i} of the crashed kernel's log, padding padding`).join('\n');

/** A layout the kernel refuses (LayoutError): null, the case draws another. */
function orNull<T>(make: () => T): T | null {
  try {
    return make();
  } catch (e) {
    if (e instanceof PstoreError) return null;
    throw e;
  }
}

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)];
}
const int = (r: () => number, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

/** A ramoops region image (bytes) and its options, written as a kernel would. */
function ramoopsRegion(r: () => number, leadingBlankVisible: boolean): { bytes: Uint8Array; options: ExplicitImageOptions; describe: string } | null {
  const kernel = pick(r, ['6.1', '6.12', '5.15', '6.6', 'debian-6.1']);
  const ecc = pick(r, [0, 0, 8, 16, 16, 32, 64]);
  const record = r() < 0.15 ? 0 : 2 ** int(r, ecc ? 10 : 9, 16) + (r() < 0.15 ? int(r, 1, 300) : 0);
  const zone = (p: number): number => (r() < 0.35 ? 0 : 2 ** int(r, ecc ? 10 : 9, p) + (r() < 0.15 ? int(r, 1, 200) : 0));
  const console = zone(18);
  const pmsg = zone(16);
  const ftrace = kernel.startsWith('debian') ? 0 : zone(16);
  const cpus = ftrace ? pick(r, [1, 1, 2, 4]) : 1;
  const k = record ? int(r, 1, 12) : 0;
  const pw = (n: number): number => (n ? 2 ** Math.floor(Math.log2(n)) : 0);
  let mem = k * pw(record) + pw(console) + pw(pmsg) + pw(ftrace);
  if (record && r() < 0.3) mem += int(r, 1, pw(record) - 1); // odd mem_size: the kernel spreads it over the dmesg zones
  if (mem === 0 || mem > 6 << 20) return null;
  const options: ExplicitImageOptions = {
    backend: 'ramoops',
    params: { mem_size: mem, record_size: record, console_size: console, pmsg_size: pmsg, ftrace_size: ftrace, ecc, max_reason: 2 },
    kernel,
    ftraceCpus: cpus,
  };
  const bytes = new Uint8Array(mem);
  const image = orNull(() => createImage(new MemoryRegion(bytes), options));
  if (!image) return null;
  const l = image.layout;
  if (l.dmesgCount) {
    const n = int(r, 0, Math.min(l.dmesgCount, 4));
    if (n) dumpToImage(image, { log: LOG, reasons: Array.from({ length: n }, () => pick(r, [1, 2])), time: { sec: 1_700_000_000, nsec: 0 }, compress: pick(r, ['none', 'deflate'] as const) });
  }
  if (l.params.console_size && r() < 0.7) appendConsole(image, new TextEncoder().encode(LOG.slice(0, int(r, 1, 3000))));
  if (l.params.pmsg_size && r() < 0.5) appendPmsg(image, new TextEncoder().encode(LOG.slice(0, int(r, 1, 2000))));
  if (l.ftraceCount && r() < 0.5) appendFtrace(image, [{ ip: 0xffffffff81000000n, parentIp: 0xffffffff81000100n, cpu: 0, ts: 12n }]);
  // Zones never written (all zero) at either end: the kernel signs every zone it attaches, so only the ends of a dump go blank.
  const zones = l.zones;
  const blank = (i: number): void => void bytes.fill(0, zones[i].offset, zones[i].offset + zones[i].size);
  // A blank first zone in zero data is zero data: nothing can see it, so it is planted only where the background differs.
  const mode = r();
  if (mode < 0.15) blank(zones.length - 1);
  else if (mode < 0.25 && leadingBlankVisible) blank(0);
  const p = l.params;
  const describe = `ramoops kernel ${kernel} mem 0x${mem.toString(16)} record 0x${record.toString(16)} console 0x${console.toString(16)} pmsg 0x${pmsg.toString(16)} ftrace 0x${ftrace.toString(16)}x${cpus} ecc ${ecc} (${l.dmesgCount} dmesg of 0x${(zones[0]?.size ?? 0).toString(16)}; rounded console 0x${p.console_size.toString(16)})`;
  return { bytes, options, describe };
}

/** A pstore/blk device (bytes) and its options. */
function blkRegion(r: () => number): { bytes: Uint8Array; options: ExplicitImageOptions; describe: string } | null {
  const kernel = pick(r, ['6.1', '6.12', 'debian-6.1']);
  const debian = kernel.startsWith('debian');
  const kib = (): number => pick(r, [4, 8, 16, 64, 64, 128]);
  const kmsg = kib();
  const pmsg = debian || r() < 0.3 ? 0 : kib();
  const console = debian || r() < 0.3 ? 0 : kib();
  const ftrace = debian || r() < 0.4 ? 0 : kib();
  const cpus = ftrace ? pick(r, [1, 2]) : 1;
  const count = int(r, 1, 8);
  const size = Math.ceil(((pmsg + console + ftrace + count * kmsg) * 1024) / 4096) * 4096;
  const options: ExplicitImageOptions = { backend: 'blk', params: { kmsg_size: kmsg, pmsg_size: pmsg, console_size: console, ftrace_size: ftrace, max_reason: 2 }, kernel, ftraceCpus: cpus, panicWrite: true };
  const bytes = new Uint8Array(size);
  const image = orNull(() => createBlk(new MemoryRegion(bytes), options));
  if (!image) return null;
  const n = int(r, 0, Math.min(image.layout.kmsg.length, 3));
  if (n) dumpToBlkImage(image, { log: LOG, reasons: Array.from({ length: n }, () => 2), time: { sec: 1_700_000_000, nsec: 0 } });
  if (image.layout.console && r() < 0.7) appendBlkConsole(image, new TextEncoder().encode(LOG.slice(0, int(r, 1, 3000))));
  if (image.layout.pmsg && r() < 0.6) appendBlkPmsg(image, new TextEncoder().encode(LOG.slice(0, int(r, 1, 2000))));
  if (image.layout.ftrace.length && r() < 0.4) appendBlkFtrace(image, [{ ip: 0xffffffff81000000n, parentIp: 0xffffffff81000100n, cpu: 0, ts: 12n }]);
  const describe = `blk kernel ${kernel} size 0x${size.toString(16)} kmsg ${kmsg} pmsg ${pmsg} console ${console} ftrace ${ftrace}x${cpus} KiB (${image.layout.kmsg.length} kmsg zones)`;
  return { bytes, options, describe };
}

/** One random case. */
export function inferCase(seed: number): InferCase {
  const r = rng(seed);
  const planted: Array<{ bytes: Uint8Array; options: ExplicitImageOptions; describe: string }> = [];
  const nRegions = r() < 0.1 ? 2 : 1;
  const bg = pick(r, ['zero', 'random', 'ff'] as const);
  while (planted.length < nRegions) {
    const x = r() < 0.75 ? ramoopsRegion(r, bg !== 'zero') : blkRegion(r);
    if (x) planted.push(x);
  }
  const exact = nRegions === 1 && bg === 'zero' && r() < 0.3; // the dump is the region itself
  const gaps = planted.map(() => (exact ? 0 : pick(r, [0, int(r, 1, 4096), int(r, 1, 1 << 20), 4096 * int(r, 1, 64)])));
  const tail = exact ? 0 : pick(r, [0, int(r, 1, 1 << 16)]);
  const total = planted.reduce((n, p, i) => n + p.bytes.length + gaps[i], 0) + tail;
  const dump = bg === 'random' ? noise(total, seed) : new Uint8Array(total);
  if (bg === 'ff') dump.fill(0xff);
  const regions: PlantedRegion[] = [];
  let pos = 0;
  planted.forEach((p, i) => {
    pos += gaps[i];
    // A blank zone of a region reads as the background it sits in (never written).
    const bytes = p.bytes;
    dump.set(bytes, pos);
    regions.push({ offset: pos, size: bytes.length, options: (p.options.backend === 'blk' ? { ...p.options, offset: pos, deviceSize: bytes.length } : { ...p.options, offset: pos, params: { ...(p.options as RamoopsImageOptions).params, mem_size: bytes.length } }) as ExplicitImageOptions, describe: `${p.describe} at 0x${pos.toString(16)} in ${bg} data` });
    pos += bytes.length;
  });
  return { seed, dump, regions };
}

/** The files a layout shows, as comparable strings (name and content hash-free bytes). */
export function filesOf(dump: Uint8Array, options: ExplicitImageOptions): string[] | null {
  try {
    const files: PstoreFile[] = openImage(new MemoryRegion(dump), options).image.files();
    return files.map((f) => `${f.name}:${Buffer.from(f.content).toString('base64')}`).sort();
  } catch (e) {
    if (e instanceof PstoreError || e instanceof RangeError) return null;
    throw e;
  }
}
