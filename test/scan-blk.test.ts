/**
 * pstore/blk devices found by `pstore scan` and used by `--auto`: the real
 * pstore-blk fixtures embedded at odd offsets in zero and random data, a dump
 * holding a ramoops region and a blk device, random data, and synthetic
 * devices built with blkLayout (ftrace per CPU, no pmsg header, kmsg gaps).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { blkLayout, blkParamsFromKiB, PSZ_SIG } from '../src/backends/blk/layout.js';
import { BLK_ARCH_X86_64, encodeKmsgHeader, encodePszBuffer, PSTORE_KMSG_HEADER_MAGIC } from '../src/backends/blk/zoneFormat.js';
import { scanCommand } from '../src/cli/commands/scan.js';
import { captureIo } from '../src/cli/io.js';
import { runCli } from '../src/cli/program.js';
import { scanFile } from '../src/node/scanFile.js';
import { bestAnyRegion, scanDump, type BlkScanRegion } from '../src/scan/index.js';
import { fixturePath, readFixture } from './helpers/fixtures.js';
import { noise } from './helpers/noise.js';

const OOPS = ['kernel-6.1-blk', 'pstore-blk-oops'] as const;
const FULL = ['kernel-6.1-full', 'pstore-blk-full'] as const;

interface Case {
  at: readonly [string, string];
  /** The fixture's pstore_blk parameters as the kernel used them (KiB); Debian's kernel builds no pmsg/console/ftrace. */
  params: { kmsg_size: number; pmsg_size: number; console_size: number; ftrace_size: number };
  deviceSize: number;
  /** Read flags the existing blk CLI tests pass for this fixture. */
  extra: string[];
}

const CASES: Case[] = [
  { at: OOPS, params: { kmsg_size: 64, pmsg_size: 0, console_size: 0, ftrace_size: 0 }, deviceSize: 0x40000, extra: ['--kernel', 'debian-6.1'] },
  { at: FULL, params: { kmsg_size: 64, pmsg_size: 64, console_size: 64, ftrace_size: 64 }, deviceSize: 0x400000, extra: ['--system-map', fixturePath(...FULL, 'system-map-excerpt.txt')] },
];

function embed(img: Uint8Array, before: number, after: number, fill: 'zero' | 'random', seed: number): Uint8Array {
  const dump = fill === 'zero' ? new Uint8Array(before + img.length + after) : noise(before + img.length + after, seed);
  dump.set(img, before);
  return dump;
}

function expectedNames(at: readonly [string, string]): string[] {
  return readdirSync(fixturePath(...at, 'expected')).sort();
}

function onlyBlk(regions: BlkScanRegion[]): BlkScanRegion {
  const trusted = regions.filter((r) => r.confidence >= 0.4);
  assert.equal(trusted.length, 1, JSON.stringify(regions.map((r) => [r.offset, r.confidence])));
  return trusted[0];
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo(new Date('2030-01-01T00:00:00Z'));
  const code = await runCli(args, io);
  return { code, out: io.stdoutText(), err: io.stderrText() };
}

const tmp = mkdtempSync(join(tmpdir(), 'pstore-scan-blk-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

for (const c of CASES) {
  const name = c.at[1];
  for (const [fill, before, after] of [
    ['zero', 0x3001, 0x777],
    ['random', 12345, 0x10000],
    ['random', 1, 3],
  ] as const) {
    test(`${name} at ${before} inside ${fill} data: found with the fixture's parameters and records`, () => {
      const dump = embed(readFixture(...c.at, 'image.bin'), before, after, fill, before);
      const res = scanDump(dump, { chunkSize: 64 << 10 });
      const r = onlyBlk(res.blkRegions);
      assert.equal(r.backend, 'blk');
      assert.equal(r.offset, before);
      assert.deepEqual(r.params, c.params);
      assert.equal(r.deviceSize, c.deviceSize);
      assert.equal(r.ftraceCpus, 1);
      assert.equal(r.littleEndian, true);
      assert.ok(r.confidence >= 0.8, `confidence ${r.confidence}`);
      assert.deepEqual([...r.records].sort(), expectedNames(c.at));
      assert.equal(res.regions.filter((x) => x.confidence >= 0.4).length, 0, 'no ramoops region in a blk device');
      const flags = `--backend blk --offset 0x${before.toString(16)} --mem-size 0x${c.deviceSize.toString(16)} --kmsg-size 64 --pmsg-size ${c.params.pmsg_size} --console-size ${c.params.console_size} --ftrace-size ${c.params.ftrace_size} --kernel 6.1`;
      assert.ok(r.extractCommand.startsWith(`pstore extract DUMP OUT ${flags}`), r.extractCommand);
    });
  }

  test(`${name}: pstore extract --auto equals expected/ byte for byte; the printed extract command does too`, async () => {
    const dump = embed(readFixture(...c.at, 'image.bin'), 0x2345, 0x1003, 'random', 77);
    const path = join(tmp, `${name}.dump`);
    writeFileSync(path, dump);
    const out = join(tmp, `${name}-auto`);
    const r = await cli(['extract', path, out, '--auto', ...c.extra]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /^pstore: --auto: pstore\/blk device at offset 0x2345 \(confidence [01]\.\d\d\): .*same as: --backend blk --offset 0x2345 --mem-size 0x/m);
    assert.deepEqual(readdirSync(out).sort(), expectedNames(c.at));
    for (const f of expectedNames(c.at)) assert.ok(readFileSync(join(out, f)).equals(readFileSync(fixturePath(...c.at, 'expected', f))), f);

    // The command scan prints, run as printed (plus the fixture's read flags), gives the same files.
    const scanned = scanFile(path, { dumpName: path });
    const cmd = onlyBlk(scanned.blkRegions).extractCommand.split(' ').slice(2);
    const out2 = join(tmp, `${name}-printed`);
    cmd[1] = out2;
    const kernelAt = cmd.indexOf('--kernel');
    if (c.extra[0] === '--kernel') cmd.splice(kernelAt, 2);
    const r2 = await cli(['extract', ...cmd, ...c.extra]);
    assert.equal(r2.code, 0, r2.err);
    for (const f of expectedNames(c.at)) assert.ok(readFileSync(join(out2, f)).equals(readFileSync(fixturePath(...c.at, 'expected', f))), `printed command: ${f}`);
  });
}

test('a dump holding a ramoops region and a pstore/blk device reports both (text, JSON); --auto takes the more trusted', async () => {
  const ram = readFixture('kernel-6.1-full', 'console-pmsg-ecc16', 'image.bin');
  const blk = readFixture(...OOPS, 'image.bin');
  const dump = noise(0x1001 + ram.length + 0x2003 + blk.length + 0x999, 5);
  const ramAt = 0x1001;
  const blkAt = ramAt + ram.length + 0x2003;
  dump.set(ram, ramAt);
  dump.set(blk, blkAt);
  const res = scanDump(dump);
  assert.deepEqual(res.regions.filter((r) => r.confidence >= 0.4).map((r) => [r.backend, r.offset]), [['ramoops', ramAt]]);
  assert.deepEqual(res.blkRegions.filter((r) => r.confidence >= 0.4).map((r) => [r.backend, r.offset, r.deviceSize]), [['blk', blkAt, 0x40000]]);
  const best = bestAnyRegion(res.regions, res.blkRegions);
  assert.ok(best);

  const path = join(tmp, 'both.dump');
  writeFileSync(path, dump);
  const out: string[] = [];
  const io = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: () => undefined, isTTY: false } };
  assert.equal(scanCommand(path, { json: false }, io), 0);
  const text = out.join('');
  assert.match(text, /2 regions found/);
  assert.match(text, new RegExp(`at offset 0x${blkAt.toString(16)} {2}confidence \\S+ {2}pstore/blk device`));
  assert.match(text, /records: dmesg-pstore_blk-0 dmesg-pstore_blk-1/);
  assert.match(text, /records: dmesg-ramoops-0 console-ramoops-0 pmsg-ramoops-0/);
  assert.ok(text.includes(`pstore extract ${path} OUT --backend blk --offset 0x${blkAt.toString(16)} --mem-size 0x40000 --kmsg-size 64 --pmsg-size 0`), text);

  out.length = 0;
  assert.equal(scanCommand(path, { json: true }, io), 0);
  const json = JSON.parse(out.join('')) as { regions: Array<{ backend: string; offset: number; params: Record<string, number> }> };
  const byBackend = Object.fromEntries(json.regions.filter((r) => r.backend).map((r) => [r.backend, r]));
  assert.equal(byBackend.ramoops.offset, ramAt);
  assert.equal(byBackend.blk.offset, blkAt);
  assert.equal(byBackend.blk.params.kmsg_size, 64);

  // --auto picks the one with the higher confidence and says which.
  const r = await cli(['ls', path, '--auto', '--json']);
  assert.equal(r.code, 0, r.err);
  const chosen = best.backend === 'blk' ? /pstore\/blk device at offset/ : /ramoops region at offset/;
  assert.match(r.err, chosen);
  assert.match(r.err, /1 other region found/);
});

test('random data: no confident pstore/blk device, never a crash', () => {
  for (const [n, seed] of [
    [1 << 20, 1],
    [3 << 20, 42],
    [65537, 7],
  ] as const) {
    const res = scanDump(noise(n, seed));
    assert.equal(res.blkRegions.filter((r) => r.confidence >= 0.4).length, 0, `seed ${seed}`);
  }
  // Headers planted at random places with random words: whatever is inferred, nothing throws.
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 64, maxLength: 8192 }),
      fc.array(fc.tuple(fc.nat(), fc.constantFrom(0, 2, 3, 7), fc.nat({ max: 70000 }), fc.nat({ max: 70000 }), fc.boolean()), { maxLength: 12 }),
      (bytes, planted) => {
        const buf = new Uint8Array(bytes.length + 32);
        buf.set(bytes);
        const v = new DataView(buf.buffer);
        for (const [pos, type, a, b, magic] of planted) {
          const at = pos % (buf.length - 16);
          v.setUint32(at, (type ^ PSZ_SIG) >>> 0, true);
          v.setUint32(at + 4, Math.max(a, b), true);
          v.setUint32(at + 8, Math.min(a, b), true);
          if (magic) v.setUint32(at + 12, PSTORE_KMSG_HEADER_MAGIC, true);
        }
        const res = scanDump(buf);
        for (const r of res.blkRegions) assert.ok(r.confidence >= 0 && r.confidence <= 1);
      },
    ),
    { numRuns: 200 },
  );
});

/** A synthetic device: blkLayout zones, headers written where `used` says (kmsg with a kmsg header). */
function syntheticDevice(kib: { kmsg_size: number; pmsg_size: number; console_size: number; ftrace_size: number }, total: number, cpus: number, used: (type: string, index: number) => number): Uint8Array {
  const L = blkLayout(blkParamsFromKiB({ ...kib, max_reason: 2 }, total, cpus));
  const dev = new Uint8Array(total);
  for (const z of L.zones) {
    const len = used(z.type, z.index);
    if (len <= 0) continue;
    const datalen = z.type === 'dmesg' ? 40 + len : len;
    encodePszBuffer({ sig: z.sig, datalen, start: z.type === 'dmesg' ? 0 : datalen }, BLK_ARCH_X86_64, dev, z.offset);
    if (z.type === 'dmesg') encodeKmsgHeader({ magic: PSTORE_KMSG_HEADER_MAGIC, time: { sec: 1704067200 + z.index, nsec: 0 }, compressed: false, counter: z.index + 1, reason: 2 }, BLK_ARCH_X86_64, dev, z.offset + 12);
    dev.fill(0x41, z.offset + 12 + (z.type === 'dmesg' ? 40 : 0), z.offset + 12 + datalen);
  }
  return dev;
}

test('synthetic: two ftrace CPUs, console, no pmsg header, kmsg zones 0..2 of 16 KiB in a 1 MiB device', () => {
  const dev = syntheticDevice({ kmsg_size: 16, pmsg_size: 0, console_size: 32, ftrace_size: 64 }, 1 << 20, 2, (t, i) => (t === 'dmesg' ? (i < 3 ? 3000 : 0) : 500));
  const dump = embed(dev, 0x4321, 0x3000, 'random', 3);
  const r = onlyBlk(scanDump(dump).blkRegions);
  assert.equal(r.offset, 0x4321);
  assert.deepEqual(r.params, { kmsg_size: 16, pmsg_size: 0, console_size: 32, ftrace_size: 64 });
  assert.equal(r.ftraceCpus, 2);
  assert.equal(r.deviceSize, 1 << 20);
  assert.deepEqual(r.records.filter((n) => n.startsWith('dmesg')).sort(), ['dmesg-pstore_blk-0', 'dmesg-pstore_blk-1', 'dmesg-pstore_blk-2']);
  assert.ok(r.records.includes('console-pstore_blk-0') && r.records.includes('ftrace-pstore_blk-0'));
  assert.ok(r.extractCommand.endsWith('--ftrace-cpus 2'), r.extractCommand);
});

test('synthetic: kmsg zone 0 never written, headers in zones 1, 2 and 4 (a gap): 8 KiB grid, zone ids kept; pmsg 16 KiB (a power of two, not 24)', () => {
  const dev = syntheticDevice({ kmsg_size: 8, pmsg_size: 16, console_size: 0, ftrace_size: 0 }, 256 << 10, 1, (t, i) => (t === 'pmsg' ? 900 : i === 1 || i === 2 || i === 4 ? 2000 : 0));
  const dump = embed(dev, 0x111, 0x40, 'random', 9);
  const r = onlyBlk(scanDump(dump).blkRegions);
  assert.equal(r.offset, 0x111);
  assert.deepEqual(r.params, { kmsg_size: 8, pmsg_size: 16, console_size: 0, ftrace_size: 0 });
  assert.deepEqual(r.records.filter((n) => n.startsWith('dmesg')).sort(), ['dmesg-pstore_blk-1', 'dmesg-pstore_blk-2', 'dmesg-pstore_blk-4']);
  assert.equal(r.deviceSize, 256 << 10);
});

test('a truncated device (cut in its kmsg zones) is reported as truncated, and --auto refuses it with one line', async () => {
  const img = readFixture(...OOPS, 'image.bin');
  const dump = embed(img.subarray(0, 0x18000), 0x800, 0, 'zero', 1);
  const res = scanDump(dump);
  const r = res.blkRegions[0];
  assert.ok(r);
  assert.equal(r.truncated, true);
  assert.ok(r.recordsError);
  const path = join(tmp, 'cut.dump');
  writeFileSync(path, dump);
  const a = await cli(['ls', path, '--auto']);
  assert.equal(a.code, 1);
  assert.match(a.err, /^pstore: --auto: [^\n]*\n$/);
});
