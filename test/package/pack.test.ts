/**
 * The package as a user gets it: `npm pack` (which runs `prepare`, the build),
 * then the tarball installed into an empty project without dev dependencies,
 * once where a C compiler works (the mmap addon is built) and once where it
 * does not (CC/CXX=/bin/false: the install still succeeds, with one warning
 * line). Needs npm's cache or the registry for the four runtime dependencies,
 * and gcc/make/python3 plus Node's headers for the addon.
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { captureIo } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/program.js';
import { ROOT } from '../helpers/fixtures.js';

const NAME = 'linux-pstore';
/** Upper bound on the tarball (gzip): the code, the viewer, a 1 MiB sample image (measured: ~0.56 MB). */
const MAX_TARBALL_BYTES = 600_000;
const ADDON = join('native', 'build', 'Release', 'pstore_mmap.node');
const WARNING = /^pstore: mmap addon not built \(.+\); the recorder uses positioned writes\. Log: native\/build-native\.log$/;
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const SAMPLE = ['sample/panic-ecc16.bin', '--params', 'sample/panic-ecc16.params.json'];
/** The recorder's default layout (README "Crash flight recorder"). */
const RECORDER_LAYOUT = ['--mem-size', '0x90000', '--record-size', '0x10000', '--console-size', '0x40000', '--ftrace-size', '0', '--pmsg-size', '0x10000', '--ecc', '16'];

/** The environment without npm's lifecycle variables (`npm run` sets them; a nested npm must read its own config). */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== 'INIT_CWD') env[k] = v;
  // The installed pstore keeps its code cache here, not in the user's ~/.cache.
  return { ...env, XDG_CACHE_HOME: join(work, 'xdg-cache'), ...extra };
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = cleanEnv()): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return r;
}

function ok(cmd: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): string {
  const r = run(cmd, args, cwd, env);
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} (in ${cwd}) failed with ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

/** An empty project with the tarball installed (--omit=dev); returns its directory and what npm printed. */
function installInto(tarball: string, env: NodeJS.ProcessEnv): { dir: string; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'pstore-pkg-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
  // --foreground-scripts: the install script's output is shown as a user sees it with logs on (npm hides it otherwise).
  const r = run('npm', ['install', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts', tarball], dir, env);
  const output = `${r.stdout}${r.stderr}`;
  assert.equal(r.status, 0, `npm install of the tarball failed:\n${output}`);
  return { dir, output };
}

/** The installed bin directly (npx itself is tested once; it costs seconds a call on a loaded machine). */
function pstore(dir: string, args: string[]): string {
  return ok(join(dir, 'node_modules', '.bin', 'pstore'), args, dir);
}

async function cli(args: string[]): Promise<string> {
  const io = captureIo();
  assert.equal(await runCli(args, io), 0, io.stderrText());
  return io.stdoutText();
}

let work = '';
let tarball = '';
let packedFiles: string[] = [];
let packedSize = 0;

before(() => {
  work = mkdtempSync(join(tmpdir(), 'pstore-pack-'));
  // `npm pack` runs `prepare` (tsc, vite, the CLI bundle): the tarball holds what the sources build to now.
  const json = ok('npm', ['pack', '--json', '--pack-destination', work], ROOT);
  const info = (JSON.parse(json.slice(json.indexOf('['))) as { filename: string; size: number; files: { path: string }[] }[])[0];
  tarball = join(work, info.filename);
  packedSize = info.size;
  packedFiles = info.files.map((f) => f.path);
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the tarball', () => {
  test(`is small and holds no tests or fixtures`, () => {
    assert.equal(statSync(tarball).size, packedSize);
    console.log(`# tarball ${packedSize} bytes (${(packedSize / 1024).toFixed(0)} KiB), ${packedFiles.length} files`);
    assert.ok(packedSize < MAX_TARBALL_BYTES, `tarball ${packedSize} bytes > ${MAX_TARBALL_BYTES}`);
    const unwanted = packedFiles.filter((p) => /^(test|src|bench|scripts|\.ci|docs)\//.test(p) || /fixtures|\.test\.|\.vm-cache|native\/build\//.test(p));
    assert.deepEqual(unwanted, []);
    for (const want of ['package.json', 'README.md', 'dist/bin/pstore.js', 'dist/bin/cli.js', 'dist/bin/package.json', 'dist/index.js', 'dist/node/index.js', 'dist/index.d.ts', 'dist/viewer/index.html', 'native/build.mjs', 'native/mmap.c', 'native/unixdgram.c', 'systemd/pstore-archive.service', 'dist/archive/index.js', 'sample/panic-ecc16.bin']) {
      assert.ok(packedFiles.includes(want), `${want} is packed`);
    }
  });
});

describe('installed where a compiler works', () => {
  let dir = '';
  let output = '';
  let pkg = '';
  before(() => {
    ({ dir, output } = installInto(tarball, cleanEnv()));
    pkg = join(dir, 'node_modules', NAME);
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('without dev dependencies, nothing built but the addon (dist is shipped)', () => {
    for (const dev of ['typescript', 'vite', 'tsx', 'esbuild', 'fast-check', 'playwright-core']) assert.ok(!existsSync(join(dir, 'node_modules', dev)), `${dev} installed`);
    assert.doesNotMatch(output, /\bvite\b|\btsc\b/);
    assert.ok(existsSync(join(pkg, ADDON)), `the mmap addon was built:\n${output}`);
    assert.doesNotMatch(output, /mmap addon not built/);
  });

  test('every shipped script is there, and no source map points at a missing file', () => {
    const files = walk(pkg).map((f) => relative(pkg, f).split(sep).join('/'));
    for (const f of files.filter((p) => p.endsWith('.js') && p.startsWith('dist/'))) {
      const m = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(join(pkg, f), 'utf8'));
      if (m) assert.ok(existsSync(join(pkg, f, '..', m[1])), `${f} names a missing map ${m[1]}`);
    }
    for (const f of files.filter((p) => p.endsWith('.map'))) {
      const map = JSON.parse(readFileSync(join(pkg, f), 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
      map.sources.forEach((s, i) => assert.ok(map.sourcesContent?.[i] != null || existsSync(join(pkg, f, '..', s)), `${f}: source ${s} missing`));
    }
  });

  test('npx pstore --version', () => {
    assert.equal(ok('npx', ['--no-install', 'pstore', '--version'], dir).trim(), VERSION);
  });

  test('npx pstore ls / read on the packaged sample print what the CLI from the sources prints', async () => {
    const packaged = SAMPLE.map((a) => (a.startsWith('sample/') ? join(pkg, a) : a));
    const ours = SAMPLE.map((a) => (a.startsWith('sample/') ? join(ROOT, a) : a));
    const ls = ok('npx', ['--no-install', 'pstore', 'ls', ...packaged], dir);
    assert.match(ls, /^dmesg-ramoops-0\s+27769\s+2024-01-01 00:00:09\.058434\s+deflate\s+ok$/m);
    assert.equal(ls, await cli(['ls', ...ours]));
    // `read` names the image it reads.
    const read = pstore(dir, ['read', ...packaged]).replaceAll(pkg, ROOT);
    assert.equal(read, await cli(['read', ...ours]));
    assert.match(read, /Kernel panic/);
  });

  test('the installed command keeps a code cache per command and prints the same with it', () => {
    const cacheDir = join(work, 'xdg-cache', 'linux-pstore');
    rmSync(cacheDir, { recursive: true, force: true });
    const packaged = SAMPLE.map((a) => (a.startsWith('sample/') ? join(pkg, a) : a));
    const first = pstore(dir, ['ls', ...packaged]);
    const caches = readdirSync(cacheDir);
    assert.deepEqual(
      caches.map((f) => f.replace(/^cli-[0-9a-f]{16}-/, 'cli-H-')),
      [`cli-H-${process.version}-${process.arch}-ls.v8cache`],
    );
    const written = readFileSync(join(cacheDir, caches[0]));
    assert.equal(pstore(dir, ['ls', ...packaged]), first);
    assert.deepEqual(readFileSync(join(cacheDir, caches[0])), written, 'the second run used the cache as it was');
    assert.equal(ok(join(dir, 'node_modules', '.bin', 'pstore'), ['ls', ...packaged], dir, cleanEnv({ PSTORE_CODE_CACHE: 'off' })), first);
  });

  test('a damaged installation (the bundle missing) says so in one line, exit 1', () => {
    const lone = mkdtempSync(join(tmpdir(), 'pstore-lone-'));
    try {
      for (const f of ['pstore.js', 'package.json']) writeFileSync(join(lone, f), readFileSync(join(pkg, 'dist', 'bin', f)));
      const r = run('node', [join(lone, 'pstore.js'), '--version'], dir);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /^pstore: cannot start: .*cli\.js.* \(reinstall linux-pstore\)\n$/);
    } finally {
      rmSync(lone, { recursive: true, force: true });
    }
  });

  test(`import { RamoopsImage } from '${NAME}' and '${NAME}/recorder' in an ES module`, () => {
    writeFileSync(
      join(dir, 'read.mjs'),
      `import { readFileSync } from 'node:fs';
import { MemoryRegion, RamoopsImage, paramsFromObject } from '${NAME}';
import { openRecorder, KMSG_DUMP_OOPS } from '${NAME}/recorder';
import { openImageFile } from '${NAME}/node';
const dir = new URL('./node_modules/${NAME}/sample/', import.meta.url);
const params = JSON.parse(readFileSync(new URL('panic-ecc16.params.json', dir), 'utf8'));
const image = new RamoopsImage(new MemoryRegion(readFileSync(new URL('panic-ecc16.bin', dir))), { params: paramsFromObject(params) });
const file = openImageFile(new URL('panic-ecc16.bin', dir).pathname);
const fromFile = new RamoopsImage(file, { params: paramsFromObject(params) }).files().map((f) => f.name);
file.close();
console.log(JSON.stringify({ files: image.files().map((f) => f.name), fromFile, openRecorder: typeof openRecorder, oops: KMSG_DUMP_OOPS }));
`,
    );
    assert.deepEqual(JSON.parse(ok('node', ['read.mjs'], dir)), { files: ['dmesg-ramoops-0'], fromFile: ['dmesg-ramoops-0'], openRecorder: 'function', oops: 2 });
  });

  test(`node --import ${NAME}/register leaves an image pstore reads (through the mmap addon)`, () => {
    writeFileSync(join(dir, 'app.mjs'), `import { getGlobalRecorder } from '${NAME}/recorder';\nconsole.log('hello from the app', getGlobalRecorder()?.io);\n`);
    const out = ok('node', ['--import', `${NAME}/register`, 'app.mjs'], dir, cleanEnv({ PSTORE_IMAGE: join(dir, 'app.img') }));
    assert.equal(out, 'hello from the app mmap\n');
    assert.match(pstore(dir, ['ls', 'app.img', ...RECORDER_LAYOUT]), /^console-ramoops-0 /m);
    assert.match(pstore(dir, ['cat', 'app.img', 'console-ramoops-0', ...RECORDER_LAYOUT]), /hello from the app mmap\n/);
  });

  test('TypeScript resolves the types of every entry point (tsc --noEmit, strict, NodeNext)', () => {
    writeFileSync(
      join(dir, 'check.ts'),
      `import { MemoryRegion, RamoopsImage, type PstoreFile } from '${NAME}';
import { openRecorder, type Recorder } from '${NAME}/recorder';
import { pstoreDestination } from '${NAME}/pino';
import { openImagePath, type FileRegion } from '${NAME}/node';
const image: RamoopsImage = new RamoopsImage(new MemoryRegion(new Uint8Array(4096)), { params: { record_size: 4096 } });
const files: PstoreFile[] = image.files();
const names: string[] = files.map((f) => f.name);
const open: (path: string) => Recorder = (p) => openRecorder(p);
// @ts-expect-error: a number is not a Region (fails only if the types resolve)
new RamoopsImage(42, {});
const opened: FileRegion = openImagePath('x.bin', { backend: 'auto' }).file;
export { names, open, pstoreDestination, opened };
`,
    );
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', noEmit: true, typeRoots: [join(ROOT, 'node_modules', '@types')], types: ['node'] },
        files: ['check.ts'],
      }),
    );
    const r = run('node', [TSC, '-p', 'tsconfig.json'], dir);
    assert.equal(r.status, 0, `tsc:\n${r.stdout}${r.stderr}`);
  });
});

describe('installed where no compiler works (CC=CXX=/bin/false)', () => {
  let dir = '';
  let output = '';
  before(() => {
    ({ dir, output } = installInto(tarball, cleanEnv({ CC: '/bin/false', CXX: '/bin/false' })));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the install succeeds with exactly one warning line and no addon', () => {
    const warnings = output.split('\n').filter((l) => /mmap addon/.test(l));
    assert.equal(warnings.length, 1, output);
    assert.match(warnings[0], WARNING);
    assert.ok(!existsSync(join(dir, 'node_modules', NAME, ADDON)));
    assert.ok(existsSync(join(dir, 'node_modules', NAME, 'native', 'build-native.log')));
  });

  test('the CLI and the recorder work without it (positioned writes)', () => {
    assert.equal(pstore(dir, ['--version']).trim(), VERSION);
    writeFileSync(join(dir, 'app.mjs'), `import { getGlobalRecorder } from '${NAME}/recorder';\nconsole.log('no addon here', getGlobalRecorder()?.io);\n`);
    assert.equal(ok('node', ['--import', `${NAME}/register`, 'app.mjs'], dir, cleanEnv({ PSTORE_IMAGE: join(dir, 'app.img') })), 'no addon here pwrite\n');
    assert.match(pstore(dir, ['cat', 'app.img', 'console-ramoops-0', ...RECORDER_LAYOUT]), /no addon here pwrite\n/);
  });
});
