/**
 * systemd-pstore's configuration, which this command honours: pstore.conf and
 * its drop-ins, section [PStore], keys Storage= (none | external | journal)
 * and Unlink= (boolean). Files are read in systemd's order: the main file
 * from /etc (else /run, /usr/local/lib, /usr/lib), then drop-ins `*.conf`
 * from every pstore.conf.d, sorted by file name, where a name in /etc hides
 * the same name in /run and /usr/lib. Later assignments win.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type StorageMode = 'none' | 'external' | 'journal';

export interface PstoreConf {
  storage?: StorageMode;
  unlink?: boolean;
  /** Files that were read, in order. */
  files: string[];
  /** Lines that were not understood (`file:line: text`). */
  warnings: string[];
}

const DIRS = ['etc/systemd', 'run/systemd', 'usr/local/lib/systemd', 'usr/lib/systemd'];

function parseBool(v: string): boolean | undefined {
  const s = v.trim().toLowerCase();
  if (['1', 'yes', 'y', 'true', 't', 'on'].includes(s)) return true;
  if (['0', 'no', 'n', 'false', 'f', 'off'].includes(s)) return false;
  return undefined;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function applyFile(conf: PstoreConf, path: string, text: string): void {
  conf.files.push(path);
  let section = '';
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) return;
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec) {
      section = sec[1];
      return;
    }
    if (section !== 'PStore') return;
    const kv = /^([A-Za-z]+)\s*=\s*(.*)$/.exec(line);
    const where = `${path}:${i + 1}`;
    if (!kv) return void conf.warnings.push(`${where}: not KEY=VALUE: ${line}`);
    const [, key, value] = kv;
    if (key === 'Storage') {
      const v = value.trim();
      if (v === 'none' || v === 'external' || v === 'journal') conf.storage = v;
      else conf.warnings.push(`${where}: Storage= must be none, external or journal: ${v}`);
    } else if (key === 'Unlink') {
      const b = parseBool(value);
      if (b === undefined) conf.warnings.push(`${where}: Unlink= is not a boolean: ${value.trim()}`);
      else conf.unlink = b;
    } else conf.warnings.push(`${where}: unknown key ${key}`);
  });
}

/** Reads pstore.conf and drop-ins below `root` ('/' on a real system). */
export function readPstoreConf(root = '/'): PstoreConf {
  const conf: PstoreConf = { files: [], warnings: [] };
  for (const d of DIRS) {
    const path = join(root, d, 'pstore.conf');
    const text = readText(path);
    if (text !== undefined) {
      applyFile(conf, path, text);
      break;
    }
  }
  const dropins = new Map<string, string>();
  for (const d of DIRS) {
    let names: string[] = [];
    try {
      names = readdirSync(join(root, d, 'pstore.conf.d'));
    } catch {
      continue;
    }
    for (const n of names) if (n.endsWith('.conf') && !dropins.has(n)) dropins.set(n, join(root, d, 'pstore.conf.d', n));
  }
  for (const n of [...dropins.keys()].sort()) {
    const path = dropins.get(n) as string;
    const text = readText(path);
    if (text !== undefined) applyFile(conf, path, text);
  }
  return conf;
}
