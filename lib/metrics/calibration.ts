/**
 * Calibration: reliability bins and expected calibration error of the top-label confidence, the
 * Brier score, and temperature scaling.
 *
 * @module
 */
import {
  argmax,
  checkScores,
  checkScoresAndLabels,
  rowCount,
  type ScoreArray,
  softmax64,
} from "./scores.ts";

/** One equal-width confidence bin `(lower, upper]` (the first also holds 0). */
export interface ReliabilityBin {
  /** Lower edge (exclusive, except 0 for the first bin). */
  readonly lower: number;
  /** Upper edge (inclusive). */
  readonly upper: number;
  /** Rows whose confidence falls in the bin. */
  readonly count: number;
  /** Mean confidence of those rows (NaN when empty). */
  readonly confidence: number;
  /** Fraction of those rows that are correct (NaN when empty). */
  readonly accuracy: number;
}

/** The default number of bins, as in Guo et al. (2017). */
export const ECE_BINS = 15;

function checkProbabilities(p: ScoreArray, what: string): void {
  for (let i = 0; i < p.length; i++) {
    if (!(p[i] >= 0 && p[i] <= 1)) throw new Error(`${what}: probability at row ${i} is ${p[i]}`);
  }
}

/**
 * Reliability bins of confidences against 0/1 outcomes: `bins` equal-width bins over [0, 1], a
 * value on an inner edge going to the lower bin — scikit-learn's `calibration_curve(correct,
 * confidence, n_bins=bins, strategy="uniform")` bins (its `prob_true`, `prob_pred` are the
 * non-empty bins' `accuracy` and `confidence`).
 */
export function reliabilityBins(
  confidence: ScoreArray,
  correct: ArrayLike<number | boolean>,
  bins: number = ECE_BINS,
): ReliabilityBin[] {
  if (!Number.isInteger(bins) || bins < 1) {
    throw new Error(`reliabilityBins: bins must be a positive integer, got ${bins}`);
  }
  rowCount(confidence, 1, "reliabilityBins");
  checkProbabilities(confidence, "reliabilityBins");
  if (correct?.length !== confidence.length) {
    throw new Error(
      `reliabilityBins: ${correct?.length} outcomes for ${confidence.length} confidences`,
    );
  }
  // Edges as numpy.linspace(0, 1, bins + 1) computes them: j · (1 / bins).
  const step = 1 / bins;
  const count = new Float64Array(bins),
    conf = new Float64Array(bins),
    hits = new Float64Array(bins);
  for (let i = 0; i < confidence.length; i++) {
    const c = correct[i] as unknown;
    if (c !== 0 && c !== 1 && c !== true && c !== false) {
      throw new Error(`reliabilityBins: outcome at row ${i} is ${c}, expected 0/1 or a boolean`);
    }
    const p = confidence[i];
    // Bin = number of inner edges strictly below p (numpy.searchsorted(edges[1:-1], p, "left")).
    let b = 0;
    while (b < bins - 1 && (b + 1) * step < p) b++;
    count[b]++;
    conf[b] += p;
    hits[b] += c ? 1 : 0;
  }
  return Array.from({ length: bins }, (_, b) => ({
    lower: b * step,
    upper: b === bins - 1 ? 1 : (b + 1) * step,
    count: count[b],
    confidence: count[b] ? conf[b] / count[b] : NaN,
    accuracy: count[b] ? hits[b] / count[b] : NaN,
  }));
}

/** Top-label confidence (max softmax probability) and correctness of each row of logits. */
export function topLabel(
  logits: ScoreArray,
  labels: Int32Array,
  numClasses: number,
): { confidence: Float64Array; correct: Uint8Array } {
  const n = checkScoresAndLabels(logits, labels, numClasses, "topLabel");
  const p = softmax64(logits, numClasses);
  const pred = argmax(logits, numClasses);
  const confidence = new Float64Array(n);
  const correct = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    confidence[i] = p[i * numClasses + pred[i]];
    correct[i] = pred[i] === labels[i] ? 1 : 0;
  }
  return { confidence, correct };
}

/**
 * Expected calibration error of the top label: `Σ_b (n_b / n) · |accuracy_b − confidence_b|` over
 * `bins` equal-width confidence bins (default 15), the top label being the argmax of the logits
 * and its confidence the softmax probability. NaN for zero rows.
 */
export function expectedCalibrationError(
  logits: ScoreArray,
  labels: Int32Array,
  numClasses: number,
  bins: number = ECE_BINS,
): number {
  checkScoresAndLabels(logits, labels, numClasses, "expectedCalibrationError");
  const { confidence, correct } = topLabel(logits, labels, numClasses);
  const n = confidence.length;
  if (n === 0) return NaN;
  let ece = 0;
  for (const b of reliabilityBins(confidence, correct, bins)) {
    if (b.count > 0) ece += (b.count / n) * Math.abs(b.accuracy - b.confidence);
  }
  return ece;
}

/**
 * Brier score in its original multi-class form: the mean over rows of `Σ_k (p_k − 1[y = k])²`
 * for softmax probabilities `p` (0 is perfect, 2 the worst). For two classes it is twice
 * scikit-learn's `brier_score_loss(y, p1)`. NaN for zero rows.
 */
export function brierScore(logits: ScoreArray, labels: Int32Array, numClasses: number): number {
  const n = checkScoresAndLabels(logits, labels, numClasses, "brierScore");
  if (n === 0) return NaN;
  const p = softmax64(logits, numClasses);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < numClasses; k++) {
      const d = p[i * numClasses + k] - (labels[i] === k ? 1 : 0);
      sum += d * d;
    }
  }
  return sum / n;
}

/** Logits divided by a temperature `T > 0`, in float64. */
export function scaleLogits(logits: ScoreArray, temperature: number): Float64Array {
  if (!(temperature > 0 && Number.isFinite(temperature))) {
    throw new Error(`scaleLogits: temperature must be positive and finite, got ${temperature}`);
  }
  checkScores(logits, 1, "scaleLogits");
  const out = new Float64Array(logits.length);
  for (let i = 0; i < logits.length; i++) out[i] = logits[i] / temperature;
  return out;
}

/**
 * The temperatures {@linkcode fitTemperature} searches, `[1e-3, 1e3]`. A fit at either end is
 * clamped, not fitted: at the lower end the val predictions separate every class so well that
 * the loss keeps falling as `T → 0` (scaling then sharpens every probability towards 0 or 1); at
 * the upper end they are no better than uniform.
 */
export const TEMPERATURE_RANGE: readonly [number, number] = [1e-3, 1e3];

/**
 * The temperature `T` minimising the mean cross-entropy of `softmax(logits / T)` (Guo et al.,
 * 2017), fitted by bisection on `β = 1/T` — the loss is convex in β, its derivative
 * `mean(E_p[z] − z_y)` increasing — to a relative 1e-12, within {@linkcode TEMPERATURE_RANGE}. Fit it on the
 * validation split only. Dividing by `T` never changes the argmax (accuracy), nor for two classes
 * the ranking by logit gap (AUROC); for more classes the one-vs-rest ranking can change.
 */
export function fitTemperature(logits: ScoreArray, labels: Int32Array, numClasses: number): number {
  const [tMin, tMax] = TEMPERATURE_RANGE;
  const n = checkScoresAndLabels(logits, labels, numClasses, "fitTemperature");
  if (n === 0) throw new Error("fitTemperature: no rows to fit on");
  const slope = (beta: number) => {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const row = i * numClasses;
      let max = -Infinity;
      for (let k = 0; k < numClasses; k++) max = Math.max(max, beta * logits[row + k]);
      let z = 0, ez = 0;
      for (let k = 0; k < numClasses; k++) {
        const e = Math.exp(beta * logits[row + k] - max);
        z += e;
        ez += e * logits[row + k];
      }
      s += ez / z - logits[row + labels[i]];
    }
    return s / n;
  };
  let lo = Math.log(1 / tMax), hi = Math.log(1 / tMin); // over log β
  if (slope(Math.exp(lo)) >= 0) return 1 / Math.exp(lo);
  if (slope(Math.exp(hi)) <= 0) return 1 / Math.exp(hi);
  for (let it = 0; it < 200 && hi - lo > 1e-12; it++) {
    const mid = (lo + hi) / 2;
    if (slope(Math.exp(mid)) < 0) lo = mid;
    else hi = mid;
  }
  return 1 / Math.exp((lo + hi) / 2);
}
