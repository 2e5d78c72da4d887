/**
 * One record: its facts, a download button, and the text with printk levels
 * coloured and panic/oops/trace lines marked. Search marks every match and
 * steps through them. The text nodes concatenate to exactly the file's bytes
 * (decoded as UTF-8), so what is shown is what `pstore cat` prints.
 */
import { downloadFile } from './download.js';
import { h, hexDump, humanSize, recordTime } from './format.js';
import { classifyLines, looksLikeText } from './logClassify.js';
import type { FileModel } from './model.js';
import { compressionText, eccText } from './recordList.js';

/** Lines beyond this are shown as plain text: the DOM stays small for huge consoles. */
const MAX_STYLED_LINES = 40_000;
const HEX_LIMIT = 64 * 1024;

function renderLines(text: string, query: string): { pre: HTMLElement; marks: HTMLElement[] } {
  const pre = h('pre', { class: 'log', tabindex: 0, 'aria-label': 'Record text' });
  const lines = text.split('\n');
  const styled = Math.min(lines.length, MAX_STYLED_LINES);
  const classes = classifyLines(lines.slice(0, styled));
  const marks: HTMLElement[] = [];
  const q = query.toLowerCase();
  const frag = document.createDocumentFragment();
  for (let i = 0; i < styled; i++) {
    const line = lines[i] + (i < lines.length - 1 ? '\n' : '');
    const c = classes[i];
    const span = document.createElement('span');
    span.className = `ln${c.level !== null ? ` lvl-${c.level}` : ''}${c.kind ? ` k-${c.kind}` : ''}`;
    if (q) {
      const low = line.toLowerCase();
      let from = 0;
      for (let at = low.indexOf(q); at >= 0; at = low.indexOf(q, at + q.length)) {
        if (at > from) span.append(line.slice(from, at));
        const m = document.createElement('mark');
        m.textContent = line.slice(at, at + q.length);
        span.append(m);
        marks.push(m);
        from = at + q.length;
      }
      if (from < line.length) span.append(line.slice(from));
    } else span.textContent = line;
    frag.append(span);
  }
  if (styled < lines.length) frag.append(lines.slice(styled).join('\n'));
  pre.append(frag);
  return { pre, marks };
}

export function renderRecordView(f: FileModel): HTMLElement {
  const isText = !(f.compressed && !f.compression) && looksLikeText(f.content);
  const facts = h(
    'dl',
    { class: 'facts' },
    h('dt', { text: 'type' }),
    h('dd', { text: f.type }),
    h('dt', { text: 'size' }),
    h('dd', { text: `${f.content.length} bytes (${humanSize(f.content.length)})` }),
    h('dt', { text: 'time' }),
    h('dd', { text: recordTime(f.mtime) }),
    h('dt', { text: 'compression' }),
    h('dd', { text: compressionText(f) }),
    ...(f.ecc ? [h('dt', { text: 'ECC' }), h('dd', { class: f.ecc.bad ? 'ecc-bad' : f.ecc.corrected ? 'ecc-corrected' : '', text: eccText(f) })] : []),
    h('dt', { text: 'zones' }),
    h('dd', { text: f.zones.map((z) => `${z.label} @ 0x${z.offset.toString(16)}`).join(', ') || '—' }),
  );
  const dl = h('button', { type: 'button', class: 'btn', text: `Download ${f.name}` });
  dl.addEventListener('click', () => downloadFile(f));
  const head = h('div', { class: 'record-head' }, h('h2', { id: 'record-title', text: f.name }), dl);

  if (!isText) {
    const note = f.compressed && !f.compression ? 'Stored compressed and no decompressor accepted it (the kernel shows it as .enc.z).' : 'Binary content.';
    const more = f.content.length > HEX_LIMIT ? ` Showing the first ${humanSize(HEX_LIMIT)}; download for the rest.` : '';
    return h(
      'article',
      { class: 'record', 'aria-labelledby': 'record-title', 'data-record': f.name, 'data-binary': 'true' },
      head,
      facts,
      h('p', { class: 'note', text: note + more }),
      h('pre', { class: 'log hexdump', tabindex: 0, 'aria-label': 'Hex dump' }, hexDump(f.content, HEX_LIMIT)),
    );
  }

  const text = new TextDecoder().decode(f.content);
  const input = h('input', { type: 'search', class: 'search', placeholder: 'Search this record', 'aria-label': 'Search this record' });
  const count = h('span', { class: 'search-count', 'aria-live': 'polite' });
  const prev = h('button', { type: 'button', class: 'btn small', 'aria-label': 'Previous match', text: '↑' });
  const next = h('button', { type: 'button', class: 'btn small', 'aria-label': 'Next match', text: '↓' });
  const body = h('div', { class: 'log-wrap' });
  let marks: HTMLElement[] = [];
  let cur = -1;
  const show = (i: number): void => {
    if (!marks.length) return;
    marks[cur]?.classList.remove('current');
    cur = (i + marks.length) % marks.length;
    marks[cur].classList.add('current');
    marks[cur].scrollIntoView({ block: 'center' });
    count.textContent = `${cur + 1} / ${marks.length}`;
  };
  let rendered = '';
  const render = (): void => {
    rendered = input.value;
    const r = renderLines(text, rendered);
    marks = r.marks;
    cur = -1;
    body.replaceChildren(r.pre);
    count.textContent = input.value ? `${marks.length} match${marks.length === 1 ? '' : 'es'}` : '';
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(render, 150);
  });
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') {
      ev.preventDefault();
      clearTimeout(timer);
      if (rendered !== input.value) render();
      show(ev.shiftKey ? cur - 1 : cur + 1);
    }
  });
  const crash = h('button', { type: 'button', class: 'btn small crash-btn', text: 'Go to crash', title: 'Scroll to the first oops, panic or call trace' });
  crash.addEventListener('click', () => {
    const pre = body.querySelector<HTMLElement>('pre.log');
    const line = pre?.querySelector<HTMLElement>('.k-oops, .k-panic, .k-trace');
    if (pre && line) pre.scrollTop = Math.max(0, line.offsetTop - pre.offsetTop - 2 * line.offsetHeight);
  });
  prev.addEventListener('click', () => show(cur - 1));
  next.addEventListener('click', () => show(cur + 1));
  render();
  crash.hidden = !body.querySelector('.k-oops, .k-panic, .k-trace');
  const levels = h(
    'p',
    { class: 'level-key', 'aria-hidden': 'true' },
    ...['emerg', 'alert', 'crit', 'err', 'warn', 'notice', 'info', 'debug'].map((n, i) => h('span', { class: `ln lvl-${i}`, text: `<${i}> ${n}` })),
    h('span', { class: 'ln k-panic', text: 'panic' }),
    h('span', { class: 'ln k-oops', text: 'oops' }),
    h('span', { class: 'ln k-trace', text: 'call trace' }),
  );
  return h(
    'article',
    { class: 'record', 'aria-labelledby': 'record-title', 'data-record': f.name },
    head,
    facts,
    h('div', { class: 'search-bar', role: 'search' }, input, prev, next, count, crash),
    levels,
    body,
  );
}
