// Fast checks of the VM harness's own pieces (no boots).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { findGuestKernel, GUEST_KERNEL_SPECS, GUEST_KERNELS, readModule, VM_CACHE } from './initramfs.js';
import { bootableKernel, bzImagePayload, hasPvhEntry } from './vmlinux.js';
import { cpioNewc } from './newc.js';
import { buildOopsModule, NULL_STORE } from './oops-module.js';
import { baseCmdline, diffKernelFiles, guestProfile, parseCapturedFiles, parseReadFrames, pblkArg, ramoopsArg, ramoopsFromJson } from './vm.js';

test('newc archive lists and extracts with host cpio', () => {
  const a = cpioNewc([
    { kind: 'dir', path: 'bin' },
    { kind: 'file', path: 'bin/x', data: new TextEncoder().encode('hello'), mode: 0o755 },
    { kind: 'symlink', path: 'bin/y', target: 'x' },
    { kind: 'file', path: 'odd', data: new Uint8Array([1, 2, 3]) },
  ]);
  assert.equal(a.length % 4, 0);
  const dir = mkdtempSync(join(tmpdir(), 'newc-'));
  try {
    execFileSync('cpio', ['-idm', '--quiet'], { cwd: dir, input: a });
    assert.equal(execFileSync('cat', ['bin/x', 'bin/y'], { cwd: dir }).toString(), 'hellohello');
    assert.deepEqual([...execFileSync('cat', ['odd'], { cwd: dir })], [1, 2, 3]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const version of GUEST_KERNELS) {
  test(`oops module (${version}): unsigned, renamed, init starts with a NULL store`, () => {
    const g = findGuestKernel(version);
    const src = readModule(g.modulesDir, GUEST_KERNEL_SPECS[version].oopsSource);
    const out = buildOopsModule(src, 'hx_oops1');
    assert.ok(out.length < src.length, 'signature stripped');
    assert.ok(!Buffer.from(out).includes('~Module signature appended~'));
    assert.ok(Buffer.from(out).includes(Buffer.from(NULL_STORE)), 'NULL store patched in');
    const dir = mkdtempSync(join(tmpdir(), 'oops-'));
    try {
      const ko = join(dir, 'm.ko');
      writeFileSync(ko, out);
      assert.equal(execFileSync('modinfo', ['-F', 'name', ko]).toString().trim(), 'hx_oops1');
      assert.equal(execFileSync('modinfo', ['-F', 'vermagic', ko]).toString().trim().split(' ')[0], g.release);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.throws(() => buildOopsModule(src, 'a_name_longer_than_the_original'), /longer/);
  });
}

test('guest kernels: 6.1 and 6.12 resolve to their own vmlinuz and modules', () => {
  const a = findGuestKernel('6.1');
  const b = findGuestKernel('6.12');
  assert.match(a.release, /^6\.1\.0-\d+-amd64$/);
  assert.match(b.release, /^6\.12\.\d+\+deb\d+-amd64$/);
  assert.equal(b.modulesDir, `/lib/modules/${b.release}`);
  assert.equal(guestProfile('6.12'), 'debian-6.12');
  assert.equal(guestProfile(), 'debian-6.1');
});

test('ramoops parameters are spelled like the fixture harness', () => {
  const p = ramoopsFromJson({ mem_address: '0x10000000', mem_size: '0x100000', record_size: '0x10000', console_size: '0', ftrace_size: '0', pmsg_size: '0', ecc: '16', max_reason: '2' });
  assert.equal(ramoopsArg(p), 'mem_address=0x10000000,mem_size=0x100000,record_size=0x10000,console_size=0,ftrace_size=0,pmsg_size=0,ecc=16,max_reason=2');
  assert.deepEqual(baseCmdline(p), ['console=ttyS0', 'loglevel=7', 'panic=-1', 'no_timer_check', 'memmap=1M$0x10000000']);
  assert.equal(baseCmdline({ ...p, memSize: 0x180000 })[4], 'memmap=2M$0x10000000');
});

test('read frames parse; truncated output is an error', () => {
  const data = [
    '==READY 2.1==',
    '==MOUNT pstore /sys/fs/pstore pstore rw,relatime 0 0==',
    '==FILE dmesg-ramoops-0 5 444 1704067208 2024-01-01_00:00:08.436599000_+0000==',
    Buffer.from('hello').toString('base64'),
    '==END==',
    '==PARAM ramoops/parameters/ecc 16==',
    '==DMESG==',
    '[    1.0] ramoops: using 0x100000@0x10000000, ecc: 16',
    '==END==',
    '==DONE 2.5==',
  ].join('\n');
  const v = parseReadFrames(data);
  assert.equal(v.files.length, 1);
  assert.equal(v.files[0]?.mtimeNsec, 436599000);
  assert.equal(v.files[0]?.mtime, '2024-01-01 00:00:08.436599000 +0000');
  assert.equal(text(v.files[0]?.data), 'hello');
  assert.equal(v.moduleParams['ramoops/parameters/ecc'], '16');
  assert.match(v.dmesg, /ecc: 16/);
  assert.throws(() => parseReadFrames(data.replace('==DONE 2.5==', '')), /DONE/);
  assert.throws(() => parseReadFrames(data.replace(' 5 444', ' 6 444')), /stat says 6/);
});

test('a crash boot\'s captured files end at CAPTURED; without it the boot failed', () => {
  const data = [
    '==READY 2.1==',
    '==FILE dmesg-ramoops-1 3 444 1704067208 2024-01-01_00:00:08.000042000_+0000==',
    Buffer.from('old').toString('base64'),
    '==END==',
    '==CAPTURED==',
    '==CRASHING panic==',
    '',
  ].join('\n');
  const files = parseCapturedFiles(data);
  assert.deepEqual(files.map((f) => [f.name, text(f.data), f.mtimeNsec]), [['dmesg-ramoops-1', 'old', 42000]]);
  assert.deepEqual(parseCapturedFiles('==READY 1==\n==CAPTURED==\n'), []);
  assert.throws(() => parseCapturedFiles(data.replace('==CAPTURED==\n', '')), /CAPTURED/);
});

function text(b: Uint8Array | undefined): string {
  return new TextDecoder().decode(b);
}

test('diffKernelFiles names missing, extra and differing files', () => {
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  const kernel = [
    { name: 'a', data: enc('same'), mtimeEpoch: 1 },
    { name: 'b', data: enc('kernel'), mtimeEpoch: 2 },
    { name: 'c', data: enc('only'), mtimeEpoch: 3 },
  ];
  assert.deepEqual(diffKernelFiles(kernel, [{ name: 'a', data: enc('same'), mtimeEpoch: 1 }, { name: 'b', data: enc('kernal'), mtimeEpoch: 2 }, { name: 'c', data: enc('only') }]), ['b: bytes differ at 4 (kernel 6 B, ours 6 B)']);
  const d = diffKernelFiles(kernel, [{ name: 'a', data: enc('same'), mtimeEpoch: 9 }, { name: 'x', data: enc('') }]);
  assert.deepEqual(d.sort(), ['a: mtime 9, kernel 1', 'b: shown by the kernel, missing from ours', 'c: shown by the kernel, missing from ours', 'x: ours only, the kernel does not show it']);
});

test('pstore_blk parameters are spelled like the fixture harness', () => {
  assert.equal(pblkArg({ kmsgSize: 64 }), 'blkdev=/dev/vda,best_effort=y,kmsg_size=64,max_reason=2');
  assert.equal(pblkArg({ kmsgSize: 64, pmsgSize: 64, consoleSize: 64, ftraceSize: 64 }), 'blkdev=/dev/vda,best_effort=y,kmsg_size=64,pmsg_size=64,console_size=64,ftrace_size=64,max_reason=2');
});

test('diffKernelFiles compares mtime nanoseconds when both sides have them', () => {
  const d = new TextEncoder().encode('x');
  assert.deepEqual(diffKernelFiles([{ name: 'a', data: d, mtimeEpoch: 5, mtimeNsec: 1000 }], [{ name: 'a', data: d, mtimeEpoch: 5, mtimeNsec: 2000 }]), ['a: mtime nsec 2000, kernel 1000']);
  assert.deepEqual(diffKernelFiles([{ name: 'a', data: d, mtimeEpoch: 5, mtimeNsec: 1000 }], [{ name: 'a', data: d, mtimeEpoch: 5 }]), []);
});

test('the guest kernels unpack to ELF images with a PVH entry (QEMU boots them without in-guest decompression)', () => {
  for (const version of GUEST_KERNELS) {
    const g = findGuestKernel(version);
    const path = bootableKernel(g.kernel, VM_CACHE);
    assert.notEqual(path, g.kernel, `${version}: fell back to the bzImage`);
    assert.ok(hasPvhEntry(readFileSync(path)), `${version}: no PVH entry note`);
  }
  assert.throws(() => bzImagePayload(Buffer.alloc(4096)), /not a bzImage/);
});
