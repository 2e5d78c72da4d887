/**
 * The starting points of the campaign: every fixture family the repository
 * carries (real kernel images), the compressed payloads inside them, pmsg
 * and ftrace zone contents, Android pmsg frames — each with the header fields
 * a mutation should aim at.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RamoopsImage, type RamoopsImageOptions } from '../src/api/ramoopsImage.js';
import { BlkImage, type BlkImageOptions } from '../src/api/blkImage.js';
import { EfiImage, type EfiImageOptions } from '../src/api/efiImage.js';
import { paramsFromObject } from '../src/backends/ramoops/params.js';
import { PSZ_BUFFER_HEADER_SIZE, type BlkModuleParams } from '../src/backends/blk/layout.js';
import { kmsgHeaderLayout } from '../src/backends/blk/zoneFormat.js';
import { getCompressor, decompressLimit } from '../src/core/compress/registry.js';
import type { CompressorName } from '../src/core/compress/types.js';
import { SymbolMap } from '../src/core/ftrace.js';
import { encodePmsgRecord, eventPayload, LogId, textPayload } from '../src/core/logcat.js';
import { reedSolomon } from '../src/ecc/index.js';
import { MemoryRegion } from '../src/region/region.js';
import type { Field } from './mutate.js';

export const FIXTURES = join(import.meta.dirname, '..', 'test', 'fixtures');

export type SeedContext =
  | { kind: 'ramoops'; options: RamoopsImageOptions }
  | { kind: 'blk'; options: BlkImageOptions }
  | { kind: 'efi'; options: EfiImageOptions }
  | { kind: 'payload'; algorithm: CompressorName; limit: number }
  | { kind: 'pmsg' }
  | { kind: 'ftrace'; arch: string; symbols: SymbolMap | null };

export interface Seed {
  /** Stable name: fixture path or generator, used by corpus files to find the context again. */
  name: string;
  family: 'ramoops' | 'blk' | 'efi' | 'payload' | 'pmsg' | 'ftrace';
  bytes: Uint8Array;
  fields: Field[];
  ctx: SeedContext;
  /** Re-computes ECC parity after a mutation (ramoops with ECC). */
  resign?: (b: Uint8Array) => void;
}

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

const RAMOOPS_SETS: Array<[set: string, kernel: string]> = [
  ['kernel-6.1', 'debian-6.1'],
  ['kernel-6.12', '6.12'],
  ['kernel-6.1-full', '6.1'],
];

function scenarioDirs(set: string): string[] {
  const dir = join(FIXTURES, set);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((d) => existsSync(join(dir, d, 'image.bin')))
    .sort();
}

/** Header fields of every zone of a ramoops image: sig/start/size, the record header text, the ECC parity. */
function ramoopsFields(img: RamoopsImage): Field[] {
  const out: Field[] = [];
  for (const z of img.layout.zones) {
    const g = z.geometry;
    const edges = [g.dataSize, g.dataSize - 1, g.dataSize + 1, z.size, z.size - 12, g.zoneSize * 2];
    out.push({ offset: z.offset, width: 4, edges: [0x43474244, 0x43474244 ^ 0x601c0, 0x43414e31] });
    out.push({ offset: z.offset + 4, width: 4, edges });
    out.push({ offset: z.offset + 8, width: 4, edges });
    if (z.type === 'dmesg') out.push({ offset: z.offset + 12, width: 8, edges: [], text: 40 });
    if (g.eccSize) out.push({ offset: z.offset + g.headerParityOffset, width: 4, edges: [] });
  }
  return out;
}

/** Fresh parity for every zone whose bytes are all there: the header and data "look valid" to the ECC check. */
function ramoopsResign(img: RamoopsImage): ((b: Uint8Array) => void) | undefined {
  const ecc = img.layout.params.ecc;
  if (!ecc) return undefined;
  const rs = reedSolomon(ecc);
  const zones = img.layout.zones;
  return (b) => {
    for (const z of zones) {
      if (z.offset + z.size > b.length) continue;
      const g = z.geometry;
      const zone = b.subarray(z.offset, z.offset + z.size);
      rs.encode(zone, 0, 12, zone, g.headerParityOffset);
      for (let i = 0; i < g.eccBlocks; i++) {
        const start = g.dataOffset + i * g.blockSize;
        const len = Math.min(g.blockSize, g.dataOffset + g.dataSize - start);
        if (len > 0) rs.encode(zone, start, len, zone, g.parityOffset + i * g.eccSize);
      }
    }
  };
}

function ramoopsSeeds(): Seed[] {
  const out: Seed[] = [];
  for (const [set, kernel] of RAMOOPS_SETS) {
    for (const sc of scenarioDirs(set)) {
      const dir = join(FIXTURES, set, sc);
      const params = readJson(join(dir, 'params.json'));
      if (params.backend === 'pstore_blk' || 'pstore_blk' in params) continue;
      const mapFile = join(dir, 'system-map-excerpt.txt');
      const options: RamoopsImageOptions = {
        params: paramsFromObject(params),
        kernel,
        ftraceCpus: typeof params.ftrace_cpus === 'number' ? params.ftrace_cpus || 1 : 1,
        symbols: existsSync(mapFile) ? SymbolMap.parse(readFileSync(mapFile, 'utf8')) : null,
      };
      const bytes = new Uint8Array(readFileSync(join(dir, 'image.bin')));
      const img = new RamoopsImage(new MemoryRegion(bytes.slice()), options);
      out.push({ name: `${set}/${sc}`, family: 'ramoops', bytes, fields: ramoopsFields(img), ctx: { kind: 'ramoops', options }, resign: ramoopsResign(img) });
    }
  }
  const uboot = join(FIXTURES, 'u-boot', 'image.bin');
  if (existsSync(uboot)) {
    const options: RamoopsImageOptions = { params: { record_size: 0x1000, console_size: 0x1000, ftrace_size: 0x1000, pmsg_size: 0x1000, ecc: 0 }, kernel: '6.1', arch: 'arm' };
    const bytes = new Uint8Array(readFileSync(uboot));
    const img = new RamoopsImage(new MemoryRegion(bytes.slice()), options);
    // 256 zones: aim at the three that hold records and a few others.
    const fields = ramoopsFields(img).filter((f) => f.offset < 0x3000 || f.offset >= 253 * 0x1000);
    out.push({ name: 'u-boot', family: 'ramoops', bytes, fields, ctx: { kind: 'ramoops', options } });
  }
  return out;
}

const BLK_SEEDS: Array<[path: string, params: BlkModuleParams]> = [
  ['kernel-6.1-blk/pstore-blk-oops', { kmsg_size: 64, pmsg_size: 0, console_size: 0, ftrace_size: 0, max_reason: 2 }],
  ['kernel-6.1-full/pstore-blk-full', { kmsg_size: 64, pmsg_size: 64, console_size: 64, ftrace_size: 64, max_reason: 2 }],
];

function blkSeeds(): Seed[] {
  const out: Seed[] = [];
  for (const [path, params] of BLK_SEEDS) {
    const file = join(FIXTURES, path, 'image.bin');
    if (!existsSync(file)) continue;
    const full = new Uint8Array(readFileSync(file));
    const options: BlkImageOptions = { params, kernel: '6.1' };
    const img = new BlkImage(new MemoryRegion(full.slice()), options);
    // The 4 MiB device is mostly unused zones: keep the used part (the layout only needs the device size).
    const used = Math.min(full.length, img.layout.totalSize);
    const bytes = full.subarray(0, used);
    const kh = kmsgHeaderLayout(img.arch);
    const fields: Field[] = [];
    for (const z of img.layout.zones) {
      const edges = [z.bufferSize, z.bufferSize - 1, z.bufferSize + 1, z.size];
      fields.push({ offset: z.offset, width: 4, edges: [z.sig, 0x43474244] });
      fields.push({ offset: z.offset + 4, width: 4, edges });
      fields.push({ offset: z.offset + 8, width: 4, edges });
      if (z.type === 'dmesg') {
        const h = z.offset + PSZ_BUFFER_HEADER_SIZE;
        fields.push({ offset: h + kh.magic, width: 4, edges: [0x4dfc3ae5] });
        fields.push({ offset: h + kh.tvSec, width: 8, edges: [Number.MAX_SAFE_INTEGER, -1] });
        fields.push({ offset: h + kh.tvNsec, width: 8, edges: [999_999_999, 1_000_000_000, -1] });
        fields.push({ offset: h + kh.compressed, width: 1, edges: [0, 1, 2] });
        fields.push({ offset: h + kh.counter, width: 4, edges: [] });
        fields.push({ offset: h + kh.reason, width: 4, edges: [0, 1, 2, 3, 4, 5, 6] });
      }
    }
    out.push({ name: path, family: 'blk', bytes, fields, ctx: { kind: 'blk', options: { ...options, deviceSize: used } } });
  }
  return out;
}

/**
 * efi-pstore variable stores (OVMF pflash after a crash boot): the fields of
 * every variable header — State, Attributes, NameSize, DataSize — and the
 * store header's size.
 */
function efiSeeds(): Seed[] {
  const out: Seed[] = [];
  const dir = join(FIXTURES, 'efi-6.1');
  const scenarios = existsSync(dir) ? readdirSync(dir).filter((d) => existsSync(join(dir, d, 'varstore.fd'))).sort() : [];
  for (const sc of scenarios) {
    const bytes = new Uint8Array(readFileSync(join(FIXTURES, 'efi-6.1', sc, 'varstore.fd')));
    const options: EfiImageOptions = { kernel: '6.1' };
    const img = new EfiImage(new MemoryRegion(bytes.slice()), options);
    const fields: Field[] = [];
    for (const v of img.variables()) {
      const headerSize = v.dataOffset - v.nameSize - v.offset;
      const auth = headerSize >= 60;
      const sizeEdges = [0, 1, 2, 0xffffffff, 0x7fffffff, v.dataSize, v.dataSize + 1, bytes.length];
      fields.push({ offset: v.offset, width: 2, edges: [0x55aa] });
      fields.push({ offset: v.offset + 2, width: 1, edges: [0x3f, 0x3e, 0x3c, 0x7f, 0xfe, 0xff] });
      fields.push({ offset: v.offset + 4, width: 4, edges: [7, 0x27, 0] });
      fields.push({ offset: v.offset + (auth ? 36 : 8), width: 4, edges: sizeEdges });
      fields.push({ offset: v.offset + (auth ? 40 : 12), width: 4, edges: sizeEdges });
    }
    const store = img.health().storeOffset;
    fields.push({ offset: store + 16, width: 4, edges: [0, bytes.length, bytes.length - store, 0xffffffff] });
    out.push({ name: `efi-6.1/${sc}`, family: 'efi', bytes, fields, ctx: { kind: 'efi', options } });
  }
  return out;
}

const LOG_TEXT = Array.from({ length: 400 }, (_, i) => `<${i % 8}>[ ${(i * 0.013).toFixed(6)}] fuzz line ${i} the quick brown fox ${'x'.repeat(i % 37)}\n`).join('');

/** Compressed payloads: the records the kernels wrote (read with compression off), plus ours for each algorithm. */
function payloadSeeds(ramoops: Seed[]): Seed[] {
  const out: Seed[] = [];
  const algoOf: Record<string, CompressorName> = {
    'kernel-6.1-full/compress-lzo': 'lzo',
    'kernel-6.1-full/compress-lz4': 'lz4',
    'kernel-6.1-full/compress-lz4hc': 'lz4hc',
    'kernel-6.1-full/compress-842': '842',
    'kernel-6.1-full/compress-zstd': 'zstd',
  };
  for (const s of ramoops) {
    if (s.ctx.kind !== 'ramoops') continue;
    const img = new RamoopsImage(new MemoryRegion(s.bytes.slice()), { ...s.ctx.options, compress: 'none' });
    let files;
    try {
      files = img.files();
    } catch {
      continue;
    }
    for (const f of files) {
      if (!f.name.endsWith('.enc.z')) continue;
      const algorithm = algoOf[s.name] ?? 'deflate';
      const profile = s.ctx.options.kernel === '6.12' ? '6.12' : '6.1';
      const limit = decompressLimit(algorithm, img.backend.bufsize, profile);
      out.push({ name: `${s.name}:${f.name}`, family: 'payload', bytes: f.content.slice(), fields: [], ctx: { kind: 'payload', algorithm, limit } });
    }
  }
  const text = new TextEncoder().encode(LOG_TEXT);
  for (const algorithm of ['lzo', 'lz4', 'lz4hc', '842'] as const) {
    for (const len of [0, 1, 100, 4000, text.length]) {
      const c = getCompressor(algorithm).compress(text.subarray(0, len), 1 << 20);
      if (c) out.push({ name: `ours:${algorithm}:${len}`, family: 'payload', bytes: c, fields: [], ctx: { kind: 'payload', algorithm, limit: 0x10000 } });
    }
  }
  return out;
}

/** pmsg contents: the kernel's zones (text and bytes 0..255) and Android liblog frames of every kind. */
function pmsgSeeds(ramoops: Seed[]): Seed[] {
  const out: Seed[] = [];
  for (const s of ramoops) {
    if (s.ctx.kind !== 'ramoops' || !s.name.includes('compress-deflate')) continue;
    const img = new RamoopsImage(new MemoryRegion(s.bytes.slice()), s.ctx.options);
    const f = img.files().find((x) => x.type === 'pmsg');
    if (f) out.push({ name: `${s.name}:pmsg`, family: 'pmsg', bytes: f.content.slice(), fields: [], ctx: { kind: 'pmsg' } });
  }
  const frames: Uint8Array[] = [];
  const base = { uid: 1000, pid: 321, tid: 322, sec: 1704067200, nsec: 123456789 };
  frames.push(encodePmsgRecord({ ...base, logId: LogId.MAIN }, textPayload(4, 'ActivityManager', 'Start proc 1234:com.example/u0a12\nsecond line')));
  frames.push(encodePmsgRecord({ ...base, logId: LogId.SYSTEM }, textPayload(6, 'init', 'Service exited with status 1')));
  frames.push(encodePmsgRecord({ ...base, logId: LogId.EVENTS }, eventPayload(2718, { list: [{ int: 7 }, { long: 1n << 40n }, { string: 'boot' }, { float: 1.5 }] })));
  frames.push(encodePmsgRecord({ ...base, logId: LogId.SECURITY }, eventPayload(210001, { string: 'adb auth' })));
  frames.push(encodePmsgRecord({ ...base, logId: LogId.CRASH }, textPayload(7, 'DEBUG', '*** *** ***\nbacktrace:\n  #00 pc 0001')));
  const total = frames.reduce((n, f) => n + f.length, 0);
  const all = new Uint8Array(total);
  let at = 0;
  const fields: Field[] = [];
  for (const f of frames) {
    all.set(f, at);
    fields.push({ offset: at, width: 1, edges: [0x6c] });
    fields.push({ offset: at + 1, width: 2, edges: [f.length, 18, 17, 4076 + 18, 4077 + 18] });
    fields.push({ offset: at + 7, width: 1, edges: [0, 2, 3, 5, 6, 7, 8] });
    fields.push({ offset: at + 18, width: 1, edges: [0, 1, 2, 3, 4, 8] });
    at += f.length;
  }
  out.push({ name: 'android-pmsg', family: 'pmsg', bytes: all, fields, ctx: { kind: 'pmsg' } });
  return out;
}

/** ftrace zone contents of the per-CPU fixtures, with their System.map excerpt. */
function ftraceSeeds(ramoops: Seed[]): Seed[] {
  const out: Seed[] = [];
  for (const s of ramoops) {
    if (s.ctx.kind !== 'ramoops' || !s.name.includes('ftrace')) continue;
    const img = new RamoopsImage(new MemoryRegion(s.bytes.slice()), s.ctx.options);
    for (const z of img.layout.zones) {
      if (z.type !== 'ftrace') continue;
      const zone = s.bytes.subarray(z.offset, z.offset + z.size);
      const size = new DataView(zone.buffer, zone.byteOffset + 8, 4).getUint32(0, true);
      const bytes = zone.slice(12, 12 + Math.min(size, z.geometry.dataSize));
      const fields: Field[] = [];
      for (let o = 0; o + 24 <= Math.min(bytes.length, 24 * 16); o += 24) fields.push({ offset: o + 16, width: 8, edges: [0, 1, 255, 256] });
      out.push({ name: `${s.name}:${z.label}`, family: 'ftrace', bytes, fields, ctx: { kind: 'ftrace', arch: 'x86_64', symbols: s.ctx.options.symbols ?? null } });
    }
  }
  return out;
}

let cache: Seed[] | null = null;

/** Every seed, loaded once per process. */
export function allSeeds(): Seed[] {
  if (cache) return cache;
  const ramoops = ramoopsSeeds();
  cache = [...ramoops, ...blkSeeds(), ...efiSeeds(), ...payloadSeeds(ramoops), ...pmsgSeeds(ramoops), ...ftraceSeeds(ramoops)];
  return cache;
}

export function seedByName(name: string): Seed {
  const s = allSeeds().find((x) => x.name === name);
  if (!s) throw new Error(`fuzz: no seed named ${name}`);
  return s;
}
