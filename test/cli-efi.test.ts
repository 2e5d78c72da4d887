/**
 * efi-pstore through the CLI (`--backend efi`, `--auto`, `scan`): the
 * efi-6.1 fixtures extracted byte for byte with the kernel's mtimes, check's
 * store health, dump and rm in place, and one-line refusals that leave the
 * file untouched.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { captureIo } from '../src/cli/io.js';
import { runCli } from '../src/cli/program.js';
import { fixturePath, readFixture, readFixtureJson } from './helpers/fixtures.js';

interface MetaFile {
  name: string;
  mtime_epoch: number;
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo(new Date('2030-01-01T00:00:00Z'));
  const code = await runCli(args, io);
  return { code, out: io.stdoutText(), err: io.stderrText() };
}

const tmp = mkdtempSync(join(tmpdir(), 'pstore-efi-cli-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

function copyOf(scenario: string, name: string): string {
  const p = join(tmp, name);
  copyFileSync(fixturePath('efi-6.1', scenario, 'varstore.fd'), p);
  return p;
}

for (const sc of ['efi-panic', 'efi-two-panics', 'efi-erase']) {
  for (const how of [['--backend', 'efi'], ['--auto']]) {
    test(`${sc}: extract ${how.join(' ')} equals expected/ byte for byte, mtimes included`, async () => {
      const out = join(tmp, `${sc}${how[0]}`);
      const r = await cli(['extract', fixturePath('efi-6.1', sc, 'varstore.fd'), out, ...how]);
      assert.equal(r.code, 0, r.err);
      const expected = readdirSync(fixturePath('efi-6.1', sc, 'expected')).sort();
      assert.deepEqual(readdirSync(out).sort(), expected);
      const meta = readFixtureJson<{ files: MetaFile[] }>('efi-6.1', sc, 'meta.json');
      for (const name of expected) {
        const path = join(out, name);
        assert.ok(readFileSync(path).equals(readFileSync(fixturePath('efi-6.1', sc, 'expected', name))), name);
        const st = statSync(path);
        assert.equal(st.mode & 0o777, 0o444);
        assert.equal(st.mtimeMs / 1000, meta.files.find((f) => f.name === name)!.mtime_epoch);
      }
      if (how[0] === '--auto') assert.match(r.err, /--auto: EFI variable store at offset 0x0 \(confidence 1\.00\)/);
    });
  }
}

test('a flash dump: the store at an odd offset between random bytes and 0xFF is found by scan and read by --auto', async () => {
  const fd = readFixture('efi-6.1', 'efi-panic', 'varstore.fd');
  const rnd = new Uint8Array(123457);
  for (let i = 0; i < rnd.length; i++) rnd[i] = (i * 2654435761) >>> 24;
  const big = new Uint8Array(rnd.length + fd.length + 70001).fill(0xff);
  big.set(rnd, 0);
  big.set(fd, rnd.length);
  const path = join(tmp, 'flash.bin');
  writeFileSync(path, big);
  const s = await cli(['scan', path]);
  assert.equal(s.code, 0, s.err);
  assert.match(s.out, new RegExp(`region 1 at offset 0x${rnd.length.toString(16)}  confidence 1\\.00  EFI variable store`));
  assert.match(s.out, /15 efi-pstore/);
  assert.match(s.out, new RegExp(`pstore extract ${path} OUT --backend efi --offset 0x${rnd.length.toString(16)}`));
  const json = JSON.parse((await cli(['scan', path, '--json'])).out) as { regions: Array<{ backend: string; offset: number; records: string[] }> };
  const efi = json.regions.filter((r) => r.backend === 'efi');
  assert.equal(efi.length, 1);
  assert.equal(efi[0].offset, rnd.length);
  const ls = await cli(['ls', path, '--auto', '--json']);
  assert.equal(ls.code, 0, ls.err);
  assert.deepEqual(
    (JSON.parse(ls.out) as Array<{ name: string }>).map((f) => f.name),
    efi[0].records,
  );
  const cat = await cli(['cat', path, efi[0].records[0], '--backend', 'efi', '--offset', String(rnd.length)]);
  assert.equal(cat.out, readFileSync(fixturePath('efi-6.1', 'efi-panic', 'expected', efi[0].records[0]), 'utf8'));
});

test('check --backend efi: free, used, deleted-but-not-reclaimed bytes; --json; exit 0 on a sound store', async () => {
  const r = await cli(['check', fixturePath('efi-6.1', 'efi-erase', 'after.fd'), '--backend', 'efi']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /variables: 24 added, 0 in deletion, 0 header-only, 43 deleted/);
  assert.match(r.out, /deleted \(0x3d\)\s+780  dump-type0-1-1-1704067209-C/);
  assert.match(r.out, /efi-pstore: 0 records shown by Linux/);
  const j = JSON.parse((await cli(['check', fixturePath('efi-6.1', 'efi-panic', 'varstore.fd'), '--backend', 'efi', '--json'])).out) as Record<string, unknown>;
  assert.equal(j.ok, true);
  assert.equal(j.freeBytes, 0x40000 - 0x6998);
  assert.equal(j.pstoreVariables, 15);
  assert.equal(j.reclaimableBytes, 3800);
  assert.deepEqual(j.ftw, { offset: 0x41000, crcOk: true, valid: true });
});

test('check exits 1 on damage (garbage in the free area, a header running past the store) and names the offset', async () => {
  const p = copyOf('efi-panic', 'damaged.fd');
  const b = readFileSync(p);
  b.write('junk', 0x7000, 'latin1');
  writeFileSync(p, b);
  const r = await cli(['check', p, '--backend', 'efi']);
  assert.equal(r.code, 1);
  assert.match(r.out, /damaged: store at 0x48: 4 bytes of the free area after the last variable are not erased/);
  assert.match(r.err, /^pstore: the variable store is damaged \(1 problem\)\n$/);
  // Linux still reads it; the read commands work.
  assert.equal((await cli(['ls', p, '--backend', 'efi'])).code, 0);
  // Writes are refused, file untouched.
  const before = readFileSync(p);
  writeFileSync(join(tmp, 'log.txt'), '<6>[    1.000000] hello\n');
  for (const args of [
    ['dump', p, '--backend', 'efi', '--reason', 'panic', '--log', join(tmp, 'log.txt')],
    ['rm', p, 'dmesg-efi-170406720901001', '--backend', 'efi'],
  ]) {
    const w = await cli(args);
    assert.equal(w.code, 1);
    assert.match(w.err, /^pstore: .*variable store is damaged, not writing: store at 0x48: 4 bytes of the free area/);
    assert.equal(w.err.split('\n').length, 2);
  }
  assert.ok(readFileSync(p).equals(before));
});

test('dump --backend efi appends the parts as variables; ls shows them; rm deletes one; both in place', async () => {
  const p = copyOf('efi-panic', 'dump.fd');
  const log = join(tmp, 'dump-log.txt');
  writeFileSync(log, Array.from({ length: 200 }, (_, i) => `<4>[  ${i}.000000] crash line ${i} ${'y'.repeat(i % 60)}`).join('\n') + '\n');
  const d = await cli(['dump', p, '--backend', 'efi', '--reason', 'panic', '--log', log, '--compress', 'deflate', '--time', '1704070000']);
  assert.equal(d.code, 0, d.err);
  assert.match(d.out, /^dmesg-efi-170407000001001: Panic#1 Part1, \d+ bytes of data \(deflate-compressed, \d+ bytes of text\) in variable dump-type0-1-1-1704070000-C at 0x6998\n/);
  const ls = JSON.parse((await cli(['ls', p, '--backend', 'efi', '--json'])).out) as Array<{ name: string; mtime_epoch: number }>;
  const ours = ls.filter((f) => f.name.startsWith('dmesg-efi-1704070000'));
  assert.equal(ours.length, d.out.trim().split('\n').length);
  assert.ok(ours.every((f) => f.mtime_epoch === 1704070000));
  const rm = await cli(['rm', p, ours[0].name, '--backend', 'efi']);
  assert.equal(rm.code, 0, rm.err);
  assert.match(rm.out, /deleted variable dump-type0-1-1-1704070000-C \(State now DELETED\)/);
  const after = JSON.parse((await cli(['ls', p, '--backend', 'efi', '--json'])).out) as Array<{ name: string }>;
  assert.equal(after.length, ls.length - 1);
  assert.ok(!after.some((f) => f.name === ours[0].name));
});

test('usage errors: zone flags with --backend efi, console/pmsg writes, --force; exit 2, one line', async () => {
  const p = copyOf('efi-panic', 'usage.fd');
  const before = readFileSync(p);
  writeFileSync(join(tmp, 'c.txt'), 'x\n');
  for (const args of [
    ['ls', p, '--backend', 'efi', '--ecc', '16'],
    ['write', p, '--backend', 'efi', '--console', join(tmp, 'c.txt')],
    ['dump', p, '--backend', 'efi', '--reason', 'panic', '--log', join(tmp, 'c.txt'), '--force'],
  ]) {
    const r = await cli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.equal(r.err.split('\n').length, 2, r.err);
  }
  assert.ok(readFileSync(p).equals(before));
  const notStore = join(tmp, 'zeros.bin');
  writeFileSync(notStore, new Uint8Array(4096));
  const r = await cli(['ls', notStore, '--backend', 'efi']);
  assert.equal(r.code, 1);
  assert.match(r.err, /^pstore: offset 0x0: not an EDK2 variable store: no _FVH firmware volume header and no variable store signature there \(pstore scan finds stores inside larger files\)\n$/);
});
