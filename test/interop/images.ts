// Images written by our library for the kernel to read (interop direction 2).
// Each builder returns the region, the ramoops parameters a kernel needs for
// it and the reading kernel's compressor; the prediction comes from ours.ts.
// Builders take the guest kernel they write for (its zone layout and deflate).
import { appendConsole, appendPmsg, createImage, dumpToImage } from '../../src/api/writeImage.js';
import type { RamoopsImage } from '../../src/api/ramoopsImage.js';
import { KmsgDumpReason } from '../../src/core/backend.js';
import { MemoryRegion } from '../../src/region/region.js';
import { installNodeDeflate } from '../../src/node/deflate.js';
import { przGeometry } from '../../src/zone/eccLayout.js';
import { ourParams } from './ours.js';
import { DEFAULT_GUEST_KERNEL, guestProfile, type GuestKernelVersion, type RamoopsParams } from './vm.js';

export interface BuiltImage {
  name: string;
  image: Uint8Array;
  params: RamoopsParams;
  /** The guest kernel the image is written for and read by. */
  kernel: GuestKernelVersion;
  /** pstore.compress= of the read boot (undefined: Debian's default, deflate). */
  compress?: string;
  /** What the case is meant to show, checked before booting (sanity on our side). */
  expect: { names: string[]; notices?: Record<string, string> };
}

const T0 = 1704067200; // 2024-01-01T00:00:00Z

/** `<L>[ s.us] text` lines: a log our dump path turns into kmsg_dump text. */
export function logLines(tag: string, n: number, startSec = 1, width = 60): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const t = startSec + i * 0.001237;
    const sec = Math.floor(t);
    const usec = Math.round((t - sec) * 1e6);
    const body = `${tag} line ${i + 1}/${n} `.padEnd(width, String.fromCharCode(97 + (i % 26)));
    out.push(`<${i % 7 === 3 ? 4 : 6}>[${String(sec).padStart(5)}.${String(usec).padStart(6, '0')}] ${body}`);
  }
  return out.join('\n') + '\n';
}

function lines(text: string): Uint8Array[] {
  return text.split(/(?<=\n)/).map((l) => new TextEncoder().encode(l));
}

function fresh(params: RamoopsParams, kernel: GuestKernelVersion): RamoopsImage {
  return createImage(new MemoryRegion(new Uint8Array(params.memSize)), { params: ourParams(params), kernel: guestProfile(kernel) });
}

function bytes(image: RamoopsImage): Uint8Array {
  return (image.region as MemoryRegion).bytes;
}

/** Flip `n` data bytes of ECC block `block` in dmesg zone `zone` (each XORed with a distinct value). */
export function corruptBlock(image: Uint8Array, params: RamoopsParams, zone: number, block: number, n: number): number[] {
  const g = przGeometry(params.recordSize, params.ecc ?? 0);
  const base = zone * params.recordSize + g.dataOffset + block * g.blockSize;
  const at: number[] = [];
  for (let i = 0; i < n; i++) {
    const off = base + 3 + i * 11; // spread inside the 128-byte block
    image[off] = (image[off] ?? 0) ^ (0x5a + i);
    at.push(off);
  }
  return at;
}

/**
 * ECC off, uncompressed: a panic and four Oopses in zones 0-4 (ramoops keeps
 * only Part1 of a dump, one zone each); the third is long enough to fill its
 * zone. The console ring is written 2.5 times round (wraps), pmsg too.
 */
export function uncompressedWrapImage(kernel: GuestKernelVersion = DEFAULT_GUEST_KERNEL): BuiltImage {
  const params: RamoopsParams = { memSize: 0x20000, recordSize: 0x800, consoleSize: 0x1000, pmsgSize: 0x800, ecc: 0 };
  const img = fresh(params, kernel);
  const dumps: [string, number, number][] = [
    ['first', 12, KmsgDumpReason.PANIC],
    ['second', 8, KmsgDumpReason.OOPS],
    ['third-long', 400, KmsgDumpReason.OOPS],
    ['fourth', 3, KmsgDumpReason.OOPS],
    ['fifth', 20, KmsgDumpReason.OOPS],
  ];
  dumps.forEach(([tag, n, reason], i) => {
    dumpToImage(img, { log: logLines(tag, n, i + 1), reasons: [reason], time: { sec: T0 + 100 * (i + 1), nsec: [123456000, 7000, 999999000, 0, 1000][i] ?? 0 }, count: i + 1, compress: 'none' });
  });
  // Line by line, as the frontends write: the rings wrap with start != 0.
  for (const l of lines(logLines('console', 170, 5, 50))) appendConsole(img, l);
  for (const l of lines(logLines('pmsg', 40, 6, 60))) appendPmsg(img, l);
  const names = [...dumps.map((_, i) => `dmesg-ramoops-${i}`), 'console-ramoops-0', 'pmsg-ramoops-0'];
  return { name: 'ecc0-none-5dumps-console-pmsg-wrap', image: bytes(img), params, kernel, expect: { names } };
}

/**
 * ECC 16, deflate and uncompressed dumps mixed; corruption within capacity in
 * one zone, beyond it in others (an uncompressed and a compressed record),
 * and correctable damage in a zone header and in the console ring.
 */
export function eccCorruptImage(kernel: GuestKernelVersion = DEFAULT_GUEST_KERNEL): BuiltImage {
  installNodeDeflate(kernel);
  const params: RamoopsParams = { memSize: 0x10000, recordSize: 0x1000, consoleSize: 0x1000, pmsgSize: 0x1000, ecc: 16 };
  const img = fresh(params, kernel);
  // Zones 0-4: zipped panic, plain Oops, zipped long Oops, plain Oops, zipped Oops.
  const dumps: [string, number, number, 'deflate' | 'none'][] = [
    ['ecc-panic', 60, KmsgDumpReason.PANIC, 'deflate'],
    ['ecc-plain', 30, KmsgDumpReason.OOPS, 'none'],
    ['ecc-zipped', 400, KmsgDumpReason.OOPS, 'deflate'],
    ['ecc-fourth', 50, KmsgDumpReason.OOPS, 'none'],
    ['ecc-fifth', 25, KmsgDumpReason.OOPS, 'deflate'],
  ];
  dumps.forEach(([tag, n, reason, compress], i) => {
    dumpToImage(img, { log: logLines(tag, n, i + 1), reasons: [reason], time: { sec: T0 + 10 * (i + 1), nsec: [250000, 0, 42000, 1000, 999000][i] ?? 0 }, count: i + 1, compress });
  });
  for (const l of lines(logLines('ecc-console', 90, 5, 50))) appendConsole(img, l);
  appendPmsg(img, new TextEncoder().encode('pmsg: hello from user space\n'.repeat(20)));
  const image = bytes(img);
  // The zipped panic cannot be inflated once damaged beyond repair: it stays .enc.z.
  const names = ['dmesg-ramoops-0.enc.z', 'dmesg-ramoops-1', 'dmesg-ramoops-2', 'dmesg-ramoops-3', 'dmesg-ramoops-4', 'console-ramoops-0', 'pmsg-ramoops-0'];
  // Damage after writing: the kernel reads a medium that decayed.
  corruptBlock(image, params, 1, 2, 8); // plain Oops: 8 symbols in one block, all correctable
  corruptBlock(image, params, 1, 5, 1); // … and one more in another block
  corruptBlock(image, params, 0, 1, 9); // zipped panic: beyond capacity, inflate sees the damage
  corruptBlock(image, params, 3, 3, 12); // plain Oops: beyond capacity, text stays damaged
  // Zipped long Oops: within capacity, inflates fine (6.12's deflate output is
  // shorter, 769 bytes: its block 7 lies past the record and is not checked).
  corruptBlock(image, params, 2, kernel === '6.1' ? 7 : 4, 4);
  const z4 = 4 * params.recordSize;
  image[z4 + 5] = (image[z4 + 5] ?? 0) ^ 0x10; // zone 4 header `start`: the header has its own parity
  // Console ring (after the dmesg zones and before pmsg): 3 bytes of its block 4.
  const consoleOff = params.memSize - 0x2000;
  const cg = przGeometry(0x1000, 16);
  for (const k of [0, 40, 90]) image[consoleOff + cg.dataOffset + 4 * 128 + k] ^= 0x81;
  return { name: 'ecc16-mixed-corrupt', image, params, kernel, expect: { names } };
}

/** Deflate only, ECC off, read by a kernel with compression off: our `.enc.z` must match. */
export function deflateReadWithoutCompressImage(kernel: GuestKernelVersion = DEFAULT_GUEST_KERNEL): BuiltImage {
  installNodeDeflate(kernel);
  const params: RamoopsParams = { memSize: 0x8000, recordSize: 0x2000, ecc: 0 };
  const img = fresh(params, kernel);
  dumpToImage(img, { log: logLines('zipped', 120, 1), reasons: [KmsgDumpReason.PANIC], time: { sec: T0 + 5, nsec: 5000 }, compress: 'deflate' });
  return { name: 'deflate-read-compress-none', image: bytes(img), params, kernel, compress: 'none', expect: { names: ['dmesg-ramoops-0.enc.z'] } };
}

/**
 * Two dumps, then a dmesg record that is only its `====sec.usec-D` header
 * (what a dump of zero bytes leaves), then a third dump, console and pmsg.
 * The header-only record reads as 0 bytes and Linux stops listing there
 * (pstore_get_backend_records): only the first two dumps are shown, with or
 * without ECC (ramoops returns the size without the ECC notice).
 */
export function headerOnlyImage(kernel: GuestKernelVersion = DEFAULT_GUEST_KERNEL, ecc = 0): BuiltImage {
  const params: RamoopsParams = { memSize: 0x8000, recordSize: 0x1000, consoleSize: 0x1000, pmsgSize: 0x1000, ecc };
  const img = fresh(params, kernel);
  const dump = (tag: string, i: number): void => {
    dumpToImage(img, { log: logLines(tag, 20, i + 1), reasons: [KmsgDumpReason.OOPS], time: { sec: T0 + 30 * (i + 1), nsec: 5000 * i }, count: i + 1, compress: 'none' });
  };
  dump('before-one', 0);
  dump('before-two', 1);
  img.backend.write({ type: 'dmesg', reason: KmsgDumpReason.OOPS, count: 3, part: 1, data: new Uint8Array(0), compressed: false, time: { sec: T0 + 90, nsec: 0 } });
  dump('after-header-only', 3);
  img.invalidate();
  for (const l of lines(logLines('hidden-console', 20, 5, 50))) appendConsole(img, l);
  appendPmsg(img, new TextEncoder().encode('pmsg hidden behind the header-only record\n'));
  return { name: `header-only-ecc${ecc}`, image: bytes(img), params, kernel, expect: { names: ['dmesg-ramoops-0', 'dmesg-ramoops-1'] } };
}
