/**
 * Images made by the recorder, for the kernel-interop tier: write lines (and
 * optionally a dump and pmsg bytes) into a fresh image, and get the module
 * parameters a kernel needs to read it (`ramoops.mem_size=…` etc.).
 */
import { existsSync } from 'node:fs';
import type { RamoopsParams } from '../backends/ramoops/layout.js';
import type { RecordTime } from '../core/record.js';
import { UsageError } from '../errors.js';
import { KMSG_DUMP_PANIC } from '../frontends/kmsgDump.js';
import { openRecorder, type RecorderOptions } from './recorder.js';

export interface RecorderImageSpec {
  /** Lines logged with log() (level 6 unless given as [level, text]). */
  lines: (string | [number, string])[];
  /** Raw console bytes written after the lines. */
  console?: string;
  pmsg?: Uint8Array | string;
  /** Dump reason after logging (default Panic); null for none. */
  dump?: number | null;
  options?: RecorderOptions;
  /** Fixed wall clock for the dump record (default 2024-01-01T00:00:00Z). */
  time?: RecordTime;
}

export interface RecorderImageInfo {
  path: string;
  params: RamoopsParams;
  kernel: string;
  /** Kernel command line fragment for a ramoops region at `memAddress`. */
  cmdline(memAddress: number): string;
}

/** Write a fresh recorder image at `path` (which must not exist). */
export function makeRecorderImage(path: string, spec: RecorderImageSpec): RecorderImageInfo {
  if (existsSync(path)) throw new UsageError(`'${path}' exists: fixture images are written to a new file`);
  const time = spec.time ?? { sec: 1704067200, nsec: 0 };
  let ns = 1_000_000_000;
  const rec = openRecorder(path, { ...spec.options, clock: () => time, uptimeNs: () => (ns += 1_000_000) });
  try {
    for (const l of spec.lines) {
      if (typeof l === 'string') rec.log(6, l);
      else rec.log(l[0], l[1]);
    }
    if (spec.console) rec.console.write(spec.console);
    if (spec.pmsg !== undefined) rec.pmsg.write(spec.pmsg);
    const reason = spec.dump === undefined ? KMSG_DUMP_PANIC : spec.dump;
    if (reason !== null) rec.dump(reason);
    const params = { ...rec.layout.params };
    return {
      path,
      params,
      kernel: rec.layout.kernel.name,
      cmdline: (addr) =>
        `ramoops.mem_address=0x${addr.toString(16)} ramoops.mem_size=0x${params.mem_size.toString(16)} ramoops.record_size=0x${params.record_size.toString(16)} ` +
        `ramoops.console_size=0x${params.console_size.toString(16)} ramoops.ftrace_size=0x${params.ftrace_size.toString(16)} ramoops.pmsg_size=0x${params.pmsg_size.toString(16)} ` +
        `ramoops.ecc=${params.ecc} ramoops.max_reason=${params.max_reason}`,
    };
  } finally {
    rec.close();
  }
}
