import type { Arch } from '../backends/ramoops/arch.js';

/**
 * `struct pstore_ftrace_record { unsigned long ip; unsigned long parent_ip; u64 ts; }`
 * and the way the kernel merges per-CPU logs and prints them.
 */
export function ftraceRecordSize(arch: Arch): number {
  return arch.wordSize * 2 + 8;
}

export interface FtraceRecord {
  ip: bigint;
  parentIp: bigint;
  cpu: number;
  /** Timestamp with the CPU bits removed (pstore_ftrace_read_timestamp). */
  ts: bigint;
}

const TS_CPU_SHIFT = 8n;
const TS_CPU_MASK = 0xffn;

export function decodeFtraceRecord(buf: Uint8Array, off: number, arch: Arch): FtraceRecord {
  const dv = new DataView(buf.buffer, buf.byteOffset + off, ftraceRecordSize(arch));
  const le = arch.littleEndian;
  const w = arch.wordSize;
  const word = (o: number): bigint => (w === 8 ? dv.getBigUint64(o, le) : BigInt(dv.getUint32(o, le)));
  const ip = word(0);
  const parentIp = word(w);
  const rawTs = dv.getBigUint64(2 * w, le);
  if (arch.cpuInIp) {
    // PSTORE_CPU_IN_IP: 0x3 on ARM with <= 4 CPUs (0x1 for Thumb with <= 2).
    return { ip, parentIp, cpu: Number(ip & 3n), ts: rawTs };
  }
  return { ip, parentIp, cpu: Number(rawTs & TS_CPU_MASK), ts: rawTs >> TS_CPU_SHIFT };
}

/** Encode one record as pstore_ftrace_call does (CPU in ts or ip). */
export function encodeFtraceRecord(rec: { ip: bigint; parentIp: bigint; cpu: number; ts: bigint }, arch: Arch): Uint8Array {
  const out = new Uint8Array(ftraceRecordSize(arch));
  const dv = new DataView(out.buffer);
  const le = arch.littleEndian;
  const w = arch.wordSize;
  const mask = w === 8 ? 0xffffffffffffffffn : 0xffffffffn;
  let ip = rec.ip & mask;
  let ts = rec.ts;
  if (arch.cpuInIp) ip |= BigInt(rec.cpu);
  else ts = ((ts << TS_CPU_SHIFT) | (BigInt(rec.cpu) & TS_CPU_MASK)) & 0xffffffffffffffffn;
  if (w === 8) {
    dv.setBigUint64(0, ip, le);
    dv.setBigUint64(8, rec.parentIp & mask, le);
  } else {
    dv.setUint32(0, Number(ip), le);
    dv.setUint32(4, Number(rec.parentIp & mask), le);
  }
  dv.setBigUint64(2 * w, ts & 0xffffffffffffffffn, le);
  return out;
}

function tsAt(buf: Uint8Array, off: number, arch: Arch): bigint {
  return decodeFtraceRecord(buf, off, arch).ts;
}

/**
 * pstore_ftrace_combine_log: merge `src` into `dest` by timestamp. Each log
 * first drops `length % record size` leading bytes; ties take the src record.
 */
export function combineFtraceLog(dest: Uint8Array, src: Uint8Array, arch: Arch): Uint8Array {
  const rs = ftraceRecordSize(arch);
  let d = dest.length % rs;
  let s = src.length % rs;
  const out = new Uint8Array(dest.length - d + src.length - s);
  let o = 0;
  while (d < dest.length && s < src.length) {
    if (tsAt(dest, d, arch) < tsAt(src, s, arch)) {
      out.set(dest.subarray(d, d + rs), o);
      d += rs;
    } else {
      out.set(src.subarray(s, s + rs), o);
      s += rs;
    }
    o += rs;
  }
  out.set(dest.subarray(d), o);
  o += dest.length - d;
  out.set(src.subarray(s), o);
  return out;
}

/** Kernel symbols from a System.map, for `%ps` / `%pS`. */
export class SymbolMap {
  private readonly addrs: bigint[];
  private readonly names: string[];
  constructor(entries: Array<{ addr: bigint; name: string }>) {
    const sorted = [...entries].sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
    this.addrs = sorted.map((e) => e.addr);
    this.names = sorted.map((e) => e.name);
  }

  /** Parse `ADDR TYPE NAME` lines (System.map or /proc/kallsyms). Unparseable lines are ignored. */
  static parse(text: string): SymbolMap {
    const entries: Array<{ addr: bigint; name: string }> = [];
    for (const line of text.split('\n')) {
      const m = /^([0-9a-fA-F]+)\s+(\S)\s+(\S+)/.exec(line);
      if (m) entries.push({ addr: BigInt('0x' + m[1]), name: m[3] });
    }
    return new SymbolMap(entries);
  }

  get size(): number {
    return this.addrs.length;
  }

  /** The symbol containing `addr`: its name, offset and size (distance to the next symbol). */
  lookup(addr: bigint): { name: string; offset: bigint; size: bigint } | null {
    let lo = 0;
    let hi = this.addrs.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.addrs[mid] <= addr) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) return null;
    // Symbols sharing an address: the size runs to the next distinct address.
    let next = found + 1;
    while (next < this.addrs.length && this.addrs[next] === this.addrs[found]) next++;
    if (next >= this.addrs.length) return null;
    return { name: this.names[found], offset: addr - this.addrs[found], size: this.addrs[next] - this.addrs[found] };
  }

  /** `%ps`: the bare name. */
  short(addr: bigint): string {
    const s = this.lookup(addr);
    return s ? s.name : `0x${addr.toString(16)}`;
  }

  /** `%pS`: name+0xOFF/0xSIZE. */
  long(addr: bigint): string {
    const s = this.lookup(addr);
    return s ? `${s.name}+0x${s.offset.toString(16)}/0x${s.size.toString(16)}` : `0x${addr.toString(16)}`;
  }
}

function hex8(v: bigint): string {
  return v.toString(16).padStart(8, '0');
}

/** One line of pstore_ftrace_seq_show. */
export function formatFtraceLine(rec: FtraceRecord, symbols: SymbolMap | null): string {
  const ps = symbols ? symbols.short(rec.ip) : `0x${rec.ip.toString(16)}`;
  const pS = symbols ? symbols.long(rec.parentIp) : `0x${rec.parentIp.toString(16)}`;
  return `CPU:${rec.cpu} ts:${rec.ts} ${hex8(rec.ip)}  ${hex8(rec.parentIp)}  ${ps} <- ${pS}\n`;
}

/**
 * The text of an ftrace file, as the kernel's seq_file walks it: records start
 * at `total % size` of the buffer that holds the log followed by the ECC notice
 * (`buf`, `total` = its length). In 6.1 the notice shifts the walk (a kernel bug);
 * pass the log alone to get the correct decode.
 */
export function formatFtraceText(buf: Uint8Array, arch: Arch, symbols: SymbolMap | null): Uint8Array {
  const rs = ftraceRecordSize(arch);
  const encoder = new TextEncoder();
  // Encoded in chunks: a large zone's text would exceed the engine's string length limit.
  const chunks: Uint8Array[] = [];
  let lines: string[] = [];
  let total = 0;
  const flush = (): void => {
    const bytes = encoder.encode(lines.join(''));
    chunks.push(bytes);
    total += bytes.length;
    lines = [];
  };
  for (let off = buf.length % rs; off + rs <= buf.length; off += rs) {
    lines.push(formatFtraceLine(decodeFtraceRecord(buf, off, arch), symbols));
    if (lines.length === 65536) flush();
  }
  flush();
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
