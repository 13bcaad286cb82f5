/**
 * Baselines reported in the same table as the head: the majority class and stratified random
 * guessing (sanity floors, with exact expected metrics), zero-shot CLIP (prompt similarity, no
 * training) and a linear probe (multinomial logistic regression) on the concatenated features.
 * The image-only / text-only heads are head variants (see `variants.ts`).
 *
 * @module
 */
import { evaluateLogits, type Metrics } from "../metrics/mod.ts";
import type { ExperimentInputs, TaskData } from "../run/mod.ts";
import { loadOpenBlas, sgemm } from "../train/mod.ts";
import { normaliseRows, Rng } from "../util/mod.ts";

/** Rows per block of the probe's full-batch step (a block of 1536-wide rows is ~3 MB). */
const PROBE_BLOCK = 512;

/** Whether OpenBLAS can be used for the probe's products (else plain loops). */
function openBlasAvailable(): boolean {
  try {
    loadOpenBlas();
    return true;
  } catch {
    return false;
  }
}

/** A baseline's test metrics for one task. */
export interface BaselineResult {
  /** e.g. `zero-shot CLIP`, `linear probe`. */
  readonly name: string;
  /** The task. */
  readonly task: string;
  /** Its metrics on the test split. */
  readonly test: Metrics;
}

/**
 * Zero-shot logits: `100 · cos(image_embed, prompt_embed)` per class, 100 being CLIP's learned
 * logit scale. Rows of `imageEmbeds` (n × d) and `promptEmbeds` (C × d) need not be normalised.
 */
export function zeroShotLogits(
  imageEmbeds: Float32Array,
  promptEmbeds: Float32Array,
  n: number,
  numClasses: number,
): Float32Array {
  const d = promptEmbeds.length / numClasses;
  if (imageEmbeds.length !== n * d) {
    throw new Error(`zeroShotLogits: image embeds are ${imageEmbeds.length / n}-d, prompts ${d}-d`);
  }
  const prompts = normaliseRows(promptEmbeds.slice(), numClasses, d);
  const out = new Float32Array(n * numClasses);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let k = 0; k < d; k++) norm += imageEmbeds[i * d + k] ** 2;
    const inv = 1 / Math.max(Math.sqrt(norm), 1e-12);
    for (let c = 0; c < numClasses; c++) {
      let dot = 0;
      for (let k = 0; k < d; k++) dot += imageEmbeds[i * d + k] * prompts[c * d + k];
      out[i * numClasses + c] = 100 * dot * inv;
    }
  }
  return out;
}

/** A split's inputs for the linear probe: features n × d row-major and labels. */
export interface ProbeSplit {
  /** Features, n × d row-major. */
  readonly x: Float32Array;
  /** True classes. */
  readonly labels: Int32Array;
  /** Rows. */
  readonly n: number;
}

/** Linear-probe settings. */
export interface LinearProbeOptions {
  /** Classes. */
  readonly numClasses: number;
  /** Full-batch Adam steps (default 300). */
  readonly steps?: number;
  /** Adam learning rate (default 1e-2). */
  readonly lr?: number;
  /** L2 penalty on the weights (default 1e-3). */
  readonly l2?: number;
  /** Seed of the initialisation (default 0). */
  readonly seed?: number;
}

/** The fitted probe and its test metrics. */
export interface LinearProbeResult {
  /** Test metrics. */
  readonly test: Metrics;
  /** Val metrics. */
  readonly val: Metrics;
  /** Weights, C × d row-major. */
  readonly weights: Float32Array;
  /** Biases, one per class. */
  readonly bias: Float32Array;
}

/** Concatenates two row-major feature matrices of the same row count: [a | b]. */
export function concatFeatures(a: Float32Array, b: Float32Array, n: number): Float32Array {
  const da = a.length / n, db = b.length / n;
  const out = new Float32Array(n * (da + db));
  for (let i = 0; i < n; i++) {
    out.set(a.subarray(i * da, (i + 1) * da), i * (da + db));
    out.set(b.subarray(i * db, (i + 1) * db), i * (da + db) + da);
  }
  return out;
}

/**
 * Multinomial logistic regression, full batch, Adam, features standardised with the training
 * split's mean and std. One fit with fixed settings and no checkpoint selection, so the same
 * number serves both protocols. The two products of each step (logits and weight gradient) run
 * through OpenBLAS in float32 when it is available, else as plain loops.
 */
export function linearProbe(
  train: ProbeSplit,
  val: ProbeSplit,
  test: ProbeSplit,
  opts: LinearProbeOptions,
): LinearProbeResult {
  const { numClasses: C, steps = 300, lr = 1e-2, l2 = 1e-3, seed = 0 } = opts;
  const d = train.x.length / train.n;
  const mean = new Float64Array(d), std = new Float64Array(d);
  for (let i = 0; i < train.n; i++) {
    for (let k = 0; k < d; k++) mean[k] += train.x[i * d + k];
  }
  for (let k = 0; k < d; k++) mean[k] /= train.n;
  for (let i = 0; i < train.n; i++) {
    for (let k = 0; k < d; k++) std[k] += (train.x[i * d + k] - mean[k]) ** 2;
  }
  for (let k = 0; k < d; k++) std[k] = Math.sqrt(std[k] / train.n) || 1;
  const standardise = (s: ProbeSplit) => {
    const x = new Float32Array(s.x.length);
    for (let i = 0; i < s.n; i++) {
      for (let k = 0; k < d; k++) x[i * d + k] = (s.x[i * d + k] - mean[k]) / std[k];
    }
    return x;
  };
  const xTrain = standardise(train);
  const rng = new Rng(seed);
  const w = new Float32Array(C * d).map(() => 0.01 * rng.normal());
  const b = new Float32Array(C);
  const params = [w, b];
  const m = params.map((p) => new Float64Array(p.length));
  const v = params.map((p) => new Float64Array(p.length));
  const gw = new Float64Array(C * d), gb = new Float64Array(C);
  const logits = new Float64Array(C);
  const z = new Float32Array(train.n * C);
  const gw32 = new Float32Array(C * d);
  const blas = openBlasAvailable();
  for (let t = 1; t <= steps; t++) {
    gb.fill(0);
    gw32.fill(0);
    // Blocks of rows, so each block of X is read from memory once per step for both products.
    for (let from = 0; from < train.n; from += PROBE_BLOCK) {
      const rows = Math.min(PROBE_BLOCK, train.n - from);
      const x = xTrain.subarray(from * d, (from + rows) * d);
      const zb = z.subarray(from * C, (from + rows) * C);
      // Logits z = X·Wᵀ + b.
      if (blas) {
        for (let i = 0; i < rows; i++) zb.set(b, i * C);
        sgemm(false, true, rows, C, d, x, w, 1, zb);
      } else {
        for (let i = 0; i < rows; i++) {
          for (let c = 0; c < C; c++) {
            let s = b[c];
            for (let k = 0; k < d; k++) s += w[c * d + k] * x[i * d + k];
            zb[i * C + c] = s;
          }
        }
      }
      // Softmax cross-entropy gradient (p − onehot) / n, in place.
      for (let i = 0; i < rows; i++) {
        let max = -Infinity;
        for (let c = 0; c < C; c++) max = Math.max(max, zb[i * C + c]);
        let sum = 0;
        for (let c = 0; c < C; c++) sum += logits[c] = Math.exp(zb[i * C + c] - max);
        for (let c = 0; c < C; c++) {
          const g = (logits[c] / sum - (train.labels[from + i] === c ? 1 : 0)) / train.n;
          zb[i * C + c] = g;
          gb[c] += g;
        }
      }
      // Weight gradient += dzᵀ·X.
      if (blas) sgemm(true, false, C, d, rows, zb, x, 1, gw32);
      else {
        for (let i = 0; i < rows; i++) {
          for (let c = 0; c < C; c++) {
            const g = zb[i * C + c];
            for (let k = 0; k < d; k++) gw32[c * d + k] += g * x[i * d + k];
          }
        }
      }
    }
    for (let j = 0; j < gw.length; j++) gw[j] = gw32[j];
    for (let j = 0; j < w.length; j++) gw[j] += l2 * w[j];
    const grads = [gw, gb];
    for (let p = 0; p < 2; p++) {
      const param = params[p], g = grads[p], mp = m[p], vp = v[p];
      for (let j = 0; j < param.length; j++) {
        mp[j] = 0.9 * mp[j] + 0.1 * g[j];
        vp[j] = 0.999 * vp[j] + 0.001 * g[j] * g[j];
        const mh = mp[j] / (1 - 0.9 ** t), vh = vp[j] / (1 - 0.999 ** t);
        param[j] -= lr * mh / (Math.sqrt(vh) + 1e-8);
      }
    }
  }
  const predict = (s: ProbeSplit) => {
    const x = standardise(s);
    const out = new Float32Array(s.n * C);
    for (let i = 0; i < s.n; i++) {
      for (let c = 0; c < C; c++) {
        let z = b[c];
        for (let k = 0; k < d; k++) z += w[c * d + k] * x[i * d + k];
        out[i * C + c] = z;
      }
    }
    return evaluateLogits(out, s.labels, C);
  };
  return { val: predict(val), test: predict(test), weights: w, bias: b };
}

/** Class frequencies of `labels` (the training split's, for the sanity baselines). */
function classShares(labels: Int32Array, numClasses: number): number[] {
  const counts = new Array(numClasses).fill(0);
  for (const y of labels) counts[y]++;
  return counts.map((c) => c / labels.length);
}

/**
 * The majority-class baseline: every test meme gets the most frequent training class (the lowest
 * on ties), all with the same score — accuracy is that class's test share, macro-F1 its F1 over
 * C, and AUROC exactly 0.5 (every row tied). Computed from constant logits by the same metrics as
 * the heads.
 */
export function majorityBaseline(
  trainLabels: Int32Array,
  testLabels: Int32Array,
  numClasses: number,
): Metrics {
  if (trainLabels.length === 0) throw new Error("majorityBaseline: no training labels");
  const shares = classShares(trainLabels, numClasses);
  const majority = shares.indexOf(Math.max(...shares));
  const logits = new Float32Array(testLabels.length * numClasses);
  for (let i = 0; i < testLabels.length; i++) logits[i * numClasses + majority] = 1;
  return evaluateLogits(logits, testLabels, numClasses);
}

/** `ln n!` for n = 0 … max. */
function logFactorials(max: number): Float64Array {
  const out = new Float64Array(max + 1);
  for (let i = 2; i <= max; i++) out[i] = out[i - 1] + Math.log(i);
  return out;
}

/** Binomial(n, p) probabilities of 0 … n. */
function binomialPmf(n: number, p: number, lf: Float64Array): Float64Array {
  const out = new Float64Array(n + 1);
  if (p <= 0) out[0] = 1;
  else if (p >= 1) out[n] = 1;
  else {
    const lp = Math.log(p), lq = Math.log1p(-p);
    for (let k = 0; k <= n; k++) {
      out[k] = Math.exp(lf[n] - lf[k] - lf[n - k] + k * lp + (n - k) * lq);
    }
  }
  return out;
}

/**
 * The stratified-random baseline's expected test metrics, computed exactly rather than sampled:
 * each meme is independently predicted class `k` with the training share `π_k`. Expected
 * accuracy is `Σ_k q_k π_k` (`q_k` the test shares); expected F1 of class `k` sums
 * `2a / (n_k + a + b)` over the independent binomial counts of true positives `a ~ B(n_k, π_k)`
 * and false positives `b ~ B(n − n_k, π_k)`; macro-F1 is their mean. The scores carry no
 * information, so AUROC (and the reference AUROC) is 0.5; the confusion matrix holds expected
 * counts `n_k · π_j`; no loss.
 */
export function stratifiedRandomBaseline(
  trainLabels: Int32Array,
  testLabels: Int32Array,
  numClasses: number,
): Metrics {
  if (trainLabels.length === 0) throw new Error("stratifiedRandomBaseline: no training labels");
  evaluateLogits(new Float32Array(testLabels.length * numClasses), testLabels, numClasses);
  const pi = classShares(trainLabels, numClasses);
  const n = testLabels.length;
  const counts = new Array(numClasses).fill(0);
  for (const y of testLabels) counts[y]++;
  const lf = logFactorials(n);
  let accuracy = 0, f1Sum = 0;
  for (let k = 0; k < numClasses; k++) {
    accuracy += (counts[k] / n) * pi[k];
    const tp = binomialPmf(counts[k], pi[k], lf);
    const fp = binomialPmf(n - counts[k], pi[k], lf);
    let f1 = 0;
    for (let a = 1; a <= counts[k]; a++) {
      if (tp[a] === 0) continue;
      let inner = 0;
      for (let b = 0; b <= n - counts[k]; b++) inner += fp[b] / (counts[k] + a + b);
      f1 += tp[a] * 2 * a * inner;
    }
    f1Sum += f1;
  }
  return {
    n,
    numClasses,
    accuracy: n === 0 ? NaN : accuracy,
    macroF1: n === 0 ? NaN : f1Sum / numClasses,
    auroc: 0.5,
    aurocReference: 0.5,
    confusion: counts.map((c) => pi.map((p) => c * p)),
  };
}

/**
 * The baselines of one task: the majority class and stratified random (sanity floors, their
 * expected metrics exact), zero-shot CLIP, and a linear probe on [image | text] features.
 */
export function runBaselines(
  data: TaskData,
  inputs: ExperimentInputs,
  task: string,
): BaselineResult[] {
  const C = data.numClasses;
  const { train, val, test } = data.splits;
  const zeroShot = zeroShotLogits(test.image, inputs.prompts[task].promptEmbeds, test.n, C);
  const probe = linearProbe(
    { x: concatFeatures(train.image, train.text, train.n), labels: train.labels, n: train.n },
    { x: concatFeatures(val.image, val.text, val.n), labels: val.labels, n: val.n },
    { x: concatFeatures(test.image, test.text, test.n), labels: test.labels, n: test.n },
    { numClasses: C },
  );
  return [
    { name: "majority class", task, test: majorityBaseline(train.labels, test.labels, C) },
    {
      name: "stratified random (expected)",
      task,
      test: stratifiedRandomBaseline(train.labels, test.labels, C),
    },
    { name: "zero-shot CLIP", task, test: evaluateLogits(zeroShot, test.labels, C) },
    { name: "linear probe [image | text]", task, test: probe.test },
  ];
}
