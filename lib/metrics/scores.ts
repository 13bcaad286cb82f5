/**
 * From logits to scores: softmax, sigmoid, argmax and the cross-entropy loss, over row-major
 * `n × C` arrays.
 *
 * @module
 */

/** A row-major `n × C` array of logits or scores. */
export type ScoreArray = Float32Array | Float64Array | readonly number[];

/** Which scores an AUROC is computed from. */
export type ScoreKind = "softmax" | "reference";

/** Number of rows in a row-major array, or a clear error when its length is not `n × C`. */
export function rowCount(values: ScoreArray, numClasses: number, what = "logits"): number {
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new Error(`${what}: numClasses must be a positive integer, got ${numClasses}`);
  }
  if (values.length % numClasses !== 0) {
    throw new Error(
      `${what}: length ${values.length} is not a multiple of numClasses ${numClasses}`,
    );
  }
  return values.length / numClasses;
}

/**
 * Row-wise softmax in float64 (max-subtracted, so no overflow), returned as float64.
 * Exact enough to rank scores without ties that float32 rounding would create: in float32 a
 * binary softmax saturates to 1.0 once the logit gap exceeds about 17, which the cosine
 * classifier's scale of 30 reaches easily.
 */
export function softmax64(logits: ScoreArray, numClasses: number): Float64Array {
  const n = rowCount(logits, numClasses);
  const out = new Float64Array(logits.length);
  for (let i = 0; i < n; i++) {
    const row = i * numClasses;
    let max = -Infinity;
    for (let c = 0; c < numClasses; c++) max = Math.max(max, logits[row + c]);
    let sum = 0;
    for (let c = 0; c < numClasses; c++) {
      const e = Math.exp(logits[row + c] - max);
      out[row + c] = e;
      sum += e;
    }
    for (let c = 0; c < numClasses; c++) out[row + c] /= sum;
  }
  return out;
}

/** Row-wise softmax of row-major `n × numClasses` logits, as float32 probabilities. */
export function softmax(logits: ScoreArray, numClasses: number): Float32Array {
  return Float32Array.from(softmax64(logits, numClasses));
}

/**
 * Element-wise logistic sigmoid, rounded to float32 as PyTorch computes it on float32 logits.
 *
 * This is what MemeCLIP passes to torchmetrics' AUROC (`preds_proxy = torch.sigmoid(logits)`).
 * With cosine logits at scale 30, float32 sigmoid saturates: any logit above about 17.3 (= 25·ln 2) gives
 * exactly `1.0` (the gap `1 − σ(x)` falls below half an ulp of 1), so confident rows tie. The
 * rounding is done with `Math.fround` on the float64 value, i.e. correctly rounded; PyTorch's
 * own float32 kernel may differ by one ulp right at a rounding boundary.
 */
export function sigmoid(logits: ScoreArray): Float32Array {
  const out = new Float32Array(logits.length);
  for (let i = 0; i < logits.length; i++) {
    const x = Math.fround(logits[i]);
    // Two branches keep exp() from overflowing for large |x|.
    out[i] = x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
  }
  return out;
}

/**
 * Row-wise argmax of row-major `n × numClasses` scores. Ties go to the lowest class index, as
 * `torch.max` / `numpy.argmax` do.
 */
export function argmax(logits: ScoreArray, numClasses: number): Int32Array {
  const n = rowCount(logits, numClasses);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const row = i * numClasses;
    let best = 0;
    let bestValue = logits[row];
    for (let c = 1; c < numClasses; c++) {
      if (logits[row + c] > bestValue) {
        bestValue = logits[row + c];
        best = c;
      }
    }
    out[i] = best;
  }
  return out;
}

/**
 * Mean cross-entropy of row-major logits against integer labels, as
 * `torch.nn.CrossEntropyLoss(reduction="mean")`: `mean(logsumexp(row) − row[label])`, computed
 * in float64 with the max subtracted so that large logits do not overflow.
 */
export function crossEntropy(logits: ScoreArray, labels: Int32Array, numClasses: number): number {
  const n = rowCount(logits, numClasses);
  checkLabels(labels, n, numClasses, "crossEntropy");
  if (n === 0) return NaN;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const row = i * numClasses;
    let max = -Infinity;
    for (let c = 0; c < numClasses; c++) max = Math.max(max, logits[row + c]);
    let sum = 0;
    for (let c = 0; c < numClasses; c++) sum += Math.exp(logits[row + c] - max);
    total += max + Math.log(sum) - logits[row + labels[i]];
  }
  return total / n;
}

/**
 * Throws a clear error unless `labels` has `n` entries, all integers in `[0, numClasses)`.
 * `what` names the caller in the message.
 */
export function checkLabels(
  labels: ArrayLike<number>,
  n: number,
  numClasses: number,
  what: string,
): void {
  if (labels.length !== n) {
    throw new Error(`${what}: ${labels.length} labels for ${n} rows`);
  }
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (!Number.isInteger(y) || y < 0 || y >= numClasses) {
      throw new Error(`${what}: label ${y} at row ${i} is outside [0, ${numClasses})`);
    }
  }
}

/** Throws a clear error naming the row and column of the first NaN or infinite value. */
export function checkFinite(values: ScoreArray, numClasses: number, what: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      const row = Math.floor(i / numClasses);
      throw new Error(
        `${what}: non-finite value ${values[i]} at row ${row}, class ${i % numClasses}`,
      );
    }
  }
}
