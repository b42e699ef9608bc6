// Deterministic pseudo-random numbers for synthetic weights: mulberry32 (32-bit state, period 2^32).
// Only integer ops, +, * and Math.sqrt are used, so the sequence is identical on every platform.

export interface Prng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Approximately standard normal (Irwin–Hall: 4 uniforms, rescaled to variance 1; |x| ≤ 2√3). */
  normal(): number;
}

export function mulberry32(seed: number): Prng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const SCALE = Math.sqrt(3);
  return {
    next,
    normal: () => (next() + next() + next() + next() - 2) * SCALE,
  };
}
