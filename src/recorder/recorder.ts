/**
 * The crash flight recorder: a ramoops region in a file, written the way a
 * running kernel writes its own. Opening attaches like a boot (previous
 * records are read and kept, console and pmsg are reset), every console line
 * is in the file's page cache before the call returns (stores into a shared
 * mapping, or positioned writes: either outlives a killed process), and
 * dump() runs the pstore dump path into the next dmesg zone.
 */
import { closeSync, constants, fstatSync, openSync } from 'node:fs';
import { RamoopsImage } from '../api/ramoopsImage.js';
import { kernelProfile } from '../backends/ramoops/kernelProfile.js';
import { ramoopsLayout, type RamoopsLayout, type RamoopsParams } from '../backends/ramoops/layout.js';
import { Ramoops, przOptions } from '../backends/ramoops/ramoops.js';
import { Pstore } from '../core/platform.js';
import type { RecordTime } from '../core/record.js';
import { LayoutError, PstoreError, UsageError } from '../errors.js';
import { DumperRegistry, LogBuffer } from '../frontends/index.js';
import { allocateFile, describeFsError, FileRegion } from '../node/fileRegion.js';
import { mapFileRegion, mmapUnavailableReason, MmapRegion } from '../node/mmapRegion.js';
import type { Region } from '../region/region.js';
import { PersistentRamZone } from '../zone/persistentRamZone.js';
import { ConsoleZoneWriter } from './consoleWriter.js';
import { installRecorderDeflate } from './deflate.js';
import { installCrashHooks, type CrashHookOptions } from './hooks.js';
import { lockImage, type ImageLock } from '../node/imageLock.js';
import { previousRecord, type PreviousRecord } from './previous.js';

/** Recorder layout defaults: 4 × 64 KiB dmesg records, 256 KiB console, 64 KiB pmsg, ECC 16, no ftrace. */
export const RECORDER_DEFAULTS = {
  record_size: 0x10000,
  dmesg_count: 4,
  console_size: 0x40000,
  pmsg_size: 0x10000,
  ftrace_size: 0,
  ecc: 16,
  /** Panic and Oops only, like the kernel; 4 (Shutdown) also dumps on SIGTERM/SIGINT/exit. */
  max_reason: 2,
} as const;

export interface RecorderOptions {
  /** ramoops parameters; mem_size defaults to dmesg_count × record_size + console + pmsg + ftrace. */
  params?: Partial<RamoopsParams>;
  /** dmesg zones when mem_size is not given (default 4). */
  dmesgCount?: number;
  /** Kernel profile deciding zone order and format details (default '6.1'). */
  kernel?: string;
  /** pstore.compress for dumps: 'deflate' (default, what the kernel uses) or 'none'. */
  compress?: 'deflate' | 'none';
  /** Reformat an image whose layout does not match instead of refusing it. */
  overwrite?: boolean;
  /** pstore.kmsg_bytes (default 10240). */
  kmsgBytes?: number;
  /** log2 of the in-memory log buffer (default 17: 128 KiB). */
  logBufShift?: number;
  /** Syslog facility of logged lines in dumps (default 1, user, as /dev/kmsg gives user space). */
  facility?: number;
  /** Wall clock for dump record times (tests, reproducible images). */
  clock?: () => RecordTime;
  /** Log timestamps (ns since process start); default performance.now(). */
  uptimeNs?: () => number;
  /** fdatasync after a dump so it survives power loss too (default true). */
  syncOnDump?: boolean;
  /**
   * How the image is written. 'mmap': a shared mapping of the file (native
   * addon; a line is a few stores, no system call); 'pwrite': positioned
   * writes; 'auto' (default): mmap when the addon is built and the file can be
   * mapped, else pwrite. Both survive kill -9 (page cache). When not given,
   * the environment variable PSTORE_IO (mmap|pwrite|auto) decides.
   */
  io?: RecorderIo;
}

export type RecorderIo = 'mmap' | 'pwrite' | 'auto';

/** Syslog levels; names as used by loggers. */
export const LOG_LEVELS = { emerg: 0, alert: 1, crit: 2, err: 3, error: 3, warning: 4, warn: 4, notice: 5, info: 6, debug: 7 } as const;
export type LogLevelName = keyof typeof LOG_LEVELS;
export type LogLevel = number | LogLevelName;

export interface RecorderConsole {
  /** Append bytes or text to the console zone verbatim (and its lines to the log buffer). */
  write(data: string | Uint8Array, level?: LogLevel): void;
}

export interface RecorderPmsg {
  /** Append bytes unchanged to the pmsg zone (/dev/pmsg0). */
  write(data: string | Uint8Array): void;
}

export interface Recorder {
  readonly path: string;
  /** The I/O the image is written with ('auto' resolved). */
  readonly io: 'mmap' | 'pwrite';
  readonly layout: RamoopsLayout;
  /** What the previous run left (read before this open reset anything). */
  previous(): PreviousRecord[];
  readonly console: RecorderConsole;
  readonly pmsg: RecorderPmsg;
  /** One log line: `[    1.234567] text` into the console zone, and a record into the log buffer. */
  log(level: LogLevel, text: string): void;
  /** kmsg_dump(reason): true when max_reason admitted it and a record was written. */
  dump(reason: number): boolean;
  readonly maxReason: number;
  readonly logBuffer: LogBuffer;
  /** uncaughtException → Panic, unhandledRejection → Oops, signals/exit → Shutdown. Returns the uninstall function. */
  installCrashHooks(options?: CrashHookOptions): () => void;
  readonly closed: boolean;
  /** Flush, release the lock and close the file. Idempotent. */
  close(): void;
}

export function recorderParams(options: RecorderOptions = {}): RamoopsParams {
  const p = options.params ?? {};
  const record = p.record_size ?? RECORDER_DEFAULTS.record_size;
  const consoleSize = p.console_size ?? RECORDER_DEFAULTS.console_size;
  const pmsg = p.pmsg_size ?? RECORDER_DEFAULTS.pmsg_size;
  const ftrace = p.ftrace_size ?? RECORDER_DEFAULTS.ftrace_size;
  const count = options.dmesgCount ?? RECORDER_DEFAULTS.dmesg_count;
  if (!Number.isInteger(count) || count < 0 || count > 1024) throw new UsageError(`dmesgCount ${count} out of range 0..1024`);
  return {
    mem_size: p.mem_size ?? count * record + consoleSize + pmsg + ftrace,
    record_size: record,
    console_size: consoleSize,
    ftrace_size: ftrace,
    pmsg_size: pmsg,
    ecc: p.ecc ?? RECORDER_DEFAULTS.ecc,
    max_reason: p.max_reason ?? RECORDER_DEFAULTS.max_reason,
  };
}

function levelOf(level: LogLevel | undefined, fallback: number): number {
  if (level === undefined) return fallback;
  if (typeof level === 'number') {
    if (!Number.isInteger(level) || level < 0 || level > 7) throw new UsageError(`log level ${level} out of range 0..7`);
    return level;
  }
  const n = LOG_LEVELS[level];
  if (n === undefined) throw new UsageError(`unknown log level '${String(level)}'`);
  return n;
}

function isAllZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/**
 * Why the image does not hold this layout, or null when it does. A zone whose
 * header is all zero is "never formatted" (a creation interrupted by a crash)
 * and accepted; a foreign signature, an uncorrectable header or start/size
 * beyond the zone mean the layout (or the file) is not ours.
 */
function layoutMismatch(image: RamoopsImage): string | null {
  for (const r of image.zones()) {
    const a = r.attach;
    const where = `${r.zone.label} at 0x${r.zone.offset.toString(16)}`;
    if (a.state === 'no-signature') {
      if (isAllZero(image.region.read(r.zone.offset, 12))) continue;
      return `${where}: no zone signature where this layout puts one`;
    }
    if (a.ecc && a.ecc.header < 0) return `${where}: header parity does not match (different ECC or zone size)`;
    if (a.state === 'invalid') return `${where}: start/size ${a.header.start}/${a.header.size} do not fit the zone`;
  }
  return null;
}

let deflateInstalled = false;

/** Open (or create) a recorder image and attach to it like a booting kernel. */
export function openRecorder(path: string, options: RecorderOptions = {}): Recorder {
  const params = recorderParams(options);
  const kernel = kernelProfile(options.kernel ?? '6.1');
  const layout = ramoopsLayout({ params, kernel, ftraceCpus: 1 });
  if (layout.ftraceCount) throw new UsageError('the recorder has no ftrace frontend: set ftrace_size to 0');
  const memSize = layout.params.mem_size;
  const compress = options.compress ?? 'deflate';
  if (compress === 'deflate' && !deflateInstalled) {
    installRecorderDeflate(kernel.compression === 'zlib' ? '6.12' : '6.1');
    deflateInstalled = true;
  }

  const io = options.io ?? envIo() ?? 'auto';
  if (io !== 'mmap' && io !== 'pwrite' && io !== 'auto') throw new UsageError(`io '${String(io)}' is not mmap, pwrite or auto`);

  const lock = lockImage(path);
  let region: RecorderRegion | null = null;
  try {
    let fd: number;
    try {
      // Never O_TRUNC: an existing image is data.
      fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o644);
    } catch (e) {
      throw describeFsError(e, 'open', path);
    }
    let fresh = false;
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) throw new UsageError(`'${path}' is not a regular file`);
      if (st.size === 0) {
        allocateFile(fd, path, memSize);
        fresh = true;
      } else if (st.size !== memSize) {
        if (!options.overwrite || st.size > memSize) {
          throw new LayoutError(
            `'${path}' is ${st.size} bytes but this layout needs ${memSize} (mem_size): not a recorder image of this layout` +
              (st.size > memSize ? ' (refusing to shrink it)' : '; pass { overwrite: true } to reformat it'),
          );
        }
        allocateFile(fd, path, memSize); // grows only
        fresh = true;
      }
      // Every block real before any write: a full disk is an error here, not a SIGBUS in a mapped write later.
      allocateFile(fd, path, memSize);
    } catch (e) {
      closeSync(fd);
      throw describeFsError(e, 'size', path);
    }
    region = imageRegion(fd, path, memSize, io);

    let previous: PreviousRecord[] = [];
    const noHeader = new Set<number>();
    if (!fresh) {
      const image = new RamoopsImage(region, { params: layout.params, kernel: kernel.name });
      const mismatch = layoutMismatch(image);
      if (mismatch && !options.overwrite) {
        throw new LayoutError(`'${path}' does not match the recorder layout (${mismatch}); pass { overwrite: true } to reformat it`);
      }
      if (mismatch) fresh = true;
      else {
        previous = image.files().map(previousRecord);
        for (const r of image.zones()) if (r.noKmsgHeader) noHeader.add(r.zone.offset);
      }
    }
    // The boot-time attach, with its writes: corrections, re-signing, console/pmsg zapped,
    // dmesg zones without a record header zapped (ramoops_pstore_read).
    for (const zone of layout.zones) {
      const prz = new PersistentRamZone(region, zone.offset, zone.size, przOptions(layout, zone, 0));
      if (fresh) {
        prz.format();
        continue;
      }
      prz.attach();
      if (noHeader.has(zone.offset)) prz.zap();
    }
    return new FileRecorder(path, region, region instanceof FileRegion ? 'pwrite' : 'mmap', lock, layout, previous, options);
  } catch (e) {
    region?.close();
    lock.release();
    throw e;
  }
}

function envIo(): RecorderIo | undefined {
  const v = typeof process !== 'undefined' ? process.env.PSTORE_IO : undefined;
  if (v === undefined || v === '') return undefined;
  if (v !== 'mmap' && v !== 'pwrite' && v !== 'auto') throw new UsageError(`PSTORE_IO='${v}' is not mmap, pwrite or auto`);
  return v;
}

/** The image: a mapping or positioned writes; closing it closes the file. */
type RecorderRegion = Region & { close(): void };

function imageRegion(fd: number, path: string, size: number, io: RecorderIo): RecorderRegion {
  if (io !== 'pwrite') {
    let mapped: MmapRegion | null = null;
    try {
      mapped = mapFileRegion(fd, path, 0, size, true, true);
    } catch (e) {
      if (io === 'mmap') {
        closeSync(fd);
        throw e;
      }
    }
    if (mapped) return mapped;
    if (io === 'mmap') {
      closeSync(fd);
      throw new UsageError(`io 'mmap' requested but the native mmap addon is not available (${mmapUnavailableReason()}); run npm run build:native`);
    }
  }
  return new FileRegion(fd, size, path, true);
}

const encoder = new TextEncoder();
const NL = 0x0a;

class FileRecorder implements Recorder {
  readonly console: RecorderConsole;
  readonly pmsg: RecorderPmsg;
  readonly logBuffer: LogBuffer;
  readonly maxReason: number;
  private readonly backend: Ramoops;
  private readonly pstore: Pstore;
  private readonly registry: DumperRegistry;
  private readonly consoleZone: ConsoleZoneWriter | null;
  private readonly facility: number;
  private readonly uptimeNs: () => number;
  private readonly syncOnDump: boolean;
  /** Bytes of console text not yet ended by a newline, per level (for the log buffer). */
  private pending = new Uint8Array(256);
  private pendingLen = 0;
  private pendingLevel = 6;
  private uninstallers: (() => void)[] = [];
  private isClosed = false;

  constructor(
    readonly path: string,
    private readonly region: RecorderRegion,
    readonly io: 'mmap' | 'pwrite',
    private readonly lock: ImageLock,
    readonly layout: RamoopsLayout,
    private readonly prev: PreviousRecord[],
    options: RecorderOptions,
  ) {
    this.backend = new Ramoops(region, layout);
    this.pstore = new Pstore(this.backend, { compress: options.compress ?? 'deflate', kernel: layout.kernel, clock: options.clock, kmsgBytes: options.kmsgBytes });
    this.maxReason = this.pstore.maxReason;
    this.logBuffer = new LogBuffer({ logBufShift: options.logBufShift });
    this.registry = new DumperRegistry(this.logBuffer);
    this.registry.register(this.pstore);
    const cz = layout.zones.find((z) => z.type === 'console');
    this.consoleZone = cz ? new ConsoleZoneWriter(region, cz, przOptions(layout, cz, 0)) : null;
    this.facility = options.facility ?? 1;
    this.uptimeNs = options.uptimeNs ?? (() => performance.now() * 1e6);
    this.syncOnDump = options.syncOnDump ?? true;
    this.console = { write: (data, level) => this.consoleWrite(data, level) };
    this.pmsg = {
      write: (data) => {
        this.check();
        this.pstore.writePmsg(typeof data === 'string' ? encoder.encode(data) : data);
      },
    };
  }

  get closed(): boolean {
    return this.isClosed;
  }

  previous(): PreviousRecord[] {
    return this.prev.slice();
  }

  private check(): void {
    if (this.isClosed) throw new PstoreError(`recorder '${this.path}' is closed`);
  }

  private consoleWrite(data: string | Uint8Array, level?: LogLevel): void {
    this.check();
    const lvl = levelOf(level, 6);
    if (typeof data === 'string') {
      // One UTF-8 encoding serves the zone and the log buffer.
      if (this.consoleZone) this.bufferBytes(this.consoleZone.encoded, this.consoleZone.writeEncoded(data), lvl);
      else this.bufferBytes(encoder.encode(data), -1, lvl);
    } else {
      this.consoleZone?.write(data);
      this.bufferBytes(data, -1, lvl);
    }
  }

  /**
   * Lines into the log buffer as bytes (it copies them): all of `bytes`, or
   * its first `length` bytes when length >= 0 (then bytes is scratch we may
   * write past the text). A partial line waits
   * for its newline (or a dump), joined at the most severe level of its pieces.
   */
  private bufferBytes(bytes: Uint8Array, length: number, level: number): void {
    const end = length < 0 ? bytes.length : length;
    // `length` is given for our own scratch buffer: a newline just past the text stops
    // indexOf there instead of scanning stale bytes to the end of the buffer.
    if (end < bytes.length) bytes[end] = NL;
    let nl = bytes.indexOf(NL);
    if (nl >= end) nl = -1;
    if (nl < 0) {
      if (!this.pendingLen) this.pendingLevel = level;
      this.addPending(bytes, 0, end);
      // Keep a runaway partial line bounded (the log buffer cuts records anyway).
      if (this.pendingLen > 4096) this.flushPending();
      return;
    }
    const ts = this.uptimeNs();
    let from = 0;
    while (nl >= 0) {
      if (this.pendingLen) {
        this.addPending(bytes, from, nl);
        this.appendRecord(ts, Math.min(this.pendingLevel, level), this.pending.subarray(0, this.pendingLen));
        this.pendingLen = 0;
      } else {
        this.appendRecord(ts, level, bytes.subarray(from, nl));
      }
      from = nl + 1;
      nl = from < end ? bytes.indexOf(NL, from) : -1;
      if (nl >= end) nl = -1;
    }
    if (from < end) {
      this.addPending(bytes, from, end);
      this.pendingLevel = level;
    }
  }

  private appendRecord(ts: number, level: number, text: Uint8Array): void {
    this.logBuffer.append({ tsNsec: ts, facility: this.facility, level, text });
  }

  private addPending(src: Uint8Array, from: number, to: number): void {
    const need = this.pendingLen + (to - from);
    if (need > this.pending.length) {
      const grown = new Uint8Array(Math.max(need, this.pending.length * 2));
      grown.set(this.pending.subarray(0, this.pendingLen));
      this.pending = grown;
    }
    this.pending.set(src.subarray(from, to), this.pendingLen);
    this.pendingLen = need;
  }

  private flushPending(): void {
    if (!this.pendingLen) return;
    this.appendRecord(this.uptimeNs(), this.pendingLevel, this.pending.subarray(0, this.pendingLen));
    this.pendingLen = 0;
  }

  log(level: LogLevel, text: string): void {
    this.check();
    const lvl = levelOf(level, 6);
    this.flushPending();
    const ns = this.uptimeNs();
    const stamp = consoleStamp(ns);
    const lines = text.split('\n');
    if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
    let out = '';
    for (const line of lines) out += `${stamp}${line}\n`;
    let bytes: Uint8Array;
    if (this.consoleZone) {
      this.consoleZone.writeEncoded(out);
      bytes = this.consoleZone.encoded;
    } else {
      bytes = encoder.encode(out);
    }
    // The stamp is ASCII: each record is the bytes between it and the newline.
    let p = 0;
    for (let i = 0; i < lines.length; i++) {
      const nl = bytes.indexOf(NL, p + stamp.length);
      this.appendRecord(ns, lvl, bytes.subarray(p + stamp.length, nl));
      p = nl + 1;
    }
  }

  dump(reason: number): boolean {
    this.check();
    this.flushPending();
    if (reason > this.registry.maxReasonOf(this.pstore)) return false;
    this.registry.kmsgDump(reason);
    if (this.syncOnDump) this.region.sync();
    return true;
  }

  installCrashHooks(options: CrashHookOptions = {}): () => void {
    this.check();
    const off = installCrashHooks(this, options);
    this.uninstallers.push(off);
    return () => {
      const i = this.uninstallers.indexOf(off);
      if (i >= 0) this.uninstallers.splice(i, 1);
      off();
    };
  }

  close(): void {
    if (this.isClosed) return;
    for (const off of this.uninstallers.splice(0)) off();
    this.flushPending();
    this.isClosed = true;
    try {
      this.region.sync();
      this.region.close();
    } finally {
      this.lock.release();
    }
  }
}

/** The console's `[%5lu.%06lu] ` time stamp (printk.time). */
export function consoleStamp(ns: number): string {
  const usecTotal = Math.floor(ns / 1000);
  const sec = Math.floor(usecTotal / 1e6);
  const usec = usecTotal - sec * 1e6;
  return `[${String(sec).padStart(5)}.${String(usec).padStart(6, '0')}] `;
}

