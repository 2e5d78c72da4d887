/** Zero-code adoption: `PSTORE_IMAGE=… node --import …/register.ts app` tees stdout/stderr/console.* and dumps on a crash. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RamoopsImage } from '../src/api/ramoopsImage.js';
import { openImageFile } from '../src/node/fileRegion.js';
import { recorderParams } from '../src/recorder/index.js';
import { ROOT } from './helpers/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'pstore-register-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const register = join(ROOT, 'src', 'recorder', 'register.ts');
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

function run(app: string, image: string, env: Record<string, string> = {}) {
  const file = join(dir, `app-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, app);
  return spawnSync(process.execPath, ['--import', 'tsx', '--import', register, file], { encoding: 'utf8', env: { ...process.env, PSTORE_IMAGE: image, ...env }, cwd: ROOT });
}

test('register captures console.log, console.error and process.stdout.write, keeps the real output, and dumps Panic on a throw', () => {
  const image = join(dir, 'reg.img');
  const r = run(
    `console.log('hello from console.log');
     process.stdout.write('raw stdout\\n');
     console.error('to stderr');
     setTimeout(() => { throw new Error('app crashed'); }, 1);`,
    image,
  );
  assert.equal(r.status, 1);
  assert.equal(r.stdout, 'hello from console.log\nraw stdout\n');
  assert.match(r.stderr, /^to stderr\n[\s\S]*Error: app crashed/);
  const img = new RamoopsImage(openImageFile(image), { params: recorderParams() });
  const con = dec(img.file('console-ramoops-0').content);
  assert.ok(con.startsWith('hello from console.log\nraw stdout\nto stderr\n'), con.slice(0, 80));
  // Node's own report of the crash, printed after the dump, is in the console zone too.
  assert.match(con, /Error: app crashed/);
  const dmesg = dec(img.file('dmesg-ramoops-0').content);
  assert.match(dmesg, /^Panic#1 Part1\n<14>\[[^\]]+\] hello from console.log\n<14>\[[^\]]+\] raw stdout\n<11>\[[^\]]+\] to stderr\n<8>\[[^\]]+\] Uncaught exception: Error: app crashed\n/);
});

test('register with max_reason 4: a normal exit dumps Shutdown and releases the lock; a locked image only warns', () => {
  const image = join(dir, 'exit.img');
  const r = run(`console.log('bye');`, image, { PSTORE_MAX_REASON: '4' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'bye\n');
  const img = new RamoopsImage(openImageFile(image), { params: { ...recorderParams(), max_reason: 4 } });
  assert.match(dec(img.file('dmesg-ramoops-0').content), /^Shutdown#1 Part1\n<14>\[[^\]]+\] bye\n/);
  // Lock released at exit: another run opens it (and reports nothing odd).
  const again = run(`console.log('again');`, image, { PSTORE_MAX_REASON: '4' });
  assert.equal(again.stderr, '');
  // A foreign file: the app still runs, with one line on stderr.
  const foreign = join(dir, 'foreign.img');
  writeFileSync(foreign, 'not an image');
  const f = run(`console.log('still running');`, foreign);
  assert.equal(f.status, 0);
  assert.equal(f.stdout, 'still running\n');
  assert.match(f.stderr, /^pstore: recorder not started: '.*foreign\.img' is 12 bytes but this layout needs 589824/);
});
