/**
 * `pstore check --backend efi`: the variable store's health (free space,
 * deleted-but-not-reclaimed bytes, damaged headers) and the efi-pstore
 * variables by state. Exit status 1 when the store is damaged.
 */
import type { EfiImage, EfiStoreHealth } from '../../api/efiImage.js';
import { EFI_MIN_RESERVE } from '../../backends/efi/backend.js';
import { hex, table } from '../format.js';
import type { CliIo } from '../io.js';

export interface EfiCheckReport extends EfiStoreHealth {
  /** efi-pstore variables in store order, any state. */
  pstore: { offset: number; state: string; state_byte: number; name: string; data_size: number }[];
  ok: boolean;
}

export function efiCheckReport(image: EfiImage): EfiCheckReport {
  const health = image.health();
  const pstore = image
    .map()
    .variables.filter((v) => v.isPstore)
    .map((v) => ({ offset: v.offset, state: v.state, state_byte: v.stateByte, name: v.name, data_size: v.dataSize }));
  return { ...health, pstore, ok: !health.damaged };
}

export function efiCheck(image: EfiImage, json: boolean, io: CliIo): number {
  const r = efiCheckReport(image);
  if (json) io.stdout(JSON.stringify(r, null, 2) + '\n');
  else {
    const v = r.variables;
    const fv = r.fvOffset !== null ? ` in the firmware volume at ${hex(r.fvOffset)}${r.fvChecksumOk ? '' : ' (bad checksum)'}` : ' (bare, no firmware volume)';
    const lines = [
      `variable store at ${hex(r.storeOffset)}${fv}: ${r.format}, ${hex(r.storeSize)} bytes, ${r.status}`,
      `variables: ${v.added} added, ${v.inDeletion} in deletion, ${v.headerOnly} header-only, ${v.deleted} deleted${v.unknown ? `, ${v.unknown} with unknown state` : ''}`,
      `space: ${r.usedBytes} bytes used, ${r.freeBytes} free, ${r.reclaimableBytes} held by deleted variables until the firmware reclaims the store`,
      `runtime writes: ${r.remainingForRuntime} bytes left (efi-pstore stops ${EFI_MIN_RESERVE} bytes short of that)`,
    ];
    if (r.ftw) lines.push(`fault-tolerant-write working block at ${hex(r.ftw.offset)}: ${r.ftw.crcOk && r.ftw.valid ? 'valid' : `${r.ftw.crcOk ? '' : 'CRC mismatch, '}${r.ftw.valid ? '' : 'not marked valid, '}the firmware re-initialises it`}`);
    io.stdout(lines.join('\n') + '\n');
    if (r.pstore.length) {
      io.stdout(
        table(
          ['OFFSET', 'STATE', 'SIZE', 'VARIABLE'],
          r.pstore.map((p) => [hex(p.offset), `${p.state} (${hex(p.state_byte)})`, String(p.data_size), p.name]),
          [2],
        ),
      );
    }
    io.stdout(`efi-pstore: ${r.pstoreVariables} record${r.pstoreVariables === 1 ? '' : 's'} shown by Linux\n`);
    for (const n of r.readNotes) io.stdout(`note: ${n.offset >= 0 ? `variable at ${hex(n.offset + image.fileOffset)}: ` : ''}${n.message}\n`);
    for (const p of r.problems) io.stdout(`damaged: ${p}\n`);
  }
  if (!r.ok) io.stderr(`pstore: the variable store is damaged (${r.problems.length} problem${r.problems.length === 1 ? '' : 's'})\n`);
  return r.ok ? 0 : 1;
}
