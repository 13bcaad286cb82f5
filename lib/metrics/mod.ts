/**
 * Exact epoch-level classification metrics in plain TypeScript: accuracy, macro-F1
 * (scikit-learn `zero_division=0`), AUROC with exact tie handling — one-vs-rest macro as
 * scikit-learn computes it on softmax probabilities (ranked by their log-odds, which do not
 * saturate), and the `reference` variant MemeCLIP reports
 * (torchmetrics on float32 sigmoid(logits)) — confusion matrices, cross-entropy, per-class
 * precision/recall/F1, balanced accuracy, ROC and precision–recall curve points, calibration (ECE,
 * Brier, temperature scaling), mean ± std ± 95% CI over seeds, the stratified bootstrap over test
 * rows, McNemar's exact test and Holm's adjustment.
 *
 * ```ts
 * import { evaluateLogits } from "./mod.ts";
 * const logits = new Float32Array([2, -1, 0.5, 0.2, -3, 4]); // 3 rows × 2 classes
 * const m = evaluateLogits(logits, new Int32Array([0, 1, 1]), 2);
 * console.log(m.accuracy, m.macroF1, m.auroc, m.confusion); // 0.666…, 0.666…, 1, [[1,0],[1,1]]
 * ```
 *
 * @module
 */
export { argmax, crossEntropy, type ScoreArray, sigmoid, softmax, softmax64 } from "./scores.ts";
export { balancedAccuracy, type ClassScores, perClassScores } from "./classification.ts";
export { type ClassCurves, ovrCurves, type PrCurve, type RocCurve } from "./auroc.ts";
export {
  type BatchMeanMetrics,
  evaluateLogits,
  type Metrics,
  referenceBatchMeanMetrics,
} from "./evaluate.ts";
export { type MeanStd, meanStd } from "./stats.ts";
export {
  brierScore,
  ECE_BINS,
  expectedCalibrationError,
  fitTemperature,
  type ReliabilityBin,
  reliabilityBins,
  scaleLogits,
  TEMPERATURE_RANGE,
  topLabel,
} from "./calibration.ts";
export {
  bootstrapPValue,
  holmAdjust,
  type Interval,
  mcnemarExact,
  type McNemarResult,
  percentileInterval,
} from "./significance.ts";
export {
  BOOTSTRAP_METRICS,
  BOOTSTRAP_REPLICATES,
  type BootstrapMetric,
  type BootstrapReplicates,
  bootstrapReplicates,
  type Resamples,
  stratifiedResamples,
} from "./bootstrap.ts";
