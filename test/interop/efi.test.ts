// Interop, efi-pstore: Debian's kernel under OVMF (q35, pflash variable
// store) against our EFI backend, both ways. The kernel panics and our reader
// on the variable store equals its /sys/fs/pstore byte for byte (names, bytes,
// mtimes); Linux erases and our reader shows nothing. We write dumps into
// OVMF's own empty store and the kernel shows exactly our prediction; we
// erase a store the kernel wrote and Linux shows nothing.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { KmsgDumpReason } from '../../src/core/backend.js';
import { readFixture } from '../helpers/fixtures.js';
import { text } from './checks.js';
import { ourEfiFiles, pstoreVariableStates, writeEfiDumps } from './efi.js';
import { emptyVarStore } from './firmware.js';
import { diffKernelFiles, kernelEfiCrash, kernelEfiRead, type GuestKernelVersion } from './vm.js';

const boots: string[] = [];
after(() => console.log(`efi boots: ${boots.join('; ')}`));

/** Kernels whose efi-pstore writes the tier reads; our writes and erases are read by 6.1 only (two OVMF boots fewer). */
const EFI_KERNELS: GuestKernelVersion[] = ['6.1', '6.12'];

describe('efi-pstore: kernel and our library on one variable store', { concurrency: true }, () => {
  for (const kernel of EFI_KERNELS) {
    test(`${kernel}: the kernel panics, our reader equals /sys/fs/pstore; Linux erases, our reader shows nothing`, async () => {
      const marker = `efi${kernel.replace('.', '')}`;
      const crash = await kernelEfiCrash({ kernel, marker });
      boots.push(`${kernel} crash ${crash.bootSeconds.toFixed(1)} s`);
      const ours = ourEfiFiles(crash.region, kernel);
      // A default 10 KiB kmsg_bytes dump, deflated into ~1 KiB variables.
      assert.ok(ours.length >= 8, `our reader finds ${ours.length} files`);
      assert.ok(ours.every((f) => /^dmesg-efi(_pstore)?-\d+$/.test(f.name)), ours.map((f) => f.name).join(', '));
      assert.ok(text(ours[0].data).startsWith('Panic#1 Part1\n'), 'part 1 first');
      assert.ok(ours.some((f) => text(f.data).includes(`harness: marker ${marker} end`)), 'the marker is in the dump');

      const view = await kernelEfiRead(crash.region, { kernel, erase: true });
      boots.push(`${kernel} read+erase ${view.bootSeconds.toFixed(1)} s`);
      assert.equal(view.moduleParams['pstore/parameters/backend'], kernel === '6.1' ? 'efi' : 'efi_pstore');
      assert.deepEqual(view.files.map((f) => f.name).sort(), ours.map((f) => f.name).sort(), view.pstoreLog.join('\n'));
      assert.deepEqual(diffKernelFiles(view.files, ours), []);

      assert.ok(view.erased, 'the guest removed every file');
      assert.deepEqual(ourEfiFiles(view.regionAfter, kernel), [], 'after the erase our reader shows nothing');
      // The bytes stay; only the State byte changed.
      assert.deepEqual(pstoreVariableStates(view.regionAfter), { deleted: ours.length });
    });
  }

  for (const kernel of ['6.1'] as const) {
    test(`${kernel}: we write two dumps into OVMF's empty store and remove one part; the kernel shows exactly our files`, async () => {
      const log = (tag: string, n: number): string => Array.from({ length: n }, (_, i) => `<${i % 8}>[${(i / 7).toFixed(6).padStart(12, ' ')}] ${tag} line ${i + 1}/${n} ${'abcdefghij'.repeat(1 + (i % 9))}`).join('\n') + '\n';
      const store = emptyVarStore();
      const written = writeEfiDumps(
        store,
        kernel,
        [
          { log: log('ours-panic', 300), reasons: [KmsgDumpReason.PANIC], time: { sec: 1704070000, nsec: 0 }, compress: 'deflate' },
          { log: log('ours-oops', 40), reasons: [KmsgDumpReason.OOPS], time: { sec: 1704070100, nsec: 0 }, compress: 'none', count: 2 },
        ],
        (names) => [names[1]],
      );
      assert.ok(written.some((n) => n.endsWith('-C')) && written.some((n) => n.endsWith('-D')), written.join(', '));
      const ours = ourEfiFiles(store, kernel);
      assert.equal(ours.length, written.length - 1, 'one part removed');
      assert.ok(ours.some((f) => text(f.data).startsWith('Oops#2 Part1\n')));

      const view = await kernelEfiRead(store, { kernel });
      boots.push(`${kernel} read ours ${view.bootSeconds.toFixed(1)} s`);
      assert.deepEqual(view.files.map((f) => f.name).sort(), ours.map((f) => f.name).sort(), view.pstoreLog.join('\n'));
      assert.deepEqual(diffKernelFiles(view.files, ours), []);
    });
  }

  test('6.1: we erase every record of a store the kernel wrote (fixture efi-panic); Linux shows nothing', async () => {
    const store = readFixture('efi-6.1', 'efi-panic', 'varstore.fd');
    assert.equal(ourEfiFiles(store).length, 15);
    writeEfiDumps(store, '6.1', [], (names) => names);
    assert.deepEqual(ourEfiFiles(store), []);
    assert.deepEqual(pstoreVariableStates(store), { deleted: 15 });
    const view = await kernelEfiRead(store, { kernel: '6.1' });
    boots.push(`6.1 read our erase ${view.bootSeconds.toFixed(1)} s`);
    assert.equal(view.moduleParams['pstore/parameters/backend'], 'efi');
    assert.deepEqual(view.files, [], view.pstoreLog.join('\n'));
  });
});
