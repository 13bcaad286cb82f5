/**
 * Exact area under the ROC curve, binary and one-vs-rest, with ties handled as scikit-learn and
 * torchmetrics do: the curve has one point per distinct score, so a block of tied scores
 * contributes one diagonal (trapezoid) segment rather than an order-dependent staircase.
 *
 * @module
 */

import { checkScoresAndLabels, ovrLogOdds, type ScoreArray, softmax64 } from "./scores.ts";

/** Positive-class indicator per row: `1`/`true` for positives. */
export type Positives = Uint8Array | readonly boolean[];

/** Points of an ROC curve, one per distinct score, starting at (0, 0). */
export interface RocCurve {
  /** False-positive rates, non-decreasing, from 0 to 1. */
  readonly fpr: number[];
  /** True-positive rates, non-decreasing, from 0 to 1. */
  readonly tpr: number[];
  /** The score threshold of each point (`Infinity` for the origin), decreasing. */
  readonly thresholds: number[];
}

/**
 * Checks one binary problem: finite scores, one 0/1 (or boolean) indicator per score. `what` (the
 * calling function's name) begins the message.
 */
function checkBinary(scores: ArrayLike<number>, positives: Positives, what: string): void {
  if (scores === null || typeof scores !== "object" || typeof scores.length !== "number") {
    throw new Error(`${what}: expected an array of scores, got ${scores}`);
  }
  if (positives === null || typeof positives !== "object" || typeof positives.length !== "number") {
    throw new Error(`${what}: expected an array of positive-class indicators, got ${positives}`);
  }
  if (scores.length !== positives.length) {
    throw new Error(`${what}: ${scores.length} scores for ${positives.length} labels`);
  }
  for (let i = 0; i < scores.length; i++) {
    if (!Number.isFinite(scores[i])) throw new Error(`${what}: score at row ${i} is ${scores[i]}`);
    const p = positives[i] as unknown;
    if (p !== 0 && p !== 1 && p !== true && p !== false) {
      throw new Error(`${what}: positive indicator at row ${i} is ${p}, expected 0/1 or a boolean`);
    }
  }
}

/**
 * Cumulative (fp, tp) counts at each distinct threshold, origin first, as scikit-learn's
 * `roc_curve(drop_intermediate=False)` before normalisation.
 */
function countCurve(scores: ArrayLike<number>, positives: Positives, what: string) {
  checkBinary(scores, positives, what);
  const order = new Uint32Array(scores.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort((a, b) => scores[b] - scores[a]);
  const fps = [0];
  const tps = [0];
  const thresholds = [Infinity];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < order.length; i++) {
    if (positives[order[i]]) tp++;
    else fp++;
    const last = i === order.length - 1;
    if (last || scores[order[i + 1]] !== scores[order[i]]) {
      fps.push(fp);
      tps.push(tp);
      thresholds.push(scores[order[i]]);
    }
  }
  return { fps, tps, thresholds, positives: tp, negatives: fp };
}

/**
 * The ROC curve of `scores` against `positives`: one point per distinct score (ties form one
 * point), as scikit-learn's `roc_curve(..., drop_intermediate=False)`. Rates are NaN when a
 * class is absent.
 */
export function rocCurve(scores: ArrayLike<number>, positives: Positives): RocCurve {
  const c = countCurve(scores, positives, "rocCurve");
  return {
    fpr: c.fps.map((v) => v / c.negatives),
    tpr: c.tps.map((v) => v / c.positives),
    thresholds: c.thresholds,
  };
}

/** Points of a precision–recall curve, one per distinct score, by decreasing threshold. */
export interface PrCurve {
  /** Precision at each threshold (the rows scoring at least it, predicted positive). */
  readonly precision: number[];
  /** Recall at each threshold, non-decreasing, ending at 1. */
  readonly recall: number[];
  /** The score thresholds, decreasing. */
  readonly thresholds: number[];
}

/**
 * The precision–recall curve of `scores` against `positives`, one point per distinct score
 * (ties form one point), highest threshold first — scikit-learn's `precision_recall_curve`
 * points in reverse order, without its final (recall 0, precision 1) point. Recall is NaN when
 * there are no positives.
 */
export function precisionRecallCurve(scores: ArrayLike<number>, positives: Positives): PrCurve {
  const c = countCurve(scores, positives, "precisionRecallCurve");
  const precision: number[] = [], recall: number[] = [];
  for (let i = 1; i < c.fps.length; i++) {
    precision.push(c.tps[i] / (c.tps[i] + c.fps[i]));
    recall.push(c.tps[i] / c.positives);
  }
  return { precision, recall, thresholds: c.thresholds.slice(1) };
}

/** One class's one-vs-rest curves. */
export interface ClassCurves {
  /** The ROC curve. */
  readonly roc: RocCurve;
  /** The precision–recall curve. */
  readonly pr: PrCurve;
}

/**
 * One-vs-rest ROC and precision–recall curves of every class from logits, ranked by the
 * one-vs-rest log-odds (`ovrLogOdds`: the same order as the softmax probability, without its
 * saturation); the thresholds are log-odds, `log(p / (1 − p))`.
 */
export function ovrCurves(
  logits: ScoreArray,
  labels: Int32Array,
  numClasses: number,
): ClassCurves[] {
  checkScoresAndLabels(logits, labels, numClasses, "ovrCurves");
  const scores = ovrLogOdds(logits, numClasses);
  return Array.from({ length: numClasses }, (_, k) => {
    const [column, positives] = oneVsRest(scores, labels, numClasses, k);
    return { roc: rocCurve(column, positives), pr: precisionRecallCurve(column, positives) };
  });
}

/**
 * Exact binary AUROC, equal to scikit-learn's `roc_auc_score(positives, scores)`: the trapezoid
 * area under the ROC curve with one point per distinct score, so a tied block between a positive
 * and a negative counts one half (the Mann–Whitney U with ties as ½). Returns NaN when the
 * positives or the negatives are absent (scikit-learn raises there).
 *
 * Only the order of the scores matters; they need not be probabilities.
 */
export function rocAuc(scores: ArrayLike<number>, positives: Positives): number {
  const { fps, tps, positives: p, negatives: n } = countCurve(scores, positives, "rocAuc");
  if (p === 0 || n === 0) return NaN;
  // Twice the area in integer units (Δfp · (tp + tp_prev)) stays exact up to 2^53.
  let twiceArea = 0;
  for (let i = 1; i < fps.length; i++) twiceArea += (fps[i] - fps[i - 1]) * (tps[i] + tps[i - 1]);
  return twiceArea / (2 * p * n);
}

/** Column `k` of a row-major `n × numClasses` array, and the indicator `labels == k`. */
function oneVsRest(
  scores: ScoreArray,
  labels: Int32Array,
  numClasses: number,
  k: number,
): [Float64Array, Uint8Array] {
  const n = labels.length;
  const column = new Float64Array(n);
  const positives = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    column[i] = scores[i * numClasses + k];
    positives[i] = labels[i] === k ? 1 : 0;
  }
  return [column, positives];
}

/**
 * One-vs-rest AUROC per class: class `k`'s scores (column `k`) against `labels == k`.
 * NaN for a class that is absent from `labels` (or that is every label).
 */
export function perClassAuroc(
  scores: ScoreArray,
  labels: Int32Array,
  numClasses: number,
): number[] {
  checkScoresAndLabels(scores, labels, numClasses, "perClassAuroc");
  return Array.from({ length: numClasses }, (_, k) => {
    const [column, positives] = oneVsRest(scores, labels, numClasses, k);
    return rocAuc(column, positives);
  });
}

/**
 * AUROC as scikit-learn's `roc_auc_score(labels, scores, multi_class="ovr", average="macro")`,
 * for `n × numClasses` scores where column `k` scores class `k`.
 *
 * - Binary (`numClasses = 2`): the AUROC of the class-1 column, which is what scikit-learn
 *   scores when given two columns. Column 0 is validated but does not enter the value.
 * - `numClasses > 2`: the unweighted mean of the per-class one-vs-rest AUROCs.
 *
 * Only the order within each column matters, so scores need not be probabilities; from logits,
 * pass {@linkcode ovrLogOdds} (as {@linkcode evaluateLogits} does), which ranks exactly as the
 * softmax probabilities but never ties through their saturation. With those scores the binary
 * value also equals the mean of both one-vs-rest AUROCs, since class 0's log-odds are the exact
 * negation of class 1's. (Probabilities from `softmax64` saturate to 1.0 beyond a logit gap of
 * about 37 and then tie; scikit-learn, given them, ties too.)
 *
 * A class absent from `labels` has no defined AUROC, and scikit-learn raises. Here that class
 * is left out and the others are averaged, so that a metric over a small or filtered split
 * stays usable; the result is NaN only when no class has one. (torchmetrics does something else:
 * see {@linkcode aurocTorchmetrics}.) Every score must be finite; rows are not checked to sum to
 * 1 (scikit-learn requires that for `ovr`).
 */
export function aurocOvr(scores: ScoreArray, labels: Int32Array, numClasses: number): number {
  checkScoresAndLabels(scores, labels, numClasses, "aurocOvr");
  if (numClasses < 2) throw new Error(`aurocOvr: needs at least 2 classes, got ${numClasses}`);
  if (numClasses === 2) {
    const [column, positives] = oneVsRest(scores, labels, 2, 1);
    return rocAuc(column, positives);
  }
  let sum = 0;
  let count = 0;
  for (const auc of perClassAuroc(scores, labels, numClasses)) {
    if (Number.isNaN(auc)) continue;
    sum += auc;
    count++;
  }
  return count === 0 ? NaN : sum / count;
}

/**
 * AUROC as torchmetrics' `AUROC(task="multiclass", num_classes=C)` (average `"macro"`,
 * `thresholds=None`) computes it — the metric MemeCLIP reports — for any `C`, binary included:
 *
 * - every class is scored one-vs-rest on its own column, and the `C` values are averaged, even
 *   for `C = 2` (with sigmoid scores the two columns are not complementary, so this differs from
 *   the class-1 AUROC);
 * - a class with no positive rows has its true-positive rate set to 0 (torchmetrics warns "No
 *   positive samples in targets"), and a class with no negative rows its false-positive rate, so
 *   its AUROC is **0**, and that 0 is included in the mean — on a batch lacking a class the
 *   macro AUROC is pulled down;
 * - scores outside `[0, 1]` are taken for logits and softmax-normalised per row first;
 *   sigmoid outputs lie in `[0, 1]` and are used as they are.
 *
 * NaN for zero rows. Every score must be finite.
 */
export function aurocTorchmetrics(
  scores: ScoreArray,
  labels: Int32Array,
  numClasses: number,
): number {
  const n = checkScoresAndLabels(scores, labels, numClasses, "aurocTorchmetrics");
  if (n === 0) return NaN;
  let inUnitRange = true;
  for (let i = 0; i < scores.length; i++) {
    if (!(scores[i] >= 0 && scores[i] <= 1)) inUnitRange = false;
  }
  const used = inUnitRange ? scores : softmax64(scores, numClasses);
  let sum = 0;
  for (let k = 0; k < numClasses; k++) {
    const [column, positives] = oneVsRest(used, labels, numClasses, k);
    const auc = rocAuc(column, positives);
    sum += Number.isNaN(auc) ? 0 : auc;
  }
  return sum / numClasses;
}
