// An image made only with the pstore CLI (create, dump, write), for the kernel
// to read: proves the commands, not just the library under them.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './initramfs.js';
import { logLines, type BuiltImage } from './images.js';
import { ourParams } from './ours.js';
import type { RamoopsParams } from './vm.js';

function pstore(args: string[]): void {
  execFileSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** ECC 16: `create`, `dump --reason oops --reason panic --compress deflate`, `write --console --pmsg`. */
export function cliImageCase(): BuiltImage {
  const params: RamoopsParams = { memSize: 0x40000, recordSize: 0x4000, consoleSize: 0x4000, pmsgSize: 0x2000, ecc: 16 };
  const dir = mkdtempSync(join(tmpdir(), 'hx-cli-img-'));
  try {
    const img = join(dir, 'ramoops.bin');
    const pj = join(dir, 'params.json');
    writeFileSync(pj, JSON.stringify({ ramoops: ourParams(params) }));
    const layout = ['--params', pj, '--kernel', 'debian-6.1'];
    pstore(['create', img, '--mem-size', String(params.memSize), ...layout]);
    writeFileSync(join(dir, 'log.txt'), logLines('cli-dump', 150, 1));
    pstore(['dump', img, ...layout, '--reason', 'oops', '--reason', 'panic', '--log', join(dir, 'log.txt'), '--time', '1704067202.372553', '--compress', 'deflate']);
    writeFileSync(join(dir, 'console.txt'), logLines('cli-console', 300, 2, 50));
    writeFileSync(join(dir, 'pmsg.txt'), 'cli pmsg bytes\n'.repeat(30));
    pstore(['write', img, ...layout, '--console', join(dir, 'console.txt'), '--pmsg', join(dir, 'pmsg.txt')]);
    const image = new Uint8Array(readFileSync(img));
    return {
      name: 'cli-create-dump-write-ecc16',
      image,
      params,
      kernel: '6.1',
      expect: { names: ['dmesg-ramoops-0', 'dmesg-ramoops-1', 'console-ramoops-0', 'pmsg-ramoops-0'] },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
