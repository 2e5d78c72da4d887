// Real-kernel interop tier: Debian's Linux 6.1 under QEMU writes and reads
// ramoops regions. Boots run concurrently, two at a time (HX_VM_JOBS).
// A missing package or a failed boot fails the test; nothing is skipped.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inflateRawSync } from 'node:zlib';
import { join } from 'node:path';
import { cliExtractEqualsKernel, kernelFile, SIG, text, zone0 } from './checks.js';
import { ourFiles, ourImage, regionAfterDiffs } from './ours.js';
import { FIXTURES } from '../helpers/fixtures.js';
import {
  compareExtractWithKernel,
  compareImageWithKernel,
  diffKernelFiles,
  kernelCrash,
  kernelRead,
  loadScenario,
  prepareGuest,
  type PredictedFile,
  type RamoopsParams,
} from './vm.js';

const boots: string[] = [];
const note = (what: string, s: number): void => {
  boots.push(`${what}: ${s.toFixed(1)} s`);
};

test('host has qemu, the 6.1 kernel, ramoops modules and static busybox', () => {
  const g = prepareGuest();
  assert.match(g.release, /^6\.1\.0-\d+-amd64$/);
});

describe('kernel crash boot → kernel read boot', { concurrency: true }, () => {
  const cases: { compress: 'none' | 'deflate'; ecc: 0 | 16 }[] = [
    { compress: 'none', ecc: 0 },
    { compress: 'deflate', ecc: 0 },
    { compress: 'none', ecc: 16 },
    { compress: 'deflate', ecc: 16 },
  ];
  for (const c of cases) {
    test(`panic, compress ${c.compress}, ecc ${c.ecc}`, async () => {
      const params: RamoopsParams = { memSize: 0x100000, recordSize: 0x10000, ecc: c.ecc };
      const marker = `m${c.compress}${c.ecc}x${Date.now().toString(36)}`;
      const compress = c.compress === 'none' ? 'none' : undefined; // deflate is the built-in default
      const crash = await kernelCrash({ params, compress, marker, end: 'panic', filler: 20 });
      note(`crash ${c.compress}/ecc${c.ecc}`, crash.bootSeconds);
      assert.equal(crash.region.length, params.memSize);
      assert.match(crash.banner, /^Linux version 6\.1\./);
      const z = zone0(crash.region);
      assert.equal(z.sig, SIG, 'zone 0 signature');
      assert.ok(z.size > 0 && z.size === z.start, `zone 0 start ${z.start} size ${z.size}`);
      assert.match(z.header, new RegExp(`^====\\d+\\.\\d{6}-${c.compress === 'none' ? 'D' : 'C'}\\n$`));

      // Ours on the region the kernel wrote: the record, the markers.
      const mine = ourImage(crash.region.slice(), params, compress).files();
      assert.deepEqual(mine.map((f) => f.name), ['dmesg-ramoops-0']);
      const mineText = text(mine[0]?.content ?? new Uint8Array());
      for (const m of [`harness: marker ${marker} begin`, `harness: marker ${marker} end`, 'harness: filler 20/20', 'Kernel panic - not syncing']) {
        assert.ok(mineText.includes(m), `our reader: ${m}`);
      }
      assert.equal(mine[0]?.compression ?? 'none', c.compress);

      const r = await compareExtractWithKernel(crash.region, params, (reg, p) => ourFiles(reg, p, compress), { compress });
      const view = r.view;
      note(`read ${c.compress}/ecc${c.ecc}`, view.bootSeconds);
      assert.deepEqual(r.diffs, [], 'our files equal /sys/fs/pstore (names, bytes, mtime sec+nsec)');
      assert.ok(r.ours.every((f) => f.mtimeNsec !== undefined), 'dmesg mtimes carry nanoseconds');
      assert.deepEqual(regionAfterDiffs(view, crash.region, params), []);
      if (c.compress === 'deflate' && c.ecc === 16) cliExtractEqualsKernel(crash.region, params, view);
      assert.deepEqual(view.files.map((f) => f.name), ['dmesg-ramoops-0']);
      const d = kernelFile(view, 'dmesg-ramoops-0');
      const s = text(d.data);
      assert.ok(s.startsWith('Panic#1 Part1\n'), s.slice(0, 40));
      assert.ok(s.includes(`harness: marker ${marker} begin`), 'begin marker in the dump');
      assert.ok(s.includes(`harness: marker ${marker} end`), 'end marker in the dump');
      assert.ok(s.includes('harness: filler 20/20'), 'filler lines in the dump');
      assert.ok(s.includes('Kernel panic - not syncing: sysrq triggered crash'));
      if (c.ecc) assert.ok(s.endsWith('\nECC: No errors detected\n'), JSON.stringify(s.slice(-40)));
      // The record header's time becomes the file's mtime.
      assert.equal(d.mtimeEpoch, Number(/^====(\d+)/.exec(z.header)?.[1]));
      assert.ok(d.mtimeEpoch >= 1704067200 && d.mtimeEpoch < 1704067200 + 600, `mtime ${d.mtime}`);
      assert.equal(d.mode, '444');
      assert.ok(view.pstoreLog.some((l) => l.includes(`ramoops: using 0x100000@0x10000000, ecc: ${c.ecc}`)), view.pstoreLog.join('\n'));
      assert.equal(view.moduleParams['ramoops/parameters/ecc'], String(c.ecc));
      assert.equal(view.moduleParams['pstore/parameters/compress'], c.compress);
      // A clean image is not modified by attaching (no zap, no ECC repair).
      assert.ok(Buffer.from(view.regionAfter).equals(Buffer.from(crash.region)), 'read boot changed a clean region');
    });
  }

  test('two boots: Oops + panic, then a Shutdown on the same RAM an hour later', async () => {
    const params: RamoopsParams = { memSize: 0x40000, recordSize: 0x10000, ecc: 0 };
    const first = await kernelCrash({ params, compress: 'none', marker: 'bootone', oops: 1, end: 'panic' });
    note('crash oops+panic', first.bootSeconds);
    const second = await kernelCrash({
      params: { ...params, maxReason: 4 },
      compress: 'none',
      marker: 'boottwo',
      end: 'poweroff',
      fromImage: first.region,
      rtcBase: '2024-01-01T01:00:00',
    });
    note('crash shutdown (2nd boot)', second.bootSeconds);
    const r = await compareExtractWithKernel(second.region, params, (reg, p) => ourFiles(reg, p, 'none'), { compress: 'none' });
    const view = r.view;
    note('read two-boot region', view.bootSeconds);
    assert.deepEqual(r.diffs, []);
    assert.deepEqual(regionAfterDiffs(view, second.region, params), []);
    assert.deepEqual(view.files.map((f) => f.name), ['dmesg-ramoops-0', 'dmesg-ramoops-1']);
    const d0 = text(kernelFile(view, 'dmesg-ramoops-0').data);
    const d1 = text(kernelFile(view, 'dmesg-ramoops-1').data);
    // The write counter restarts at zone 0 each boot: Shutdown replaced the Oops.
    assert.ok(d0.startsWith('Shutdown#1 Part1\n') && d0.includes('marker boottwo end'), d0.slice(0, 40));
    assert.ok(d1.startsWith('Panic#2 Part1\n') && d1.includes('marker bootone end'), d1.slice(0, 40));
    assert.ok(d1.includes('BUG: kernel NULL pointer dereference'), 'the Oops is in the panic dump');
    assert.ok(kernelFile(view, 'dmesg-ramoops-0').mtimeEpoch >= 1704067200 + 3600);
    assert.ok(kernelFile(view, 'dmesg-ramoops-1').mtimeEpoch < 1704067200 + 3600);
  });

  test('fixture panic-deflate read with compress none: .enc.z byte for byte (extract hook)', async () => {
    const dir = join(FIXTURES, 'kernel-6.1', 'panic-deflate');
    const s = loadScenario(dir, 'expected-read-compress-none', 'meta-read-compress-none.json');
    assert.equal(s.compress, 'none');
    const r = await compareExtractWithKernel(s.image, s.params, (reg, p) => ourFiles(reg, p, s.compress), { compress: s.compress });
    note('read fixture panic-deflate (compress none)', r.view.bootSeconds);
    assert.deepEqual(r.diffs, []);
    assert.deepEqual(diffKernelFiles(r.view.files, s.expected), [], 'the kernel still shows what the fixture recorded');
    const enc = kernelFile(r.view, 'dmesg-ramoops-0.enc.z');
    assert.ok(text(inflateRawSync(enc.data)).startsWith('Panic#1 Part1\n'));
  });

  test('fixture panic-ecc16-corrupt-correctable: kernel repairs 3 bytes (image hook)', async () => {
    const dir = join(FIXTURES, 'kernel-6.1', 'panic-ecc16-corrupt-correctable');
    const s = loadScenario(dir);
    const r = await compareImageWithKernel(() => ({ image: s.image, params: s.params, predicted: ourFiles(s.image, s.params, s.compress) }), { compress: s.compress });
    note('read fixture ecc16-corrupt', r.view.bootSeconds);
    assert.deepEqual(r.diffs, []);
    assert.deepEqual(diffKernelFiles(r.view.files, s.expected), []);
    assert.deepEqual(regionAfterDiffs(r.view, s.image, s.params), [], 'our attach repairs the same 3 bytes');
    assert.ok(text(kernelFile(r.view, 'dmesg-ramoops-0').data).endsWith('\nECC: 3 Corrected bytes, 0 unrecoverable blocks\n'));
    const changed: number[] = [];
    for (let i = 0; i < s.image.length; i++) if (s.image[i] !== r.view.regionAfter[i]) changed.push(i);
    assert.deepEqual(changed, [0x511, 0x53e, 0x570], 'the kernel wrote the corrections back');
  });

  test('a boot whose ramoops probe fails rejects with the kernel\'s reason', async () => {
    await assert.rejects(
      kernelRead(new Uint8Array(0x10000), { memSize: 0x10000, recordSize: 0x20000 }),
      (e: Error) => e.name === 'VmBootError' && /ramoops did not register: .*dmesg record count == 0/.test(e.message),
    );
  });

  test('host-made image: two hand-written records, the kernel shows exactly them', async () => {
    // 4 dmesg zones of 0x4000; zones 0 and 2 carry uncompressed records, 1 and 3 are zero.
    const params: RamoopsParams = { memSize: 0x10000, recordSize: 0x4000, ecc: 0 };
    const image = new Uint8Array(params.memSize);
    const dv = new DataView(image.buffer);
    const predicted: PredictedFile[] = [];
    for (const [zone, secs, body] of [
      [0, 1704067300, 'Oops#1 Part1\n<4>[    1.000000] made on the host\n'],
      [2, 1704067400, 'Panic#2 Part1\n<0>[    2.000000] also made on the host\n'],
    ] as const) {
      const rec = new TextEncoder().encode(`====${secs}.000042-D\n${body}`);
      const at = zone * 0x4000;
      dv.setUint32(at, SIG, true);
      dv.setUint32(at + 4, rec.length, true);
      dv.setUint32(at + 8, rec.length, true);
      image.set(rec, at + 12);
      predicted.push({ name: `dmesg-ramoops-${zone}`, data: new TextEncoder().encode(body), mtimeEpoch: secs });
    }
    const r = await compareImageWithKernel(() => ({ image, params, predicted }), { compress: 'none' });
    note('read host-made image', r.view.bootSeconds);
    assert.deepEqual(r.diffs, []);
    assert.deepEqual(diffKernelFiles(r.view.files, ourFiles(image, params, 'none')), []);
    assert.deepEqual(regionAfterDiffs(r.view, image, params), [], 'our attach signs and zaps zones 1 and 3 the same way');
    assert.equal(kernelFile(r.view, 'dmesg-ramoops-0').mtimeNsec, 42000);
    // Zones without a signature get one written (and are zapped) while attaching.
    const after = new DataView(r.view.regionAfter.buffer, r.view.regionAfter.byteOffset);
    assert.equal(after.getUint32(0x4000, true), SIG);
    assert.equal(after.getUint32(0xc000, true), SIG);
    assert.ok(Buffer.from(r.view.regionAfter.subarray(0, 0x4000)).equals(Buffer.from(image.subarray(0, 0x4000))));
  });
});

test('boot times', (t) => {
  // Runs after the suite above (top-level tests are sequential).
  for (const b of boots) t.diagnostic(b);
  assert.ok(boots.length >= 13, `expected 13 boots, got ${boots.length}`);
});
