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

/** Natural log of the gamma function (Lanczos, g = 7; about 15 significant digits). */
function logGamma(x: number): number {
  const c = [
    0.99999999999980993,
    676.5203681218851,
    -1259.1392167224028,
    771.32342877765313,
    -176.61502916214059,
    12.507343278686905,
    -0.13857109526572012,
    9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction for the regularised incomplete beta function (modified Lentz). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - (a + b) * x / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return h;
}

/** Regularised incomplete beta function `I_x(a, b)`. */
function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(
    logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x),
  );
  // The continued fraction converges fast for x < (a+1)/(a+b+2); use the symmetry otherwise.
  if (x < (a + 1) / (a + b + 2)) return front * betaContinuedFraction(x, a, b) / a;
  return 1 - front * betaContinuedFraction(1 - x, b, a) / b;
}

/** Cumulative distribution function of Student's t with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  if (Number.isNaN(t)) throw new Error(`studentTCdf: t is NaN`);
  if (!(df > 0)) throw new Error(`studentTCdf: df must be positive, got ${df}`);
  const tail = 0.5 * regularizedBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/**
 * Quantile of Student's t: the `t` with `P(T ≤ t) = p` for `df` degrees of freedom
 * (`scipy.stats.t.ppf(p, df)`), by bisection on the CDF to full double precision.
 * E.g. `studentTQuantile(0.975, 2) ≈ 4.302653`.
 */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`studentTQuantile: p must be in (0, 1), got ${p}`);
  if (!(df > 0)) throw new Error(`studentTQuantile: df must be positive, got ${df}`);
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
