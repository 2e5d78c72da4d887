/**
 * The layout form: ramoops module parameter names, empty = module default.
 * Numbers take what the CLI takes (4096, 0x1000, 4K).
 */
import { ARCH_NAMES } from '../backends/ramoops/arch.js';
import { paramsFromObject, parseSize } from '../backends/ramoops/params.js';
import type { CompressorName } from '../core/compress/types.js';
import { withFrontends } from '../core/kernel.js';
import { PstoreError, UsageError } from '../errors.js';
import { h, hex } from './format.js';
import type { LayoutChoice } from './model.js';

const PARAM_FIELDS = [
  ['mem_size', 'image size − offset', 'Region size'],
  ['record_size', '0x1000', 'dmesg record zone size'],
  ['console_size', '0x1000', 'console zone size'],
  ['ftrace_size', '0x1000', 'ftrace area size'],
  ['pmsg_size', '0x1000', 'pmsg zone size'],
  ['ecc', '0', 'ECC parity bytes per 128-byte block (0 off, 1 means 16)'],
  ['max_reason', '2', 'highest kmsg_dump reason stored'],
] as const;

/** As the registry lists them; kept here so the page's main bundle carries no decompressor. */
export const COMPRESSORS: readonly CompressorName[] = ['deflate', 'lzo', 'lz4', 'lz4hc', '842', 'zstd'];
const KERNELS = ['6.1', 'debian-6.1', '6.6', '6.12', 'debian-6.12', '6.12:dmesg,console,pmsg', '5.10', '5.15', '4.19'];

/** A params JSON (module parameter names, or a fixture's params.json). */
export function choiceFromParamsJson(text: string, where = 'params JSON'): LayoutChoice {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${where}: not valid JSON (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
  }
  const params = paramsFromObject(obj, where);
  delete params.mem_address;
  const src = obj as Record<string, unknown>;
  const choice: LayoutChoice = { params };
  if (typeof src.kernel_profile === 'string') choice.kernel = src.kernel_profile;
  // `frontends` (as in the CLI's params files) travels inside the kernel spec: `6.12:dmesg,console`.
  const fe = Array.isArray(src.frontends) ? src.frontends.join(',') : src.frontends;
  if (typeof fe === 'string') choice.kernel = withFrontends(choice.kernel, fe);
  if (typeof src.arch === 'string') choice.arch = src.arch;
  if (typeof src.ftrace_cpus === 'number' || typeof src.ftrace_cpus === 'string') {
    // Fixtures without ftrace say 0: no per-CPU zones to count, so keep the default.
    const cpus = parseSize(src.ftrace_cpus, `${where}: ftrace_cpus`);
    if (cpus > 0) choice.ftraceCpus = cpus;
  }
  return choice;
}

export interface LayoutForm {
  element: HTMLFormElement;
  set(choice: LayoutChoice): void;
  /** The form's layout; throws UsageError naming the field. */
  read(): LayoutChoice;
  showError(message: string | null): void;
}

export function createLayoutForm(onApply: (c: LayoutChoice) => void, onParamsFile: (f: File) => void, onDetect: () => void): LayoutForm {
  const inputs = new Map<string, HTMLInputElement | HTMLSelectElement>();
  const field = (name: string, label: string, control: HTMLInputElement | HTMLSelectElement, title?: string): HTMLElement => {
    control.id = `f-${name}`;
    control.name = name;
    if (title) control.title = title;
    inputs.set(name, control);
    return h('div', { class: 'field' }, h('label', { for: control.id, text: label }), control);
  };
  const text = (placeholder: string): HTMLInputElement =>
    h('input', { type: 'text', inputmode: 'text', autocomplete: 'off', spellcheck: 'false', placeholder });
  const select = (options: readonly string[], def: string): HTMLSelectElement => {
    const s = h('select', {}, ...options.map((o) => h('option', { value: o, text: o })));
    s.value = def;
    return s;
  };
  const kernel = text('6.1');
  kernel.setAttribute('list', 'kernel-list');
  const err = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const paramsInput = h('input', { type: 'file', accept: '.json,application/json', class: 'visually-hidden', id: 'params-file', tabindex: -1 });
  paramsInput.addEventListener('change', () => {
    const f = paramsInput.files?.[0];
    if (f) onParamsFile(f);
    paramsInput.value = '';
  });
  const loadBtn = h('button', { type: 'button', class: 'btn', text: 'Load params JSON…' });
  loadBtn.addEventListener('click', () => paramsInput.click());
  const detectBtn = h('button', { type: 'button', class: 'btn', text: 'Detect' });
  detectBtn.addEventListener('click', onDetect);

  const form = h(
    'form',
    { class: 'layout-form', 'aria-label': 'Layout', novalidate: true },
    h(
      'div',
      { class: 'fields' },
      ...PARAM_FIELDS.map(([name, ph, title]) => field(name, name, text(ph), title)),
      field('ftrace_cpus', 'ftrace cpus', text('1'), 'CPUs of the crashed kernel: one ftrace zone each'),
      field('kernel', 'kernel', kernel, 'kernel profile: zone order and rules'),
      field('arch', 'arch', select(ARCH_NAMES, 'x86_64')),
      field('offset', 'offset', text('0'), 'where the region starts inside the file'),
      field('compress', 'compress', select(['auto', 'none', ...COMPRESSORS], 'auto'), "the reading kernel's compressor"),
    ),
    h('datalist', { id: 'kernel-list' }, ...KERNELS.map((k) => h('option', { value: k }))),
    err,
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn primary', text: 'Apply layout' }), loadBtn, detectBtn, paramsInput),
  );

  const read = (): LayoutChoice => {
    const value = (n: string): string => (inputs.get(n)?.value ?? '').trim();
    const num = (n: string): number | undefined => {
      const v = value(n);
      if (!v) return undefined;
      try {
        return parseSize(v, n);
      } catch (e) {
        inputs.get(n)?.setAttribute('aria-invalid', 'true');
        throw e;
      }
    };
    for (const el of inputs.values()) el.removeAttribute('aria-invalid');
    const params: LayoutChoice['params'] = {};
    for (const [name] of PARAM_FIELDS) {
      const v = num(name);
      if (v !== undefined) params[name] = v;
    }
    const cpus = num('ftrace_cpus');
    return {
      params,
      ftraceCpus: cpus,
      kernel: value('kernel') || undefined,
      arch: value('arch') || undefined,
      offset: num('offset'),
      compress: (value('compress') || 'auto') as LayoutChoice['compress'],
    };
  };
  const showError = (message: string | null): void => {
    err.hidden = !message;
    err.textContent = message ?? '';
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    try {
      const c = read();
      showError(null);
      onApply(c);
    } catch (e) {
      showError(e instanceof PstoreError ? e.message : String(e));
    }
  });
  const set = (c: LayoutChoice): void => {
    for (const [name] of PARAM_FIELDS) {
      const v = c.params[name];
      const el = inputs.get(name)!;
      el.value = v === undefined ? '' : name === 'ecc' || name === 'max_reason' ? String(v) : hex(v);
    }
    inputs.get('ftrace_cpus')!.value = c.ftraceCpus !== undefined ? String(c.ftraceCpus) : '';
    inputs.get('kernel')!.value = c.kernel ?? '';
    inputs.get('arch')!.value = c.arch ?? 'x86_64';
    inputs.get('offset')!.value = c.offset ? hex(c.offset) : '';
    inputs.get('compress')!.value = c.compress ?? 'auto';
    showError(null);
  };
  return { element: form, set, read, showError };
}
