/**
 * fast-check seeding for the test runs. In CI (CI set) every property runs
 * from a fixed seed, so a green run is reproducible; elsewhere seeds are
 * random to keep exploring. PSTORE_FC_SEED=N pins a seed anywhere (a failing
 * run prints the seed and path to replay it).
 */
import fc from 'fast-check';

const pinned = process.env.PSTORE_FC_SEED ?? (process.env.CI ? '20261201' : undefined);
if (pinned !== undefined) fc.configureGlobal({ seed: Number(pinned) });
