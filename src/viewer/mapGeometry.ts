/**
 * The zone map's geometry, DOM-free: the region's bytes laid out to scale as
 * rows of equal byte counts (RowGrid, shared by every backend's map), and for
 * ramoops every zone part (header, ring data in use or free, parity, unused
 * tail) and ECC block run as rectangles in those rows.
 */
import { hex } from './format.js';
import { HEALTH_NAMES, type RamoopsModel, type ZoneModel } from './model.js';

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
  /** Bytes drawn (the region, device or store). */
  size: number;
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

/** `size` bytes as rows of rowBytes, and the rectangles drawn on them. */
export class RowGrid {
  readonly rowBytes: number;
  readonly rows: number;
  /** Map units per byte. */
  readonly scale: number;
  readonly rects: MapRect[] = [];
  readonly markers: MapMarker[] = [];
  readonly labels: MapLabel[] = [];

  constructor(readonly size: number) {
    this.rowBytes = rowBytesFor(size);
    this.rows = Math.max(1, Math.ceil(size / this.rowBytes));
    this.scale = MAP_W / this.rowBytes;
  }

  /** One rectangle per row the byte range [a, b) crosses; at least minW wide. */
  range(a: number, b: number, y0: number, h: number, cls: string, data: Record<string, string>, minW = 0, label?: string): void {
    const { rowBytes, scale } = this;
    for (let s = a; s < b; ) {
      const row = Math.floor(s / rowBytes);
      const e = Math.min(b, (row + 1) * rowBytes);
      let x = GUTTER + (s - row * rowBytes) * scale;
      let w = (e - s) * scale;
      if (w < minW) {
        x = Math.max(GUTTER, Math.min(x - (minW - w) / 2, GUTTER + MAP_W - minW));
        w = minW;
      }
      this.rects.push({ x, y: row * ROW_PITCH + y0, w, h, cls, data, label });
      s = e;
    }
  }

  point(off: number): { x: number; y: number } {
    const row = Math.min(this.rows - 1, Math.floor(off / this.rowBytes));
    return { x: GUTTER + (off - row * this.rowBytes) * this.scale, y: row * ROW_PITCH };
  }

  /** A label at the start of [offset, offset+size) when its first row has room for it. */
  label(offset: number, size: number, text: string, room = 56): void {
    const p = this.point(offset);
    const firstRowEnd = (Math.floor(offset / this.rowBytes) + 1) * this.rowBytes;
    if ((Math.min(offset + size, firstRowEnd) - offset) * this.scale > room) this.labels.push({ x: p.x + 5, y: p.y + 14, text });
  }

  /** The finished geometry; row labels count from `base` (the region's offset in the file). */
  geometry(base: number): MapGeometry {
    const rowLabels: MapLabel[] = [];
    for (let r = 0; r < this.rows; r++) rowLabels.push({ x: GUTTER - 6, y: r * ROW_PITCH + 15, text: hex(base + r * this.rowBytes) });
    return {
      size: this.size,
      rowBytes: this.rowBytes,
      rows: this.rows,
      width: GUTTER + MAP_W + 4,
      height: this.rows * ROW_PITCH,
      rects: this.rects,
      markers: this.markers,
      labels: this.labels,
      rowLabels,
    };
  }
}

export function buildMap(model: RamoopsModel): MapGeometry {
  const mem = model.params.mem_size;
  const grid = new RowGrid(mem);
  const { markers } = grid;
  const range = grid.range.bind(grid);
  const point = grid.point.bind(grid);

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
    grid.label(base, z.size, z.index || z.type === 'dmesg' ? `${z.type} ${z.index}` : z.type);

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
  return grid.geometry(model.offset);
}

export interface OffsetInfo {
  title: string;
  lines: string[];
}

/** The zone holding a region offset (zones are sorted by offset). */
export function zoneAt(model: { zones: readonly { offset: number; size: number }[] }, off: number): number {
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
/** Up to n bytes of the image at region offset `o`, in hex ('' without the bytes). */
export function bytesAt(image: Uint8Array | null, base: number, o: number, n: number): string {
  if (!image) return '';
  const s = base + o;
  return Array.from(image.subarray(s, Math.min(s + n, image.length)), (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** `region +0x…, image +0x…` (the image offset only when the region does not start the file). */
export function whereText(what: string, base: number, off: number): string {
  return `${what} +${hex(off)}${base ? `, image ${hex(base + off)}` : ''}`;
}

export function describeOffset(model: RamoopsModel, image: Uint8Array | null, off: number): OffsetInfo {
  const at = whereText('region', model.offset, off);
  const value = (o: number, n: number): string => bytesAt(image, model.offset, o, n);
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
