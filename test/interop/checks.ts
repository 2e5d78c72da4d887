// Assertions the interop test files share: a kernel file by name, zone 0 of a
// region read by hand, the real CLI's extract held to /sys/fs/pstore, and an
// image of ours read by the kernel exactly as predicted.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './initramfs.js';
import type { BuiltImage } from './images.js';
import { ourFiles, ourParams, regionAfterDiffs } from './ours.js';
import { diffKernelFiles, guestProfile, kernelRead, type KernelFile, type KernelView, type RamoopsParams } from './vm.js';

/** "DBGC": the persistent RAM zone signature (dmesg zones). */
export const SIG = 0x43474244;
const td = new TextDecoder('latin1');
export const text = (b: Uint8Array): string => td.decode(b);

/** The kernel's file `name`; fails listing what it shows instead. */
export function kernelFile(view: Pick<KernelView, 'files'> & { pstoreLog?: string[] }, name: string): KernelFile {
  const f = view.files.find((x) => x.name === name);
  assert.ok(f, `kernel shows no ${name}; it shows [${view.files.map((x) => x.name).join(', ')}]\n${(view.pstoreLog ?? []).join('\n')}`);
  return f;
}

/** Zone 0 as the crash boot left it: header and record header, read by hand. */
export function zone0(region: Uint8Array): { sig: number; start: number; size: number; header: string } {
  const dv = new DataView(region.buffer, region.byteOffset, region.byteLength);
  const nl = region.indexOf(0x0a, 12);
  return { sig: dv.getUint32(0, true), start: dv.getUint32(4, true), size: dv.getUint32(8, true), header: text(region.subarray(12, nl + 1)) };
}

/**
 * The real CLI on a region the kernel wrote: `pstore extract` writes the same
 * names, bytes and mtimes (sec + nsec) as the kernel's /sys/fs/pstore.
 */
export function cliExtractEqualsKernel(region: Uint8Array, params: RamoopsParams, view: KernelView): void {
  const dir = mkdtempSync(join(tmpdir(), 'hx-cli-'));
  try {
    const image = join(dir, 'region.bin');
    const paramsFile = join(dir, 'params.json');
    const out = join(dir, 'out');
    writeFileSync(image, region);
    writeFileSync(paramsFile, JSON.stringify({ ramoops: ourParams(params) }));
    const args = ['extract', image, out, '--params', paramsFile, '--kernel', guestProfile(view.kernel), '--compress', 'deflate', '--quiet'];
    execFileSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const names = readdirSync(out).sort();
    assert.deepEqual(names, view.files.map((f) => f.name).sort(), 'pstore extract: file names');
    for (const f of view.files) {
      const path = join(out, f.name);
      assert.ok(Buffer.from(readFileSync(path)).equals(Buffer.from(f.data)), `pstore extract: ${f.name} bytes`);
      const st = statSync(path, { bigint: true });
      assert.equal(st.mtimeNs, BigInt(f.mtimeEpoch) * 1_000_000_000n + BigInt(f.mtimeNsec), `pstore extract: ${f.name} mtime`);
      assert.equal((st.mode & 0o777n).toString(8), f.mode);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Boot the image's kernel on an image of ours: the files it shows equal what
 * our reader predicts (names, bytes, dmesg mtimes), and the region it leaves
 * equals our model of attach (zaps, re-signing, ECC repairs).
 */
export async function kernelReadsOurImage(b: BuiltImage): Promise<KernelView> {
  const ours = ourFiles(b.image, b.params, b.compress, b.kernel);
  assert.deepEqual(ours.map((f) => f.name), b.expect.names, 'our reader on our own image');
  const view = await kernelRead(b.image, b.params, { compress: b.compress, kernel: b.kernel });
  assert.deepEqual(view.files.map((f) => f.name).sort(), [...b.expect.names].sort(), view.pstoreLog.join('\n'));
  assert.deepEqual(diffKernelFiles(view.files, ours), []);
  assert.deepEqual(regionAfterDiffs(view, b.image, b.params), []);
  return view;
}
