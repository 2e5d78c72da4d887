// Builds the optional mmap addon (npm run build:native, run by `prepare`).
// Never fails the install: without a compiler or Node headers the recorder
// falls back to positioned writes, so a failed build is one warning line.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
if (process.platform === 'win32') {
  console.warn('pstore: mmap addon not built (POSIX only); the recorder uses positioned writes');
  process.exit(0);
}
// npm puts its bundled node-gyp on PATH for lifecycle scripts; PSTORE_NODE_GYP overrides.
const gyp = process.env.PSTORE_NODE_GYP ?? 'node-gyp';
const r = spawnSync(gyp, ['rebuild', '--directory', here], { encoding: 'utf8', shell: false, stdio: ['ignore', 'pipe', 'pipe'] });
const log = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`;
if (r.status !== 0) {
  writeFileSync(join(here, 'build-native.log'), log);
  const lines = log.split('\n');
  const why = r.error
    ? `${gyp} not found`
    : (lines.find((l) => /\berror:/.test(l)) ?? lines.find((l) => /gyp ERR! stack Error:/.test(l))?.replace(/^gyp ERR! stack /, '') ?? `exit ${r.status}`).trim();
  console.warn(`pstore: mmap addon not built (${why.slice(0, 160)}); the recorder uses positioned writes. Log: native/build-native.log`);
}
