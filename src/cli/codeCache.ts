/**
 * Starts the bundled `pstore` command (dist/bin/cli.js, CommonJS) through a
 * V8 code cache. Node 20 compiles a script from source on every start and
 * has no compile cache of its own (module.enableCompileCache is Node 22), so
 * a short command spent a fifth of its time parsing and compiling the bundle.
 *
 * The cache is V8's own serialized bytecode (vm.Script cachedData), kept per
 * user in $XDG_CACHE_HOME/linux-pstore (or ~/.cache/linux-pstore) and made at
 * the end of the first run, so it also holds the functions that run compiled.
 * It is not shipped: V8 rejects a cache made by another Node version, and it
 * would double the tarball. Its name carries the bundle's SHA-256 (V8 itself
 * only compares the source length), the Node version and the architecture;
 * and the command it runs (each command compiles other functions); writing
 * one removes those of other bundle or Node versions. PSTORE_CODE_CACHE=off
 * disables it. A cache never changes behaviour: a missing, unreadable,
 * unwritable or rejected one means compiling from source, as before.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';

/**
 * A cache file: MAGIC, the bundle's SHA-256, a checksum of V8's data, the data.
 * V8 checks versions, flags and the source length, but a release build does
 * not checksum the data it deserializes; a damaged file must not reach it.
 */
const MAGIC = 'pstore-v8-cache\n';
const HASH_BYTES = 32;
const DATA_SUM_BYTES = 8;
const CACHE_PREFIX = 'cli-';
const CACHE_SUFFIX = '.v8cache';

/** The bundle file next to the loader. */
export const BUNDLE_NAME = 'cli.js';

export interface CodeCacheEnv {
  PSTORE_CODE_CACHE?: string;
  XDG_CACHE_HOME?: string;
}

/** The cache bytes for `hashHex` (64 hex digits), or null when `file` is not one. */
export function cacheData(file: Uint8Array, hashHex: string): Uint8Array | null {
  const head = MAGIC.length + HASH_BYTES + DATA_SUM_BYTES;
  if (file.length <= head) return null;
  const bytes = Buffer.from(file.buffer, file.byteOffset, file.length);
  if (bytes.toString('latin1', 0, MAGIC.length) !== MAGIC) return null;
  if (bytes.toString('hex', MAGIC.length, MAGIC.length + HASH_BYTES) !== hashHex) return null;
  const data = bytes.subarray(head);
  return dataSum(data).equals(bytes.subarray(head - DATA_SUM_BYTES, head)) ? data : null;
}

/** The cache file holding V8's `data` for the bundle whose SHA-256 is `hashHex`. */
export function cacheFile(data: Uint8Array, hashHex: string): Uint8Array {
  return Buffer.concat([Buffer.from(MAGIC, 'latin1'), Buffer.from(hashHex, 'hex'), dataSum(data), data]);
}

/**
 * Fletcher-style sums over 32-bit words: any damage to a run of bytes shorter
 * than 2^32 words changes them. In JavaScript because loading node:crypto or
 * node:zlib for a hash would cost more start time than computing this.
 */
function dataSum(data: Uint8Array): Buffer {
  const words = data.length >>> 2;
  const aligned = data.byteOffset % 4 === 0 ? data : data.slice();
  const w = new Int32Array(aligned.buffer, aligned.byteOffset, words);
  let a = 1;
  let b = 0;
  // Four words a step: this runs once per start, before the JIT has warmed up.
  const quads = words & ~3;
  let i = 0;
  for (; i < quads; i += 4) {
    a = (a + w[i]) | 0;
    b = (b + a) | 0;
    a = (a + w[i + 1]) | 0;
    b = (b + a) | 0;
    a = (a + w[i + 2]) | 0;
    b = (b + a) | 0;
    a = (a + w[i + 3]) | 0;
    b = (b + a) | 0;
  }
  for (; i < words; i++) {
    a = (a + w[i]) | 0;
    b = (b + a) | 0;
  }
  for (let k = words * 4; k < data.length; k++) {
    a = (a + data[k]) | 0;
    b = (b + a) | 0;
  }
  const out = Buffer.alloc(DATA_SUM_BYTES);
  out.writeInt32LE(a, 0);
  out.writeInt32LE(b, 4);
  return out;
}

/** Where this user's cache for this bundle, Node and command lives (null: no home). */
export function userCachePath(hashHex: string, command: string, env: CodeCacheEnv): string | null {
  let base = env.XDG_CACHE_HOME;
  if (!base) {
    let home: string;
    try {
      home = homedir();
    } catch {
      return null;
    }
    if (!home) return null;
    base = join(home, '.cache');
  }
  return join(base, 'linux-pstore', `${CACHE_PREFIX}${hashHex.slice(0, 16)}-${process.version}-${process.arch}-${command}${CACHE_SUFFIX}`);
}

function readOrNull(path: string): Uint8Array | null {
  try {
    return readFileSync(path);
  } catch {
    return null;
  }
}

/**
 * Writes the cache atomically and removes those of other bundles or Node
 * versions, so the directory holds one per command at most; a cache is an
 * optimisation, so every failure is ignored.
 */
function writeCache(path: string, bytes: Uint8Array): void {
  const dir = dirname(path);
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
    const current = basename(path).slice(0, basename(path).lastIndexOf('-') + 1);
    for (const name of readdirSync(dir)) {
      if (!name.startsWith(current) && name.startsWith(CACHE_PREFIX) && name.endsWith(CACHE_SUFFIX)) unlinkSync(join(dir, name));
    }
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      // never created
    }
  }
}

/**
 * Runs the CommonJS bundle `dir/cli.js`, whose SHA-256 is `hashHex`, from this
 * user's code cache for `command` when V8 accepts it, and writes one when not.
 */
export function startCli(dir: string, hashHex: string, command: string, env: CodeCacheEnv = process.env): void {
  const file = join(dir, BUNDLE_NAME);
  const source = readFileSync(file, 'utf8');
  const off = env.PSTORE_CODE_CACHE === 'off' || env.PSTORE_CODE_CACHE === '0';
  const cachePath = off ? null : userCachePath(hashHex, command, env);
  const stored = cachePath ? readOrNull(cachePath) : null;
  const cachedData = stored ? cacheData(stored, hashHex) : null;

  // The wrapper CommonJS gives every module, so the bundle runs as if required
  // (its `#!` line, kept by esbuild, made a comment of the same length).
  const body = source.startsWith('#!') ? `//${source.slice(2)}` : source;
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${body}\n})`;
  const script = new Script(wrapped, { filename: file, cachedData: cachedData ?? undefined });
  if (cachePath && (!cachedData || script.cachedDataRejected)) {
    // After the command ran, the cache also holds the functions it compiled.
    process.once('exit', () => writeCache(cachePath, cacheFile(script.createCachedData(), hashHex)));
  }
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  const module = { exports: {} };
  run.call(module.exports, module.exports, createRequire(file), module, file, dir);
}
