/** Renders the zone map (SVG), its legend, tooltip and zone table. */
import { hex, h, humanSize, svg } from './format.js';
import { buildMap, describeOffset, GUTTER, MAP_W, ROW_PITCH, zoneSummary, type OffsetInfo } from './mapGeometry.js';
import type { ImageModel } from './model.js';

const LEGEND: [string, string][] = [
  ['z-dmesg', 'dmesg'],
  ['z-console', 'console'],
  ['z-pmsg', 'pmsg'],
  ['z-ftrace', 'ftrace'],
  ['part-parity', 'ECC parity'],
  ['part-free', 'ring beyond size'],
  ['part-unused', 'unused'],
  ['h-clean', 'block clean'],
  ['h-corrected', 'block corrected'],
  ['h-bad', 'block unrecoverable'],
  ['h-unchecked', 'no ECC'],
];

export interface ZoneMapView {
  element: HTMLElement;
}

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

export function renderZoneMap(model: ImageModel, image: Uint8Array | null, tip: HTMLElement): HTMLElement {
  const geo = buildMap(model);
  const root = svg('svg', {
    viewBox: `0 0 ${geo.width} ${geo.height}`,
    class: 'zone-map',
    role: 'group',
    'aria-label': `Zone map: ${model.zones.length} zones in ${humanSize(model.params.mem_size)}, ${humanSize(geo.rowBytes)} per row`,
    'data-row-bytes': geo.rowBytes,
  });
  for (const l of geo.rowLabels) {
    const t = svg('text', { x: l.x, y: l.y, class: 'row-label', 'text-anchor': 'end' });
    t.textContent = l.text;
    root.append(t);
  }
  const rect = (r: (typeof geo.rects)[number]): void => {
    const el = svg('rect', { x: r.x.toFixed(2), y: r.y, width: Math.max(r.w, 0.01).toFixed(2), height: r.h, class: r.cls });
    for (const [k, v] of Object.entries(r.data)) el.setAttribute(`data-${k}`, v);
    if (r.label) {
      el.setAttribute('tabindex', '0');
      el.setAttribute('role', 'img');
      el.setAttribute('aria-label', r.label);
    }
    root.append(el);
  };
  // Zone parts, then labels, then ECC health and problem blocks on top, then ring marks.
  const zoneParts = geo.rects.filter((r) => r.cls.startsWith('z '));
  zoneParts.forEach(rect);
  for (const l of geo.labels) {
    const t = svg('text', { x: l.x, y: l.y, class: 'zone-label' });
    t.textContent = l.text;
    root.append(t);
  }
  geo.rects.filter((r) => !r.cls.startsWith('z ')).forEach(rect);
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
    return off < model.params.mem_size ? off : null;
  };
  root.addEventListener('pointermove', (ev) => {
    const off = offsetAt(ev);
    if (off === null) tip.hidden = true;
    else showTip(tip, describeOffset(model, image, off), ev.clientX, ev.clientY);
  });
  root.addEventListener('pointerleave', () => (tip.hidden = true));
  // Keyboard: a focused problem block shows the same tooltip.
  root.addEventListener('focusin', (ev) => {
    const el = ev.target as SVGElement;
    const off = el.dataset.offset;
    if (!off) return;
    const r = el.getBoundingClientRect();
    showTip(tip, describeOffset(model, image, parseInt(off, 16)), r.right, r.bottom);
  });
  root.addEventListener('focusout', () => (tip.hidden = true));

  const legend = h(
    'ul',
    { class: 'legend', 'aria-label': 'Legend' },
    ...LEGEND.map(([cls, text]) => h('li', {}, h('span', { class: `swatch ${cls}`, 'aria-hidden': 'true' }), text)),
    h('li', {}, h('span', { class: 'swatch mark-start-swatch', 'aria-hidden': 'true' }), 'ring start'),
    h('li', {}, h('span', { class: 'swatch mark-size-swatch', 'aria-hidden': 'true' }), 'ring size'),
  );

  const table = h(
    'table',
    { class: 'zone-table' },
    h('thead', {}, h('tr', {}, ...['zone', 'offset', 'size', 'state', 'start', 'size used', 'ECC'].map((t) => h('th', { scope: 'col', text: t })))),
    h(
      'tbody',
      {},
      ...model.zones.map((z) =>
        h(
          'tr',
          { title: zoneSummary(z).join('\n') },
          h('th', { scope: 'row', text: z.label }),
          h('td', { text: hex(z.offset) }),
          h('td', { text: hex(z.size) }),
          h('td', { text: z.state + zoneNote(z) }),
          h('td', { text: z.state === 'valid' ? String(z.header.start) : '—' }),
          h('td', { text: z.state === 'valid' ? String(z.header.size) : '—' }),
          h(
            'td',
            { class: z.badBlocks ? 'ecc-bad' : z.correctedBytes ? 'ecc-corrected' : '' },
            z.geometry.eccSize ? `${z.correctedBytes} corrected, ${z.badBlocks} bad${z.headerEcc === -1 ? ', header bad' : ''}` : '—',
          ),
        ),
      ),
    ),
  );
  const problems = model.zones.reduce((n, z) => n + z.health.reduce((m, v) => m + (v >= 2 ? 1 : 0), 0), 0);
  return h(
    'div',
    { class: 'map-wrap' },
    h('div', { class: 'map-scroll' }, root),
    legend,
    h(
      'details',
      { class: 'zone-details' },
      h('summary', {}, `Zone table (${model.zones.length} zones${problems ? `, ${problems} ECC block${problems === 1 ? '' : 's'} with errors` : ''})`),
      h('div', { class: 'table-scroll' }, table),
    ),
  );
}

/** What Linux's read does with the zone beyond its state: skip (no header), stop (empty record), never reach. */
export function zoneNote(z: { noKmsgHeader: boolean; emptyRecord: boolean; unread: boolean }): string {
  if (z.noKmsgHeader) return ' (no record header)';
  if (z.emptyRecord) return ' (empty record: Linux stops reading here)';
  if (z.unread) return ' (not read: after an empty record)';
  return '';
}
