/**
 * `pstore ls` names the algorithm that decompressed each dump: images
 * written with every compressor through the write API (dumpToImage), read
 * back with --compress auto. lz4hc writes the lz4 block format, so it reads
 * back as lz4.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createImage, dumpToImage } from '../src/api/writeImage.js';
import { KmsgDumpReason } from '../src/core/backend.js';
import { compressorNames, initZstd } from '../src/core/compress/registry.js';
import type { CompressorName } from '../src/core/compress/types.js';
import { captureIo } from '../src/cli/io.js';
import { runCli } from '../src/cli/program.js';
import { installNodeDeflate } from '../src/node/deflate.js';
import { MemoryRegion } from '../src/region/region.js';

const LOG = Array.from({ length: 300 }, (_, i) => `<6>[  ${(i / 10).toFixed(6).padStart(10, ' ')}] compressible line ${i % 17} of the quick brown fox`).join('\n') + '\n';
const PARAMS = { mem_size: 0x20000, record_size: 0x4000, console_size: 0, ftrace_size: 0, pmsg_size: 0, ecc: 0 };
const FLAGS = ['--mem-size', '0x20000', '--record-size', '0x4000', '--console-size', '0', '--ftrace-size', '0', '--pmsg-size', '0'];

const tmp = mkdtempSync(join(tmpdir(), 'pstore-lsc-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

test.before(async () => {
  installNodeDeflate();
  await initZstd();
});

const SHOWN: Record<CompressorName, string> = { deflate: 'deflate', lzo: 'lzo', lz4: 'lz4', lz4hc: 'lz4', '842': '842', zstd: 'zstd' };

for (const alg of compressorNames) {
  test(`ls --json reports ${SHOWN[alg]} for a dump written with ${alg}`, async () => {
    const region = new MemoryRegion(new Uint8Array(PARAMS.mem_size));
    const image = createImage(region, { params: PARAMS });
    dumpToImage(image, { log: LOG, reasons: [KmsgDumpReason.PANIC], compress: alg, time: { sec: 1704067200, nsec: 0 } });
    const path = join(tmp, `${alg}.bin`);
    writeFileSync(path, region.read(0, region.size));
    const io = captureIo();
    assert.equal(await runCli(['ls', path, ...FLAGS, '--json'], io), 0, io.stderrText());
    const [f] = JSON.parse(io.stdoutText()) as { name: string; compressed: boolean; compression: string | null }[];
    assert.deepEqual([f.name, f.compressed, f.compression], ['dmesg-ramoops-0', true, SHOWN[alg]]);
    // The table says the same, and the text is the log.
    const t = captureIo();
    await runCli(['ls', path, ...FLAGS], t);
    assert.match(t.stdoutText(), new RegExp(`dmesg-ramoops-0\\s+\\d+\\s+2024-01-01 00:00:00.000000\\s+${SHOWN[alg]}\\s`));
    const c = captureIo();
    await runCli(['cat', path, 'dmesg-ramoops-0', ...FLAGS], c);
    assert.ok(c.stdoutText().startsWith('Panic#1 Part1\n'), c.stdoutText().slice(0, 40));
    assert.ok(c.stdoutText().includes('compressible line'), alg);
  });
}

test('--help documents that lz4hc shows as lz4', async () => {
  const io = captureIo();
  await runCli(['help', 'ls'], io);
  assert.match(io.stdoutText().replace(/\s+/g, ' '), /lz4hc records show as lz4, the same block format/);
});
