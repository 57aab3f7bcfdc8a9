/**
 * Deterministic randomness (mulberry32) for tests and benchmarks: the allocator's `random` option (so the agent
 * order, and with it every placement, repeats run after run), generated hosts and the app's generated fleet.
 */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
