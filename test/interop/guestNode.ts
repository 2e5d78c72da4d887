// The host's node and coreutils touch, the shared libraries `ldd` lists for them, and our CLI built
// with tsc (plus its runtime dependencies), as initramfs entries: a guest boot
// with BootOptions.extraEntries = guestNodeEntries() can run
// `/hx/node /hx/app/dist/cli/main.js …` on its own /sys/fs/pstore.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, VM_CACHE, VmSetupError } from './initramfs.js';
import type { CpioEntry } from './newc.js';

let cached: CpioEntry[] | undefined;

/** Every parent directory of `paths` (no leading slash), parents first. */
function dirsOf(paths: string[]): CpioEntry[] {
  const dirs = new Set<string>();
  for (const p of paths) {
    const parts = p.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return [...dirs].sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b)).map((path) => ({ kind: 'dir', path }));
}

function walk(dir: string, into: string, out: CpioEntry[]): void {
  for (const name of readdirSync(dir)) {
    const src = join(dir, name);
    const st = statSync(src);
    if (st.isDirectory()) walk(src, `${into}/${name}`, out);
    else if (st.isFile()) out.push({ kind: 'file', path: `${into}/${name}`, data: readFileSync(src), mode: st.mode & 0o777 });
  }
}

/** Libraries the dynamic linker loads for `binary`: [path in the guest, host file]. */
function lddLibraries(binary: string): [string, string][] {
  const out = execFileSync('ldd', [binary], { encoding: 'utf8' });
  const libs: [string, string][] = [];
  for (const line of out.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m?.[1]) libs.push([m[1].slice(1), realpathSync(m[1])]);
  }
  if (!libs.some(([p]) => p.includes('ld-linux'))) throw new VmSetupError(`ldd ${binary}: no dynamic loader listed`);
  return libs;
}

/** The guest entries (built once per process; tsc output cached under .vm-cache/guest-app-<pid>). */
export function guestNodeEntries(): CpioEntry[] {
  if (cached) return cached;
  const node = realpathSync(process.execPath);
  const app = join(VM_CACHE, `guest-app-${process.pid}`);
  rmSync(app, { recursive: true, force: true });
  mkdirSync(app, { recursive: true });
  try {
    execFileSync(process.execPath, [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(REPO_ROOT, 'tsconfig.build.json'), '--outDir', join(app, 'dist'), '--sourceMap', 'false', '--declaration', 'false', '--declarationMap', 'false'], { cwd: REPO_ROOT, stdio: 'pipe' });
    // coreutils touch replaces busybox's: it sets nanosecond mtimes (pstore/blk record times), as on a real system.
    const touch = realpathSync('/usr/bin/touch');
    const files: CpioEntry[] = [
      { kind: 'file', path: 'hx/node', data: readFileSync(node), mode: 0o755 },
      { kind: 'file', path: 'bin/touch', data: readFileSync(touch), mode: 0o755 },
    ];
    const libs = new Map([...lddLibraries(node), ...lddLibraries(touch)]);
    for (const [guest, host] of libs) files.push({ kind: 'file', path: guest, data: readFileSync(host), mode: 0o755 });
    walk(join(app, 'dist'), 'hx/app/dist', files);
    files.push({ kind: 'file', path: 'hx/app/package.json', data: readFileSync(join(REPO_ROOT, 'package.json')) });
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const dep of Object.keys(pkg.dependencies ?? {})) {
      const dir = realpathSync(join(REPO_ROOT, 'node_modules', dep));
      if (!existsSync(dir)) throw new VmSetupError(`dependency ${dep} is not installed (npm ci)`);
      walk(dir, `hx/app/node_modules/${dep}`, files);
    }
    // The base initramfs has /bin, /lib, /hx and /tmp already; a dir entry again is harmless.
    cached = [...dirsOf(files.map((f) => f.path)), ...files];
    return cached;
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
}

/** Total bytes of the entries (for the log). */
export function entriesSize(entries: readonly CpioEntry[]): number {
  return entries.reduce((n, e) => n + (e.kind === 'file' ? e.data.length : 0), 0);
}

