/**
 * Significance: McNemar's exact test, the Holm–Bonferroni step-down adjustment, and percentile
 * intervals and p-values from bootstrap replicates.
 *
 * @module
 */

/**
 * Two-sided exact binomial test of `k` successes in `n` trials against probability ½ — what
 * `scipy.stats.binomtest(k, n, 0.5).pvalue` gives: `min(1, 2 · P(X ≤ min(k, n − k)))`. 1 when
 * `n = 0`.
 */
export function binomialTestHalf(k: number, n: number): number {
  if (!Number.isInteger(n) || n < 0) {
    throw new Error(`binomialTestHalf: n must be a non-negative integer, got ${n}`);
  }
  if (!Number.isInteger(k) || k < 0 || k > n) {
    throw new Error(`binomialTestHalf: k must be an integer in [0, ${n}], got ${k}`);
  }
  if (n === 0) return 1;
  const m = Math.min(k, n - k);
  if (2 * m === n) return 1;
  if (n > 1000) throw new Error(`binomialTestHalf: n = ${n} discordant pairs; at most 1,000`);
  // P(X ≤ m) = Σ_{i ≤ m} C(n, i) / 2^n by the recurrence C(n, i) = C(n, i − 1)·(n − i + 1)/i,
  // starting from 2^-n (exact): about 1e-14 relative.
  let term = 2 ** -n;
  let tail = term;
  for (let i = 1; i <= m; i++) {
    term *= (n - i + 1) / i;
    tail += term;
  }
  return Math.min(1, 2 * tail);
}

/** McNemar's exact test on paired right/wrong outcomes. */
export interface McNemarResult {
  /** Rows A got right and B got wrong. */
  readonly onlyA: number;
  /** Rows B got right and A got wrong. */
  readonly onlyB: number;
  /** Two-sided exact p-value: the binomial test of `onlyA` in `onlyA + onlyB` trials at ½. */
  readonly p: number;
}

/**
 * McNemar's exact test of two classifiers' correctness on the same rows (`correctA[i]`,
 * `correctB[i]` 0/1 or booleans): only the discordant rows count.
 */
export function mcnemarExact(
  correctA: ArrayLike<number | boolean>,
  correctB: ArrayLike<number | boolean>,
): McNemarResult {
  if (correctA?.length !== correctB?.length) {
    throw new Error(`mcnemarExact: ${correctA?.length} outcomes for A, ${correctB?.length} for B`);
  }
  let onlyA = 0, onlyB = 0;
  for (let i = 0; i < correctA.length; i++) {
    const a = correctA[i] as unknown, b = correctB[i] as unknown;
    for (const [v, which] of [[a, "A"], [b, "B"]] as const) {
      if (v !== 0 && v !== 1 && v !== true && v !== false) {
        throw new Error(`mcnemarExact: outcome ${which} at row ${i} is ${v}, expected 0/1`);
      }
    }
    if (a && !b) onlyA++;
    else if (b && !a) onlyB++;
  }
  return { onlyA, onlyB, p: binomialTestHalf(onlyA, onlyA + onlyB) };
}

/**
 * Holm–Bonferroni adjusted p-values, in the input order: sort ascending, multiply the i-th
 * smallest (0-based) by `m − i`, carry the running maximum, cap at 1 — a family-wise error rate
 * of α holds when every adjusted p ≤ α is called significant. NaN entries are left out of the
 * family and stay NaN.
 */
export function holmAdjust(pvalues: readonly number[]): number[] {
  pvalues.forEach((p, i) => {
    if (!Number.isNaN(p) && !(p >= 0 && p <= 1)) {
      throw new Error(`holmAdjust: p-value at index ${i} is ${p}, outside [0, 1]`);
    }
  });
  const idx = pvalues.map((_, i) => i).filter((i) => !Number.isNaN(pvalues[i]));
  idx.sort((a, b) => pvalues[a] - pvalues[b] || a - b);
  const m = idx.length;
  const out = pvalues.map(() => NaN);
  let running = 0;
  idx.forEach((i, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * pvalues[i]));
    out[i] = running;
  });
  return out;
}

/**
 * The `q`-quantile of `values` with linear interpolation between order statistics — numpy's
 * default (`method="linear"`). Sorts a copy; NaN for no values.
 */
export function quantile(values: ArrayLike<number>, q: number): number {
  if (!(q >= 0 && q <= 1)) throw new Error(`quantile: q must be in [0, 1], got ${q}`);
  const n = values.length;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(values[i])) throw new Error(`quantile: value ${i} is ${values[i]}`);
  }
  if (n === 0) return NaN;
  const s = Float64Array.from(values).sort();
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  return lo + 1 < n ? s[lo] + (h - lo) * (s[lo + 1] - s[lo]) : s[lo];
}

/** A two-sided percentile interval. */
export interface Interval {
  /** Lower end. */
  readonly lo: number;
  /** Upper end. */
  readonly hi: number;
}

/** The central `level` (default 95 %) percentile interval of bootstrap replicates. */
export function percentileInterval(replicates: ArrayLike<number>, level = 0.95): Interval {
  if (!(level > 0 && level < 1)) {
    throw new Error(`percentileInterval: level must be in (0, 1), got ${level}`);
  }
  const a = (1 - level) / 2;
  return { lo: quantile(replicates, a), hi: quantile(replicates, 1 - a) };
}

/**
 * Two-sided bootstrap p-value of "the difference is 0" from replicates of the difference: twice
 * the smaller share of replicates on either side of 0 (a replicate at exactly 0 counts half to
 * each), `2 · (min(below, above) + 1) / (B + 1)` so that it is never 0 (at least `2 / (B + 1)`,
 * 0.001 for B = 2,000), capped at 1. It is the smallest α at which the percentile interval of level `1 − α` would
 * exclude 0.
 */
export function bootstrapPValue(differences: ArrayLike<number>): number {
  const b = differences.length;
  if (b === 0) throw new Error("bootstrapPValue: no replicates");
  let below = 0, above = 0;
  for (let i = 0; i < b; i++) {
    const d = differences[i];
    if (!Number.isFinite(d)) throw new Error(`bootstrapPValue: replicate ${i} is ${d}`);
    if (d < 0) below++;
    else if (d > 0) above++;
    else {
      below += 0.5;
      above += 0.5;
    }
  }
  return Math.min(1, (2 * (Math.min(below, above) + 1)) / (b + 1));
}
