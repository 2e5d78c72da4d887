/**
 * `pstore archive` around the archive: journal entries over journald's native
 * protocol (to a fake journald bound in a temp dir), --json lines, --list,
 * retention, pstore.conf and its drop-ins, and usage errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPstoreConf } from '../src/archive/config.js';
import { decodeJournalEntry, encodeJournalEntry } from '../src/archive/journal.js';
import { captureIo } from '../src/cli/io.js';
import { runCli } from '../src/cli/program.js';
import { loadUnixDgram } from '../src/node/unixDgram.js';
import { fixturePath } from './helpers/fixtures.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'pstore-archive-cli-'));
}

function source(dir: string, files: [string, string, string][]): void {
  mkdirSync(dir, { recursive: true });
  for (const [set, sc, name] of files) copyFileSync(fixturePath(set, sc, 'expected', name), join(dir, name));
}

const OOPS_PANIC: [string, string, string][] = [
  ['kernel-6.1', 'oops-oops-panic', 'dmesg-ramoops-0'],
  ['kernel-6.1', 'oops-oops-panic', 'dmesg-ramoops-2'],
];

test('journal entry encoding: KEY=VALUE lines, the binary length form for multi-line values, round trip', () => {
  const fields: [string, string][] = [
    ['MESSAGE', 'Panic #1: Kernel panic - not syncing: x'],
    ['PSTORE_CALL_TRACE', 'a\nb\nc'],
    ['PRIORITY', '2'],
  ];
  const buf = encodeJournalEntry(fields);
  const text = buf.toString('latin1');
  assert.ok(text.startsWith('MESSAGE=Panic #1: Kernel panic - not syncing: x\nPSTORE_CALL_TRACE\n\x05\x00\x00\x00\x00\x00\x00\x00a\nb\nc\nPRIORITY=2\n'));
  assert.deepEqual(decodeJournalEntry(buf), fields);
  assert.throws(() => encodeJournalEntry([['_PID', '1']]), /invalid journal field name/);
  assert.throws(() => decodeJournalEntry(Buffer.from('KEY\n\x09\x00\x00\x00\x00\x00\x00\x00ab\n')), /overruns/);
});

test('--journal sends one entry per crash to a fake journald socket', async () => {
  const sock = loadUnixDgram();
  assert.ok(sock, 'the unixdgram addon is built (npm run build:native)');
  const root = tmp();
  const path = join(root, 'journal.socket');
  const fd = sock.bind(path);
  try {
    source(join(root, 'src'), OOPS_PANIC);
    const io = captureIo();
    const code = await runCli(['archive', join(root, 'src'), '--to', join(root, 'out'), '--journal', '--journal-socket', path, '--no-config'], io);
    assert.equal(code, 0, io.stderrText());
    const entries: Map<string, string>[] = [];
    for (let d = sock.recv(fd); d; d = sock.recv(fd)) entries.push(new Map(decodeJournalEntry(d)));
    assert.equal(entries.length, 2);
    const oops = entries.find((e) => e.get('PSTORE_REASON') === 'Oops');
    const panic = entries.find((e) => e.get('PSTORE_REASON') === 'Panic');
    assert.ok(oops && panic);
    assert.equal(oops.get('PRIORITY'), '3');
    assert.equal(panic.get('PRIORITY'), '2');
    assert.match(oops.get('MESSAGE') ?? '', /^Oops #1: BUG: kernel NULL pointer dereference, address: 0+ \[kernel-harness_do_oops-[0-9a-f]{8}\], archived in /);
    assert.match(oops.get('PSTORE_SIGNATURE') ?? '', /^kernel-harness_do_oops-/);
    assert.equal(oops.get('PSTORE_CALL_TRACE')?.split('\n')[0], 'harness_oops_write');
    assert.equal(oops.get('PSTORE_KERNEL_VERSION'), '6.1.0-57-amd64');
    assert.equal(oops.get('PSTORE_BACKEND'), 'ramoops');
    assert.ok(existsSync(oops.get('PSTORE_DIR') ?? '/nonexistent'));
    // No journald listening: one clear error line, exit 1, the archive is already written.
    const io2 = captureIo();
    source(join(root, 'src2'), [['kernel-6.1', 'panic-nocompress', 'dmesg-ramoops-0']]);
    assert.equal(await runCli(['archive', join(root, 'src2'), '--to', join(root, 'out'), '--journal', '--journal-socket', join(root, 'nobody'), '--no-config'], io2), 1);
    assert.match(io2.stderrText(), /cannot log to the journal at '.*nobody': .*ENOENT|No such file/);
  } finally {
    sock.close(fd);
    rmSync(root, { recursive: true, force: true });
  }
});

test('--json prints one JSON object per crash; --list shows the table and --json lines', async () => {
  const root = tmp();
  try {
    source(join(root, 'src'), OOPS_PANIC);
    const io = captureIo();
    assert.equal(await runCli(['archive', join(root, 'src'), '--to', join(root, 'out'), '--json', '--no-config'], io), 0, io.stderrText());
    const lines = io.stdoutText().trim().split('\n').map((l) => JSON.parse(l) as { reason: string; dir: string; paths: string[]; signature: string; callTrace: string[] });
    assert.deepEqual(lines.map((l) => l.reason), ['Oops', 'Panic']);
    assert.ok(lines.every((l) => l.paths.every((p) => existsSync(p)) && l.paths.some((p) => p.endsWith('/dmesg.txt'))));
    assert.ok(lines[0].dir.endsWith(readdirSync(join(root, 'out')).sort()[0]));
    const list = captureIo();
    assert.equal(await runCli(['archive', '--list', join(root, 'out')], list), 0);
    const rows = list.stdoutText().trim().split('\n');
    assert.match(rows[0], /^TIME\s+REASON\s+SIGNATURE\s+COUNT\s+FILES\s+MESSAGE$/);
    assert.match(rows[1], /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+Oops\s+kernel-harness_do_oops-[0-9a-f]{8}\s+1\s+1\s+BUG: kernel NULL/);
    assert.match(rows[2], /Panic\s+kernel-sysrq_triggered_crash-[0-9a-f]{8}\s+3\s+1\s+Kernel panic - not syncing: sysrq triggered crash$/);
    const lj = captureIo();
    assert.equal(await runCli(['archive', '--list', '--to', join(root, 'out'), '--json'], lj), 0);
    const listed = lj.stdoutText().trim().split('\n').map((l) => JSON.parse(l) as { signature: string; files: number });
    assert.deepEqual(listed.map((l) => l.signature), lines.map((l) => l.signature));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('retention: --keep N and --max-use SIZE remove the oldest crashes, never the ones just archived', async () => {
  const root = tmp();
  try {
    const out = join(root, 'out');
    // Three runs, one crash each, oldest first.
    const scenarios: [string, string, string][] = [
      ['kernel-6.1', 'panic-nocompress', 'dmesg-ramoops-0'],
      ['kernel-6.1', 'shutdown', 'dmesg-ramoops-0'],
      ['kernel-6.1-blk', 'pstore-blk-oops', 'dmesg-pstore_blk-0'],
    ];
    for (const [i, f] of scenarios.entries()) {
      source(join(root, `s${i}`), [f]);
      const io = captureIo();
      assert.equal(await runCli(['archive', join(root, `s${i}`), '--to', out, '--no-config', '--keep', '2'], io), 0, io.stderrText());
    }
    const left = readdirSync(out).filter((n) => !n.startsWith('.'));
    assert.equal(left.length, 2);
    assert.ok(!left.some((n) => n.includes('sysrq_handle_crash')), 'the oldest went first');
    // A tiny --max-use keeps only the crash this run archived.
    source(join(root, 's9'), [['kernel-6.12', 'panic-deflate-612', 'dmesg-ramoops-0']]);
    const io = captureIo();
    assert.equal(await runCli(['archive', join(root, 's9'), '--to', out, '--no-config', '--max-use', '1K'], io), 0, io.stderrText());
    assert.match(io.stderrText(), /retention removed 2 old crash/);
    assert.equal(readdirSync(out).filter((n) => !n.startsWith('.')).length, 1);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('pstore.conf and drop-ins: Storage=none does nothing, Unlink= decides for a directory, bad lines warn', async () => {
  const root = tmp();
  try {
    const conf = join(root, 'etc', 'systemd');
    mkdirSync(join(conf, 'pstore.conf.d'), { recursive: true });
    mkdirSync(join(root, 'usr', 'lib', 'systemd', 'pstore.conf.d'), { recursive: true });
    writeFileSync(join(conf, 'pstore.conf'), '[PStore]\n#Storage=external\nStorage=none\nUnlink=no\n');
    writeFileSync(join(root, 'usr', 'lib', 'systemd', 'pstore.conf.d', '50-vendor.conf'), '[PStore]\nStorage=external\n');
    writeFileSync(join(conf, 'pstore.conf.d', '60-local.conf'), '[PStore]\nUnlink=yes\nBogus=1\n');
    const c = readPstoreConf(root);
    assert.equal(c.storage, 'external', 'a drop-in overrides the main file');
    assert.equal(c.unlink, true);
    assert.equal(c.files.length, 3);
    assert.match(c.warnings.join('\n'), /60-local.conf:3: unknown key Bogus/);

    source(join(root, 'src'), [['kernel-6.1', 'panic-nocompress', 'dmesg-ramoops-0']]);
    const io = captureIo();
    assert.equal(await runCli(['archive', join(root, 'src'), '--to', join(root, 'out'), '--config-root', root], io), 0, io.stderrText());
    assert.deepEqual(readdirSync(join(root, 'src')), [], 'Unlink=yes removed the archived file');

    writeFileSync(join(conf, 'pstore.conf.d', '70-off.conf'), '[PStore]\nStorage=none\n');
    source(join(root, 'src'), [['kernel-6.1', 'shutdown', 'dmesg-ramoops-0']]);
    const io2 = captureIo();
    assert.equal(await runCli(['archive', join(root, 'src'), '--to', join(root, 'out2'), '--config-root', root], io2), 0);
    assert.match(io2.stderrText(), /Storage=none .*: nothing archived/);
    assert.ok(!existsSync(join(root, 'out2')));
    assert.equal(readdirSync(join(root, 'src')).length, 1);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('usage errors: one line, exit 2; bad archive entries are skipped by --list', async () => {
  const root = tmp();
  try {
    const io = captureIo();
    assert.equal(await runCli(['archive', join(root, 'missing'), '--to', join(root, 'out'), '--no-config'], io), 2);
    assert.match(io.stderrText(), /^pstore: cannot access source '.*missing': ENOENT\n$/);
    source(join(root, 'src'), [['kernel-6.1', 'shutdown', 'dmesg-ramoops-0']]);
    const io2 = captureIo();
    assert.equal(await runCli(['archive', join(root, 'src'), '--to', join(root, 'out'), '--keep', 'many', '--no-config'], io2), 2);
    assert.match(io2.stderrText(), /--keep must be a whole number/);
    mkdirSync(join(root, 'out', 'not-a-crash'), { recursive: true });
    writeFileSync(join(root, 'out', 'not-a-crash', 'crash.json'), '{');
    const io3 = captureIo();
    assert.equal(await runCli(['archive', '--list', join(root, 'out')], io3), 0);
    assert.match(io3.stderrText(), /no crashes archived/);
    const io4 = captureIo();
    assert.equal(await runCli(['archive', fixturePath('kernel-6.1', 'shutdown', 'image.bin'), '--params', fixturePath('kernel-6.1', 'shutdown', 'params.json'), '--to', join(root, 'o'), '--unlink', '--no-config'], io4), 2);
    assert.match(io4.stderrText(), /an image is never changed/);
    assert.equal(readFileSync(join(root, 'src', 'dmesg-ramoops-0')).length > 0, true);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('Android pmsg framing gets logcat.txt; plain pmsg does not; ECC status reaches crash.json', async () => {
  const { encodePmsgRecord, textPayload, pmsgToLogcat, LogId, LogPriority } = await import('../src/core/logcat.js');
  const root = tmp();
  try {
    const src = join(root, 'src');
    source(src, [
      ['kernel-6.1', 'panic-ecc16-corrupt-correctable', 'dmesg-ramoops-0'],
      ['kernel-6.1-full', 'console-pmsg-ecc16', 'console-ramoops-0'],
    ]);
    const frame = (msg: string, nsec: number): Uint8Array => encodePmsgRecord({ logId: LogId.MAIN, uid: 1000, pid: 42, tid: 43, sec: 1704067200, nsec }, textPayload(LogPriority.INFO, 'app', msg));
    const pmsg = Buffer.concat([frame('started', 1), frame('about to crash', 2)]);
    writeFileSync(join(src, 'pmsg-ramoops-0'), pmsg);
    const io = captureIo();
    assert.equal(await runCli(['archive', src, '--to', join(root, 'out'), '--no-config'], io), 0, io.stderrText());
    const [dir] = readdirSync(join(root, 'out')).filter((n) => !n.startsWith('.'));
    const d = join(root, 'out', dir);
    assert.equal(readFileSync(join(d, 'logcat.txt'), 'utf8'), pmsgToLogcat(pmsg).text);
    assert.match(readFileSync(join(d, 'logcat.txt'), 'utf8'), /about to crash/);
    assert.deepEqual(readFileSync(join(d, 'console.txt')), readFileSync(join(src, 'console-ramoops-0')));
    const json = JSON.parse(readFileSync(join(d, 'crash.json'), 'utf8')) as { ecc: unknown; derived: string[]; files: { name: string }[] };
    assert.deepEqual(json.ecc, { corrected: 3, bad: 0 });
    assert.deepEqual(json.derived.sort(), ['console.txt', 'dmesg.txt', 'logcat.txt']);
    assert.equal(json.files.length, 3, 'console and pmsg belong to the dump of their boot');
    assert.ok(!readFileSync(join(d, 'dmesg.txt'), 'latin1').includes('ECC:'), 'the ECC notice is not log text');
    // The kernel-written pmsg of the full build is plain text and bytes: no logcat.txt.
    const src2 = join(root, 'src2');
    source(src2, [['kernel-6.1-full', 'console-pmsg-ecc16', 'pmsg-ramoops-0']]);
    assert.equal(await runCli(['archive', src2, '--to', join(root, 'out2'), '--no-config'], captureIo()), 0);
    const [dir2] = readdirSync(join(root, 'out2')).filter((n) => !n.startsWith('.'));
    assert.match(dir2, /^\d{8}T\d{6}Z-pmsg-kernel-no_dump-[0-9a-f]{8}$/);
    assert.deepEqual(readdirSync(join(root, 'out2', dir2)).sort(), ['crash.json', 'pmsg-ramoops-0']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('after systemd-pstore: records in its archive subdirectories are read, its own dmesg.txt is left alone', async () => {
  const root = tmp();
  try {
    const sd = join(root, 'var-lib-systemd-pstore');
    const efi = ['dmesg-efi-170406720901001', 'dmesg-efi-170406720902001', 'dmesg-efi-170406720903001'];
    source(join(sd, '170406720903001'), efi.map((n): [string, string, string] => ['efi-6.1', 'efi-panic', n]));
    writeFileSync(join(sd, '170406720903001', 'dmesg.txt'), 'systemd-pstore joined this\n');
    source(sd, [['kernel-6.1', 'panic-nocompress', 'dmesg-ramoops-0']]);
    const io = captureIo();
    assert.equal(await runCli(['archive', sd, '--to', join(root, 'out'), '--unlink', '--no-config'], io), 0, io.stderrText());
    const dirs = readdirSync(join(root, 'out')).filter((n) => !n.startsWith('.'));
    assert.equal(dirs.length, 2);
    const efiDir = dirs.find((d) => readdirSync(join(root, 'out', d)).includes(efi[0]));
    assert.ok(efiDir);
    assert.deepEqual(readdirSync(join(root, 'out', efiDir)).sort(), ['crash.json', 'dmesg.txt', ...efi].sort());
    assert.deepEqual(readdirSync(join(sd, '170406720903001')), ['dmesg.txt'], 'records removed, systemd-pstore\'s own file kept');
    assert.ok(!existsSync(join(sd, 'dmesg-ramoops-0')));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
