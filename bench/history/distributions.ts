/** Random draws for the fleet model, from a seeded generator (src/sim/random.ts). */

import type { Rng } from "../../src/sim/random.ts";

export function clamp(x: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, x));
}

/** Box–Muller: one normal draw (two uniform draws). */
export function normal(rng: Rng, mean: number, sd: number): number {
  const u = 1 - rng();
  return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

export function exponential(rng: Rng, mean: number): number {
  return -Math.log(1 - rng()) * mean;
}

/** Knuth's method, capped at 1,000. */
export function poisson(rng: Rng, lambda: number): number {
  if (lambda <= 0) return 0;
  const l = Math.exp(-lambda);
  let k = 0;
  let p = rng();
  while (p > l && k < 1_000) {
    k++;
    p *= rng();
  }
  return k;
}
