/**
 * The UEFI variable store map: the firmware volume to scale — volume and
 * store headers, every variable coloured by its State (added, deleted,
 * in deletion, header only), efi-pstore variables marked in a band beneath,
 * free space — with the variable table. Geometry is DOM-free.
 */
import type { EfiVariableEntry } from '../backends/efi/storeMap.js';
import { hex, h, humanSize } from './format.js';
import { bytesAt, HEALTH_H, HEALTH_Y, RowGrid, ZONE_H, type MapGeometry, type OffsetInfo } from './mapGeometry.js';
import { mapPanel, renderLegend, renderMapSvg, renderTable, type Legend } from './mapView.js';
import type { EfiModel } from './model.js';

/** efi-pstore variables stay visible (and focusable) even when narrower than this. */
const MIN_PSTORE_W = 3;

/** The bytes the map draws: the whole file (the volume, and whatever is around it). */
function drawnSize(model: EfiModel): number {
  return model.imageSize;
}

/** EFI_VARIABLE_* attribute bits, as efivar lists them. */
const ATTRIBUTES: readonly (readonly [number, string])[] = [
  [0x1, 'NV'],
  [0x2, 'BS'],
  [0x4, 'RT'],
  [0x8, 'HW_ERROR'],
  [0x10, 'AUTH_WRITE'],
  [0x20, 'TIME_AUTH'],
  [0x40, 'APPEND'],
];

export function attributeText(a: number): string {
  const names = ATTRIBUTES.filter(([bit]) => a & bit).map(([, n]) => n);
  const rest = ATTRIBUTES.reduce((m, [bit]) => m & ~bit, a);
  if (rest) names.push(hex(rest));
  return names.join('|') || '0';
}

export function buildEfiMap(model: EfiModel): MapGeometry {
  const m = model.map;
  const grid = new RowGrid(drawnSize(model));
  if (m.fv) {
    grid.range(m.fv.offset, m.fv.offset + m.fv.length, 0, ZONE_H, 'z part-unused', { kind: 'volume' });
    grid.range(m.fv.offset, m.fv.offset + m.fv.headerLength, 0, ZONE_H, 'z z-fv part-header', { kind: 'fv-header' });
  }
  grid.range(m.store.offset, m.store.offset + m.store.headerSize, 0, ZONE_H, 'z z-store part-header', { kind: 'store-header' });
  grid.label(m.store.offset, m.store.end - m.store.offset, 'variable store', 100);
  m.variables.forEach((v, i) => {
    const data = { var: String(i), state: v.state, offset: hex(v.offset), ...(v.isPstore ? { pstore: 'true' } : {}) };
    grid.range(v.offset, v.offset + v.totalSize, 0, ZONE_H, `z v v-${v.state}${v.isPstore ? ' v-pstore' : ''}`, data);
    if (v.isPstore) grid.range(v.offset, v.offset + v.totalSize, HEALTH_Y, HEALTH_H, `pst pst-${v.state}`, data, MIN_PSTORE_W, `${v.name} at ${hex(v.offset)}: ${v.state}`);
  });
  if (m.store.freeBytes > 0) grid.range(m.store.freeOffset, m.store.freeOffset + m.store.freeBytes, 0, ZONE_H, 'z z-store part-free', { kind: 'free' });
  return grid.geometry(0);
}

/** The variable whose record covers file offset `off` (variables are in store order). */
export function variableAt(model: EfiModel, off: number): number {
  const vs = model.map.variables;
  let lo = 0;
  let hi = vs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = vs[mid];
    if (off < v.offset) hi = mid - 1;
    else if (off >= v.offset + v.totalSize) lo = mid + 1;
    else return mid;
  }
  return -1;
}

export function variableSummary(v: EfiVariableEntry): string[] {
  const lines = [
    `GUID ${v.vendorGuid}${v.isPstore ? ' (efi-pstore)' : ''}`,
    `state ${v.state} (0x${v.stateByte.toString(16).padStart(2, '0')}), attributes ${attributeText(v.attributes)}`,
    `record ${hex(v.offset)}..${hex(v.offset + v.totalSize)}: header ${v.headerSize}, name ${v.nameSize}, data ${v.dataSize} bytes`,
  ];
  for (const p of v.problems) lines.push(`problem: ${p}`);
  return lines;
}

/** What the tooltip says about one byte of the file. */
export function describeEfiOffset(model: EfiModel, image: Uint8Array | null, off: number): OffsetInfo {
  const m = model.map;
  const at = `file +${hex(off)}`;
  const value = `bytes: ${bytesAt(image, 0, off, 8)}`;
  const vi = variableAt(model, off);
  if (vi >= 0) {
    const v = m.variables[vi];
    const rel = off - v.offset;
    const part = rel < v.headerSize ? 'header' : rel < v.headerSize + v.nameSize ? 'name' : rel < v.headerSize + v.nameSize + v.dataSize ? `data byte ${rel - v.headerSize - v.nameSize}` : 'alignment';
    return { title: v.name || '(unnamed variable)', lines: [at, `variable +${hex(rel)}: ${part}`, ...variableSummary(v), value] };
  }
  const s = m.store;
  if (off >= s.offset && off < s.offset + s.headerSize) return { title: 'variable store header', lines: [at, `${s.format} store of ${s.size} bytes, ${s.status}`, value] };
  if (off >= s.freeOffset && off < s.freeOffset + s.freeBytes) return { title: 'free space', lines: [at, `${s.freeBytes} bytes free after the last variable`, value] };
  if (m.fv && off >= m.fv.offset && off < m.fv.offset + m.fv.headerLength) {
    return { title: 'firmware volume header', lines: [at, `volume of ${m.fv.length} bytes, checksum ${m.fv.checksumOk ? 'ok' : 'wrong'}`, `file system ${m.fv.fileSystemGuid}`, value] };
  }
  if (m.fv && off >= m.fv.offset && off < m.fv.offset + m.fv.length) return { title: 'outside the variable store', lines: [at, 'rest of the volume (fault-tolerant write areas)', value] };
  return { title: 'outside the volume', lines: [at, value] };
}

const LEGEND: Legend = [
  ['v-added', 'variable'],
  ['v-deleted', 'deleted (bytes kept)'],
  ['v-in-deletion', 'in deletion'],
  ['v-header-only', 'header only'],
  ['pst-added', 'efi-pstore record'],
  ['pst-deleted', 'efi-pstore, deleted'],
  ['part-free', 'free'],
  ['part-unused', 'outside the store'],
];

export function renderEfiMap(model: EfiModel, image: Uint8Array | null, tip: HTMLElement): HTMLElement {
  const m = model.map;
  const geo = buildEfiMap(model);
  const pstore = m.variables.filter((v) => v.isPstore);
  const map = renderMapSvg(geo, tip, {
    ariaLabel: `Variable store map: ${m.variables.length} variables (${pstore.length} efi-pstore) in ${humanSize(drawnSize(model))}, ${humanSize(geo.rowBytes)} per row`,
    underLabels: (r) => r.cls.startsWith('z '),
    describe: (off) => describeEfiOffset(model, image, off),
  });
  const table = renderTable(
    ['variable', 'offset', 'state', 'attributes', 'data', 'GUID'],
    m.variables.map((v) => ({
      title: variableSummary(v).join('\n'),
      attrs: { class: v.isPstore ? 'row-pstore' : '', 'data-state': v.state },
      cells: [v.name || '(unnamed)', hex(v.offset), v.state, attributeText(v.attributes), String(v.dataSize), h('td', { class: 'guid', text: v.vendorGuid })],
    })),
  );
  const count = (state: string): number => m.variables.filter((v) => v.state === state).length;
  const summary = `Variables (${m.variables.length}: ${count('added')} valid, ${count('deleted')} deleted; ${pstore.length} efi-pstore; ${humanSize(m.store.freeBytes)} free, ${humanSize(model.reclaimableBytes)} reclaimable)`;
  return mapPanel(map, renderLegend(LEGEND), summary, table);
}
