/** Small formatting helpers shared by the page's views. */
import type { RecordTime } from '../core/record.js';

export const hex = (n: number): string => `0x${n.toString(16)}`;

export function humanSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n % 1024 ? 1 : 0)} KiB`;
  return `${(n / 1024 / 1024).toFixed(n % (1024 * 1024) ? 1 : 0)} MiB`;
}

/** `2024-01-01 00:00:09.123456 UTC` (microseconds, as the record header keeps them). */
export function recordTime(t: RecordTime | null): string {
  if (!t) return '—';
  const d = new Date(t.sec * 1000);
  if (Number.isNaN(d.getTime())) return `${t.sec}.${String(t.nsec).padStart(9, '0')}`;
  const iso = d.toISOString();
  // The inode's seconds, and the header's microseconds even when they are 7+ digits (kept unnormalised).
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${String(Math.trunc(t.nsec / 1000)).padStart(6, '0')} UTC`;
}

/** Element helper: tag, attributes/properties, children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | boolean | undefined> = {},
  ...children: (Node | string | null | undefined | false)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') el.className = String(v);
    else if (k === 'text') el.textContent = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

export const SVG_NS = 'http://www.w3.org/2000/svg';

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number | undefined> = {}): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) el.setAttribute(k, String(v));
  return el;
}

/** A classic hex dump, 16 bytes a line. */
export function hexDump(bytes: Uint8Array, limit: number): string {
  const n = Math.min(bytes.length, limit);
  const lines: string[] = [];
  for (let off = 0; off < n; off += 16) {
    let hx = '';
    let asc = '';
    for (let i = 0; i < 16; i++) {
      if (off + i < n) {
        const c = bytes[off + i];
        hx += c.toString(16).padStart(2, '0') + (i === 7 ? '  ' : ' ');
        asc += c >= 32 && c < 127 ? String.fromCharCode(c) : '.';
      } else hx += i === 7 ? '    ' : '   ';
    }
    lines.push(`${off.toString(16).padStart(8, '0')}  ${hx} |${asc}|`);
  }
  return lines.join('\n');
}
