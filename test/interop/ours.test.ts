// Interop, direction 2 and pstore/blk: images our library writes are read by
// Debian's Linux 6.1 under QEMU; its /sys/fs/pstore must equal what our reader
// predicts byte for byte (ECC notices and dmesg mtimes included), and the
// region it leaves behind must equal our model of attach (zaps, repairs).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { blkLayout, blkParamsFromKiB } from '../../src/backends/blk/layout.js';
import { blkModuleParams, KmsgDumpReason, ourBlkDisk, ourBlkFiles } from './blk.js';
import { deflateReadWithoutCompressImage, eccCorruptImage, headerOnlyImage, logLines, uncompressedWrapImage, type BuiltImage } from './images.js';
import { cliImageCase } from './cliImage.js';
import { kernelFile, kernelReadsOurImage, text } from './checks.js';
import { ourFiles, regionAfterDiffs } from './ours.js';
import { diffKernelFiles, kernelBlkCrash, kernelBlkRead, kernelRead, type BlkParams, type KernelView, type RamoopsParams } from './vm.js';

const boots: string[] = [];
const kfile = (view: KernelView, name: string): string => text(kernelFile(view, name).data);

/** Boot the kernel on an image of ours and hold it to our prediction; note the boot time. */
async function kernelAgrees(b: BuiltImage): Promise<KernelView> {
  const view = await kernelReadsOurImage(b);
  boots.push(`read ${b.name} (${b.kernel}): ${view.bootSeconds.toFixed(1)} s`);
  return view;
}

describe('we write, the kernel reads', { concurrency: true }, () => {
  test('ECC off, uncompressed: 5 dumps (panic + 4 Oopses, one zone filled), console and pmsg rings wrapped', async () => {
    const b = uncompressedWrapImage();
    const view = await kernelAgrees(b);
    assert.ok(kfile(view, 'dmesg-ramoops-0').startsWith('Panic#1 Part1\n'));
    assert.ok(kfile(view, 'dmesg-ramoops-4').startsWith('Oops#5 Part1\n'));
    assert.ok(kfile(view, 'dmesg-ramoops-2').includes('third-long line 400/400'));
    const con = kfile(view, 'console-ramoops-0');
    assert.ok(con.endsWith('console line 170/170 ' + 'n'.repeat(29) + '\n') && !con.includes('console line 1/170 '), 'console shows the wrapped tail');
    assert.ok(kfile(view, 'pmsg-ramoops-0').endsWith('pmsg line 40/40 ' + 'n'.repeat(44) + '\n'));
    // The kernel zaps console and pmsg (PRZ_FLAG_ZAP_OLD) after saving them: the region changed there.
    assert.ok(!Buffer.from(view.regionAfter).equals(Buffer.from(b.image)));
  });

  test('ECC 16, deflate and plain mixed, corruption within and beyond capacity', async () => {
    const b = eccCorruptImage();
    const view = await kernelAgrees(b);
    const notice = (name: string): string => /\nECC: [^\n]*\n$/.exec(kfile(view, name))?.[0] ?? '';
    assert.equal(notice('dmesg-ramoops-1'), '\nECC: 9 Corrected bytes, 0 unrecoverable blocks\n');
    assert.equal(notice('dmesg-ramoops-2'), '\nECC: 4 Corrected bytes, 0 unrecoverable blocks\n');
    assert.equal(notice('dmesg-ramoops-3'), '\nECC: 0 Corrected bytes, 1 unrecoverable blocks\n');
    assert.equal(notice('dmesg-ramoops-4'), '\nECC: 1 Corrected bytes, 0 unrecoverable blocks\n');
    assert.equal(notice('console-ramoops-0'), '\nECC: 3 Corrected bytes, 0 unrecoverable blocks\n');
    assert.equal(notice('pmsg-ramoops-0'), '\nECC: No errors detected\n');
    // The zipped panic with an unrecoverable block: the kernel still tried to inflate it.
    const panic = view.files.find((f) => f.name.startsWith('dmesg-ramoops-0'));
    assert.ok(panic && text(panic.data).endsWith('\nECC: 0 Corrected bytes, 1 unrecoverable blocks\n'));
    assert.ok(kfile(view, 'dmesg-ramoops-2').startsWith('Oops#3 Part1\n'), 'a zipped record with corrected bytes inflates');
  });

  test('deflate record read by a kernel with compression off: .enc.z byte for byte', async () => {
    const b = deflateReadWithoutCompressImage();
    const view = await kernelAgrees(b);
    assert.equal(view.moduleParams['pstore/parameters/compress'], 'none');
  });

  test('a header-only dmesg record (ECC off) ends the listing: the later dump, console and pmsg are not shown', async () => {
    const b = headerOnlyImage('6.1', 0);
    const view = await kernelAgrees(b);
    assert.ok(kfile(view, 'dmesg-ramoops-1').includes('before-two line 20/20'));
    assert.ok(!view.files.some((f) => f.name.startsWith('console') || f.name.startsWith('pmsg')));
  });

  test('flight recorder image (src/recorder) read by the kernel', async () => {
    const { makeRecorderImage } = await import('../../src/recorder/index.js');
    const dir = mkdtempSync(join(tmpdir(), 'hx-rec-'));
    try {
      const info = makeRecorderImage(join(dir, 'rec.img'), {
        lines: ['service starting', [4, 'disk almost full'], [3, 'request failed: ECONNRESET'], 'retrying'],
        console: 'console: last words\n',
        pmsg: 'pmsg: structured bytes\n',
        options: { kernel: 'debian-6.1' },
      });
      const image = new Uint8Array(readFileSync(info.path));
      const p = info.params;
      const params: RamoopsParams = { memSize: p.mem_size, recordSize: p.record_size, consoleSize: p.console_size, ftraceSize: p.ftrace_size, pmsgSize: p.pmsg_size, ecc: p.ecc, maxReason: p.max_reason };
      assert.equal(image.length, params.memSize);
      const ours = ourFiles(image, params);
      assert.ok(ours.some((f) => f.name === 'dmesg-ramoops-0'), `recorder dump present: ${ours.map((f) => f.name).join(', ')}`);
      const view = await kernelRead(image, params);
      boots.push(`read recorder image: ${view.bootSeconds.toFixed(1)} s`);
      assert.deepEqual(diffKernelFiles(view.files, ours), []);
      assert.deepEqual(view.files.map((f) => f.name).sort(), ours.map((f) => f.name).sort());
      assert.deepEqual(regionAfterDiffs(view, image, params), []);
      assert.ok(kfile(view, 'dmesg-ramoops-0').includes('request failed: ECONNRESET'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('pstore CLI create, dump (oops + panic, deflate), write (console, pmsg), ECC 16: read by the kernel', async () => {
    const view = await kernelAgrees(cliImageCase());
    assert.ok(kfile(view, 'dmesg-ramoops-0').startsWith('Oops#1 Part1\n'));
    assert.ok(kfile(view, 'dmesg-ramoops-1').startsWith('Panic#2 Part1\n'));
    assert.ok(kfile(view, 'pmsg-ramoops-0').startsWith('cli pmsg bytes\n'));
  });
});

describe('pstore/blk (virtio disk, best_effort)', { concurrency: true }, () => {
  const blk: BlkParams = { kmsgSize: 64 };
  test('kernel writes two Oopses (panic not written), our BlkBackend reads them like the kernel', async () => {
    const crash = await kernelBlkCrash({ blk, disk: new Uint8Array(256 * 1024), oops: 2, marker: 'blkours', end: 'panic' });
    boots.push(`blk crash: ${crash.bootSeconds.toFixed(1)} s`);
    const ours = ourBlkFiles(crash.region, blk);
    assert.deepEqual(ours.map((f) => f.name), ['dmesg-pstore_blk-0', 'dmesg-pstore_blk-1']);
    assert.ok(text(ours[0]?.data ?? new Uint8Array()).startsWith('Oops#1 Part1\n'));
    assert.ok(text(ours[1]?.data ?? new Uint8Array()).includes('harness: marker blkours warning-level line'));
    const view = await kernelBlkRead(crash.region, blk);
    boots.push(`blk read: ${view.bootSeconds.toFixed(1)} s`);
    assert.deepEqual(view.files.map((f) => f.name), ['dmesg-pstore_blk-0', 'dmesg-pstore_blk-1']);
    assert.deepEqual(diffKernelFiles(view.files, ours), []);
    assert.ok(Buffer.from(view.regionAfter).equals(Buffer.from(crash.region)), 'reading changed the disk');
  });

  test('we write (3 dumps, deflate and plain, + pmsg), the kernel reads our prediction', async () => {
    const p: BlkParams = { kmsgSize: 16, pmsgSize: 8 };
    const size = 128 * 1024;
    const T0 = 1704067200;
    const disk = ourBlkDisk(
      size,
      p,
      [
        { log: logLines('blk-one', 40, 1), reason: KmsgDumpReason.OOPS, time: { sec: T0 + 60, nsec: 123456789 }, compress: 'deflate' },
        { log: logLines('blk-two', 300, 2), reason: KmsgDumpReason.OOPS, time: { sec: T0 + 120, nsec: 5 }, compress: 'none' },
        { log: logLines('blk-three', 90, 3), reason: KmsgDumpReason.OOPS, time: { sec: T0 + 180, nsec: 999999999 }, compress: 'deflate' },
      ],
      new TextEncoder().encode(logLines('blk-pmsg', 30, 4)),
    );
    const layout = blkLayout(blkParamsFromKiB(blkModuleParams(p), size));
    assert.ok(layout.kmsg.length >= 3);
    const ours = ourBlkFiles(disk, p);
    assert.deepEqual(ours.map((f) => f.name).sort(), ['dmesg-pstore_blk-0', 'dmesg-pstore_blk-1', 'dmesg-pstore_blk-2', 'pmsg-pstore_blk-0']);
    const view = await kernelBlkRead(disk, p);
    boots.push(`blk read (ours): ${view.bootSeconds.toFixed(1)} s`);
    assert.deepEqual(view.files.map((f) => f.name).sort(), ours.map((f) => f.name).sort(), view.pstoreLog.join('\n'));
    assert.deepEqual(diffKernelFiles(view.files, ours), []);
    assert.ok(kfile(view, 'dmesg-pstore_blk-1').startsWith('Oops: Total 2 times\nOops#1 Part1\n'), kfile(view, 'dmesg-pstore_blk-1').slice(0, 60));
  });
});

test('boot times (ours)', (t) => {
  for (const b of boots) t.diagnostic(b);
  assert.ok(boots.length >= 8, `expected at least 8 boots, got ${boots.length}`);
});
