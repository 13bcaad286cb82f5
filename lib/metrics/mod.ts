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
export * from "./scores.ts";
export * from "./classification.ts";
export * from "./auroc.ts";
export * from "./evaluate.ts";
export * from "./stats.ts";
export * from "./calibration.ts";
export * from "./significance.ts";
export * from "./bootstrap.ts";
