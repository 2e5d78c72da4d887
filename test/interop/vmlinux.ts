// The guest kernel unpacked on the host: a bzImage decompresses itself in the
// guest, which under TCG takes longer than the rest of a boot (6.1's XZ
// payload: ~75 % of it on a busy host). QEMU boots the ELF inside directly
// through its PVH entry (CONFIG_PVH), so we hand it that, cached.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const XZ_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];
/** XEN_ELFNOTE_PHYS32_ENTRY: the PVH entry point QEMU looks for. */
const PHYS32_ENTRY_NOTE = 18;

function startsWith(b: Uint8Array, magic: readonly number[]): boolean {
  return magic.every((m, i) => b[i] === m);
}

/**
 * The compressed payload of a bzImage (boot protocol 2.08+: payload_offset
 * and payload_length in the setup header, relative to the protected-mode code).
 */
export function bzImagePayload(bz: Buffer): Buffer {
  if (bz.toString('latin1', 0x202, 0x206) !== 'HdrS' || bz.readUInt16LE(0x206) < 0x208) throw new Error('not a bzImage with boot protocol 2.08+');
  const setupSects = bz[0x1f1] || 4;
  const start = (setupSects + 1) * 512 + bz.readUInt32LE(0x248);
  const end = start + bz.readUInt32LE(0x24c);
  if (end > bz.length) throw new Error('bzImage payload runs past the file');
  return bz.subarray(start, end);
}

/** Whether an ELF64 image carries the PVH entry note (so QEMU's -kernel can boot it). */
export function hasPvhEntry(elf: Buffer): boolean {
  if (elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2) return false;
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36);
  for (let i = 0; i < elf.readUInt16LE(0x38); i++) {
    const ph = phoff + i * phentsize;
    if (elf.readUInt32LE(ph) !== 4) continue; // PT_NOTE
    let off = Number(elf.readBigUInt64LE(ph + 8));
    const end = off + Number(elf.readBigUInt64LE(ph + 32));
    while (off + 12 <= end) {
      const namesz = elf.readUInt32LE(off);
      const descsz = elf.readUInt32LE(off + 4);
      const type = elf.readUInt32LE(off + 8);
      const name = elf.toString('latin1', off + 12, off + 12 + namesz).replace(/\0+$/, '');
      if (name === 'Xen' && type === PHYS32_ENTRY_NOTE) return true;
      off += 12 + ((namesz + 3) & ~3) + ((descsz + 3) & ~3);
    }
  }
  return false;
}

/** Decompress the payload (XZ or zstd, as Debian builds them) with the host's tools; the kernel appends a 4-byte size. */
function unpack(payload: Buffer): Buffer {
  const opts = { input: payload, maxBuffer: 1 << 30, stdio: ['pipe', 'pipe', 'ignore'] as ('pipe' | 'ignore')[] };
  if (startsWith(payload, XZ_MAGIC)) return execFileSync('xz', ['-dc', '--single-stream'], opts);
  if (startsWith(payload, ZSTD_MAGIC)) return execFileSync('zstd', ['-dc'], { ...opts, input: payload.subarray(0, payload.length - 4) });
  throw new Error('payload is neither XZ nor zstd');
}

/**
 * The path QEMU's -kernel should get for `vmlinuz`: the unpacked ELF (cached in
 * `cacheDir`) when it has a PVH entry, else the bzImage itself (slower, same kernel).
 */
export function bootableKernel(vmlinuz: string, cacheDir: string): string {
  const st = statSync(vmlinuz);
  const name = `vmlinux-${basename(vmlinuz).replace(/^vmlinuz-/, '')}-${st.size}-${Math.floor(st.mtimeMs)}`;
  const out = join(cacheDir, name);
  if (existsSync(out)) return out;
  let elf: Buffer;
  try {
    elf = unpack(bzImagePayload(readFileSync(vmlinuz)));
    if (!hasPvhEntry(elf)) return vmlinuz;
  } catch {
    return vmlinuz; // no xz/zstd on the host, or an unusual image: the guest decompresses it
  }
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  writeFileSync(tmp, elf);
  renameSync(tmp, out);
  const stem = `vmlinux-${basename(vmlinuz).replace(/^vmlinuz-/, '')}-`;
  for (const n of readdirSync(cacheDir)) if (n.startsWith(stem) && n !== name && !n.endsWith('.tmp')) rmSync(join(cacheDir, n), { force: true });
  return out;
}
