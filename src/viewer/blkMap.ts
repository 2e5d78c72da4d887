/**
 * The pstore/blk device map: every pstore/zone zone to scale (header, data in
 * use, free buffer), a band under it with the state the kernel's recovery
 * finds, ring start marks, legend and zone table. Geometry is DOM-free.
 */
import { hex, h, humanSize, recordTime } from './format.js';
import { bytesAt, HEALTH_H, HEALTH_Y, RowGrid, whereText, zoneAt, ZONE_H, type MapGeometry, type OffsetInfo } from './mapGeometry.js';
import { mapPanel, renderLegend, renderMapSvg, renderTable, type Legend } from './mapView.js';
import type { BlkModel, BlkZoneModel } from './model.js';

/** psz_buffer header before each zone's data (sig, datalen, start). */
const HEADER = 12;
/** States the kernel skips or fails on: drawn red. */
const DAMAGED = new Set(['no-signature', 'overtop', 'bad-magic', 'invalid']);

/** The state band's class for a zone state. */
export function stateClass(state: string): string {
  return DAMAGED.has(state) ? 'st-damaged' : `st-${state}`;
}

/** Bytes of the buffer holding data: a ring zone's datalen, a dump's datalen; 0 when the kernel ignores the zone. */
function usedBytes(z: BlkZoneModel): number {
  return z.state === 'valid' ? Math.min(z.datalen, z.bufferSize) : 0;
}

export function buildBlkMap(model: BlkModel): MapGeometry {
  const grid = new RowGrid(model.deviceSize);
  model.zones.forEach((z, zi) => {
    const zd = { zone: String(zi), state: z.state };
    const d0 = z.offset + HEADER;
    const used = usedBytes(z);
    grid.range(z.offset, d0, 0, ZONE_H, `z z-${z.type} part-header`, { ...zd, kind: 'header' });
    if (used) grid.range(d0, d0 + used, 0, ZONE_H, `z z-${z.type} part-used`, { ...zd, kind: 'data' });
    if (used < z.bufferSize) grid.range(d0 + used, d0 + z.bufferSize, 0, ZONE_H, `z z-${z.type} part-free`, { ...zd, kind: 'free' });
    grid.range(z.offset, z.offset + z.size, HEALTH_Y, HEALTH_H, `st ${stateClass(z.state)}`, { ...zd, offset: hex(z.offset) }, 0, DAMAGED.has(z.state) ? `${z.label} at ${hex(z.offset)}: ${z.state}` : undefined);
    if (z.state === 'valid' && z.type !== 'dmesg') grid.markers.push({ ...grid.point(d0 + z.start), kind: 'start', zone: zi });
    grid.label(z.offset, z.size, z.type === 'dmesg' ? `dmesg ${z.index}` : z.type);
  });
  if (model.used < model.deviceSize) grid.range(model.used, model.deviceSize, 0, ZONE_H, 'z part-unused', { kind: 'unused' });
  return grid.geometry(model.offset);
}

function dumpText(z: BlkZoneModel): string {
  if (!z.dump) return '—';
  return `${z.dump.reason}#${z.dump.counter} ${recordTime(z.dump.time)}${z.dump.compressed ? ', compressed' : ''}`;
}

export function blkZoneSummary(z: BlkZoneModel): string[] {
  const lines = [`zone ${hex(z.offset)}..${hex(z.offset + z.size)} (${z.size} bytes), state ${z.state}`, `header: datalen ${z.datalen}, start ${z.start}; buffer ${z.bufferSize} bytes`];
  if (z.dump) lines.push(`dump: ${dumpText(z)}`);
  return lines;
}

/** What the tooltip says about one byte of the device. */
export function describeBlkOffset(model: BlkModel, image: Uint8Array | null, off: number): OffsetInfo {
  const at = whereText('device', model.offset, off);
  const value = `bytes: ${bytesAt(image, model.offset, off, 8)}`;
  const zi = zoneAt(model, off);
  if (zi < 0) return { title: 'unused by the layout', lines: [at, value] };
  const z = model.zones[zi];
  const rel = off - z.offset;
  const lines = [at, `zone +${hex(rel)}`];
  if (rel < HEADER) lines.push(...blkZoneSummary(z));
  else {
    const b = rel - HEADER;
    lines.push(`buffer byte ${b}: ${b < usedBytes(z) ? 'data the kernel reads' : 'free'} (state ${z.state})`);
    if (z.dump) lines.push(`dump: ${dumpText(z)}`);
  }
  lines.push(value);
  return { title: z.label, lines };
}

const LEGEND: Legend = [
  ['z-dmesg', 'dmesg'],
  ['z-console', 'console'],
  ['z-pmsg', 'pmsg'],
  ['z-ftrace', 'ftrace'],
  ['part-free', 'buffer free'],
  ['part-unused', 'unused'],
  ['st-valid', 'zone holds a record'],
  ['st-erased', 'dump erased'],
  ['st-blank', 'blank / empty'],
  ['st-damaged', 'damaged (skipped)'],
];

export function renderBlkMap(model: BlkModel, image: Uint8Array | null, tip: HTMLElement): HTMLElement {
  const geo = buildBlkMap(model);
  const map = renderMapSvg(geo, tip, {
    ariaLabel: `Device map: ${model.zones.length} pstore/blk zones in ${humanSize(model.deviceSize)}, ${humanSize(geo.rowBytes)} per row`,
    underLabels: (r) => r.cls.startsWith('z '),
    describe: (off) => describeBlkOffset(model, image, off),
  });
  const table = renderTable(
    ['zone', 'offset', 'size', 'state', 'start', 'used', 'dump'],
    model.zones.map((z) => ({
      title: blkZoneSummary(z).join('\n'),
      attrs: { 'data-state': z.state },
      cells: [z.label, hex(z.offset), hex(z.size), h('td', { class: DAMAGED.has(z.state) ? 'ecc-bad' : '', text: z.state }), String(z.start), `${z.datalen}/${z.bufferSize}`, dumpText(z)],
    })),
  );
  const damaged = model.zones.filter((z) => DAMAGED.has(z.state)).length;
  return mapPanel(map, renderLegend(LEGEND), `Zone table (${model.zones.length} zones${damaged ? `, ${damaged} damaged` : ''})`, table);
}
