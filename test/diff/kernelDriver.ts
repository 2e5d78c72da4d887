/**
 * The kernel's decoders as a subprocess: builds test/diff/driver.c against
 * the C of Debian's linux-source-6.1 (extracted at test time into a cache
 * directory, never committed: GPL) and talks to it over a pipe in batches.
 *
 * Needs: /usr/src/linux-source-6.1.tar.xz (apt: linux-source-6.1) or
 * PSTORE_KSRC pointing at an extracted tree, and a C compiler (gcc or cc).
 * .ci/run installs both; a missing one is an error here, never a skip.
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const HERE = import.meta.dirname;
const ROOT = resolve(HERE, '..', '..');
const TARBALL = process.env.PSTORE_KSRC_TARBALL ?? '/usr/src/linux-source-6.1.tar.xz';
const CACHE = process.env.PSTORE_DIFF_CACHE ?? join(ROOT, '.diff-cache');

/** The kernel files the driver compiles (sources and the headers they include by name). */
const KERNEL_FILES = [
  'include/linux/rslib.h',
  'include/linux/zutil.h',
  'include/linux/zlib.h',
  'include/linux/zconf.h',
  'include/linux/lzo.h',
  'include/linux/lz4.h',
  'lib/reed_solomon/reed_solomon.c',
  'lib/reed_solomon/decode_rs.c',
  'lib/reed_solomon/encode_rs.c',
  'lib/zlib_inflate/inflate.c',
  'lib/zlib_inflate/inffast.c',
  'lib/zlib_inflate/inftrees.c',
  'lib/zlib_inflate/inflate.h',
  'lib/zlib_inflate/inffast.h',
  'lib/zlib_inflate/inftrees.h',
  'lib/zlib_inflate/infutil.h',
  'lib/zlib_inflate/inffixed.h',
  'lib/lzo/lzo1x_decompress_safe.c',
  'lib/lzo/lzodefs.h',
  'lib/lz4/lz4_decompress.c',
  'lib/lz4/lz4defs.h',
];
const SOURCES = ['lib/reed_solomon/reed_solomon.c', 'lib/zlib_inflate/inflate.c', 'lib/zlib_inflate/inffast.c', 'lib/zlib_inflate/inftrees.c', 'lib/lzo/lzo1x_decompress_safe.c', 'lib/lz4/lz4_decompress.c'];

export class DiffSetupError extends Error {}

/** A directory holding KERNEL_FILES: PSTORE_KSRC, or extracted from the tarball once into the cache. */
function kernelTree(): string {
  const given = process.env.PSTORE_KSRC;
  if (given) {
    for (const f of KERNEL_FILES) if (!existsSync(join(given, f))) throw new DiffSetupError(`PSTORE_KSRC=${given} lacks ${f}`);
    return given;
  }
  const dir = join(CACHE, 'linux-6.1');
  if (KERNEL_FILES.every((f) => existsSync(join(dir, f)))) return dir;
  if (!existsSync(TARBALL)) throw new DiffSetupError(`${TARBALL} is missing: apt-get install linux-source-6.1 (or set PSTORE_KSRC to an extracted 6.1 tree)`);
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  execFileSync('tar', ['-xJf', TARBALL, '-C', tmp, '--strip-components=1', ...KERNEL_FILES.map((f) => `linux-source-6.1/${f}`)], { stdio: 'inherit' });
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return dir;
}

function compiler(): string {
  for (const cc of [process.env.CC, 'gcc', 'cc'].filter(Boolean) as string[]) {
    try {
      execFileSync(cc, ['--version'], { stdio: 'ignore' });
      return cc;
    } catch {
      // try the next one
    }
  }
  throw new DiffSetupError('no C compiler (gcc or cc): apt-get install gcc libc6-dev');
}

/** Builds the driver once per (driver source, shim, kernel files) and returns its path. */
export function buildDriver(): string {
  const tree = kernelTree();
  const shim = join(HERE, 'shim');
  const h = createHash('sha256');
  for (const f of [join(HERE, 'driver.c'), join(shim, 'kshim.h'), ...KERNEL_FILES.map((f) => join(tree, f))]) h.update(readFileSync(f));
  const dir = join(CACHE, `driver-${h.digest('hex').slice(0, 16)}`);
  const exe = join(dir, 'driver');
  if (existsSync(exe)) return exe;
  const cc = compiler();
  const work = `${dir}.tmp-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(join(work, 'linux'), { recursive: true });
  for (const f of KERNEL_FILES.filter((f) => f.startsWith('include/linux/'))) copyFileSync(join(tree, f), join(work, 'linux', f.slice('include/linux/'.length)));
  const flags = [
    '-O2', '-w', `-I${work}`, `-I${shim}`, '-include', join(shim, 'kshim.h'),
    '-DCONFIG_REED_SOLOMON_DEC8', '-DCONFIG_REED_SOLOMON_ENC8', '-DCONFIG_64BIT', '-DCONFIG_X86_64', '-DCONFIG_X86',
  ];
  const objs: string[] = [];
  for (const src of [...SOURCES.map((s) => join(tree, s)), join(HERE, 'driver.c')]) {
    const obj = join(work, `${objs.length}.o`);
    try {
      execFileSync(cc, [...flags, '-c', src, '-o', obj], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      throw new DiffSetupError(`compiling ${src} failed: ${String((e as { stderr?: Buffer }).stderr ?? e)}`);
    }
    objs.push(obj);
  }
  execFileSync(cc, ['-o', join(work, 'driver'), ...objs]);
  rmSync(dir, { recursive: true, force: true });
  renameSync(work, dir);
  return exe;
}

export const enum Op {
  Flush = 0,
  Rs = 1,
  Inflate61 = 2,
  Inflate66 = 3,
  Lzo = 4,
  Lz4 = 5,
}

export interface Request {
  op: Op;
  a: number;
  b: number;
  payload: Uint8Array;
}

export interface Response {
  ret: number;
  aux1: number;
  aux2: number;
  out: Uint8Array;
}

/** One driver process; `run` sends a batch and resolves with the answers in order. */
export class KernelDecoders {
  private readonly child: ChildProcessWithoutNullStreams;
  private pending: Buffer = Buffer.alloc(0);
  private waiting: { n: number; got: Response[]; resolve: (r: Response[]) => void; reject: (e: Error) => void } | null = null;
  private dead: Error | null = null;

  constructor(exe = buildDriver()) {
    this.child = spawn(exe, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    this.child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    this.child.stdout.on('data', (d: Buffer) => {
      this.pending = this.pending.length ? Buffer.concat([this.pending, d]) : d;
      this.drain();
    });
    this.child.on('exit', (code, signal) => {
      this.dead = new Error(`kernel driver exited (${code ?? signal}): ${stderr.trim()}`);
      this.waiting?.reject(this.dead);
      this.waiting = null;
    });
  }

  private drain(): void {
    const w = this.waiting;
    if (!w) return;
    let p = this.pending;
    let off = 0;
    while (w.got.length < w.n && p.length - off >= 16) {
      const len = p.readUInt32LE(off + 12);
      if (p.length - off < 16 + len) break;
      w.got.push({ ret: p.readInt32LE(off), aux1: p.readUInt32LE(off + 4), aux2: p.readUInt32LE(off + 8), out: new Uint8Array(p.subarray(off + 16, off + 16 + len)) });
      off += 16 + len;
    }
    p = p.subarray(off);
    this.pending = p;
    if (w.got.length === w.n) {
      this.waiting = null;
      w.resolve(w.got);
    }
  }

  run(requests: readonly Request[]): Promise<Response[]> {
    if (this.dead) return Promise.reject(this.dead);
    const size = requests.reduce((n, r) => n + 16 + r.payload.length, 16);
    const buf = Buffer.alloc(size);
    let off = 0;
    for (const r of requests) {
      buf.writeUInt32LE(r.op, off);
      buf.writeInt32LE(r.a, off + 4);
      buf.writeUInt32LE(r.b, off + 8);
      buf.writeUInt32LE(r.payload.length, off + 12);
      buf.set(r.payload, off + 16);
      off += 16 + r.payload.length;
    }
    buf.writeUInt32LE(Op.Flush, off);
    return new Promise((resolve, reject) => {
      this.waiting = { n: requests.length, got: [], resolve, reject };
      this.child.stdin.write(buf);
      this.drain();
    });
  }

  close(): void {
    this.child.stdin.end();
  }
}
