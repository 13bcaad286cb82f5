/**
 * The stratified bootstrap over test rows: resample the rows within each true class (so every
 * replicate keeps the class counts), score every seed's predictions on the resampled rows, and
 * average over seeds. Replicates are row weights (how often each row was drawn), so the metrics
 * are computed in one pass over rows already sorted by score, and one set of replicates serves
 * every model scored on the same rows — which makes paired comparisons a difference of
 * replicates.
 *
 * @module
 */
import { Rng } from "../util/mod.ts";
import { argmax, checkLabels, checkScores, ovrLogOdds, type ScoreArray } from "./scores.ts";

/** The default number of bootstrap replicates. */
export const BOOTSTRAP_REPLICATES = 2000;

/** The metrics the bootstrap resamples, in table order. */
export const BOOTSTRAP_METRICS = ["accuracy", "macroF1", "auroc"] as const;
/** A resampled metric. */
export type BootstrapMetric = typeof BOOTSTRAP_METRICS[number];

/** `B` stratified resamples of `n` rows, as draw counts: row `i` of replicate `b` is `weights[b·n + i]`. */
export interface Resamples {
  /** Rows resampled. */
  readonly n: number;
  /** Number of replicates `B`. */
  readonly replicates: number;
  /** Draw counts, `B × n`, replicate-major. */
  readonly weights: Uint16Array;
  /** The true class of each row (the strata). */
  readonly labels: Int32Array;
  /** The seed the resamples were drawn with. */
  readonly seed: number;
}

/**
 * Draws `replicates` stratified bootstrap resamples of the rows of `labels`: within each class,
 * as many rows as it has, uniformly with replacement. Deterministic under `seed`.
 */
export function stratifiedResamples(
  labels: Int32Array,
  numClasses: number,
  replicates: number = BOOTSTRAP_REPLICATES,
  seed = 0,
): Resamples {
  checkLabels(labels, labels?.length, numClasses, "stratifiedResamples");
  if (!Number.isInteger(replicates) || replicates < 1) {
    throw new Error(
      `stratifiedResamples: replicates must be a positive integer, got ${replicates}`,
    );
  }
  if (!Number.isInteger(seed)) {
    throw new Error(`stratifiedResamples: seed ${seed} is not an integer`);
  }
  const n = labels.length;
  if (n >= 65536) throw new Error(`stratifiedResamples: ${n} rows; at most 65,535 supported`);
  const strata: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < n; i++) strata[labels[i]].push(i);
  const rng = new Rng(seed).fork("stratified-bootstrap");
  const weights = new Uint16Array(replicates * n);
  for (let b = 0; b < replicates; b++) {
    const base = b * n;
    for (const rows of strata) {
      for (let j = 0; j < rows.length; j++) weights[base + rows[rng.int(rows.length)]]++;
    }
  }
  return { n, replicates, weights, labels: labels.slice(), seed };
}

/** One seed's predictions prepared for fast weighted scoring. */
interface PreparedSeed {
  /** `label · C + pred` per row. */
  readonly cell: Int32Array;
  /** Per scored class: rows by decreasing log-odds, and where each tie block ends. */
  readonly columns: { order: Int32Array; blockEnd: Uint8Array; positive: Uint8Array }[];
}

function prepare(logits: ScoreArray, labels: Int32Array, C: number): PreparedSeed {
  const n = labels.length;
  const pred = argmax(logits, C);
  const cell = new Int32Array(n);
  for (let i = 0; i < n; i++) cell[i] = labels[i] * C + pred[i];
  const scores = ovrLogOdds(logits, C);
  // Two classes: the class-1 column alone (class 0's is its negation).
  const classes = C === 2 ? [1] : Array.from({ length: C }, (_, k) => k);
  const columns = classes.map((k) => {
    const col = new Float64Array(n);
    for (let i = 0; i < n; i++) col[i] = scores[i * C + k];
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => col[b] - col[a]);
    const blockEnd = new Uint8Array(n);
    const positive = new Uint8Array(n);
    for (let j = 0; j < n; j++) {
      blockEnd[j] = j === n - 1 || col[order[j + 1]] !== col[order[j]] ? 1 : 0;
      positive[j] = labels[order[j]] === k ? 1 : 0;
    }
    return { order, blockEnd, positive };
  });
  return { cell, columns };
}

/** Accuracy, macro-F1 (zero_division 0) and macro one-vs-rest AUROC under row weights. */
function weightedMetrics(
  s: PreparedSeed,
  C: number,
  w: Uint16Array,
  offset: number,
  n: number,
  confusion: Float64Array,
  out: Float64Array,
): void {
  confusion.fill(0);
  const cell = s.cell;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const wi = w[offset + i];
    confusion[cell[i]] += wi;
    total += wi;
  }
  let correct = 0, f1 = 0;
  for (let k = 0; k < C; k++) {
    const tp = confusion[k * C + k];
    correct += tp;
    let support = 0, predicted = 0;
    for (let j = 0; j < C; j++) {
      support += confusion[k * C + j];
      predicted += confusion[j * C + k];
    }
    f1 += support + predicted === 0 ? 0 : (2 * tp) / (support + predicted);
  }
  out[0] = correct / total;
  out[1] = f1 / C;
  let aucSum = 0, aucCount = 0;
  for (let c = 0; c < s.columns.length; c++) {
    const { order, blockEnd, positive } = s.columns[c];
    let tp = 0, fp = 0, area = 0, blockP = 0, blockN = 0;
    for (let j = 0; j < n; j++) {
      const wi = w[offset + order[j]];
      if (positive[j] === 1) blockP += wi;
      else blockN += wi;
      if (blockEnd[j] === 1) {
        // Negatives in the block: beaten by every positive above, tied with the block's (½).
        area += blockN * (tp + blockP * 0.5);
        tp += blockP;
        fp += blockN;
        blockP = 0;
        blockN = 0;
      }
    }
    if (tp > 0 && fp > 0) {
      aucSum += area / (tp * fp);
      aucCount++;
    }
  }
  out[2] = aucCount === 0 ? NaN : aucSum / aucCount;
}

/** Bootstrap replicates of one model (several seeds) on one set of rows. */
export interface BootstrapReplicates {
  /** The metric on the rows as they are, averaged over seeds. */
  readonly point: Readonly<Record<BootstrapMetric, number>>;
  /** Per metric, `B` replicate values of the seed-averaged metric. */
  readonly replicates: Readonly<Record<BootstrapMetric, Float64Array>>;
}

/**
 * Scores every seed's logits (each row-major `n × numClasses`, rows aligned with
 * `resamples.labels`) on every resample and averages over seeds: the replicates of "this model's
 * mean-over-seeds metric on a fresh draw of test rows".
 */
export function bootstrapReplicates(
  seedLogits: readonly ScoreArray[],
  resamples: Resamples,
  numClasses: number,
): BootstrapReplicates {
  if (seedLogits.length === 0) throw new Error("bootstrapReplicates: no seeds");
  const { n, replicates: B, weights, labels } = resamples;
  const prepared = seedLogits.map((logits, s) => {
    const rows = checkScores(logits, numClasses, `bootstrapReplicates (seed ${s})`);
    if (rows !== n) {
      throw new Error(`bootstrapReplicates: seed ${s} has ${rows} rows, the resamples ${n}`);
    }
    return prepare(logits, labels, numClasses);
  });
  const confusion = new Float64Array(numClasses * numClasses);
  const tmp = new Float64Array(3);
  const reps = BOOTSTRAP_METRICS.map(() => new Float64Array(B));
  const S = prepared.length;
  // Seed by seed, so that one seed's arrays stay in cache across the replicates.
  for (const s of prepared) {
    for (let b = 0; b < B; b++) {
      weightedMetrics(s, numClasses, weights, b * n, n, confusion, tmp);
      for (let m = 0; m < 3; m++) reps[m][b] += tmp[m];
    }
  }
  for (const r of reps) for (let b = 0; b < B; b++) r[b] /= S;
  const ones = new Uint16Array(n).fill(1);
  const acc = new Float64Array(3);
  for (const s of prepared) {
    weightedMetrics(s, numClasses, ones, 0, n, confusion, tmp);
    for (let m = 0; m < 3; m++) acc[m] += tmp[m];
  }
  return {
    point: { accuracy: acc[0] / S, macroF1: acc[1] / S, auroc: acc[2] / S },
    replicates: { accuracy: reps[0], macroF1: reps[1], auroc: reps[2] },
  };
}
