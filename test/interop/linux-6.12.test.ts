// Real-kernel interop tier, Debian's Linux 6.12 (linux-image-6.12.*+deb12-amd64-unsigned):
// zlib deflate only (6.12's window and memory level), a 3 x bufsize read limit,
// pmsg before ftrace, u32 inode nanoseconds, and no console, pmsg or ftrace
// frontends. Both directions, as vm.test.ts and ours.test.ts do for 6.1. All
// tests share one suite so that their boots queue for the slots together.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ourBlkFiles } from './blk.js';
import { cliExtractEqualsKernel, kernelFile, kernelReadsOurImage, SIG, text, zone0 } from './checks.js';
import { eccCorruptImage, headerOnlyImage, type BuiltImage } from './images.js';
import { ourFiles, ourImage, regionAfterDiffs } from './ours.js';
import {
  compareExtractWithKernel,
  diffKernelFiles,
  kernelBlkCrash,
  kernelBlkRead,
  kernelCrash,
  prepareGuest,
  type BlkParams,
  type KernelView,
  type RamoopsParams,
} from './vm.js';

const K = '6.12';
const boots: string[] = [];
const note = (what: string, s: number): void => {
  boots.push(`${what}: ${s.toFixed(1)} s`);
};
const kernelText = (view: KernelView, name: string): string => text(kernelFile(view, name).data);

async function kernelAgrees(b: BuiltImage): Promise<KernelView> {
  assert.equal(b.kernel, K);
  const view = await kernelReadsOurImage(b);
  note(`read ${b.name}`, view.bootSeconds);
  return view;
}

test('host has the 6.12 kernel (linux-image-6.12.*+deb12-amd64-unsigned) and its modules', () => {
  assert.match(prepareGuest(K).release, /^6\.12\.\d+\+deb\d+-amd64$/);
});

describe('Debian 6.12, both directions', { concurrency: true }, () => {
  // The two longest chains first: they queue for the boot slots before the single boots.
  test('kernel writes: Oops + panic (compress none, ECC 0); a Shutdown boot lists them, then writes; a read boot', async () => {
    const params: RamoopsParams = { memSize: 0x40000, recordSize: 0x10000, ecc: 0 };
    const first = await kernelCrash({ kernel: K, params, compress: 'none', marker: 'k612one', oops: 1, end: 'panic', filler: 20 });
    note('crash oops+panic', first.bootSeconds);
    assert.match(first.banner, /^Linux version 6\.12\./);
    assert.match(zone0(first.region).header, /^====\d+\.\d{6}-D\n$/);
    const oursFirst = ourFiles(first.region, params, 'none', K);
    assert.deepEqual(oursFirst.map((f) => f.name), ['dmesg-ramoops-0', 'dmesg-ramoops-1']);

    // The second boot mounts pstore before it writes: the kernel's view of the first region.
    const second = await kernelCrash({
      kernel: K,
      params: { ...params, maxReason: 4 },
      compress: 'none',
      marker: 'k612two',
      end: 'poweroff',
      fromImage: first.region,
      rtcBase: '2024-01-01T01:00:00',
      capture: true,
    });
    note('crash shutdown (2nd boot, lists the 1st)', second.bootSeconds);
    const seen = second.captured ?? [];
    assert.deepEqual(seen.map((f) => f.name), ['dmesg-ramoops-0', 'dmesg-ramoops-1']);
    assert.deepEqual(diffKernelFiles(seen, oursFirst), [], 'our files equal /sys/fs/pstore of the first region (names, bytes, mtime sec+nsec)');
    const oops = text(kernelFile({ files: seen }, 'dmesg-ramoops-0').data);
    assert.ok(oops.startsWith('Oops#1 Part1\n') && oops.includes('BUG: kernel NULL pointer dereference'), oops.slice(0, 40));
    assert.ok(text(kernelFile({ files: seen }, 'dmesg-ramoops-1').data).includes('harness: filler 20/20'));

    const r = await compareExtractWithKernel(second.region, params, (reg, p) => ourFiles(reg, p, 'none', K), { compress: 'none', kernel: K });
    note('read two-boot region', r.view.bootSeconds);
    assert.deepEqual(r.diffs, []);
    assert.deepEqual(regionAfterDiffs(r.view, second.region, params), []);
    assert.deepEqual(r.view.files.map((f) => f.name), ['dmesg-ramoops-0', 'dmesg-ramoops-1']);
    const d0 = kernelText(r.view, 'dmesg-ramoops-0');
    const d1 = kernelText(r.view, 'dmesg-ramoops-1');
    // The write counter restarts at zone 0 each boot: Shutdown replaced the Oops.
    assert.ok(d0.startsWith('Shutdown#1 Part1\n') && d0.includes('marker k612two end'), d0.slice(0, 40));
    assert.ok(d1.startsWith('Panic#2 Part1\n') && d1.includes('Kernel panic - not syncing: sysrq triggered crash'), d1.slice(0, 40));
    assert.ok(kernelFile(r.view, 'dmesg-ramoops-0').mtimeEpoch >= 1704067200 + 3600);
    // 6.12 drops the compressor name for none: the parameter reads (null).
    assert.equal(r.view.moduleParams['pstore/parameters/compress'], '(null)');
  });

  test('kernel writes: panic, deflate, ECC 16; our reader and pstore extract equal /sys/fs/pstore', async () => {
    const params: RamoopsParams = { memSize: 0x100000, recordSize: 0x10000, ecc: 16 };
    const marker = `k612z${Date.now().toString(36)}`;
    const crash = await kernelCrash({ kernel: K, params, marker, end: 'panic', filler: 20 });
    note('crash deflate/ecc16', crash.bootSeconds);
    const z = zone0(crash.region);
    assert.equal(z.sig, SIG, 'zone 0 signature');
    assert.match(z.header, /^====\d+\.\d{6}-C\n$/);
    const mine = ourImage(crash.region.slice(), params, undefined, K).files();
    assert.deepEqual(mine.map((f) => [f.name, f.compression]), [['dmesg-ramoops-0', 'deflate']]);
    const r = await compareExtractWithKernel(crash.region, params, (reg, p) => ourFiles(reg, p, undefined, K), { kernel: K });
    note('read deflate/ecc16', r.view.bootSeconds);
    assert.deepEqual(r.diffs, [], 'our files equal /sys/fs/pstore (names, bytes, mtime sec+nsec)');
    assert.deepEqual(regionAfterDiffs(r.view, crash.region, params), []);
    cliExtractEqualsKernel(crash.region, params, r.view);
    const s = kernelText(r.view, 'dmesg-ramoops-0');
    assert.ok(s.startsWith('Panic#1 Part1\n') && s.includes(`harness: marker ${marker} end`), s.slice(0, 40));
    assert.ok(s.endsWith('\nECC: No errors detected\n'));
    assert.equal(r.view.moduleParams['pstore/parameters/compress'], 'deflate');
    assert.ok(r.view.pstoreLog.some((l) => l.includes('ramoops: using 0x100000@0x10000000, ecc: 16')), r.view.pstoreLog.join('\n'));
    assert.ok(Buffer.from(r.view.regionAfter).equals(Buffer.from(crash.region)), 'read boot changed a clean region');
  });

  test('kernel writes pstore/blk: two Oopses on a virtio disk, our BlkBackend reads them like the kernel', async () => {
    const blk: BlkParams = { kmsgSize: 64 };
    const crash = await kernelBlkCrash({ kernel: K, blk, disk: new Uint8Array(256 * 1024), oops: 2, marker: 'blk612', end: 'panic' });
    note('blk crash', crash.bootSeconds);
    const ours = ourBlkFiles(crash.region, blk, K);
    assert.deepEqual(ours.map((f) => f.name), ['dmesg-pstore_blk-0', 'dmesg-pstore_blk-1']);
    assert.ok(text(ours[1]?.data ?? new Uint8Array()).includes('harness: marker blk612 warning-level line'));
    const view = await kernelBlkRead(crash.region, blk, { kernel: K });
    note('blk read', view.bootSeconds);
    assert.deepEqual(view.files.map((f) => f.name), ['dmesg-pstore_blk-0', 'dmesg-pstore_blk-1']);
    assert.deepEqual(diffKernelFiles(view.files, ours), []);
    assert.ok(kernelText(view, 'dmesg-pstore_blk-0').startsWith('Oops#1 Part1\n'));
    assert.ok(Buffer.from(view.regionAfter).equals(Buffer.from(crash.region)), 'reading changed the disk');
  });

  test('we write: ECC 16, deflate and plain dumps, damage within and beyond capacity, console and pmsg zones', async () => {
    const view = await kernelAgrees(eccCorruptImage(K));
    const notice = (name: string): string => /\nECC: [^\n]*\n$/.exec(kernelText(view, name))?.[0] ?? '';
    assert.equal(notice('dmesg-ramoops-1'), '\nECC: 9 Corrected bytes, 0 unrecoverable blocks\n');
    assert.equal(notice('dmesg-ramoops-2'), '\nECC: 4 Corrected bytes, 0 unrecoverable blocks\n');
    assert.equal(notice('dmesg-ramoops-3'), '\nECC: 0 Corrected bytes, 1 unrecoverable blocks\n');
    assert.equal(notice('console-ramoops-0'), '\nECC: 3 Corrected bytes, 0 unrecoverable blocks\n');
    // Without console and pmsg frontends ramoops still reads (and shows) those zones.
    assert.ok(kernelText(view, 'pmsg-ramoops-0').startsWith('pmsg: hello from user space\n'));
    // 6.12's deflate (15-bit window) inflates a damaged-but-corrected record.
    assert.ok(kernelText(view, 'dmesg-ramoops-2').startsWith('Oops#3 Part1\n'));
    assert.ok(kernelText(view, 'dmesg-ramoops-0.enc.z').endsWith('\nECC: 0 Corrected bytes, 1 unrecoverable blocks\n'));
  });

  test('we write: a header-only dmesg record (ECC 16) ends the listing; the later dump, console and pmsg are not shown', async () => {
    const view = await kernelAgrees(headerOnlyImage(K, 16));
    assert.ok(kernelText(view, 'dmesg-ramoops-1').includes('before-two line 20/20'));
    assert.ok(!view.files.some((f) => f.name.startsWith('console') || f.name.startsWith('pmsg')));
  });
});

test('boot times (6.12)', (t) => {
  for (const b of boots) t.diagnostic(b);
  assert.equal(boots.length, 9, `expected 9 boots, got ${boots.length}`);
});
