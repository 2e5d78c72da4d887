/**
 * The record list: a listbox with one tab stop (roving tabindex). Arrows,
 * Home and End move and select; Enter and Space select and jump to the text.
 */
import { h, humanSize, recordTime } from './format.js';
import type { FileModel } from './model.js';

export function eccText(f: FileModel): string {
  if (!f.ecc) return '';
  if (f.ecc.bad) return `ECC: ${f.ecc.bad} unrecoverable block${f.ecc.bad === 1 ? '' : 's'}${f.ecc.corrected ? `, ${f.ecc.corrected} bytes corrected` : ''}`;
  if (f.ecc.corrected) return `ECC: ${f.ecc.corrected} bytes corrected`;
  return 'ECC: no errors';
}

export function compressionText(f: FileModel): string {
  if (!f.compressed) return 'not compressed';
  return f.compression ? `${f.compression}` : 'compressed, not decompressed';
}

export interface RecordList {
  element: HTMLElement;
  select(index: number, focus?: boolean): void;
}

export function renderRecordList(files: readonly FileModel[], onSelect: (index: number, activate: boolean) => void): RecordList {
  const items = files.map((f, i) =>
    h(
      'li',
      {
        role: 'option',
        tabindex: i === 0 ? 0 : -1,
        'aria-selected': 'false',
        'data-name': f.name,
        'data-index': i,
        class: `rec rec-${f.type}${f.ecc?.bad ? ' rec-ecc-bad' : f.ecc?.corrected ? ' rec-ecc-corrected' : ''}`,
      },
      h('span', { class: 'rec-name', text: f.name }),
      h('span', { class: 'rec-type', text: f.type }),
      h('span', { class: 'rec-size', 'data-bytes': f.content.length, text: humanSize(f.content.length) }),
      h('span', { class: 'rec-time', text: recordTime(f.mtime) }),
      h('span', { class: `rec-comp${f.compressed ? ' is-compressed' : ''}`, text: compressionText(f) }),
      h('span', { class: `rec-ecc${f.ecc?.bad ? ' ecc-bad' : f.ecc?.corrected ? ' ecc-corrected' : ''}`, text: eccText(f) }),
    ),
  );
  const list = h('ul', { role: 'listbox', class: 'record-list', 'aria-label': 'Records' }, ...items);
  let current = -1;
  const select = (i: number, focus = false): void => {
    if (i < 0 || i >= items.length) return;
    items.forEach((el, j) => {
      el.setAttribute('aria-selected', String(j === i));
      el.tabIndex = j === i ? 0 : -1;
    });
    if (focus) items[i].focus();
    if (i !== current) {
      current = i;
      onSelect(i, false);
    }
  };
  list.addEventListener('click', (ev) => {
    const li = (ev.target as HTMLElement).closest('li');
    if (li) select(Number(li.dataset.index));
  });
  list.addEventListener('keydown', (ev) => {
    const li = (ev.target as HTMLElement).closest('li');
    if (!li) return;
    const i = Number(li.dataset.index);
    let next = -1;
    if (ev.key === 'ArrowDown') next = Math.min(items.length - 1, i + 1);
    else if (ev.key === 'ArrowUp') next = Math.max(0, i - 1);
    else if (ev.key === 'Home') next = 0;
    else if (ev.key === 'End') next = items.length - 1;
    else if (ev.key === 'Enter' || ev.key === ' ') {
      ev.preventDefault();
      select(i);
      onSelect(i, true);
      return;
    } else return;
    ev.preventDefault();
    select(next, true);
  });
  return { element: list, select };
}
