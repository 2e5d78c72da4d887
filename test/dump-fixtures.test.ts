import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { MemoryRegion } from '../src/region/region.js';
import { ramoopsLayout } from '../src/backends/ramoops/layout.js';
import { paramsFromObject, withDefaults } from '../src/backends/ramoops/params.js';
import { Ramoops } from '../src/backends/ramoops/ramoops.js';
import { kernelProfile } from '../src/backends/ramoops/kernelProfile.js';
import { Pstore } from '../src/core/platform.js';
import { DumperRegistry, LogBuffer, loadLog, parseKmsgDumpReason } from '../src/frontends/index.js';
import { fixturePath, readFixture, readFixtureJson } from './helpers/fixtures.js';

interface Meta {
  files: Array<{ name: string; mtime: string; mtime_epoch: number }>;
}

/** The record time as the kernel wrote it: from the mtime with nanoseconds in meta.json. */
function recordTime(meta: Meta, name: string): { sec: number; nsec: number } {
  const f = meta.files.find((x) => x.name === name);
  if (!f) throw new Error(`no ${name} in meta.json`);
  const frac = /\.(\d{9})/.exec(f.mtime)?.[1] ?? '0';
  return { sec: f.mtime_epoch, nsec: Number(frac) };
}

/**
 * Re-dump the kernel's own uncompressed record into a copy of the image it
 * came from: the dmesg zone must come out byte for byte, parity included.
 */
function redump(set: string, sc: string, extraLog: string | null, kernel = 'debian-6.1'): void {
  const params = readFixtureJson(set, sc, 'params.json');
  const meta = readFixtureJson<Meta>(set, sc, 'meta.json');
  const image = readFixture(set, sc, 'image.bin');
  const expected = readFileSync(fixturePath(set, sc, 'expected', 'dmesg-ramoops-0'), 'latin1');
  const ftraceCpus = Number((params as { ftrace_cpus?: number }).ftrace_cpus) || 1;
  const layout = ramoopsLayout({ params: withDefaults(paramsFromObject(params), image.length), kernel, ftraceCpus });
  // The record: "<Reason>#<n> Part1\n" + lines (+ ECC notice).
  const m = /^(\w+)#(\d+) Part1\n/.exec(expected);
  assert.ok(m, 'record header');
  let body = expected.slice(m[0].length);
  const notice = body.lastIndexOf('\nECC: ');
  if (layout.params.ecc && notice >= 0) body = body.slice(0, notice);
  const log = new LogBuffer();
  if (extraLog) {
    // Older lines the dump did not take, so the fitting decision is tested too.
    const firstTs = /^<\d+>\[\s*([\d.]+)\]/.exec(body)?.[1];
    const older = extraLog.split('\n').filter((l) => {
      const t = /^<\d+>\[\s*([\d.]+)\]/.exec(l)?.[1];
      return t !== undefined && firstTs !== undefined && Number(t) < Number(firstTs);
    });
    loadLog(log, Buffer.from(older.join('\n') + '\n', 'latin1'));
  }
  if (!body.endsWith('\n')) {
    // ramoops cut the record to fit the zone after its 24-byte header: the end
    // of the last line is not in the image. Complete it with filler up to what
    // still fits the dump buffer; only bytes before the cut reach the zone.
    const limit = layout.bufsize - m[0].length - 1;
    const pad = limit - body.length - 1;
    assert.ok(pad >= 0, 'room to complete the cut line');
    body += 'x'.repeat(pad) + '\n';
  }
  loadLog(log, Buffer.from(body, 'latin1'));
  // Scramble everything the dump must write (data in use, its parity, the header's
  // start/size and parity), so nothing passes by being left as it was.
  const scrambled = image.slice();
  const z0 = layout.zones[0];
  const g = z0.geometry;
  const used = new DataView(image.buffer, image.byteOffset + z0.offset + 8, 4).getUint32(0, true);
  const scramble = (from: number, to: number) => {
    for (let i = from; i < to; i++) scrambled[z0.offset + i] ^= 0x5a + (i % 7);
  };
  scramble(4, 12);
  scramble(12, 12 + used);
  if (g.eccSize) {
    scramble(g.parityOffset, g.parityOffset + Math.ceil(used / 128) * g.eccSize);
    scramble(g.headerParityOffset, g.headerParityOffset + g.eccSize);
  }
  assert.notDeepEqual(scrambled, image);
  const region = new MemoryRegion(scrambled);
  // Zone 0 holds the record; the crash boot started with the write counter at 0.
  const backend = new Ramoops(region, layout);
  const pstore = new Pstore(backend, { compress: 'none', kernel: kernelProfile(kernel), clock: () => recordTime(meta, 'dmesg-ramoops-0') });
  pstore.oopscount = Number(m[2]) - 1;
  const registry = new DumperRegistry(log);
  registry.register(pstore);
  const reason = parseKmsgDumpReason(m[1]);
  assert.notEqual(reason, undefined);
  registry.kmsgDump(reason!);
  const zone = layout.zones[0];
  assert.deepEqual(
    Buffer.from(region.bytes.subarray(zone.offset, zone.offset + zone.size)),
    Buffer.from(image.subarray(zone.offset, zone.offset + zone.size)),
  );
}

test('dump reproduces the kernel zone byte for byte: kernel-6.1-full/nocompress-ecc16-exact (with the older log)', () => {
  redump('kernel-6.1-full', 'nocompress-ecc16-exact', readFileSync(fixturePath('kernel-6.1-full', 'nocompress-ecc16-exact', 'crash-dmesg-predump.txt'), 'latin1'));
});

test('dump reproduces the kernel zone byte for byte: kernel-6.1/panic-nocompress', () => {
  redump('kernel-6.1', 'panic-nocompress', null);
});

for (const [set, sc, kernel] of [
  ['kernel-6.1', 'small-records-nocompress', 'debian-6.1'],
  ['kernel-6.1-full', 'console-pmsg-ecc16', '6.1'],
  ['kernel-6.1-full', 'ftrace-percpu', '6.1'],
  ['kernel-6.1-full', 'ftrace-percpu-wrap', '6.1'],
  ['kernel-6.12', 'zone-order-612', '6.12'],
] as const) {
  test(`dump reproduces the kernel zone byte for byte: ${set}/${sc}`, () => {
    redump(set, sc, null, kernel);
  });
}
