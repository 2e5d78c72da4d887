import type { Command } from 'commander';
import { hex } from '../format.js';
import type { CliIo } from '../io.js';
import { scanFile } from '../../node/scanFile.js';
import type { EfiScanRegion } from '../../scan/efiStores.js';
import { AUTO_MIN_CONFIDENCE, type BlkScanRegion, type ScanRegion, type ScanResult } from '../../scan/scanDump.js';

export interface ScanIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown; isTTY?: boolean };
}


function human(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u ? v.toFixed(1) : v} ${units[u]}`;
}

/** A one-line progress bar redrawn with \r, at most ~10 times a second. */
function progressBar(stderr: ScanIo['stderr']): { update(done: number, total: number): void; end(): void } {
  let last = 0;
  const t0 = Date.now();
  let drawn = false;
  return {
    update(done, total) {
      const now = Date.now();
      if (now - last < 100 && done < total) return;
      last = now;
      const frac = total ? done / total : 1;
      const width = 30;
      const fill = Math.round(frac * width);
      const secs = (now - t0) / 1000;
      const rate = secs > 0 ? `${human(done / secs)}/s` : '';
      stderr.write(`\rscanning [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${(frac * 100).toFixed(0).padStart(3)}% ${human(done)} ${rate}   `);
      drawn = true;
    },
    end() {
      if (drawn) stderr.write('\r' + ' '.repeat(78) + '\r');
    },
  };
}

function describeBlk(r: BlkScanRegion, n: number): string {
  const p = r.params;
  const found = new Map<string, number>();
  for (const z of r.zones) if (z.state === 'found') found.set(z.type, (found.get(z.type) ?? 0) + 1);
  const kinds = [...found].map(([t, c]) => `${c} ${t === 'dmesg' ? 'kmsg' : t}`).join(', ');
  const lines = [
    `region ${n} at offset ${hex(r.offset)}  confidence ${r.confidence.toFixed(2)}  pstore/blk device`,
    `  layout:  device_size=${hex(r.deviceSize)} kmsg_size=${p.kmsg_size} pmsg_size=${p.pmsg_size} console_size=${p.console_size} ftrace_size=${p.ftrace_size} (KiB)` +
      `${p.ftrace_size ? ` ftrace_cpus=${r.ftraceCpus}` : ''} kernel=${r.kernel}${r.littleEndian ? '' : ' (big-endian)'}`,
    `  zones:   ${r.zonesFound} of ${r.zones.length} zone headers where the layout puts them${kinds ? ` (${kinds})` : ''}`,
    `  records: ${r.records.length ? r.records.join(' ') : r.recordsError ? `(${r.recordsError})` : '(none)'}`,
  ];
  for (const note of r.notes) lines.push(`  note:    ${note}`);
  lines.push(`  ${r.extractCommand}`);
  return lines.join('\n');
}

function describeEfi(r: EfiScanRegion, n: number): string {
  const what = r.kind === 'firmware-volume' ? `firmware volume of ${hex(r.length)} bytes${r.nvData ? ' (NV data)' : ''}` : `bare variable store of ${hex(r.length)} bytes`;
  const lines = [
    `region ${n} at offset ${hex(r.offset)}  confidence ${r.confidence.toFixed(2)}  EFI variable store (efi-pstore)`,
    `  store:   ${what}, ${r.format} variables, ${r.variables} variables, ${r.pstoreVariables} efi-pstore${r.truncated ? ' (runs past the end of the dump)' : ''}`,
    `  records: ${r.records.length ? r.records.join(' ') : r.recordsError ? `(${r.recordsError})` : '(none)'}`,
    `  ${r.extractCommand}`,
  ];
  return lines.join('\n');
}

type AnyScanRegion = ScanRegion | BlkScanRegion | EfiScanRegion;

/** Every backend's regions in one list, each tagged with its backend. */
export function allRegions(result: ScanResult): AnyScanRegion[] {
  return [...result.regions, ...result.blkRegions, ...result.efiRegions].sort((a, b) => a.offset - b.offset);
}

function describe(r: ScanRegion, n: number): string {
  const p = r.params;
  const lines = [
    `region ${n} at offset ${hex(r.offset)}  confidence ${r.confidence.toFixed(2)}`,
    `  layout:  mem_size=${hex(p.mem_size)} record_size=${hex(p.record_size)} console_size=${hex(p.console_size)} ftrace_size=${hex(p.ftrace_size)} pmsg_size=${hex(p.pmsg_size)} ecc=${p.ecc}` +
      `${p.ftrace_size ? ` ftrace_cpus=${r.ftraceCpus}` : ''} kernel=${r.kernel}${r.littleEndian ? '' : ' (big-endian)'}`,
    `  zones:   ${r.zonesFound} of ${r.zones.length} headers where the layout puts them`,
    `  records: ${r.records.length ? r.records.join(' ') : r.recordsError ? `(${r.recordsError})` : '(none)'}`,
  ];
  for (const note of r.notes) lines.push(`  note:    ${note}`);
  lines.push(`  ${r.extractCommand}`);
  return lines.join('\n');
}

/** Text report: trusted regions in full, the rest one line each. */
export function formatScan(dumpPath: string, result: ScanResult): string {
  const sorted = allRegions(result).sort((a, b) => b.confidence - a.confidence || a.offset - b.offset);
  const good = sorted.filter((r) => r.confidence >= AUTO_MIN_CONFIDENCE);
  const weak = sorted.filter((r) => r.confidence < AUTO_MIN_CONFIDENCE);
  const out = [`${dumpPath}: ${human(result.size)} scanned, ${result.candidates.length + result.blkCandidates.length} header candidates, ${good.length} region${good.length === 1 ? '' : 's'} found`];
  good.forEach((r, i) => out.push('', r.backend === 'blk' ? describeBlk(r, i + 1) : r.backend === 'efi' ? describeEfi(r, i + 1) : describe(r, i + 1)));
  if (weak.length) {
    out.push('', `${weak.length} low-confidence candidate${weak.length === 1 ? '' : 's'} (probably not ramoops or pstore/blk):`);
    for (const r of weak.slice(0, 20)) {
      if (r.backend === 'efi') {
        out.push(`  offset ${hex(r.offset)}  confidence ${r.confidence.toFixed(2)}  EFI ${r.kind}, ${hex(r.length)} bytes`);
        continue;
      }
      const size = r.backend === 'blk' ? `pstore/blk device_size ${hex(r.deviceSize)}` : `mem_size ${hex(r.params.mem_size)}`;
      out.push(`  offset ${hex(r.offset)}  confidence ${r.confidence.toFixed(2)}  ${r.zonesFound} header(s), ${size}`);
    }
    if (weak.length > 20) out.push(`  … ${weak.length - 20} more (--json lists all)`);
  }
  if (!good.length && !weak.length) out.push('no persistent RAM zone headers found (nor pstore/blk zones, nor EFI variable stores)');
  return out.join('\n') + '\n';
}

/**
 * `pstore scan DUMP [--json]`. Returns the exit status: 0 when a region was
 * found with confidence, 1 otherwise.
 */
export function scanCommand(dumpPath: string, opts: { json: boolean }, io: ScanIo): number {
  const bar = io.stderr.isTTY ? progressBar(io.stderr) : null;
  let result: ScanResult;
  try {
    result = scanFile(dumpPath, { onProgress: bar ? (d, t) => bar.update(d, t) : undefined, dumpName: dumpPath });
  } finally {
    bar?.end();
  }
  // JSON: one region list, each tagged with its backend ('ramoops', 'blk' or 'efi').
  const { blkRegions: _blk, efiRegions: _efi, ...rest } = result;
  void _blk;
  void _efi;
  if (opts.json) io.stdout.write(JSON.stringify({ dump: dumpPath, ...rest, regions: allRegions(result) }, null, 2) + '\n');
  else io.stdout.write(formatScan(dumpPath, result));
  return allRegions(result).some((r) => r.confidence >= AUTO_MIN_CONFIDENCE) ? 0 : 1;
}

/** Registers `pstore scan DUMP [--json]`. */
export function registerScan(program: Command, cli: CliIo, done: (code: number) => void): void {
  const io: ScanIo = {
    stdout: { write: (s: string) => cli.stdout(s) },
    // The progress bar only where a person watches (stderr is a terminal).
    stderr: { write: (s: string) => cli.stderr(s), isTTY: Boolean(process.stderr.isTTY) && !process.env.CI },
  };
  program
    .command('scan')
    .description('find ramoops regions, pstore/blk devices and EFI variable stores in a dump of any size and infer their layout (record size, ECC, zone order, ftrace CPUs, offset; blk: kmsg/pmsg/console/ftrace sizes, device size)')
    .argument('<dump>', 'memory dump, QEMU RAM file, bootloader save …')
    .option('--json', 'machine-readable result')
    .addHelpText('after', '\nExample:\n  pstore scan guest-ram.bin          # then run the printed `pstore extract …` command\n')
    .action((dump: string, flags: { json?: boolean }) => done(scanCommand(dump, { json: Boolean(flags.json) }, io)));
}
