/**
 * Draws a MapGeometry (any backend's map) as SVG, with the offset tooltip on
 * hover and on focus of a labelled rectangle, and the legend and details
 * table beneath it.
 */
import { h, svg } from './format.js';
import { GUTTER, MAP_W, ROW_PITCH, type MapGeometry, type MapRect, type OffsetInfo } from './mapGeometry.js';

/** Legend entries: [swatch class, text]. */
export type Legend = readonly (readonly [string, string])[];

function showTip(tip: HTMLElement, info: OffsetInfo, clientX: number, clientY: number): void {
  tip.replaceChildren(h('strong', { text: info.title }), ...info.lines.map((l) => h('div', { text: l })));
  tip.hidden = false;
  const pad = 12;
  const r = tip.getBoundingClientRect();
  const x = Math.min(clientX + pad, window.innerWidth - r.width - 4);
  const y = clientY + pad + r.height > window.innerHeight ? clientY - r.height - pad : clientY + pad;
  tip.style.left = `${Math.max(4, x)}px`;
  tip.style.top = `${Math.max(4, y)}px`;
}

export interface MapSvgOptions {
  ariaLabel: string;
  /** Which rectangles go under the labels (the rest are drawn over them). */
  underLabels: (r: MapRect) => boolean;
  /** What the tooltip says about a byte of the drawn range. */
  describe: (offset: number) => OffsetInfo;
}

export function renderMapSvg(geo: MapGeometry, tip: HTMLElement, o: MapSvgOptions): SVGSVGElement {
  const root = svg('svg', {
    viewBox: `0 0 ${geo.width} ${geo.height}`,
    class: 'zone-map',
    role: 'group',
    'aria-label': o.ariaLabel,
    'data-row-bytes': geo.rowBytes,
  });
  for (const l of geo.rowLabels) {
    const t = svg('text', { x: l.x, y: l.y, class: 'row-label', 'text-anchor': 'end' });
    t.textContent = l.text;
    root.append(t);
  }
  const rect = (r: MapRect): void => {
    const el = svg('rect', { x: r.x.toFixed(2), y: r.y, width: Math.max(r.w, 0.01).toFixed(2), height: r.h, class: r.cls });
    for (const [k, v] of Object.entries(r.data)) el.setAttribute(`data-${k}`, v);
    if (r.label) {
      el.setAttribute('tabindex', '0');
      el.setAttribute('role', 'img');
      el.setAttribute('aria-label', r.label);
    }
    root.append(el);
  };
  geo.rects.filter(o.underLabels).forEach(rect);
  for (const l of geo.labels) {
    const t = svg('text', { x: l.x, y: l.y, class: 'zone-label' });
    t.textContent = l.text;
    root.append(t);
  }
  geo.rects.filter((r) => !o.underLabels(r)).forEach(rect);
  for (const m of geo.markers) {
    const el = svg('path', {
      d: m.kind === 'start' ? `M${m.x} ${m.y - 1}v${ROW_PITCH - 3}m-3 -${ROW_PITCH - 3}h6l-3 4z` : `M${m.x} ${m.y}v${ROW_PITCH - 4}`,
      class: `mark mark-${m.kind}`,
      'data-zone': m.zone,
    });
    root.append(el);
  }

  const offsetAt = (ev: MouseEvent): number | null => {
    const ctm = root.getScreenCTM();
    if (!ctm) return null;
    const p = new DOMPoint(ev.clientX, ev.clientY).matrixTransform(ctm.inverse());
    const row = Math.floor(p.y / ROW_PITCH);
    const x = p.x - GUTTER;
    if (row < 0 || row >= geo.rows || x < 0 || x >= MAP_W) return null;
    const off = row * geo.rowBytes + Math.floor((x / MAP_W) * geo.rowBytes);
    return off < geo.size ? off : null;
  };
  root.addEventListener('pointermove', (ev) => {
    const off = offsetAt(ev);
    if (off === null) tip.hidden = true;
    else showTip(tip, o.describe(off), ev.clientX, ev.clientY);
  });
  root.addEventListener('pointerleave', () => (tip.hidden = true));
  // Keyboard: a focused labelled rectangle shows the same tooltip.
  root.addEventListener('focusin', (ev) => {
    const el = ev.target as SVGElement;
    const off = el.dataset.offset;
    if (!off) return;
    const r = el.getBoundingClientRect();
    showTip(tip, o.describe(parseInt(off, 16)), r.right, r.bottom);
  });
  root.addEventListener('focusout', () => (tip.hidden = true));
  return root;
}

export function renderLegend(entries: Legend, extra: HTMLElement[] = []): HTMLElement {
  return h(
    'ul',
    { class: 'legend', 'aria-label': 'Legend' },
    ...entries.map(([cls, text]) => h('li', {}, h('span', { class: `swatch ${cls}`, 'aria-hidden': 'true' }), text)),
    ...extra,
  );
}

/** A table of rows: header cells, then one row per item (first cell a row header). */
export function renderTable(headers: readonly string[], rows: readonly { cells: (string | HTMLElement)[]; title?: string; attrs?: Record<string, string> }[]): HTMLTableElement {
  return h(
    'table',
    { class: 'zone-table' },
    h('thead', {}, h('tr', {}, ...headers.map((t) => h('th', { scope: 'col', text: t })))),
    h(
      'tbody',
      {},
      ...rows.map((r) => {
        const [first, ...rest] = r.cells;
        return h(
          'tr',
          { title: r.title, ...r.attrs },
          h('th', { scope: 'row' }, first),
          ...rest.map((c) => (typeof c === 'string' ? h('td', { text: c }) : c)),
        );
      }),
    ),
  );
}

/** The map, its legend and a collapsible details table. */
export function mapPanel(map: SVGSVGElement, legend: HTMLElement, summary: string, table: HTMLElement): HTMLElement {
  return h(
    'div',
    { class: 'map-wrap' },
    h('div', { class: 'map-scroll' }, map),
    legend,
    h('details', { class: 'zone-details' }, h('summary', {}, summary), h('div', { class: 'table-scroll' }, table)),
  );
}
