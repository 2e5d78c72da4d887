/**
 * MmapRegion (native/mmap.c): stores through the shared mapping are the file's
 * bytes (read back with readFileSync), at any, unaligned, offset; they survive
 * a SIGKILL that comes right after them; ranges, read-only mappings and closed
 * regions fail with typed errors, never a fault.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { PstoreError, TruncatedImageError, UsageError } from '../src/errors.js';
import { FileAccessError } from '../src/node/fileRegion.js';
import { loadMmapBinding, mapFileRegion, mmapUnavailableReason, openMmapRegion } from '../src/node/mmapRegion.js';
import { ROOT } from './helpers/fixtures.js';

const binding = loadMmapBinding();
// Outside CI a machine without a C compiler skips (and says why); CI has one, so there the addon's absence fails.
const skip = binding || process.env.CI ? false : `mmap addon not built (${mmapUnavailableReason()}): npm run build:native`;
if (!binding && process.env.CI) {
  test('the mmap addon is built (CI has a C compiler)', () => {
    assert.fail(`mmap addon not built: ${mmapUnavailableReason()}`);
  });
}
const dir = mkdtempSync(join(tmpdir(), 'pstore-mmap-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function fileOf(size: number, fill = 0): string {
  const path = join(dir, `f-${Math.random().toString(36).slice(2)}.bin`);
  writeFileSync(path, Buffer.alloc(size, fill));
  return path;
}

test('writes through the mapping are the file bytes (readFileSync), at unaligned offsets and lengths', { skip }, () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 9000 }), fc.integer({ min: 1, max: 9000 }), fc.array(fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 300 })), { maxLength: 12 }), (offset, length, writes) => {
      const size = 20000;
      const path = fileOf(size, 0x5a);
      const expect = Buffer.alloc(size, 0x5a);
      const region = openMmapRegion(path, { offset, length, write: true })!;
      assert.equal(region.size, length);
      for (const [at, data] of writes) {
        const o = at % length;
        const d = data.subarray(0, Math.min(data.length, length - o));
        region.write(o, d);
        expect.set(d, offset + o);
        // Reads are copies: writing into one never changes the mapping.
        const back = region.read(o, d.length);
        assert.deepEqual(back, d);
        back.fill(~back[0]);
      }
      // No msync needed: the page cache is what readFileSync sees.
      assert.deepEqual(readFileSync(path), expect);
      region.sync();
      region.close();
      region.close(); // idempotent
      assert.deepEqual(readFileSync(path), expect);
      rmSync(path);
    }),
    { numRuns: 40 },
  );
});

test('the file’s own writes show through the mapping; reads are copies', { skip }, () => {
  const path = fileOf(8192);
  const region = openMmapRegion(path)!;
  const fd = openSync(path, 'r+');
  writeFileSync(fd, Buffer.from('hello'), { flag: 'r+' });
  closeSync(fd);
  assert.equal(new TextDecoder().decode(region.read(0, 5)), 'hello');
  assert.equal(region.writable, false);
  region.close();
});

test('bad ranges, read-only mappings and closed regions give typed errors', { skip }, () => {
  const path = fileOf(5000);
  const region = openMmapRegion(path, { write: true })!;
  assert.equal(region.size, 5000);
  assert.throws(() => region.read(4990, 11), TruncatedImageError);
  assert.throws(() => region.write(-1, new Uint8Array(1)), TruncatedImageError);
  assert.throws(() => region.write(4999, new Uint8Array(2)), TruncatedImageError);
  region.close();
  assert.throws(() => region.read(0, 1), PstoreError);
  assert.throws(() => region.write(0, new Uint8Array(1)), PstoreError);
  region.sync(); // closed: nothing to flush, no fault

  const ro = openMmapRegion(path)!;
  assert.throws(() => ro.write(0, new Uint8Array(1)), UsageError);
  ro.close();

  assert.throws(() => openMmapRegion(path, { offset: 4000, length: 2000 }), UsageError);
  assert.throws(() => openMmapRegion(join(dir, 'missing.bin')), (e: unknown) => e instanceof FileAccessError && e.code === 'ENOENT');
  // The addon itself refuses a range past the end of the file (it would fault with SIGBUS).
  const fd = openSync(path, 'r');
  try {
    assert.throws(() => mapFileRegion(fd, path, 4096, 8192, false), (e: unknown) => e instanceof FileAccessError && /beyond the file/.test((e as Error).message));
  } finally {
    closeSync(fd);
  }
});

test('mapping and unmapping many times releases every mapping (no leak of address space)', { skip }, async () => {
  const path = fileOf(1 << 20);
  for (let i = 0; i < 3000; i++) openMmapRegion(path, { write: true, offset: 123 })!.close();
  await new Promise((r) => setTimeout(r, 50)); // finalizers run on the JS thread
  const maps = readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => l.includes(path)).length;
  assert.ok(maps <= 1, `${maps} mappings of the file still present`);
});

test('a child killed with SIGKILL right after its stores leaves them in the file', { skip }, () => {
  const src = join(dir, 'child.mts');
  const mod = pathToFileURL(join(ROOT, 'src', 'node', 'mmapRegion.ts')).href;
  writeFileSync(
    src,
    `import { openMmapRegion } from ${JSON.stringify(mod)};
     const [path, n] = process.argv.slice(2);
     const r = openMmapRegion(path, { offset: 100, length: 60000, write: true });
     for (let i = 0; i < Number(n); i++) r.write((i * 37) % 59000, new TextEncoder().encode('line ' + i + '\\n'));
     process.kill(process.pid, 'SIGKILL');`,
  );
  for (const n of [1, 500, 5000]) {
    const path = fileOf(70000);
    const r = spawnSync(process.execPath, ['--import', 'tsx', src, path, String(n)], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.signal, 'SIGKILL', r.stderr);
    const expect = Buffer.alloc(70000);
    for (let i = 0; i < n; i++) expect.write(`line ${i}\n`, 100 + ((i * 37) % 59000));
    assert.deepEqual(readFileSync(path), expect, `${n} writes`);
  }
});
