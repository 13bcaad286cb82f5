/**
 * Summaries over repeated runs (seeds): mean, sample standard deviation and a Student-t 95%
 * confidence interval.
 *
 * @module
 */

/** Mean ± spread of a handful of values, e.g. one metric over seeds. */
export interface MeanStd {
  /** Arithmetic mean (NaN for no values). */
  readonly mean: number;
  /** Sample standard deviation, `ddof = 1` (NaN for fewer than 2 values). */
  readonly std: number;
  /**
   * Half-width of the 95% confidence interval of the mean, `t(0.975, n−1) · std / √n`
   * (NaN for fewer than 2 values). With 3 seeds `t = 4.303`, so the interval is wide.
   */
  readonly ci95: number;
  /** Number of values. */
  readonly n: number;
}

/**
 * Mean, sample standard deviation (`ddof = 1`, as `numpy.std(ddof=1)` / `torch.std`) and the
 * Student-t 95% confidence half-width of `xs`. Throws on a non-finite value, naming its index.
 */
export function meanStd(xs: readonly number[]): MeanStd {
  if (!Array.isArray(xs)) throw new Error(`meanStd: expected an array of numbers, got ${xs}`);
  const n = xs.length;
  xs.forEach((x, i) => {
    if (!Number.isFinite(x)) throw new Error(`meanStd: value ${x} at index ${i} is not finite`);
  });
  if (n === 0) return { mean: NaN, std: NaN, ci95: NaN, n };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, std: NaN, ci95: NaN, n };
  const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1);
  const std = Math.sqrt(variance);
  const ci95 = studentTQuantile(0.975, n - 1) * std / Math.sqrt(n);
  return { mean, std, ci95, n };
}

/**
 * Cumulative distribution function of Student's t with an integer number `df ≥ 1` of degrees of
 * freedom (`scipy.stats.t.cdf(t, df)`). For integer `df` the distribution has a finite closed form
 * (Abramowitz & Stegun 26.7.3–4): with `θ = atan(t/√df)`, `P(|T| < t)` is
 * `sin θ · Σ_{k<df/2} c_k cos^{2k} θ` for even `df` and
 * `(2/π)(θ + sin θ cos θ · Σ_{k<(df−1)/2} c_k cos^{2k} θ)` for odd `df`, where
 * `c_0 = 1, c_k = c_{k−1}·(2k−1)/(2k)` (even) or `c_{k−1}·2k/(2k+1)` (odd). All terms are
 * positive, so the sum is exact to rounding.
 */
export function studentTCdf(t: number, df: number): number {
  if (Number.isNaN(t)) throw new Error(`studentTCdf: t is NaN`);
  if (!(Number.isInteger(df) && df >= 1)) {
    throw new Error(`studentTCdf: df must be a positive integer, got ${df}`);
  }
  if (!Number.isFinite(t)) return t > 0 ? 1 : 0;
  const theta = Math.atan(Math.abs(t) / Math.sqrt(df));
  const sin = Math.sin(theta);
  const cos2 = Math.cos(theta) ** 2;
  const odd = df % 2 === 1;
  const terms = odd ? (df - 1) / 2 : df / 2;
  let term = 1;
  let sum = terms > 0 ? 1 : 0;
  for (let k = 1; k < terms; k++) {
    term *= cos2 * (odd ? (2 * k) / (2 * k + 1) : (2 * k - 1) / (2 * k));
    sum += term;
  }
  const inside = odd ? (2 / Math.PI) * (theta + sin * Math.cos(theta) * sum) : sin * sum;
  return t >= 0 ? 0.5 + 0.5 * inside : 0.5 - 0.5 * inside;
}

/**
 * Quantile of Student's t: the `t` with `P(T ≤ t) = p` for an integer number `df ≥ 1` of degrees
 * of freedom (`scipy.stats.t.ppf(p, df)`), by bisection on the closed-form {@link studentTCdf}
 * to full double precision. The suite asks for `p = 0.975` with `df = seeds − 1`.
 * E.g. `studentTQuantile(0.975, 2) ≈ 4.302653`.
 */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`studentTQuantile: p must be in (0, 1), got ${p}`);
  if (!(Number.isInteger(df) && df >= 1)) {
    throw new Error(`studentTQuantile: df must be a positive integer, got ${df}`);
  }
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-15 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
