/**
 * Metrics on hard predictions: accuracy, confusion matrix, macro-F1.
 *
 * @module
 */

import { checkLabels } from "./scores.ts";

/**
 * Fraction of rows where `pred[i] === labels[i]`; NaN for zero rows. Both must hold non-negative
 * integer classes, one per row.
 */
export function accuracy(pred: Int32Array, labels: Int32Array): number {
  checkLabels(labels, labels?.length, Infinity, "accuracy (labels)");
  checkLabels(pred, labels.length, Infinity, "accuracy (predictions)");
  if (pred.length === 0) return NaN;
  let correct = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === labels[i]) correct++;
  return correct / pred.length;
}

/**
 * Confusion matrix `m[trueClass][predictedClass]` of counts (rows: labels, columns: predictions),
 * the layout of scikit-learn's `confusion_matrix`.
 */
export function confusionMatrix(
  pred: Int32Array,
  labels: Int32Array,
  numClasses: number,
): number[][] {
  checkLabels(labels, labels?.length, numClasses, "confusionMatrix (labels)");
  checkLabels(pred, labels.length, numClasses, "confusionMatrix (predictions)");
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < labels.length; i++) m[labels[i]][pred[i]]++;
  return m;
}

/** How {@linkcode macroF1} treats a class that is neither in the labels nor predicted. */
export type AbsentClassPolicy = "zero" | "skip";

/** Options for {@linkcode macroF1}. */
export interface MacroF1Options {
  /**
   * `"zero"` (default): every class in `[0, numClasses)` counts, and a class with no support and
   * no prediction scores 0 — scikit-learn's `f1_score(labels=range(C), average="macro",
   * zero_division=0)`.
   * `"skip"`: such classes are left out of the average — scikit-learn's default `labels=None`
   * (only classes seen in labels or predictions) and torchmetrics' `F1Score(task="multiclass",
   * average="macro")`, which zero-weights classes with `tp + fp + fn = 0`.
   * The two agree whenever every class occurs, as on PrideMM's full splits; they differ only on
   * small batches.
   */
  readonly absentClasses?: AbsentClassPolicy;
}

/**
 * Per-class F1 `2·tp / (2·tp + fp + fn)` from a square confusion matrix of counts
 * (`[trueClass][predictedClass]`), 0 where the denominator is 0 (`zero_division=0`).
 */
export function perClassF1(confusion: number[][]): number[] {
  checkConfusion(confusion, "perClassF1");
  const c = confusion.length;
  return confusion.map((row, k) => {
    const tp = row[k];
    let fn = 0;
    let fp = 0;
    for (let j = 0; j < c; j++) {
      if (j === k) continue;
      fn += row[j];
      fp += confusion[j][k];
    }
    const denominator = 2 * tp + fp + fn;
    return denominator === 0 ? 0 : (2 * tp) / denominator;
  });
}

/**
 * Macro-averaged F1 over `numClasses` classes, as scikit-learn's
 * `f1_score(average="macro", zero_division=0)`: the unweighted mean of per-class F1.
 * A class with support but no correct prediction scores 0, as does a class that is predicted
 * but never true. See {@linkcode MacroF1Options} for classes absent from both. NaN for zero rows.
 */
export function macroF1(
  pred: Int32Array,
  labels: Int32Array,
  numClasses: number,
  options: MacroF1Options = {},
): number {
  checkLabels(labels, labels?.length, numClasses, "macroF1 (labels)");
  checkLabels(pred, labels.length, numClasses, "macroF1 (predictions)");
  const policy = options.absentClasses ?? "zero";
  if (policy !== "zero" && policy !== "skip") {
    throw new Error(`macroF1: absentClasses must be "zero" or "skip", got "${policy}"`);
  }
  if (labels.length === 0) return NaN;
  const confusion = confusionMatrix(pred, labels, numClasses);
  const f1 = perClassF1(confusion);
  const skip = policy === "skip";
  let sum = 0;
  let count = 0;
  for (let k = 0; k < numClasses; k++) {
    let seen = 0;
    for (let j = 0; j < numClasses; j++) seen += confusion[k][j] + confusion[j][k];
    if (skip && seen === 0) continue;
    sum += f1[k];
    count++;
  }
  return sum / count;
}

/**
 * Throws unless `confusion` is a non-empty square matrix of non-negative integer counts; `what`
 * begins the message.
 */
export function checkConfusion(confusion: readonly (readonly number[])[], what: string): void {
  if (!Array.isArray(confusion) || confusion.length === 0) {
    throw new Error(`${what}: the confusion matrix must be a non-empty array of rows`);
  }
  const c = confusion.length;
  confusion.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== c) {
      throw new Error(`${what}: confusion row ${i} has ${row?.length} entries, expected ${c}`);
    }
    row.forEach((v, j) => {
      if (!Number.isInteger(v) || v < 0) {
        throw new Error(`${what}: confusion[${i}][${j}] is ${v}, expected a count ≥ 0`);
      }
    });
  });
}

/** Precision, recall, F1 and support of one class. */
export interface ClassScores {
  /** Of the rows predicted as the class, the share truly of it (0 when none is predicted). */
  readonly precision: number;
  /** Of the rows truly of the class, the share predicted as it (0 when none is). */
  readonly recall: number;
  /** Harmonic mean of precision and recall (0 when both are 0). */
  readonly f1: number;
  /** Rows whose true class this is. */
  readonly support: number;
}

/**
 * Per-class precision, recall, F1 and support, as scikit-learn's
 * `precision_recall_fscore_support(labels, pred, labels=range(C), zero_division=0)`: a ratio with
 * a zero denominator is 0.
 */
export function perClassScores(
  pred: Int32Array,
  labels: Int32Array,
  numClasses: number,
): ClassScores[] {
  checkLabels(labels, labels?.length, numClasses, "perClassScores (labels)");
  checkLabels(pred, labels.length, numClasses, "perClassScores (predictions)");
  const m = confusionMatrix(pred, labels, numClasses);
  return m.map((row, k) => {
    const tp = row[k];
    const support = row.reduce((a, b) => a + b, 0);
    let predicted = 0;
    for (let j = 0; j < numClasses; j++) predicted += m[j][k];
    const precision = predicted === 0 ? 0 : tp / predicted;
    const recall = support === 0 ? 0 : tp / support;
    const f1 = support + predicted === 0 ? 0 : (2 * tp) / (support + predicted);
    return { precision, recall, f1, support };
  });
}

/**
 * Balanced accuracy: the mean recall over the classes that occur in `labels`, as scikit-learn's
 * `balanced_accuracy_score` (which also leaves classes without true rows out). NaN for zero rows.
 */
export function balancedAccuracy(pred: Int32Array, labels: Int32Array, numClasses: number): number {
  const scores = perClassScores(pred, labels, numClasses);
  const present = scores.filter((s) => s.support > 0);
  if (present.length === 0) return NaN;
  return present.reduce((a, s) => a + s.recall, 0) / present.length;
}
