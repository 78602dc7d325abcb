/**
 * Seeded randomness for the reliability suites: every random choice (kill points, byte strings)
 * comes from one printed seed, so a failing trial can be replayed with `RELIABILITY_SEED=<n>`.
 */

/** mulberry32: small, fast and good enough to spread trials; not for anything secret. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed from RELIABILITY_SEED, else a fresh one; printed so the run can be repeated. */
export function suiteSeed(suite: string): number {
  const fromEnv = process.env.RELIABILITY_SEED;
  const seed = fromEnv ? Number(fromEnv) : Math.floor(Math.random() * 2 ** 31);
  if (!Number.isInteger(seed)) throw new Error(`RELIABILITY_SEED must be an integer, got ${fromEnv}`);
  process.stderr.write(`${suite}: seed ${seed} (repeat with RELIABILITY_SEED=${seed})\n`);
  return seed;
}
