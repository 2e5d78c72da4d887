/** Downloads: one record, or all of them as a zip of the files `extract` writes. */
import { zipSync, type Zippable } from 'fflate';
import type { FileModel } from './model.js';

function save(data: Uint8Array, name: string, type: string): void {
  const url = URL.createObjectURL(new Blob([data as Uint8Array<ArrayBuffer>], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function downloadFile(f: FileModel): void {
  save(f.content, f.name, 'application/octet-stream');
}

/** DOS dates in zips cover 1980..2099; outside that the zip entry gets `now`. */
function zipTime(f: FileModel, now: Date): Date {
  if (!f.mtime) return now;
  const d = new Date(f.mtime.sec * 1000);
  const y = d.getUTCFullYear();
  return y >= 1980 && y <= 2099 ? d : now;
}

export function zipFiles(files: readonly FileModel[], now = new Date()): Uint8Array {
  const entries: Zippable = {};
  for (const f of files) entries[f.name] = [f.content, { mtime: zipTime(f, now), level: 6 }];
  return zipSync(entries);
}

export function downloadAll(files: readonly FileModel[], imageName: string): void {
  const base = imageName.replace(/\.[^.]*$/, '') || 'pstore';
  save(zipFiles(files), `${base}-pstore.zip`, 'application/zip');
}
