/**
 * Calibrated confidence: random kernel layouts (ramoops on every profile,
 * pstore/blk with and without frontends; tiny to large zones, sizes the
 * kernel rounds, ECC 0/8/16/32/64, per-CPU ftrace, zones blank at either
 * end, regions at random offsets in zero, random or 0xFF data, two regions
 * in one dump). Whenever the inferred layout does not show the same files as
 * the true one, the inference must have said so: ambiguous, or a confidence
 * below CONFIDENT, or nothing trusted. Seeds 1..N (PSTORE_INFER_CASES, default
 * 40; PSTORE_INFER_SEED moves the window), each failure printed with its seed;
 * seeds that once failed are replayed every run.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { judge, type Verdict } from './helpers/inferCheck.js';

const N = Number(process.env.PSTORE_INFER_CASES ?? 40);
const FROM = Number(process.env.PSTORE_INFER_SEED ?? 1);

test(`inference over ${N} random kernel layouts (seeds ${FROM}..${FROM + N - 1}): never confident and wrong`, () => {
  const counts: Record<Verdict, number> = { exact: 0, flagged: 0, refused: 0, 'confident-wrong': 0 };
  const wrong: string[] = [];
  for (let seed = FROM; seed < FROM + N; seed++) {
    const j = judge(seed);
    counts[j.verdict]++;
    if (j.verdict === 'confident-wrong') wrong.push(j.detail);
  }
  const pct = (n: number): string => `${((100 * n) / N).toFixed(2)}%`;
  // One summary line (the README quotes a 10,000-case run of it).
  console.log(
    `inference: ${N} cases: exact ${counts.exact} (${pct(counts.exact)}), flagged ambiguous/low ${counts.flagged} (${pct(counts.flagged)}), nothing trusted ${counts.refused} (${pct(counts.refused)}), confident but wrong ${counts['confident-wrong']} (${pct(counts['confident-wrong'])})`,
  );
  assert.equal(wrong.length, 0, `confident but wrong (replay: PSTORE_INFER_SEED=<seed> PSTORE_INFER_CASES=1):\n${wrong.join('\n')}`);
});

// Seeds that were once confident and wrong (their causes are in the README): replayed in every run.
const REGRESSIONS = [87, 346, 828, 1438, 1704, 4369, 6411, 8767, 12416, 12706, 13627, 14286, 16492, 18093, 19640, 21940, 29732];

test(`inference regressions (seeds ${REGRESSIONS.join(', ')}): exact or flagged`, () => {
  for (const seed of REGRESSIONS) {
    const j = judge(seed);
    assert.notEqual(j.verdict, 'confident-wrong', j.detail);
  }
});
