/**
 * The zone map's geometry, DOM-free: the region's bytes laid out to scale as
 * rows of equal byte counts, and every zone part (header, ring data in use or
 * free, parity, unused tail) and ECC block run as rectangles in those rows.
 */
import { hex } from './format.js';
import { HEALTH_NAMES, type ImageModel, type ZoneModel } from './model.js';

export const GUTTER = 84;
export const MAP_W = 1000;
export const ROW_PITCH = 32;
/** Zone band height; the ECC health band sits under it. */
export const ZONE_H = 19;
export const HEALTH_Y = 20;
export const HEALTH_H = 7;
/** Problem blocks stay visible even when 128 bytes are less than a unit wide. */
const MIN_PROBLEM_W = 6;

export interface MapRect {
  x: number;
  y: number;
  w: number;
  h: number;
  cls: string;
  data: Record<string, string>;
  /** Problem blocks are focusable and labelled. */
  label?: string;
}

export interface MapMarker {
  x: number;
  y: number;
  kind: 'start' | 'size';
  zone: number;
}

export interface MapLabel {
  x: number;
  y: number;
  text: string;
}

export interface MapGeometry {
  rowBytes: number;
  rows: number;
  width: number;
  height: number;
  rects: MapRect[];
  markers: MapMarker[];
  labels: MapLabel[];
  rowLabels: MapLabel[];
}

/** A power of two ≥ 4 KiB giving at most 16 rows. */
export function rowBytesFor(memSize: number): number {
  let r = 4096;
  while (Math.ceil(memSize / r) > 16) r *= 2;
  return r;
}

export function buildMap(model: ImageModel): MapGeometry {
  const mem = model.params.mem_size;
  const rowBytes = rowBytesFor(mem);
  const rows = Math.max(1, Math.ceil(mem / rowBytes));
  const scale = MAP_W / rowBytes;
  const rects: MapRect[] = [];
  const markers: MapMarker[] = [];
  const labels: MapLabel[] = [];

  /** One rectangle per row the byte range [a, b) crosses. */
  const range = (a: number, b: number, y0: number, h: number, cls: string, data: Record<string, string>, minW = 0, label?: string): void => {
    for (let s = a; s < b; ) {
      const row = Math.floor(s / rowBytes);
      const e = Math.min(b, (row + 1) * rowBytes);
      let x = GUTTER + (s - row * rowBytes) * scale;
      let w = (e - s) * scale;
      if (w < minW) {
        x = Math.max(GUTTER, Math.min(x - (minW - w) / 2, GUTTER + MAP_W - minW));
        w = minW;
      }
      rects.push({ x, y: row * ROW_PITCH + y0, w, h, cls, data, label });
      s = e;
    }
  };
  const point = (off: number): { x: number; y: number } => {
    const row = Math.min(rows - 1, Math.floor(off / rowBytes));
    return { x: GUTTER + (off - row * rowBytes) * scale, y: row * ROW_PITCH };
  };

  model.zones.forEach((z, zi) => {
    const g = z.geometry;
    const zd = { zone: String(zi) };
    const base = z.offset;
    range(base, base + g.dataOffset, 0, ZONE_H, `z z-${z.type} part-header`, { ...zd, kind: 'header' });
    const used = z.state === 'valid' ? Math.min(z.header.size, g.dataSize) : 0;
    const d0 = base + g.dataOffset;
    if (used) range(d0, d0 + used, 0, ZONE_H, `z z-${z.type} part-used`, { ...zd, kind: 'data' });
    if (used < g.dataSize) range(d0 + used, d0 + g.dataSize, 0, ZONE_H, `z z-${z.type} part-free`, { ...zd, kind: 'free' });
    if (g.eccSize) range(base + g.parityOffset, base + z.size, 0, ZONE_H, `z z-${z.type} part-parity`, { ...zd, kind: 'parity' });

    if (z.state === 'valid') {
      markers.push({ ...point(d0 + z.header.start), kind: 'start', zone: zi });
      if (z.header.size < g.dataSize) markers.push({ ...point(d0 + z.header.size), kind: 'size', zone: zi });
    }
    const p = point(base);
    const firstRowEnd = (Math.floor(base / rowBytes) + 1) * rowBytes;
    if ((Math.min(base + z.size, firstRowEnd) - base) * scale > 56) {
      labels.push({ x: p.x + 5, y: p.y + 14, text: z.index || z.type === 'dmesg' ? `${z.type} ${z.index}` : z.type });
    }

    // ECC health: runs of equal health, problem blocks one by one.
    // The kernel's block count can overshoot the ring by one block: draw only blocks with data.
    const n = Math.min(g.eccBlocks, Math.ceil(g.dataSize / g.blockSize));
    const blockRange = (b: number): [number, number] => [d0 + b * g.blockSize, d0 + Math.min((b + 1) * g.blockSize, g.dataSize)];
    for (let b = 0; b < n; ) {
      const hv = z.health[b];
      const name = HEALTH_NAMES[hv] ?? 'unchecked';
      if (hv >= 2) {
        const [a, e] = blockRange(b);
        const data = { ...zd, health: name, block: String(b), offset: hex(a) };
        const label = `${z.label} block ${b} at ${hex(a)}: ${name === 'bad' ? 'unrecoverable' : 'corrected'}`;
        range(a, e, 0, HEALTH_Y + HEALTH_H, `blk blk-${name}`, data, MIN_PROBLEM_W, label);
        range(a, e, HEALTH_Y, HEALTH_H, `h h-${name}`, data, MIN_PROBLEM_W);
        b++;
        continue;
      }
      let e = b + 1;
      while (e < n && z.health[e] === hv) e++;
      range(blockRange(b)[0], blockRange(e - 1)[1], HEALTH_Y, HEALTH_H, `h h-${name}`, { ...zd, health: name, blocks: `${b}-${e - 1}` });
      b = e;
    }
  });
  if (model.used < mem) range(model.used, mem, 0, ZONE_H, 'z part-unused', { kind: 'unused' });

  const rowLabels: MapLabel[] = [];
  for (let r = 0; r < rows; r++) rowLabels.push({ x: GUTTER - 6, y: r * ROW_PITCH + 15, text: hex(model.offset + r * rowBytes) });
  return { rowBytes, rows, width: GUTTER + MAP_W + 4, height: rows * ROW_PITCH, rects, markers, labels, rowLabels };
}

export interface OffsetInfo {
  title: string;
  lines: string[];
}

/** The zone holding a region offset (zones are sorted by offset). */
export function zoneAt(model: ImageModel, off: number): number {
  let lo = 0;
  let hi = model.zones.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const z = model.zones[mid];
    if (off < z.offset) hi = mid - 1;
    else if (off >= z.offset + z.size) lo = mid + 1;
    else return mid;
  }
  return -1;
}

export function zoneSummary(z: ZoneModel): string[] {
  const g = z.geometry;
  const lines = [
    `zone ${hex(z.offset)}..${hex(z.offset + z.size)} (${z.size} bytes), state ${z.state}${z.noKmsgHeader ? ', no record header' : z.emptyRecord ? ', empty record: Linux stops reading here' : z.unread ? ', not read (after an empty record)' : ''}`,
    `header: sig ${hex(z.header.sig)} start ${z.header.start} size ${z.header.size}${z.rawHeader.start !== z.header.start || z.rawHeader.size !== z.header.size || z.rawHeader.sig !== z.header.sig ? ` (stored: start ${z.rawHeader.start} size ${z.rawHeader.size})` : ''}`,
    `ring: ${g.dataSize} bytes at +${hex(g.dataOffset)}`,
  ];
  if (g.eccSize) {
    lines.push(
      `ECC ${g.eccSize}: ${g.eccBlocks} blocks, parity at +${hex(g.parityOffset)}; header ${z.headerEcc === -1 ? 'unrecoverable' : `${z.headerEcc} corrected`}; ${z.correctedBytes} bytes corrected, ${z.badBlocks} unrecoverable blocks`,
    );
  }
  return lines;
}

/** What the tooltip says about one byte of the region. */
export function describeOffset(model: ImageModel, image: Uint8Array | null, off: number): OffsetInfo {
  const at = `region +${hex(off)}${model.offset ? `, image ${hex(model.offset + off)}` : ''}`;
  const value = (o: number, n: number): string => {
    if (!image) return '';
    const s = model.offset + o;
    const bytes = Array.from(image.subarray(s, Math.min(s + n, image.length)), (b) => b.toString(16).padStart(2, '0'));
    return bytes.join(' ');
  };
  const zi = zoneAt(model, off);
  if (zi < 0) return { title: 'unused by the layout', lines: [at, `bytes: ${value(off, 8)}`] };
  const z = model.zones[zi];
  const g = z.geometry;
  const rel = off - z.offset;
  const lines = [at, `zone +${hex(rel)}`];
  if (rel < g.dataOffset) {
    lines.push(...zoneSummary(z));
  } else if (rel < g.dataOffset + g.dataSize) {
    const ring = rel - g.dataOffset;
    const used = z.state === 'valid' ? z.header.size : 0;
    lines.push(
      `ring byte ${ring}: ${ring < used ? 'in the saved log' : 'beyond size (not saved)'}${z.state === 'valid' ? `; start ${z.header.start}, size ${z.header.size}` : ''}`,
    );
    if (g.eccSize) {
      const b = Math.floor(ring / g.blockSize);
      const hv = HEALTH_NAMES[z.health[b]] ?? 'unchecked';
      const word = hv === 'bad' ? 'unrecoverable' : hv;
      lines.push(`ECC block ${b} (${hex(z.offset + g.dataOffset + b * g.blockSize)}): ${word}${z.kernelChecked[b] ? '' : ' — the kernel does not check it'}`);
    }
  } else {
    lines.push(rel < g.headerParityOffset ? `parity of block ${Math.floor((rel - g.parityOffset) / g.eccSize)}` : 'parity of the header');
  }
  lines.push(`bytes: ${value(off, 8)}`);
  return { title: z.label, lines };
}
