// Interop, efi-pstore: Debian's kernel under OVMF (q35, pflash variable
// store) against our EFI backend, both ways. The kernel panics and our reader
// on the variable store equals its /sys/fs/pstore byte for byte (names, bytes,
// mtimes); Linux erases and our reader shows nothing.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { text } from './checks.js';
import { ourEfiFiles, pstoreVariableStates } from './efi.js';
import { diffKernelFiles, kernelEfiCrash, kernelEfiRead, type GuestKernelVersion } from './vm.js';

const boots: string[] = [];
after(() => console.log(`efi boots: ${boots.join('; ')}`));

/** Kernels the tier proves efi-pstore with. */
const EFI_KERNELS: GuestKernelVersion[] = ['6.1'];

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
});
