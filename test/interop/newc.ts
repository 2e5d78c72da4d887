// A minimal writer for the cpio "newc" format the kernel unpacks as initramfs.
// Each entry: 110-byte ASCII header, name + NUL padded to 4, data padded to 4.

export type CpioEntry =
  | { kind: 'dir'; path: string; mode?: number }
  | { kind: 'file'; path: string; data: Uint8Array; mode?: number }
  | { kind: 'symlink'; path: string; target: string };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const encoder = new TextEncoder();

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

function pad4(n: number): number {
  return (4 - (n & 3)) & 3;
}

function header(ino: number, mode: number, nlink: number, fileSize: number, nameSize: number): string {
  // magic ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check
  return '070701' + [ino, mode, 0, 0, nlink, 0, fileSize, 0, 0, 0, 0, nameSize, 0].map(hex8).join('');
}

/** Serialise entries (paths without a leading slash) followed by the trailer. */
export function cpioNewc(entries: readonly CpioEntry[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const push = (b: Uint8Array): void => {
    chunks.push(b);
    total += b.length;
  };
  const pushPadded = (b: Uint8Array, headerLen: number): void => {
    push(b);
    const p = pad4(headerLen + b.length);
    if (p) push(new Uint8Array(p));
  };
  const emit = (ino: number, mode: number, nlink: number, name: string, data: Uint8Array): void => {
    const nameBytes = encoder.encode(name + '\0');
    const hdr = encoder.encode(header(ino, mode, nlink, data.length, nameBytes.length));
    push(hdr);
    pushPadded(nameBytes, hdr.length);
    if (data.length) pushPadded(data, 0);
  };
  let ino = 1;
  for (const e of entries) {
    const name = e.path.replace(/^\/+/, '');
    if (e.kind === 'dir') emit(ino++, S_IFDIR | (e.mode ?? 0o755), 2, name, new Uint8Array(0));
    else if (e.kind === 'file') emit(ino++, S_IFREG | (e.mode ?? 0o644), 1, name, e.data);
    else emit(ino++, S_IFLNK | 0o777, 1, name, encoder.encode(e.target));
  }
  emit(0, 0, 1, 'TRAILER!!!', new Uint8Array(0));
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}
