/**
 * Crash signatures: the same crash on different kernels, builds and boots
 * gives one signature; different crashes (panic vs Oops, another function)
 * give different ones. Plus the log facts crash.json reports.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseCrashLog } from '../src/archive/crashLog.js';
import { decodeEfiId, parsePstoreName } from '../src/archive/names.js';
import { crashSignature, normaliseLine } from '../src/archive/signature.js';
import { fixturePath } from './helpers/fixtures.js';

function sig(...path: string[]): { signature: string; log: ReturnType<typeof parseCrashLog> } {
  const text = readFileSync(fixturePath(...path), 'latin1');
  const reason = /^([A-Za-z]+)#/.exec(text)?.[1];
  const log = parseCrashLog(text);
  return { signature: crashSignature(reason, log), log };
}

const SYSRQ = [
  ['kernel-6.1', 'panic-nocompress'],
  ['kernel-6.1', 'panic-deflate'],
  ['kernel-6.1', 'panic-ecc16-corrupt-correctable'],
  ['kernel-6.1', 'small-records-deflate'],
  ['kernel-6.1-full', 'compress-zstd'],
  ['kernel-6.1-full', 'ftrace-percpu'],
  ['kernel-6.12', 'panic-deflate-612'],
  ['kernel-6.12', 'zone-order-612'],
];

test('one sysrq-c panic signature on Debian 6.1, a full 6.1.192 build and 6.12 (other KASLR, timestamps, frame reliability)', () => {
  const sigs = SYSRQ.map(([set, sc]) => sig(set, sc, 'expected', 'dmesg-ramoops-0').signature);
  assert.deepEqual(new Set(sigs), new Set(['kernel-sysrq_handle_crash-6a79b15a']));
  const efi = sig('efi-6.1', 'efi-panic', 'expected', 'dmesg-efi-170406720902001');
  assert.equal(efi.log.callTrace.length > 0, true);
});

test('6.12 prints only unreliable frames; they are used, the 6.1 log keeps its reliable ones', () => {
  const k612 = sig('kernel-6.12', 'panic-deflate-612', 'expected', 'dmesg-ramoops-0').log;
  assert.equal(k612.traceUnreliable, true);
  assert.equal(k612.kernelVersion, '6.12.117');
  const k61 = sig('kernel-6.1', 'panic-nocompress', 'expected', 'dmesg-ramoops-0').log;
  assert.equal(k61.traceUnreliable, false);
  assert.ok(!k61.callTrace.includes('_printk'), '? frames dropped when reliable ones exist');
  assert.deepEqual(k61.callTrace.slice(0, 5), ['dump_stack_lvl', 'panic', 'sysrq_handle_crash', '__handle_sysrq', 'write_sysrq_trigger'], '.cold suffix removed');
  assert.equal(k61.kernelVersion, '6.1.0-57-amd64');
  assert.equal(k61.panic, 'sysrq triggered crash');
  assert.equal(k61.headline, 'Kernel panic - not syncing: sysrq triggered crash');
});

test('panic and Oops differ; the same Oops in two records and on two backends is one signature', () => {
  const oops1 = sig('kernel-6.1', 'oops-oops-panic', 'expected', 'dmesg-ramoops-0');
  const oops2 = sig('kernel-6.1', 'oops-oops-panic', 'expected', 'dmesg-ramoops-1');
  const blk = sig('kernel-6.1-blk', 'pstore-blk-oops', 'expected', 'dmesg-pstore_blk-0');
  const panic = sig('kernel-6.1', 'panic-nocompress', 'expected', 'dmesg-ramoops-0');
  assert.equal(oops1.signature, oops2.signature, 'Oops #1 and #2 of one bug');
  assert.equal(oops1.signature, blk.signature, 'ramoops and pstore/blk');
  assert.match(oops1.signature, /^kernel-harness_do_oops-[0-9a-f]{8}$/);
  assert.notEqual(oops1.signature, panic.signature);
  assert.equal(oops1.log.oops, 'BUG: kernel NULL pointer dereference, address: 0000000000000000');
  assert.equal(oops1.log.faultFunction, 'harness_do_oops');
  // The panic record after those Oopses is a sysrq panic, not the Oops: its own signature.
  const panic3 = sig('kernel-6.1', 'oops-oops-panic', 'expected', 'dmesg-ramoops-2');
  assert.notEqual(panic3.signature, oops1.signature);
  assert.equal(panic3.log.headline, 'Kernel panic - not syncing: sysrq triggered crash');
  // Another Oops (a call through NULL from sysrq) is another signature.
  const other = sig('kernel-6.1-full', 'oops-then-panic-compressed-ecc', 'expected', 'dmesg-ramoops-0');
  assert.notEqual(other.signature, oops1.signature);
  assert.equal(other.signature, sig('kernel-6.1-full', 'pstore-blk-full', 'expected', 'dmesg-pstore_blk-0').signature);
});

test('a panic from an Oops (panic_on_oops: Fatal exception) takes the Oops as its cause', () => {
  const log = [
    '<1>[  10.000001] BUG: unable to handle page fault for address: ffffa3c5c0000008',
    '<4>[  10.000002] Oops: 0000 [#1] PREEMPT SMP NOPTI',
    '<4>[  10.000003] CPU: 3 PID: 4242 Comm: kworker/3:1 Not tainted 6.1.0-57-amd64 #1  Debian 6.1.192-3',
    '<4>[  10.000004] RIP: 0010:my_driver_work+0x2a/0x90 [my_driver]',
    '<4>[  10.000005] Call Trace:',
    '<4>[  10.000006]  <TASK>',
    '<4>[  10.000007]  process_one_work+0x1c7/0x380',
    '<4>[  10.000008]  worker_thread+0x4d/0x380',
    '<4>[  10.000009]  </TASK>',
    '<0>[  10.000010] Kernel panic - not syncing: Fatal exception',
  ].join('\n');
  const moved = log.replace(/ffffa3c5c0000008/, 'ffff9b1e40000010').replace(/\[  10\./g, '[ 523.').replace(/CPU: 3 PID: 4242/, 'CPU: 0 PID: 17').replace(/0x2a\/0x90/, '0x2e/0x94');
  const a = parseCrashLog(log);
  const b = parseCrashLog(moved);
  assert.equal(a.oops, 'BUG: unable to handle page fault for address: ffffa3c5c0000008');
  assert.equal(a.faultFunction, 'my_driver_work');
  assert.deepEqual(a.callTrace, ['process_one_work', 'worker_thread']);
  assert.equal(crashSignature('Panic', a), crashSignature('Panic', b), 'addresses, times, CPU, PID and offsets do not matter');
  assert.match(crashSignature('Panic', a), /^kernel-my_driver_work-/);
  assert.notEqual(crashSignature('Panic', a), crashSignature('Oops', a), 'the dump reason does');
});

test('normaliseLine removes what varies between boots', () => {
  assert.equal(normaliseLine('BUG: kernel NULL pointer dereference, address: 0000000000000000'), normaliseLine('BUG: kernel NULL pointer dereference, address: 0000000000000010'));
  assert.equal(normaliseLine('Oops: 0002 [#1] SMP'), normaliseLine('Oops: 0002 [#7] SMP'));
});

test('file names: types, backends, efi ids (time, part, count), .enc.z', () => {
  assert.deepEqual(parsePstoreName('dmesg-ramoops-12'), { type: 'dmesg', backend: 'ramoops', id: '12', encZ: false });
  assert.deepEqual(parsePstoreName('dmesg-pstore_blk-0.enc.z'), { type: 'dmesg', backend: 'pstore_blk', id: '0', encZ: true });
  assert.deepEqual(parsePstoreName('powerpc-common-nvram-3')?.type, 'powerpc-common');
  assert.deepEqual(parsePstoreName('dmesg-efi-170406721214001')?.efi, { seconds: 1704067212, part: 14, count: 1 });
  assert.deepEqual(parsePstoreName('dmesg-efi_pstore-170406720901003')?.efi, { seconds: 1704067209, part: 1, count: 3 });
  assert.equal(parsePstoreName('dmesg-erst-6890123456789012345')?.id, '6890123456789012345');
  assert.equal(parsePstoreName('README'), undefined);
  assert.deepEqual(decodeEfiId('170407081215001'), { seconds: 1704070812, part: 15, count: 1 });
});
