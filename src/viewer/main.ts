/**
 * The page: open an image (picker, drop, or the `pstore view` server), pick
 * a layout, decode in a worker, show the map, the records and one record.
 * Nothing leaves the browser.
 */
import { PstoreError } from '../errors.js';
import { downloadAll } from './download.js';
import { h, hex, humanSize } from './format.js';
import { choiceFromParamsJson, createLayoutForm } from './layoutForm.js';
import { renderBlkMap } from './blkMap.js';
import { renderEfiMap } from './efiMap.js';
import type { BackendKind, DecodeFailure, ImageModel, LayoutChoice } from './model.js';
import { renderRecordList } from './recordList.js';
import { renderRecordView } from './recordView.js';
import { CANCELLED, runInWorker } from './workerClient.js';
import { renderZoneMap } from './zoneMap.js';
import './style.css';

/** Larger files are refused before reading: a ramoops region is at most a few hundred MiB. */
const MAX_IMAGE_BYTES = 512 * 1024 * 1024;
const MAX_PARAMS_BYTES = 1024 * 1024;

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const body = document.body;
const status = $('status');
const message = $('message');
const tooltip = $('tooltip');
const mapSection = $('map-body');
const recordsSection = $('records-body');
const recordSection = $('record-body');
const fileInput = $<HTMLInputElement>('file-input');

interface State {
  bytes: Uint8Array | null;
  name: string;
  /** Where the layout came from, for the status line. */
  layoutSource: string;
  model: ImageModel | null;
  /** A params JSON loaded before any image: used for the next image. */
  pendingChoice: LayoutChoice | null;
}
const state: State = { bytes: null, name: '', layoutSource: '', model: null, pendingChoice: null };

function setPhase(phase: 'empty' | 'loading' | 'ready' | 'error'): void {
  body.dataset.state = phase;
}

function showMessage(text: string | null, kind: 'error' | 'info' = 'error'): void {
  message.hidden = !text;
  message.className = `message ${kind}`;
  message.textContent = text ?? '';
}

function failureText(f: DecodeFailure): string {
  const where = f.zone ? ` (${f.zone}${f.offset !== undefined ? ` at ${hex(f.offset)}` : ''})` : f.offset !== undefined ? ` (at ${hex(f.offset)})` : '';
  return `Cannot show '${state.name}' with this layout: ${f.message}${where}. Check the layout parameters or open another image.`;
}

const form = createLayoutForm(
  (choice) => {
    state.layoutSource = 'form';
    void decode(choice);
  },
  (file) => void loadParamsFile(file),
  () => void detect(true),
);
$('layout-body').append(form.element);

function clearViews(): void {
  mapSection.replaceChildren();
  recordsSection.replaceChildren();
  recordSection.replaceChildren();
  $('download-all').hidden = true;
}

const KIND_NAMES: Record<BackendKind, string> = { ramoops: 'ramoops region', blk: 'pstore/blk device', efi: 'EFI variable store' };

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The status line's description of the image, and the map, per backend. */
function backendView(model: ImageModel): { what: string; title: string; map: HTMLElement; problem: string | null } {
  if (model.backend === 'blk') {
    return {
      what: `pstore/blk device of ${humanSize(model.deviceSize)}, ${plural(model.zones.length, 'zone')}`,
      title: 'Device map',
      map: renderBlkMap(model, state.bytes, tooltip),
      problem: model.recoveryProblem && `The kernel's recovery of this device fails, so it shows no records: ${model.recoveryProblem}`,
    };
  }
  if (model.backend === 'efi') {
    const m = model.map;
    const pstore = m.variables.filter((v) => v.isPstore && v.state === 'added').length;
    return {
      what: `EFI variable store (${m.store.format}, ${humanSize(m.store.size)}), ${plural(m.variables.length, 'variable')}, ${pstore} efi-pstore, ${humanSize(m.store.freeBytes)} free`,
      title: 'Variable store',
      map: renderEfiMap(model, state.bytes, tooltip),
      problem: null,
    };
  }
  const problems = model.zones.reduce((n, z) => n + z.correctedBytes, 0);
  const bad = model.zones.reduce((n, z) => n + z.badBlocks, 0);
  return {
    what: `${plural(model.zones.length, 'zone')}${problems || bad ? `, ECC ${problems} bytes corrected, ${bad} unrecoverable blocks` : ''}`,
    title: 'Zone map',
    map: renderZoneMap(model, state.bytes, tooltip),
    problem: null,
  };
}

function renderModel(model: ImageModel): void {
  state.model = model;
  const view = backendView(model);
  status.textContent = `${state.name}: ${humanSize(model.imageSize)}, ${view.what}, ${plural(model.files.length, 'record')} · layout: ${state.layoutSource} · kernel ${model.kernel}, ${model.arch}`;
  if (view.problem) showMessage(view.problem);
  else showMessage(model.warnings.length ? `Layout notes: ${model.warnings.join('; ')}` : null, 'info');

  $('map-title').textContent = view.title;
  mapSection.replaceChildren(view.map);
  const files = model.files;
  if (!files.length) {
    recordsSection.replaceChildren(h('p', { class: 'empty', text: 'No records: the kernel would show an empty /sys/fs/pstore for this layout.' }));
    recordSection.replaceChildren();
    $('download-all').hidden = true;
    return;
  }
  const show = (i: number, activate: boolean): void => {
    recordSection.replaceChildren(renderRecordView(files[i]));
    if (activate) recordSection.querySelector<HTMLElement>('pre.log')?.focus();
  };
  const list = renderRecordList(files, show);
  recordsSection.replaceChildren(list.element);
  $('download-all').hidden = false;
  list.select(0);
}

async function decode(choice: LayoutChoice): Promise<void> {
  if (!state.bytes) {
    form.showError('Open an image first.');
    return;
  }
  form.set(choice);
  setPhase('loading');
  status.textContent = `Decoding ${state.name}…`;
  const res = await runInWorker({ kind: 'decode', bytes: state.bytes, choice });
  if (res.kind === 'failed' && res.failure.errorName === CANCELLED) return;
  if (res.kind === 'decoded') {
    renderModel(res.model);
    setPhase('ready');
  } else if (res.kind === 'failed') {
    clearViews();
    state.model = null;
    status.textContent = `${state.name}: ${humanSize(state.bytes.length)}, not decoded`;
    showMessage(failureText(res.failure));
    setPhase('error');
  }
}

/** Layout detection (src/scan). `explicit`: the user asked, so say when nothing was found. */
async function detect(explicit: boolean): Promise<void> {
  if (!state.bytes) {
    form.showError('Open an image first.');
    return;
  }
  setPhase('loading');
  status.textContent = `Detecting the layout of ${state.name}…`;
  const res = await runInWorker({ kind: 'detect', bytes: state.bytes });
  if (res.kind === 'failed' && res.failure.errorName === CANCELLED) return;
  if (res.kind === 'detected' && res.choice) {
    state.layoutSource = `detected ${KIND_NAMES[res.found ?? 'ramoops']}`;
    await decode(res.choice);
    return;
  }
  const why = res.kind === 'detected' ? 'no ramoops region, pstore/blk device or EFI variable store found' : res.kind === 'failed' ? res.failure.message : 'unexpected answer';
  if (explicit) {
    form.showError(`Detect: ${why}.`);
    setPhase(state.model ? 'ready' : 'empty');
    status.textContent = state.name;
    return;
  }
  state.layoutSource = `module defaults (${why})`;
  await decode({ params: {} });
}

async function openBytes(bytes: Uint8Array, name: string, choice: LayoutChoice | null, source: string): Promise<void> {
  state.bytes = bytes;
  state.name = name;
  state.model = null;
  body.classList.add('has-image');
  showMessage(null);
  if (choice) {
    state.layoutSource = source;
    await decode(choice);
  } else await detect(false);
}

async function openImageFile(file: File): Promise<void> {
  if (file.size > MAX_IMAGE_BYTES) {
    showMessage(`'${file.name}' is ${humanSize(file.size)}: larger than the ${humanSize(MAX_IMAGE_BYTES)} this page reads. Cut the region or device out first (pstore view IMAGE --offset … --mem-size … works on the command line).`);
    setPhase('error');
    return;
  }
  if (file.size === 0) {
    showMessage(`'${file.name}' is empty: not a pstore image.`);
    setPhase('error');
    return;
  }
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await file.arrayBuffer());
  } catch (e) {
    showMessage(`Cannot read '${file.name}': ${e instanceof Error ? e.message : String(e)}`);
    setPhase('error');
    return;
  }
  const pending = state.pendingChoice;
  state.pendingChoice = null;
  await openBytes(bytes, file.name, pending, 'params JSON');
}

/** A params JSON: applied to the open image, or kept for the next one (`forNext`, or no image yet). */
async function loadParamsFile(file: File, forNext = false): Promise<void> {
  try {
    if (file.size > MAX_PARAMS_BYTES) throw new PstoreError(`'${file.name}' is too large for a params JSON`);
    const choice = choiceFromParamsJson(await file.text(), file.name);
    if (state.bytes && !forNext) {
      state.layoutSource = `params ${file.name}`;
      await decode(choice);
    } else {
      state.pendingChoice = choice;
      form.set(choice);
      if (!forNext) showMessage(`Layout from ${file.name} loaded; now open the image.`, 'info');
    }
  } catch (e) {
    form.showError(e instanceof PstoreError ? e.message : `Cannot read '${file.name}': ${String(e)}`);
  }
}

const isJson = (f: File): boolean => /\.json$/i.test(f.name) || f.type === 'application/json';

async function openFiles(files: readonly File[]): Promise<void> {
  const params = files.filter(isJson);
  const images = files.filter((f) => !isJson(f));
  for (const p of params) await loadParamsFile(p, images.length > 0);
  if (images.length) await openImageFile(images[0]);
}

// Picker and drag-and-drop.
$('open-btn').addEventListener('click', () => fileInput.click());
$('open-btn-2').addEventListener('click', () => fileInput.click());
fileInput.addEventListener('change', () => {
  const files = Array.from(fileInput.files ?? []);
  fileInput.value = '';
  void openFiles(files);
});
let dragDepth = 0;
window.addEventListener('dragenter', (ev) => {
  ev.preventDefault();
  dragDepth++;
  body.classList.add('dragging');
});
window.addEventListener('dragleave', () => {
  if (--dragDepth <= 0) {
    dragDepth = 0;
    body.classList.remove('dragging');
  }
});
window.addEventListener('dragover', (ev) => ev.preventDefault());
window.addEventListener('drop', (ev) => {
  ev.preventDefault();
  dragDepth = 0;
  body.classList.remove('dragging');
  const files = Array.from(ev.dataTransfer?.files ?? []);
  if (files.length) void openFiles(files);
});
$('download-all').addEventListener('click', () => {
  if (state.model) downloadAll(state.model.files, state.name);
});

/** What `pstore view` serves beside the page. */
interface ServedInfo {
  name: string;
  /** Null when no layout flags were given: the page detects. */
  choice: LayoutChoice | null;
}

function servedInfo(v: unknown): ServedInfo | null {
  if (!v || typeof v !== 'object') return null;
  const o = v as Record<string, unknown>;
  if (typeof o.name !== 'string') return null;
  if (o.choice === null) return { name: o.name, choice: null };
  const c = o.choice as Record<string, unknown> | undefined;
  if (!c || typeof c !== 'object' || !c.params || typeof c.params !== 'object') return null;
  return { name: o.name, choice: c as unknown as LayoutChoice };
}

/** Served by `pstore view`: fetch the image and its layout; a static host has neither. */
async function loadServed(): Promise<boolean> {
  let info: ServedInfo | null = null;
  try {
    const r = await fetch('api/options', { cache: 'no-store' });
    if (!r.ok) return false;
    info = servedInfo(await r.json());
  } catch {
    return false;
  }
  if (!info) return false;
  setPhase('loading');
  status.textContent = `Loading ${info.name}…`;
  try {
    const r = await fetch('api/image', { cache: 'no-store' });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    const bytes = new Uint8Array(await r.arrayBuffer());
    await openBytes(bytes, info.name, info.choice, 'pstore view flags');
  } catch (e) {
    showMessage(`Cannot load the image from the server: ${e instanceof Error ? e.message : String(e)}`);
    setPhase('error');
  }
  return true;
}

setPhase('empty');
void loadServed();
