/**
 * All epoch-level metrics of a classifier from its logits in one call.
 *
 * @module
 */

import { accuracy, confusionMatrix, macroF1 } from "./classification.ts";
import { aurocOvr, aurocTorchmetrics } from "./auroc.ts";
import {
  argmax,
  checkScoresAndLabels,
  crossEntropy,
  ovrLogOdds,
  type ScoreArray,
  type ScoreKind,
  sigmoid,
} from "./scores.ts";

/** Epoch-level metrics of one split. */
export interface Metrics {
  /** Number of rows scored. */
  n: number;
  /** Number of classes. */
  numClasses: number;
  /** Fraction of rows whose argmax logit is the label. */
  accuracy: number;
  /** Macro-averaged F1 over all classes, scikit-learn `zero_division=0`. */
  macroF1: number;
  /**
   * One-vs-rest macro AUROC of the softmax probabilities, as scikit-learn's
   * `roc_auc_score(multi_class="ovr", average="macro")` (binary: AUROC of the class-1
   * probability), ranked by the one-vs-rest log-odds so that saturated probabilities do not tie.
   * See {@linkcode aurocOvr} and `ovrLogOdds`.
   */
  auroc: number;
  /**
   * AUROC as MemeCLIP computes it: torchmetrics' multiclass macro AUROC on float32
   * `sigmoid(logits)`. At scale 30 confident rows saturate to exactly 1.0 and tie, and for two
   * classes both columns are averaged. See {@linkcode aurocTorchmetrics} and `sigmoid`.
   */
  aurocReference: number;
  /** Confusion counts `[trueClass][predictedClass]`. */
  confusion: number[][];
  /** Mean cross-entropy of the logits (`torch.nn.CrossEntropyLoss`), when computed. */
  loss?: number;
}

/**
 * Accuracy, macro-F1, both AUROC variants, confusion matrix and mean cross-entropy of
 * row-major `n × numClasses` logits against integer labels. Predictions are the argmax (lowest
 * index on ties). Throws a clear error, naming the row, on a non-finite logit or an
 * out-of-range label.
 */
export function evaluateLogits(
  logits: ScoreArray,
  labels: Int32Array,
  numClasses: number,
): Metrics {
  const n = checkScoresAndLabels(logits, labels, numClasses, "evaluateLogits");
  const pred = argmax(logits, numClasses);
  return {
    n,
    numClasses,
    accuracy: accuracy(pred, labels),
    macroF1: macroF1(pred, labels, numClasses),
    auroc: n === 0 ? NaN : aurocOvr(ovrLogOdds(logits, numClasses), labels, numClasses),
    aurocReference: aurocTorchmetrics(sigmoid(logits), labels, numClasses),
    confusion: confusionMatrix(pred, labels, numClasses),
    loss: crossEntropy(logits, labels, numClasses),
  };
}

/** The three numbers MemeCLIP logs per epoch, computed its way. */
export interface BatchMeanMetrics {
  /** Batch-size-weighted mean of per-batch accuracy. */
  readonly accuracy: number;
  /** Batch-size-weighted mean of per-batch torchmetrics macro-F1 (absent classes skipped). */
  readonly macroF1: number;
  /** Batch-size-weighted mean of per-batch torchmetrics AUROC on float32 sigmoid(logits). */
  readonly auroc: number;
}

/**
 * The metrics as MemeCLIP's PyTorch Lightning code logs them, for comparison with
 * {@linkcode evaluateLogits}: it calls the torchmetrics objects per batch
 * (`self.auroc(preds_proxy, labels)` returns that batch's value) and logs the returned tensor
 * with `on_epoch=True`, which Lightning reduces to the batch-size-weighted mean of the per-batch
 * values — not the epoch-level metric. Per batch, AUROC follows {@linkcode aurocTorchmetrics}
 * (a class missing from a batch scores 0 and still counts) and macro-F1 skips classes with
 * `tp + fp + fn = 0`, as torchmetrics does. Rows are batched in order, `batchSize` at a time
 * (the evaluation loaders do not shuffle).
 */
export function referenceBatchMeanMetrics(
  logits: ScoreArray,
  labels: Int32Array,
  numClasses: number,
  batchSize: number,
): BatchMeanMetrics {
  const n = checkScoresAndLabels(logits, labels, numClasses, "referenceBatchMeanMetrics");
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`referenceBatchMeanMetrics: batchSize must be a positive integer`);
  }
  const scores = sigmoid(logits);
  const pred = argmax(logits, numClasses);
  let acc = 0;
  let f1 = 0;
  let auc = 0;
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    const size = end - start;
    const batchLabels = labels.subarray(start, end);
    const batchPred = pred.subarray(start, end);
    acc += size * accuracy(batchPred, batchLabels);
    f1 += size * macroF1(batchPred, batchLabels, numClasses, { absentClasses: "skip" });
    auc += size * aurocTorchmetrics(
      scores.subarray(start * numClasses, end * numClasses),
      batchLabels,
      numClasses,
    );
  }
  return { accuracy: acc / n, macroF1: f1 / n, auroc: auc / n };
}

/**
 * AUROC of logits under a named score variant: `"softmax"` → {@linkcode aurocOvr} ranked as the
 * softmax probabilities (by their log-odds, `ovrLogOdds`); `"reference"` → {@linkcode aurocTorchmetrics} on float32 sigmoid(logits), as
 * MemeCLIP computes it.
 */
export function aurocFromLogits(
  logits: ScoreArray,
  labels: Int32Array,
  numClasses: number,
  kind: ScoreKind,
): number {
  checkScoresAndLabels(logits, labels, numClasses, "aurocFromLogits");
  if (kind === "softmax") return aurocOvr(ovrLogOdds(logits, numClasses), labels, numClasses);
  if (kind === "reference") return aurocTorchmetrics(sigmoid(logits), labels, numClasses);
  throw new Error(`aurocFromLogits: unknown score kind "${kind}" (softmax | reference)`);
}
