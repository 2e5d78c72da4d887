/**
 * src/cli/codeCache.ts: the packaged `pstore` starts its bundle through a
 * per-user V8 code cache. A cache is only ever an optimisation: every run
 * below must run the bundle exactly once, whatever state the cache is in.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cacheData, cacheFile, userCachePath } from '../src/cli/codeCache.js';
import { commandOf, COMMAND_NAMES } from '../src/cli/commands/names.js';
import { COMMANDS } from '../src/cli/commands/index.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const tmp = mkdtempSync(join(tmpdir(), 'pstore-codecache-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const HASH = createHash('sha256').update('bundle').digest('hex');

test('a cache file gives back its data only for its bundle, whole and unaltered', () => {
  const data = new Uint8Array(300).map((_, i) => i * 7);
  const file = cacheFile(data, HASH);
  assert.deepEqual(Uint8Array.from(cacheData(file, HASH) ?? []), data);
  const other = createHash('sha256').update('another bundle').digest('hex');
  assert.equal(cacheData(file, other), null, 'another bundle');
  assert.equal(cacheData(file.subarray(0, file.length - 1), HASH), null, 'truncated');
  const flipped = Uint8Array.from(file);
  flipped[flipped.length - 100] ^= 1;
  assert.equal(cacheData(flipped, HASH), null, 'one bit of the data');
  const magic = Uint8Array.from(file);
  magic[0] ^= 1;
  assert.equal(cacheData(magic, HASH), null, 'not a cache file');
  assert.equal(cacheData(new Uint8Array(0), HASH), null, 'empty');
});

test('the cache path names bundle, Node, architecture and command, under XDG_CACHE_HOME or ~/.cache', () => {
  const p = userCachePath(HASH, 'ls', { XDG_CACHE_HOME: '/x/cache' });
  assert.equal(p, `/x/cache/linux-pstore/cli-${HASH.slice(0, 16)}-${process.version}-${process.arch}-ls.v8cache`);
  const home = userCachePath(HASH, 'other', {});
  assert.ok(home?.endsWith(join('.cache', 'linux-pstore', `cli-${HASH.slice(0, 16)}-${process.version}-${process.arch}-other.v8cache`)), String(home));
});

test('the cache key is the command run: a registered one, else "other"', () => {
  assert.deepEqual(
    COMMANDS.map((c) => c.name),
    [...COMMAND_NAMES],
  );
  for (const name of COMMAND_NAMES) assert.equal(commandOf([name, 'x.bin']), name);
  for (const args of [[], ['--version'], ['help', 'ls'], ['lss'], ['--json', 'ls'], ['constructor'], ['__proto__']]) assert.equal(commandOf(args), null, args.join(' '));
});

// A stand-in bundle that records each run, and a child that starts it as bin.ts does.
const bundleDir = join(tmp, 'bin');
mkdirSync(bundleDir);
const bundleSource = `#!/usr/bin/env node\nrequire('node:fs').appendFileSync(process.env.RUNS, require('node:path').basename(__filename) + ' ' + typeof module.exports + '\\n');\nfunction f(a) { return a + 1; }\nf(1);\n`;
writeFileSync(join(bundleDir, 'cli.js'), bundleSource);
const bundleHash = createHash('sha256').update(bundleSource).digest('hex');
const child = join(tmp, 'start.ts');
writeFileSync(child, `import { startCli } from ${JSON.stringify(join(ROOT, 'src', 'cli', 'codeCache.ts'))};\nstartCli(process.argv[2], process.argv[3], process.argv[4]);\n`);

function start(env: Record<string, string>, command = 'ls'): { runs: string; stderr: string; status: number | null } {
  const runs = join(tmp, `runs-${Math.random().toString(36).slice(2)}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', child, bundleDir, bundleHash, command], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, PSTORE_CODE_CACHE: '', ...env, RUNS: runs },
  });
  return { runs: existsSync(runs) ? readFileSync(runs, 'utf8') : '', stderr: r.stderr, status: r.status };
}

test('first run writes the cache, later runs use it unchanged; damaged or foreign caches are replaced', () => {
  const xdg = join(tmp, 'xdg1');
  const path = userCachePath(bundleHash, 'ls', { XDG_CACHE_HOME: xdg })!;
  const first = start({ XDG_CACHE_HOME: xdg });
  assert.equal(first.status, 0, first.stderr);
  assert.equal(first.runs, 'cli.js object\n');
  const written = readFileSync(path);
  assert.ok(cacheData(written, bundleHash), 'a cache for this bundle');

  const second = start({ XDG_CACHE_HOME: xdg });
  assert.equal(second.runs, 'cli.js object\n');
  assert.deepEqual(readFileSync(path), written, 'an accepted cache is not rewritten');

  // Damaged: one flipped bit in V8's data. Foreign: made for another bundle.
  const damaged = Buffer.from(written);
  damaged[damaged.length - 1] ^= 0x80;
  const foreign = cacheFile(new Uint8Array(64), bundleHash);
  for (const bad of [damaged, foreign, Buffer.from('garbage')]) {
    writeFileSync(path, bad);
    const r = start({ XDG_CACHE_HOME: xdg });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.runs, 'cli.js object\n');
    assert.equal(r.stderr, '');
    assert.ok(cacheData(readFileSync(path), bundleHash), 'replaced by a good one');
  }
});

test('writing a cache removes those of other bundles and Nodes, keeps other commands', () => {
  const xdg = join(tmp, 'xdg2');
  const dir = join(xdg, 'linux-pstore');
  mkdirSync(dir, { recursive: true });
  const stale = [`cli-0123456789abcdef-${process.version}-${process.arch}-ls.v8cache`, `cli-${bundleHash.slice(0, 16)}-v0.0.1-${process.arch}-ls.v8cache`];
  const kept = [`cli-${bundleHash.slice(0, 16)}-${process.version}-${process.arch}-check.v8cache`, 'notes.txt'];
  for (const name of [...stale, ...kept]) writeFileSync(join(dir, name), 'x');
  assert.equal(start({ XDG_CACHE_HOME: xdg }).runs, 'cli.js object\n');
  assert.deepEqual(readdirSync(dir).sort(), [...kept, `cli-${bundleHash.slice(0, 16)}-${process.version}-${process.arch}-ls.v8cache`].sort());
});

test('no cache can be written or it is turned off: the command still runs, silently', () => {
  const blocker = join(tmp, 'a-file');
  writeFileSync(blocker, 'not a directory');
  const r = start({ XDG_CACHE_HOME: blocker });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.equal(r.runs, 'cli.js object\n');
  assert.ok(statSync(blocker).isFile());

  const xdg = join(tmp, 'xdg-off');
  for (const off of ['off', '0']) {
    const o = start({ XDG_CACHE_HOME: xdg, PSTORE_CODE_CACHE: off });
    assert.equal(o.runs, 'cli.js object\n');
    assert.equal(existsSync(xdg), false, `PSTORE_CODE_CACHE=${off} writes nothing`);
  }
});
