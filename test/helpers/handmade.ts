// Hand-made images for the read-path audit: record headers no kernel writes
// itself, poked into signed zones. Each builder returns the region, the
// module parameters a kernel needs to read it, and what Linux is expected to
// show; the same builders serve the unit tests (test/readpath-audit*.test.ts)
// and the interop tier (a real 6.1 / 6.12 kernel reads them).
import { createImage } from '../../src/api/writeImage.js';
import { RamoopsImage } from '../../src/api/ramoopsImage.js';
import { BlkImage } from '../../src/api/blkImage.js';
import { createBlk } from '../../src/api/blkWrite.js';
import { przOptions } from '../../src/backends/ramoops/ramoops.js';
import type { RamoopsParams } from '../../src/backends/ramoops/layout.js';
import { BLK_ARCH_X86_64, PSTORE_KMSG_HEADER_MAGIC, encodeKmsgHeader, encodePszBuffer, kmsgHeaderLayout } from '../../src/backends/blk/zoneFormat.js';
import { PSZ_BUFFER_HEADER_SIZE } from '../../src/backends/blk/layout.js';
import type { BlkModuleParams } from '../../src/backends/blk/layout.js';
import { KmsgDumpReason } from '../../src/core/backend.js';
import type { RecordTime } from '../../src/core/record.js';
import { MemoryRegion } from '../../src/region/region.js';
import { PersistentRamZone } from '../../src/zone/persistentRamZone.js';

export const T0 = 1704067200; // 2024-01-01T00:00:00Z
const enc = new TextEncoder();

export interface HandmadeImage {
  name: string;
  image: Uint8Array;
  /** ramoops module parameters (sizes in bytes). */
  params: RamoopsParams;
  /** What Linux shows (file names, in read order) — the same on 6.1 and 6.12 unless said otherwise. */
  expectNames: string[];
}

export interface HandmadeBlkImage {
  name: string;
  image: Uint8Array;
  /** pstore_blk module parameters (KiB), best_effort=y. */
  params: Required<Pick<BlkModuleParams, 'kmsg_size' | 'pmsg_size' | 'console_size' | 'ftrace_size'>>;
  expectNames: string[];
}

/** Four 4 KiB dmesg zones, console and pmsg zones of 4 KiB, no ftrace. */
export function handmadeParams(ecc = 0): RamoopsParams {
  return { mem_size: 0x6000, record_size: 0x1000, console_size: 0x1000, pmsg_size: 0x1000, ftrace_size: 0, ecc, max_reason: 2 };
}

/** A signed, empty region (as after the kernel's first attach). */
export function blankRamoops(params: RamoopsParams, kernel = '6.1'): { bytes: Uint8Array; image: RamoopsImage } {
  const bytes = new Uint8Array(params.mem_size);
  const image = createImage(new MemoryRegion(bytes), { params, kernel });
  return { bytes, image };
}

/** Replace a zone's contents with `data` exactly as a kernel write would store it (ring at 0, ECC parity). */
export function pokeZone(image: RamoopsImage, type: 'dmesg' | 'console' | 'pmsg' | 'ftrace', index: number, data: Uint8Array | string): void {
  const zone = image.layout.zones.find((z) => z.type === type && z.index === index);
  if (!zone) throw new Error(`no ${type} zone ${index}`);
  const prz = new PersistentRamZone(image.region, zone.offset, zone.size, przOptions(image.layout, zone, image.backend.ftraceSig));
  prz.zap();
  prz.write(typeof data === 'string' ? enc.encode(data) : data);
  image.invalidate();
}

/** `====sec.usec-D\n` + a short dump text, as ramoops_write_kmsg_hdr writes it. */
export function dumpRecord(sec: number, tag: string, usec = 0): string {
  return `====${sec}.${String(usec).padStart(6, '0')}-D\nOops#1 Part1\n<4>[    1.000000] ${tag}\n`;
}

function finish(name: string, bytes: Uint8Array, params: RamoopsParams, expectNames: string[]): HandmadeImage {
  return { name, image: bytes, params, expectNames };
}

/**
 * dmesg zone 1 holds a valid header and nothing else: it reads as 0 bytes and
 * pstore_get_backend_records stops there. Zone 0 is shown; zone 2 (a record),
 * zone 3 (no header: it would be zapped if reached), console and pmsg are not.
 */
export function handmadeHeaderOnly(ecc = 0): HandmadeImage {
  const params = handmadeParams(ecc);
  const { bytes, image } = blankRamoops(params);
  pokeZone(image, 'dmesg', 0, dumpRecord(T0 + 1, 'before the empty record', 1));
  pokeZone(image, 'dmesg', 1, `====${T0 + 2}.000002-D\n`);
  pokeZone(image, 'dmesg', 2, dumpRecord(T0 + 3, 'after the empty record', 3));
  pokeZone(image, 'dmesg', 3, 'no header here, would be zapped\n');
  pokeZone(image, 'console', 0, 'console text\n');
  pokeZone(image, 'pmsg', 0, 'pmsg text\n');
  return finish(`header-only dmesg record in zone 1 (ecc ${ecc})`, bytes, params, ['dmesg-ramoops-0']);
}

/** The empty record in zone 0: nothing at all is shown. A header without its newline, before spaces only. */
export function handmadeHeaderOnlyFirst(): HandmadeImage {
  const params = handmadeParams(0);
  const { bytes, image } = blankRamoops(params);
  pokeZone(image, 'dmesg', 0, `====${T0}.5-D  \n\t `);
  pokeZone(image, 'dmesg', 1, dumpRecord(T0 + 1, 'never shown'));
  pokeZone(image, 'console', 0, 'console text\n');
  return finish('header-only dmesg record (white space only) in zone 0', bytes, params, []);
}

/** Zone 0 without a header (zapped, skipped), zone 1 empty record (stop), zone 2 a record (not shown). */
export function handmadeZapThenStop(): HandmadeImage {
  const params = handmadeParams(16);
  const { bytes, image } = blankRamoops(params);
  pokeZone(image, 'dmesg', 0, 'garbage without a ==== header\n');
  pokeZone(image, 'dmesg', 1, `====${T0 + 1}.000001-C\n`);
  pokeZone(image, 'dmesg', 2, dumpRecord(T0 + 2, 'not shown'));
  pokeZone(image, 'pmsg', 0, 'pmsg text\n');
  return finish('zone 0 zapped, zone 1 empty compressed record', bytes, params, []);
}

/**
 * Record times the kernel keeps unnormalised: `%lu` microseconds times 1000
 * in a long. stat shows the low 32 bits of tv_nsec (6.1 and 6.12 alike):
 * zone 0: 7 digits (1234567000); zone 1: 4294968 µs (4294968000 → 704);
 * zone 2: 2^64-1 µs (wraps to -1, tv_nsec -1000 → 4294966296);
 * zone 3: the legacy header without `-D`, and `.0` µs.
 */
export function handmadeUnnormalisedTimes(): HandmadeImage {
  const params = handmadeParams(0);
  const { bytes, image } = blankRamoops(params);
  pokeZone(image, 'dmesg', 0, `====${T0 + 3}.1234567-D\nseven digits\n`);
  pokeZone(image, 'dmesg', 1, `====${T0 + 4}.4294968-D\nfour billion nanoseconds\n`);
  pokeZone(image, 'dmesg', 2, `====${T0 + 5}.18446744073709551615-D\nwrapped microseconds\n`);
  pokeZone(image, 'dmesg', 3, `====${T0 + 6}.0\nlegacy header\n`);
  return finish('unnormalised record times', bytes, params, ['dmesg-ramoops-0', 'dmesg-ramoops-1', 'dmesg-ramoops-2', 'dmesg-ramoops-3']);
}

/**
 * Header variants sscanf accepts: spaces before the numbers, no newline
 * (white space in the format matches none), white space eaten after the
 * header (the text's own leading blanks go too), a type other than C/D
 * (uncompressed), second 0 (the file gets the mount time), a negative second.
 */
export function handmadeHeaderVariants(): HandmadeImage {
  const params = { ...handmadeParams(0), mem_size: 0x8000 };
  const { bytes, image } = blankRamoops(params);
  pokeZone(image, 'dmesg', 0, `==== ${T0 + 7}. 000007-Dtext right after the type\n`);
  pokeZone(image, 'dmesg', 1, `====${T0 + 8}.000008-X\n\n   indented text\n`);
  pokeZone(image, 'dmesg', 2, `====0.000009-D\nsecond zero\n`);
  pokeZone(image, 'dmesg', 3, `====-5.000010-D\nnegative second\n`);
  pokeZone(image, 'dmesg', 4, `====${T0 + 11}.000011-C\nnot a deflate stream\n`);
  pokeZone(image, 'dmesg', 5, `====+${T0 + 12}.000012-D\nplus sign: no header\n`);
  return finish('header variants', bytes, params, ['dmesg-ramoops-0', 'dmesg-ramoops-1', 'dmesg-ramoops-2', 'dmesg-ramoops-3', 'dmesg-ramoops-4.enc.z']);
}

/** Every ramoops builder, for the interop tier. */
export const HANDMADE_RAMOOPS: (() => HandmadeImage)[] = [
  () => handmadeHeaderOnly(0),
  () => handmadeHeaderOnly(16),
  handmadeHeaderOnlyFirst,
  handmadeZapThenStop,
  handmadeUnnormalisedTimes,
  handmadeHeaderVariants,
];

// ---- pstore/blk ----

export const BLK_HANDMADE_PARAMS = { kmsg_size: 4, pmsg_size: 4, console_size: 4, ftrace_size: 0 } as const;

/** A blank pstore/blk device (64 KiB) with the handmade sizes. */
export function blankBlk(kernel = '6.1'): { bytes: Uint8Array; image: BlkImage } {
  const bytes = new Uint8Array(0x10000);
  const image = createBlk(new MemoryRegion(bytes), { params: { ...BLK_HANDMADE_PARAMS }, kernel, deviceSize: bytes.length });
  return { bytes, image };
}

/** A kmsg zone as psz_kmsg_write leaves it: buffer header, kmsg header, payload. */
export function pokeBlkKmsg(image: BlkImage, index: number, h: { time: RecordTime; compressed: boolean; reason?: number; counter?: number }, payload: Uint8Array | string): void {
  const zone = image.layout.kmsg[index];
  const arch = BLK_ARCH_X86_64;
  const data = typeof payload === 'string' ? enc.encode(payload) : payload;
  const hdrSize = kmsgHeaderLayout(arch).size;
  const buf = new Uint8Array(PSZ_BUFFER_HEADER_SIZE + hdrSize + data.length);
  encodePszBuffer({ sig: zone.sig, datalen: hdrSize + data.length, start: 0 }, arch, buf, 0);
  encodeKmsgHeader({ magic: PSTORE_KMSG_HEADER_MAGIC, time: h.time, compressed: h.compressed, counter: h.counter ?? 1, reason: h.reason ?? KmsgDumpReason.OOPS }, arch, buf, PSZ_BUFFER_HEADER_SIZE);
  buf.set(data, PSZ_BUFFER_HEADER_SIZE + hdrSize);
  image.region.write(zone.offset, buf);
  image.invalidate();
}

/** A console or pmsg zone holding `text` (ring at 0). */
export function pokeBlkRing(image: BlkImage, type: 'console' | 'pmsg', text: string): void {
  const zone = type === 'console' ? image.layout.console : image.layout.pmsg;
  if (!zone) throw new Error(`no ${type} zone`);
  const data = enc.encode(text);
  const buf = new Uint8Array(PSZ_BUFFER_HEADER_SIZE + data.length);
  encodePszBuffer({ sig: zone.sig, datalen: data.length, start: data.length }, BLK_ARCH_X86_64, buf, 0);
  buf.set(data, PSZ_BUFFER_HEADER_SIZE);
  image.region.write(zone.offset, buf);
  image.invalidate();
}

/**
 * kmsg zone 0 an Oops, zone 1 a compressed dump with no data (psz_kmsg_read
 * returns 0: the read stops), zone 2 an Oops, pmsg and console text: Linux
 * shows only dmesg-pstore_blk-0.
 */
export function handmadeBlkEmptyCompressed(): HandmadeBlkImage {
  const { bytes, image } = blankBlk();
  pokeBlkKmsg(image, 0, { time: { sec: T0 + 1, nsec: 1000 }, compressed: false }, '<4>[    1.000000] first\n');
  pokeBlkKmsg(image, 1, { time: { sec: T0 + 2, nsec: 0 }, compressed: true }, '');
  pokeBlkKmsg(image, 2, { time: { sec: T0 + 3, nsec: 0 }, compressed: false }, '<4>[    3.000000] third\n');
  pokeBlkRing(image, 'pmsg', 'pmsg text\n');
  pokeBlkRing(image, 'console', 'console text\n');
  return { name: 'blk: empty compressed dump in kmsg zone 1', image: bytes, params: { ...BLK_HANDMADE_PARAMS }, expectNames: ['dmesg-pstore_blk-0'] };
}

/**
 * An uncompressed dump with no data is not empty (the `Oops: Total 1 times`
 * line is prepended), and a tv_nsec of 1.5e9 stays in the inode.
 */
export function handmadeBlkEmptyPlainAndTime(): HandmadeBlkImage {
  const { bytes, image } = blankBlk();
  pokeBlkKmsg(image, 0, { time: { sec: T0 + 1, nsec: 1_500_000_000 }, compressed: false }, '');
  pokeBlkKmsg(image, 1, { time: { sec: T0 + 2, nsec: 2 }, compressed: false, reason: KmsgDumpReason.PANIC, counter: 3 }, '<0>[    2.000000] second\n');
  pokeBlkRing(image, 'pmsg', 'pmsg text\n');
  return {
    name: 'blk: empty plain dump, tv_nsec 1.5e9',
    image: bytes,
    params: { ...BLK_HANDMADE_PARAMS },
    expectNames: ['dmesg-pstore_blk-0', 'dmesg-pstore_blk-1', 'pmsg-pstore_blk-0'],
  };
}

export const HANDMADE_BLK: (() => HandmadeBlkImage)[] = [handmadeBlkEmptyCompressed, handmadeBlkEmptyPlainAndTime];
