/** The ramoops zone map: zones with ECC health, ring marks, legend and zone table. */
import { hex, h, humanSize } from './format.js';
import { buildMap, describeOffset, zoneSummary } from './mapGeometry.js';
import { mapPanel, renderLegend, renderMapSvg, renderTable, type Legend } from './mapView.js';
import type { RamoopsModel } from './model.js';

const LEGEND: Legend = [
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

export function renderZoneMap(model: RamoopsModel, image: Uint8Array | null, tip: HTMLElement): HTMLElement {
  const geo = buildMap(model);
  // Zone parts, then labels, then ECC health and problem blocks on top, then ring marks.
  const map = renderMapSvg(geo, tip, {
    ariaLabel: `Zone map: ${model.zones.length} zones in ${humanSize(model.params.mem_size)}, ${humanSize(geo.rowBytes)} per row`,
    underLabels: (r) => r.cls.startsWith('z '),
    describe: (off) => describeOffset(model, image, off),
  });
  const legend = renderLegend(LEGEND, [
    h('li', {}, h('span', { class: 'swatch mark-start-swatch', 'aria-hidden': 'true' }), 'ring start'),
    h('li', {}, h('span', { class: 'swatch mark-size-swatch', 'aria-hidden': 'true' }), 'ring size'),
  ]);
  const table = renderTable(
    ['zone', 'offset', 'size', 'state', 'start', 'size used', 'ECC'],
    model.zones.map((z) => ({
      title: zoneSummary(z).join('\n'),
      cells: [
        z.label,
        hex(z.offset),
        hex(z.size),
        z.state + zoneNote(z),
        z.state === 'valid' ? String(z.header.start) : '—',
        z.state === 'valid' ? String(z.header.size) : '—',
        h(
          'td',
          { class: z.badBlocks ? 'ecc-bad' : z.correctedBytes ? 'ecc-corrected' : '' },
          z.geometry.eccSize ? `${z.correctedBytes} corrected, ${z.badBlocks} bad${z.headerEcc === -1 ? ', header bad' : ''}` : '—',
        ),
      ],
    })),
  );
  const problems = model.zones.reduce((n, z) => n + z.health.reduce((m, v) => m + (v >= 2 ? 1 : 0), 0), 0);
  return mapPanel(map, legend, `Zone table (${model.zones.length} zones${problems ? `, ${problems} ECC block${problems === 1 ? '' : 's'} with errors` : ''})`, table);
}

/** What Linux's read does with the zone beyond its state: skip (no header), stop (empty record), never reach. */
export function zoneNote(z: { noKmsgHeader: boolean; emptyRecord: boolean; unread: boolean }): string {
  if (z.noKmsgHeader) return ' (no record header)';
  if (z.emptyRecord) return ' (empty record: Linux stops reading here)';
  if (z.unread) return ' (not read: after an empty record)';
  return '';
}
