/**
 * One inference case judged: does the layout inferred from the dump alone
 * extract the same files as the true one, and if not, did the inference say
 * so (ambiguous or low confidence)?
 */
import { chooseLayout } from '../../src/scan/chooseLayout.js';
import { scanDump, type BlkScanRegion, type ScanRegion } from '../../src/scan/scanDump.js';
import { PstoreError } from '../../src/errors.js';
import { filesOf, inferCase, type InferCase } from './inferCases.js';
import { CONFIDENT } from '../../src/scan/scanDump.js';

export type Verdict = 'exact' | 'flagged' | 'refused' | 'confident-wrong';

export interface Judged {
  verdict: Verdict;
  case: InferCase;
  detail: string;
}

export function judge(seed: number): Judged {
  const c = inferCase(seed);
  const scan = scanDump(c.dump);
  let chosen;
  try {
    chosen = chooseLayout(scan, { backends: ['ramoops', 'blk'] });
  } catch (e) {
    if (!(e instanceof PstoreError)) throw e;
    // Nothing trusted: honest when some planted region shows files; nothing lost when none does.
    return { verdict: c.regions.some((p) => (filesOf(c.dump, p.options) ?? []).length) ? 'refused' : 'exact', case: c, detail: e.message };
  }
  const got = filesOf(c.dump, { ...chosen.options, backend: chosen.backend } as never);
  if (chosen.backend === 'efi') throw new Error(`seed ${seed}: an EFI store inferred where none was planted`);
  const region = chosen.region as ScanRegion | BlkScanRegion;
  const truth = c.regions.find((p) => region.offset < p.offset + p.size && region.offset + (region.backend === 'blk' ? region.deviceSize : region.params.mem_size) > p.offset);
  const want = truth ? filesOf(c.dump, truth.options) : null;
  const same = got !== null && want !== null && got.length === want.length && got.every((x, i) => x === want[i]);
  const detail = `seed ${seed}: planted ${c.regions.map((p) => p.describe).join('; ')} | inferred ${region.backend} at 0x${region.offset.toString(16)} confidence ${region.confidence} ${region.ambiguous ? 'AMBIGUOUS ' : ''}${region.backend === 'blk' ? JSON.stringify(region.params) + ' dev 0x' + region.deviceSize.toString(16) : JSON.stringify(region.params)} kernel ${region.kernel} | files want ${want?.map((f) => f.split(':')[0]).join(',')} got ${got?.map((f) => f.split(':')[0]).join(',')}`;
  if (same) return { verdict: 'exact', case: c, detail };
  const flagged = region.ambiguous || region.confidence < CONFIDENT;
  return { verdict: flagged ? 'flagged' : 'confident-wrong', case: c, detail };
}
