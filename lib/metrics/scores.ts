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

/**
 * The argument checks a metric of scores and labels starts with: `scores` is a row-major
 * `n × numClasses` array of finite values and `labels` holds `n` classes in `[0, numClasses)`.
 * Returns `n`; `what` (the calling function's name) begins every error message, which names the
 * first offending row.
 */
export function checkScoresAndLabels(
  scores: ScoreArray,
  labels: Int32Array,
  numClasses: number,
  what: string,
): number {
  const n = rowCount(scores, numClasses, what);
  checkLabels(labels, n, numClasses, what);
  checkFinite(scores, numClasses, what);
  return n;
}

/** The argument checks of a function of scores alone: `n × numClasses`, finite. Returns `n`. */
export function checkScores(scores: ScoreArray, numClasses: number, what: string): number {
  const n = rowCount(scores, numClasses, what);
  checkFinite(scores, numClasses, what);
  return n;
}

/**
 * Number of rows in a row-major array, or a clear error when its length is not `n × C`; `what`
 * (the calling function's name) begins the message.
 */
export function rowCount(values: ScoreArray, numClasses: number, what: string): number {
  if (values === null || typeof values !== "object" || typeof values.length !== "number") {
    throw new Error(`${what}: expected an array of scores, got ${values}`);
  }
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
 * Row-wise softmax in float64 (max-subtracted, so no overflow), returned as float64. It still
 * saturates — a binary softmax rounds to exactly 1.0 once the logit gap passes about 37 (in
 * float32 about 17) — so rankings use {@linkcode ovrLogOdds} instead.
 */
export function softmax64(logits: ScoreArray, numClasses: number): Float64Array {
  const n = checkScores(logits, numClasses, "softmax64");
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
  checkScores(logits, numClasses, "softmax");
  return Float32Array.from(softmax64(logits, numClasses));
}

/**
 * One-vs-rest log-odds of row-major `n × numClasses` logits: `z_c − logsumexp(z_j, j ≠ c)`, which
 * is `log(p_c / (1 − p_c))` for the softmax probability `p_c`, a strictly increasing function of
 * it. Ranking by it ranks exactly as the probability does, without the probability's saturation:
 * in float64, `p_c` rounds to exactly 1.0 once the log-odds pass about 37 (scale-30 cosine logits
 * get there), and confident rows then tie; the log-odds stay apart. For two classes it is the
 * logit gap, `z1 − z0` for class 1 and its negation for class 0.
 *
 * The other classes' terms are summed in decreasing order, so rows whose logits differ by a
 * permutation of the other classes get bit-identical scores (a true tie stays a tie). Two rows
 * whose log-odds differ by less than float64 resolves (about 1e-16 relative) still tie.
 */
export function ovrLogOdds(logits: ScoreArray, numClasses: number): Float64Array {
  const n = checkScores(logits, numClasses, "ovrLogOdds");
  if (numClasses < 2) throw new Error(`ovrLogOdds: needs at least 2 classes, got ${numClasses}`);
  const out = new Float64Array(logits.length);
  const others = new Float64Array(numClasses - 1);
  for (let i = 0; i < n; i++) {
    const row = i * numClasses;
    for (let c = 0; c < numClasses; c++) {
      const zc = logits[row + c];
      if (numClasses === 2) {
        out[row + c] = zc - logits[row + 1 - c];
        continue;
      }
      // d_j = z_j − z_c; log-odds = −logsumexp(d) = −(m + log Σ exp(d_j − m)).
      let k = 0;
      for (let j = 0; j < numClasses; j++) if (j !== c) others[k++] = logits[row + j] - zc;
      others.sort().reverse();
      const m = others[0];
      let sum = 0;
      for (let j = 0; j < k; j++) sum += Math.exp(others[j] - m);
      out[row + c] = -(m + Math.log(sum));
    }
  }
  return out;
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
  checkScores(logits, 1, "sigmoid");
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
  const n = checkScores(logits, numClasses, "argmax");
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
  const n = checkScoresAndLabels(logits, labels, numClasses, "crossEntropy");
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
 * Throws a clear error unless `labels` has `n` entries, all integers in `[0, numClasses)`
 * (`numClasses = Infinity`: any non-negative integer).
 * `what` names the caller in the message.
 */
export function checkLabels(
  labels: ArrayLike<number>,
  n: number,
  numClasses: number,
  what: string,
): void {
  if (labels === null || typeof labels !== "object" || typeof labels.length !== "number") {
    throw new Error(`${what}: expected an array of labels, got ${labels}`);
  }
  if (numClasses !== Infinity && (!Number.isInteger(numClasses) || numClasses < 1)) {
    throw new Error(`${what}: numClasses must be a positive integer, got ${numClasses}`);
  }
  if (labels.length !== n) {
    throw new Error(`${what}: ${labels.length} labels for ${n} rows`);
  }
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (!Number.isInteger(y) || y < 0 || y >= numClasses) {
      throw new Error(
        numClasses === Infinity
          ? `${what}: label ${y} at row ${i} is not a class (a non-negative integer)`
          : `${what}: label ${y} at row ${i} is outside [0, ${numClasses})`,
      );
    }
  }
}

/** Throws a clear error naming the row and column of the first NaN or infinite value. */
function checkFinite(values: ScoreArray, numClasses: number, what: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      const row = Math.floor(i / numClasses);
      throw new Error(
        `${what}: non-finite value ${values[i]} at row ${row}, class ${i % numClasses}`,
      );
    }
  }
}
