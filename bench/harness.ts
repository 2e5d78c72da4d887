/**
 * Tiny benchmark harness. Each bench/*.bench.ts default-exports BenchCase[].
 * Figures are noisy on shared machines, so every case may also report a
 * baseline measured in the same process, and the ratio is what we quote.
 */
export interface BenchResult {
  name: string;
  unit: string;
  value: number;
  /** Same workload done by a reference implementation, in the same unit. */
  baseline?: { name: string; value: number };
}

export interface BenchCase {
  name: string;
  run(): BenchResult | Promise<BenchResult>;
}

/** Calls `fn` repeatedly for at least `minMs` (after a warm-up) and returns calls per second. */
export function opsPerSecond(fn: () => void, minMs = 400): number {
  const warmEnd = performance.now() + Math.min(150, minMs / 2);
  while (performance.now() < warmEnd) fn();
  let calls = 0;
  const start = performance.now();
  let now = start;
  do {
    for (let i = 0; i < 8; i++) fn();
    calls += 8;
    now = performance.now();
  } while (now - start < minMs);
  return (calls * 1000) / (now - start);
}
