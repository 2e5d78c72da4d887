// `pstore archive` on a real kernel: a guest that crashed boots again and runs
// our CLI (the host's node and its libraries in the initramfs) on its own
// /sys/fs/pstore, removing what it archived; a third boot shows the backend
// empty. For ramoops (an Oops and a panic) and pstore/blk (two Oopses).
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { CrashJson } from '../../src/archive/crashRecord.js';
import { guestNodeEntries } from './guestNode.js';
import type { CpioEntry } from './newc.js';
import { kernelBlkCrash, kernelBlkRead, kernelCrash, kernelRead, parseArchiveFrames, type KernelFile, type KernelView } from './vm.js';

const HEADER = /^([A-Z][a-z]+)#(\d+) Part(\d+)\n/;
const ECC = /\nECC: (No errors detected|\d+ Corrected bytes, \d+ unrecoverable blocks)\n$/;

let entries: CpioEntry[] = [];
// A loaded host makes the kernel's early IO-APIC timer check fail under TCG ("IO-APIC + timer doesn't work").
const boot = { extraCmdline: ['no_timer_check'], timeoutMs: 300_000 };
before(() => {
  entries = guestNodeEntries();
});

/** The archive holds every file the kernel showed, byte for byte with its mtime, once; dmesg.txt is the joined text. */
function checkArchive(view: KernelView, backend: string, reasons: string[]): void {
  const run = view.archive;
  assert.ok(run, 'archive frames');
  assert.equal(run.exitCode, 0, run.log);
  assert.match(run.log, new RegExp(`archived ${reasons.length} crash(es)?; removed ${view.files.length} file\\(s\\) from /sys/fs/pstore`));
  assert.equal(run.left, 0, '/sys/fs/pstore empty after the archive');
  const byDir = new Map<string, Map<string, KernelFile>>();
  for (const f of run.files) {
    const [dir, name] = f.name.split('/');
    if (!byDir.has(dir)) byDir.set(dir, new Map());
    byDir.get(dir)?.set(name, f);
  }
  const crashes = [...byDir.entries()].map(([dir, files]) => {
    const json = JSON.parse(Buffer.from(files.get('crash.json')?.data ?? []).toString('utf8')) as CrashJson;
    return { dir, files, json };
  });
  assert.deepEqual(crashes.map((c) => c.json.reason).sort(), [...reasons].sort());
  for (const k of view.files) {
    const homes = crashes.filter((c) => c.files.has(k.name));
    assert.equal(homes.length, 1, `${k.name} archived once`);
    const a = homes[0].files.get(k.name) as KernelFile;
    assert.deepEqual(a.data, k.data, `${k.name} byte for byte`);
    assert.equal(a.mtimeEpoch, k.mtimeEpoch, `${k.name} mtime seconds`);
    assert.equal(a.mtimeNsec, k.mtimeNsec, `${k.name} mtime nanoseconds`);
  }
  for (const c of crashes) {
    assert.equal(c.json.backend, backend);
    assert.equal(c.json.source, '/sys/fs/pstore');
    const dmesg = c.json.files.filter((f) => f.type === 'dmesg').map((f) => Buffer.from(c.files.get(f.name)?.data ?? []).toString('latin1'));
    const joined = dmesg
      .map((t) => {
        const h = HEADER.exec(t);
        assert.ok(h, 'Reason#N PartM header');
        return { part: Number(h[3]), body: t.slice(h[0].length).replace(ECC, '') };
      })
      .sort((a, b) => b.part - a.part)
      .map((p) => p.body)
      .join('');
    assert.equal(Buffer.from(c.files.get('dmesg.txt')?.data ?? []).toString('latin1'), joined, `${c.dir}/dmesg.txt`);
    assert.match(c.json.signature, /^kernel-[A-Za-z0-9_]+-[0-9a-f]{8}$/);
    assert.ok(c.dir.includes(c.json.signature), 'the directory names the signature');
    assert.match(c.json.kernel.version ?? '', /^6\.1\./);
  }
}

test('archive frames parse without a boot (exit, log, archived files apart from /sys/fs/pstore files, LEFT)', () => {
  const b64 = (t: string): string => Buffer.from(t).toString('base64');
  const data = [
    '==FILE dmesg-ramoops-0 3 444 1704067209 2024-01-01_00:00:09.000000000_+0000==', b64('abc'), '==END==',
    '==ARCHIVE_EXIT 0==', '==ARCHIVE_LOG==', b64('pstore: archived 1 crash\n'), '==END==',
    '==AFILE 20240101T000009Z-panic-x/dmesg-ramoops-0 3 640 1704067209 2024-01-01_00:00:09.000000000_+0000==', b64('abc'), '==END==',
    '==LEFT 0==', '==DONE 3.1==', '',
  ].join('\n');
  const run = parseArchiveFrames(data);
  assert.equal(run.exitCode, 0);
  assert.equal(run.log, 'pstore: archived 1 crash\n');
  assert.deepEqual(run.files.map((f) => f.name), ['20240101T000009Z-panic-x/dmesg-ramoops-0']);
  assert.equal(run.left, 0);
  assert.throws(() => parseArchiveFrames('==DONE==\n'), /no ARCHIVE_EXIT/);
});

describe('pstore archive inside the guest', { concurrency: true }, () => {
  test('ramoops: Oops + panic archived in the guest with removal, then the region is empty', async () => {
    const params = { memSize: 0x40000, recordSize: 0x10000, ecc: 16 };
    const crash = await kernelCrash({ ...boot, params, oops: 1, end: 'panic', filler: 10 });
    const view = await kernelRead(crash.region, params, { ...boot, archive: true, extraEntries: entries });
    assert.deepEqual(view.files.map((f) => f.name), ['dmesg-ramoops-0', 'dmesg-ramoops-1']);
    checkArchive(view, 'ramoops', ['Oops', 'Panic']);
    const third = await kernelRead(view.regionAfter, params, boot);
    assert.deepEqual(third.files.map((f) => f.name), [], 'the backend is empty on the next boot');
  });

  test('pstore/blk: two Oopses archived in the guest with removal, then the disk shows nothing', async () => {
    const blk = { kmsgSize: 64 };
    const crash = await kernelBlkCrash({ ...boot, blk, disk: new Uint8Array(256 * 1024), oops: 2 });
    const view = await kernelBlkRead(crash.region, blk, { ...boot, archive: true, extraEntries: entries });
    assert.deepEqual(view.files.map((f) => f.name), ['dmesg-pstore_blk-0', 'dmesg-pstore_blk-1']);
    checkArchive(view, 'pstore_blk', ['Oops', 'Oops']);
    const third = await kernelBlkRead(view.regionAfter, blk, boot);
    assert.deepEqual(third.files.map((f) => f.name), [], 'the backend is empty on the next boot');
  });
});
