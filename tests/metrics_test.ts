import assert from "node:assert/strict";
import {
  argmax,
  crossEntropy,
  evaluateLogits,
  meanStd,
  referenceBatchMeanMetrics,
  sigmoid,
  softmax,
  softmax64,
} from "../lib/metrics/mod.ts";
import { accuracy, confusionMatrix, macroF1, perClassF1 } from "../lib/metrics/classification.ts";
import { aurocFromLogits } from "../lib/metrics/evaluate.ts";
import {
  aurocOvr,
  aurocTorchmetrics,
  perClassAuroc,
  rocAuc,
  rocCurve,
} from "../lib/metrics/auroc.ts";
import { ovrLogOdds } from "../lib/metrics/scores.ts";
import { studentTCdf, studentTQuantile } from "../lib/metrics/stats.ts";
import { Rng } from "../lib/util/mod.ts";

function close(actual: number, expected: number, tolerance = 1e-12, what = "") {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what} expected ${expected}, got ${actual} (tolerance ${tolerance})`,
  );
}

// Mann–Whitney reference: the fraction of (positive, negative) pairs ranked correctly, ties ½.
function pairwiseAuc(scores: number[], positives: boolean[]): number {
  let wins = 0;
  let pairs = 0;
  scores.forEach((s, i) => {
    if (!positives[i]) return;
    scores.forEach((t, j) => {
      if (positives[j]) return;
      pairs++;
      wins += s > t ? 1 : s === t ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

Deno.test("rocAuc: scikit-learn's documented example gives 0.75", () => {
  // roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75: of the 4 (pos, neg) pairs only
  // (0.35, 0.4) is mis-ordered.
  assert.equal(rocAuc([0.1, 0.4, 0.35, 0.8], [false, false, true, true]), 0.75);
});

Deno.test("rocAuc: a tied block counts one half per mixed pair, in any row order", () => {
  // P = 2, N = 3. Positive 0.9 beats all 3 negatives (3); positive 0.7 ties both negatives at
  // 0.7 (½ + ½) and beats 0.2 (1): 2.
  // (3 + 2) / 6 = 5/6. Trapezoid on distinct thresholds: (0,1) → (2,2) → (3,2):
  // 2·(1+2)/2 + 1·(2+2)/2 = 5 over 6.
  const scores = [0.9, 0.7, 0.7, 0.7, 0.2];
  const positives = [true, true, false, false, false];
  close(rocAuc(scores, positives), 5 / 6);
  // The same rows in reverse order: a staircase would give a different answer, the exact
  // tie handling does not.
  close(rocAuc([...scores].reverse(), [...positives].reverse()), 5 / 6);
  // All scores tied: the diagonal, 0.5.
  assert.equal(rocAuc([0.5, 0.5, 0.5, 0.5], [false, true, false, true]), 0.5);
  // Uint8Array indicators work the same as booleans.
  close(rocAuc(Float32Array.from(scores), Uint8Array.from([1, 1, 0, 0, 0])), 5 / 6);
});

Deno.test("rocAuc: equals the pairwise Mann–Whitney count on random data with many ties", () => {
  const rng = new Rng(7);
  for (let trial = 0; trial < 20; trial++) {
    const n = 20 + rng.int(40);
    // Scores rounded to one decimal: plenty of ties.
    const scores = Array.from({ length: n }, () => Math.round(rng.next() * 10) / 10);
    const positives = Array.from({ length: n }, (_, i) => i < 2 ? i === 0 : rng.next() < 0.4);
    close(rocAuc(scores, positives), pairwiseAuc(scores, positives), 1e-12, `trial ${trial}`);
  }
});

Deno.test("rocAuc: NaN when one class is absent; errors on NaN scores and length mismatch", () => {
  assert.ok(Number.isNaN(rocAuc([0.1, 0.9], [true, true])));
  assert.ok(Number.isNaN(rocAuc([0.1, 0.9], [false, false])));
  assert.throws(() => rocAuc([0.1, NaN], [true, false]), /score at row 1 is NaN/);
  assert.throws(() => rocAuc([0.1, 0.2], [true]), /2 scores for 1 labels/);
});

Deno.test("rocCurve: one point per distinct score, from (0,0) to (1,1)", () => {
  const curve = rocCurve([0.9, 0.7, 0.7, 0.7, 0.2], [true, true, false, false, false]);
  assert.deepEqual(curve.thresholds, [Infinity, 0.9, 0.7, 0.2]);
  assert.deepEqual(curve.fpr, [0, 0, 2 / 3, 1]);
  assert.deepEqual(curve.tpr, [0, 0.5, 1, 1]);
});

Deno.test("aurocOvr: binary uses the class-1 column; equals the mean of both OVR for softmax", () => {
  // Class-1 probabilities [0.2, 0.6, 0.4, 0.9], labels [0, 0, 1, 1]: pairs (0.4 vs 0.2 ✓,
  // 0.4 vs 0.6 ✗, 0.9 ✓✓) → 3/4.
  const probs = [0.8, 0.2, 0.4, 0.6, 0.6, 0.4, 0.1, 0.9];
  const labels = new Int32Array([0, 0, 1, 1]);
  assert.equal(aurocOvr(probs, labels, 2), 0.75);
  const perClass = perClassAuroc(probs, labels, 2);
  assert.deepEqual(perClass, [0.75, 0.75]);
  // A binary batch holding one class only: undefined, NaN.
  assert.ok(Number.isNaN(aurocOvr(probs, new Int32Array([1, 1, 1, 1]), 2)));
});

Deno.test("aurocOvr: hand-computed 3-class macro average (61/72)", () => {
  const probs = [
    [0.7, 0.2, 0.1], // label 0
    [0.3, 0.4, 0.3], // label 1
    [0.2, 0.5, 0.3], // label 2
    [0.1, 0.2, 0.7], // label 2
  ].flat();
  const labels = new Int32Array([0, 1, 2, 2]);
  // class 0: its positive (0.7) ranks first → 1.
  // class 1: positive 0.4 vs negatives 0.2, 0.5, 0.2 → 2/3.
  // class 2: positives 0.3, 0.7 vs negatives 0.1, 0.3 → (1 + ½ + 1 + 1)/4 = 7/8.
  // sklearn roc_auc_score(labels, probs, multi_class="ovr") = (1 + 2/3 + 7/8)/3 = 61/72.
  const perClass = perClassAuroc(probs, labels, 3);
  close(perClass[0], 1);
  close(perClass[1], 2 / 3);
  close(perClass[2], 7 / 8);
  close(aurocOvr(probs, labels, 3), 61 / 72);
});

Deno.test("aurocOvr / aurocTorchmetrics: 4 classes present, and a class absent", () => {
  // 4 classes, 8 rows, per-class AUROCs by hand.
  const probs = [
    [0.6, 0.2, 0.1, 0.1], // 0
    [0.3, 0.3, 0.2, 0.2], // 0
    [0.2, 0.5, 0.2, 0.1], // 1
    [0.3, 0.3, 0.3, 0.1], // 1
    [0.1, 0.1, 0.7, 0.1], // 2
    [0.25, 0.25, 0.25, 0.25], // 2
    [0.1, 0.1, 0.1, 0.7], // 3
    [0.2, 0.2, 0.2, 0.4], // 3
  ].flat();
  const labels = new Int32Array([0, 0, 1, 1, 2, 2, 3, 3]);
  // class 0 column [.6 .3 | .2 .3 .1 .25 .1 .2]: .6 beats all 6; .3 beats .2 .1 .25 .1 .2 and
  //   ties .3 → 5.5 → 11.5/12.
  // class 1 column [.2 .3 | .5 .3 | .1 .25 .1 .2]: .5 beats all 6; .3 beats .2 .1 .25 .1 .2, ties
  //   .3 → 5.5 → 11.5/12.
  // class 2 column [.1 .2 .2 .3 | .7 .25 | .1 .2]: .7 → 6; .25 beats .1 .2 .2 .1 .2 → 5 → 11/12.
  // class 3 column [.1 .2 .1 .1 .1 .25 | .7 .4]: both beat all 6 → 1.
  const expected = [11.5 / 12, 11.5 / 12, 11 / 12, 1];
  perClassAuroc(probs, labels, 4).forEach((v, k) => close(v, expected[k], 1e-12, `class ${k}`));
  const mean = expected.reduce((a, b) => a + b) / 4;
  close(aurocOvr(probs, labels, 4), mean);
  // Probabilities in [0, 1]: torchmetrics uses them as they are, so both agree here.
  close(aurocTorchmetrics(probs, labels, 4), mean);

  // torchmetrics' documented example: 5 classes, class 4 never true. Per class
  // [1, 1, 1/3, 1/3, 0] → macro 0.5333 (the absent class scores 0 and counts).
  const tmProbs = [
    [0.75, 0.05, 0.05, 0.05, 0.05],
    [0.05, 0.75, 0.05, 0.05, 0.05],
    [0.05, 0.05, 0.75, 0.05, 0.05],
    [0.05, 0.05, 0.05, 0.75, 0.05],
  ].flat();
  const tmLabels = new Int32Array([0, 1, 3, 2]);
  close(aurocTorchmetrics(tmProbs, tmLabels, 5), (1 + 1 + 1 / 3 + 1 / 3 + 0) / 5);
  // scikit-learn would raise; here the absent class is left out of the mean.
  const sk = perClassAuroc(tmProbs, tmLabels, 5);
  assert.ok(Number.isNaN(sk[4]));
  close(aurocOvr(tmProbs, tmLabels, 5), (1 + 1 + 1 / 3 + 1 / 3) / 4);
  // No class with both positives and negatives: NaN.
  assert.ok(Number.isNaN(aurocOvr([0.5, 0.3, 0.2], new Int32Array([0]), 3)));
});

Deno.test("aurocTorchmetrics: a single-class batch scores 0; logits are softmaxed first", () => {
  // All labels 0: class 0 has no negatives (fpr := 0), class 1 no positives (tpr := 0) → 0.
  assert.equal(aurocTorchmetrics([0.9, 0.1, 0.2, 0.8], new Int32Array([0, 0]), 2), 0);
  // Values outside [0, 1] are logits: softmax keeps the order within the class-1 column here.
  const logits = [2, -1, 0.5, 0.2, -3, 4];
  const labels = new Int32Array([0, 1, 1]);
  assert.equal(
    aurocTorchmetrics(logits, labels, 2),
    aurocTorchmetrics(softmax(logits, 2), labels, 2),
  );
});

Deno.test("sigmoid saturates to exactly 1.0 in float32 above 25·ln 2 ≈ 17.33", () => {
  const s = sigmoid([0, 17, 17.5, 30, -30, -200]);
  assert.equal(s[0], 0.5);
  assert.ok(s[1] < 1); // 1 − e^-17 ≈ 1 − 4.1e-8 rounds to 1 − 2^-24
  assert.equal(s[1], 1 - 2 ** -24);
  assert.equal(s[2], 1); // 1 − e^-17.5 ≈ 1 − 2.5e-8 < half an ulp below 1
  assert.equal(s[3], 1);
  assert.equal(s[4], Math.fround(Math.exp(-30) / (1 + Math.exp(-30))));
  assert.ok(s[5] === 0 || s[5] > 0); // no NaN for large negative logits
});

Deno.test("reference AUROC on saturated scale-30 logits: ties score exactly", () => {
  // Rows (logits for class 0, class 1) and labels:
  //   r0 [25, 18] → 0: sigmoid [1, 1] (both saturate)
  //   r1 [18, 25] → 1: sigmoid [1, 1]
  //   r2 [-5,  5] → 1: sigmoid [0.0067, 0.9933]
  //   r3 [ 5, -5] → 0: sigmoid [0.9933, 0.0067]
  // Reference, class 0 column [1, 1, .0067, .9933], positives r0, r3:
  //   r0 ties r1 (½), beats r2 (1); r3 loses to r1, beats r2 (1) → 2.5/4.
  // Class 1 column [1, 1, .9933, .0067], positives r1, r2: likewise 2.5/4. Mean 0.625.
  // Softmax ranks by l1 − l0 = [-7, 7, 10, -10]: the positives come first → 1.
  const logits = new Float32Array([25, 18, 18, 25, -5, 5, 5, -5]);
  const labels = new Int32Array([0, 1, 1, 0]);
  const m = evaluateLogits(logits, labels, 2);
  assert.equal(m.auroc, 1);
  assert.equal(m.aurocReference, 0.625);
  assert.equal(aurocFromLogits(logits, labels, 2, "softmax"), 1);
  assert.equal(aurocFromLogits(logits, labels, 2, "reference"), 0.625);
  assert.equal(m.accuracy, 1);
  assert.deepEqual(m.confusion, [[2, 0], [0, 2]]);
});

Deno.test("softmax probabilities rank without float32 saturation ties", () => {
  // Logit gaps of 20 and 25: float32 softmax would give 1.0 for both; the float64 ranking used
  // for AUROC keeps them apart.
  const logits = new Float32Array([0, 20, 0, 25, 0, 0]);
  const labels = new Int32Array([0, 1, 0]);
  // class-1 scores: σ(20) < σ(25), positive is row 1 (the highest) → 1, not a tie-induced 0.75.
  assert.equal(evaluateLogits(logits, labels, 2).auroc, 1);
  const p = softmax(logits, 2);
  assert.equal(p[1], 1); // float32 output does saturate
  close(p[4] + p[5], 1, 1e-7);
});

Deno.test("accuracy, argmax (lowest index on ties), confusion matrix", () => {
  assert.deepEqual([...argmax([1, 3, 3, 5, 0, 0], 3)], [1, 0]);
  const labels = new Int32Array([0, 1, 2, 0, 1, 2]);
  const pred = new Int32Array([0, 2, 1, 0, 0, 1]);
  assert.equal(accuracy(pred, labels), 2 / 6);
  assert.deepEqual(confusionMatrix(pred, labels, 3), [[2, 0, 0], [1, 0, 1], [0, 2, 0]]);
  assert.throws(
    () => confusionMatrix(new Int32Array([3]), new Int32Array([0]), 3),
    /label 3 at row 0/,
  );
  assert.ok(Number.isNaN(accuracy(new Int32Array(0), new Int32Array(0))));
});

Deno.test("macroF1: scikit-learn's documented example and empty classes (zero_division=0)", () => {
  // sklearn f1_score([0,1,2,0,1,2], [0,2,1,0,0,1], average="macro") == 0.2666…:
  // class 0 tp 2, fp 1, fn 0 → 4/5; classes 1 and 2 have no true positive → 0. (0.8+0+0)/3.
  const labels = new Int32Array([0, 1, 2, 0, 1, 2]);
  const pred = new Int32Array([0, 2, 1, 0, 0, 1]);
  close(macroF1(pred, labels, 3), 0.8 / 3);
  // A 4th class with no support and no prediction: 0 with labels=range(4) (default) …
  close(macroF1(pred, labels, 4), 0.8 / 4);
  // … or left out, as sklearn's labels=None and torchmetrics do.
  close(macroF1(pred, labels, 4, { absentClasses: "skip" }), 0.8 / 3);
  // A class predicted but never true: precision 0, recall undefined → F1 0.
  // labels [0, 0], pred [0, 1]: class 0 tp 1, fn 1 → 2/3; class 1 tp 0, fp 1 → 0.
  close(macroF1(new Int32Array([0, 1]), new Int32Array([0, 0]), 2), (2 / 3) / 2);
  assert.equal(macroF1(labels, labels, 3), 1);
});

Deno.test("crossEntropy: ln 2 for even logits, stable for huge ones", () => {
  close(crossEntropy([0, 0], new Int32Array([0]), 2), Math.LN2);
  close(crossEntropy([1000, 0, 0, 1000], new Int32Array([1, 1]), 2), 500);
  const m = evaluateLogits(new Float32Array([0, 0, 1000, 0]), new Int32Array([1, 0]), 2);
  close(m.loss!, Math.LN2 / 2);
});

Deno.test("evaluateLogits: clear errors naming the row for bad input", () => {
  assert.throws(
    () => evaluateLogits(new Float32Array([0, 1, 1, 0]), new Int32Array([0, 2]), 2),
    /label 2 at row 1 is outside \[0, 2\)/,
  );
  assert.throws(
    () => evaluateLogits(new Float32Array([0, 1, NaN, 0]), new Int32Array([0, 1]), 2),
    /non-finite value NaN at row 1, class 0/,
  );
  assert.throws(
    () => evaluateLogits(new Float32Array(5), new Int32Array([0, 1]), 2),
    /length 5 is not a multiple of numClasses 2/,
  );
  assert.throws(
    () => evaluateLogits(new Float32Array(4), new Int32Array([0]), 2),
    /1 labels for 2 rows/,
  );
});

Deno.test("evaluateLogits on an empty split: NaN metrics, zero confusion", () => {
  const m = evaluateLogits(new Float32Array(0), new Int32Array(0), 3);
  assert.equal(m.n, 0);
  for (const v of [m.accuracy, m.macroF1, m.auroc, m.aurocReference, m.loss!]) {
    assert.ok(Number.isNaN(v));
  }
  assert.deepEqual(m.confusion, [[0, 0, 0], [0, 0, 0], [0, 0, 0]]);
});

Deno.test("referenceBatchMeanMetrics: mean of per-batch values, single-class batches score 0", () => {
  const logits = new Float32Array([25, 18, 18, 25, -5, 5, 5, -5]);
  const labels = new Int32Array([0, 1, 1, 0]);
  // One batch holding everything: the epoch-level reference numbers.
  const whole = referenceBatchMeanMetrics(logits, labels, 2, 16);
  const m = evaluateLogits(logits, labels, 2);
  assert.equal(whole.auroc, m.aurocReference);
  assert.equal(whole.accuracy, m.accuracy);
  assert.equal(whole.macroF1, m.macroF1);
  // Batches of 2: {r0, r1} all sigmoid 1.0 → 0.5 per class → 0.5; {r2, r3} → 1. Mean 0.75.
  assert.equal(referenceBatchMeanMetrics(logits, labels, 2, 2).auroc, 0.75);
  // Reordered so that each batch holds one class: torchmetrics scores each batch 0.
  const reordered = new Float32Array([18, 25, -5, 5, 25, 18, 5, -5]);
  const reorderedLabels = new Int32Array([1, 1, 0, 0]);
  assert.equal(referenceBatchMeanMetrics(reordered, reorderedLabels, 2, 2).auroc, 0);
  assert.equal(evaluateLogits(reordered, reorderedLabels, 2).aurocReference, 0.625);
  // Macro-F1 per batch skips the absent class: each batch is all-correct on its one class → 1.
  assert.equal(referenceBatchMeanMetrics(reordered, reorderedLabels, 2, 2).macroF1, 1);
});

Deno.test("studentTQuantile matches scipy.stats.t.ppf", () => {
  const known: [number, number][] = [
    [1, 12.706204736174698],
    [2, 4.302652729911275],
    [3, 3.182446305284263],
    [10, 2.2281388519649385],
    [30, 2.0422724563012373],
  ];
  for (const [df, t] of known) close(studentTQuantile(0.975, df), t, 1e-9, `df ${df}`);
  close(studentTQuantile(0.025, 3), -3.182446305284263, 1e-9);
  close(studentTQuantile(0.5, 4), 0, 1e-12);
});

Deno.test("studentTQuantile and studentTCdf match 50-digit references for df 1 to 1000", async () => {
  // tests/fixtures/metrics/make_student_t.py: mpmath's incomplete beta at 50 digits and its
  // root, both checked there against scipy.stats.t.
  const reference: {
    ppf: { p: number; df: number; t: number }[];
    cdf: { t: number; df: number; p: number }[];
  } = JSON.parse(
    await Deno.readTextFile(new URL("./fixtures/metrics/student_t.json", import.meta.url)),
  );
  assert.equal(reference.ppf.length, 46 * 11);
  for (const { p, df, t } of reference.ppf) {
    close(studentTQuantile(p, df), t, 1e-12 * Math.max(1, Math.abs(t)), `ppf(${p}, ${df})`);
  }
  for (const { t, df, p } of reference.cdf) close(studentTCdf(t, df), p, 1e-14, `cdf(${t}, ${df})`);
  close(studentTCdf(Infinity, 3), 1, 0);
  close(studentTCdf(-Infinity, 3), 0, 0);
  for (const df of [1, 2, 7]) close(studentTCdf(studentTQuantile(0.975, df), df), 0.975, 1e-15);
});

Deno.test("meanStd: sample std (ddof=1) and Student-t CI half-width", () => {
  const s = meanStd([1, 2, 3, 4]);
  assert.equal(s.mean, 2.5);
  close(s.std, Math.sqrt(5 / 3)); // Σ(x−2.5)² = 5, / (n−1)
  close(s.ci95, 3.182446305284263 * Math.sqrt(5 / 3) / 2, 1e-9);
  assert.equal(s.n, 4);
  const one = meanStd([0.7]);
  assert.equal(one.mean, 0.7);
  assert.ok(Number.isNaN(one.std) && Number.isNaN(one.ci95));
  assert.ok(Number.isNaN(meanStd([]).mean));
  assert.throws(() => meanStd([1, NaN]), /value NaN at index 1/);
});

interface SaturationCase {
  name: string;
  numClasses: number;
  logits: number[];
  labels: number[];
  auroc: number;
  aurocExact?: [number, number];
  perClass?: number[];
  sklearnOnProbabilities: number;
}
const saturation: { cases: SaturationCase[] } = JSON.parse(
  await Deno.readTextFile(new URL("./fixtures/metrics/auroc_saturation.json", import.meta.url)),
);

Deno.test("two-class AUROC ranks by the logit gap: gaps 40 and 41 do not tie", () => {
  // Float64 softmax gives p1 = 1.0 for both rows (a tie, 0.5); the gap orders them: 0.
  const logits = new Float32Array([0, 40, 0, 41]);
  const labels = Int32Array.of(1, 0);
  assert.equal(evaluateLogits(logits, labels, 2).auroc, 0);
  assert.equal(aurocFromLogits(logits, labels, 2, "softmax"), 0);
  assert.deepEqual([...softmax64(logits, 2)].slice(1, 4).filter((_, i) => i !== 1), [1, 1]);
  assert.deepEqual([...ovrLogOdds(logits, 2)], [-40, 40, -41, 41]);
  // With the gap as score, class 0's scores are class 1's negated: both one-vs-rest AUROCs agree.
  const both = perClassAuroc(ovrLogOdds(logits, 2), labels, 2);
  assert.deepEqual(both, [0, 0]);
});

Deno.test("AUROC equals scikit-learn fed exact scores, logit gaps up to 90 (2, 3, 4 classes)", () => {
  let differFromProbabilities = 0;
  for (const c of saturation.cases) {
    const C = c.numClasses;
    const logits = Float32Array.from(c.logits);
    assert.deepEqual([...logits], c.logits, `${c.name}: logits exact in float32`);
    const labels = Int32Array.from(c.labels);
    const m = evaluateLogits(logits, labels, C);
    // scikit-learn integrates normalised rates (np.trapz), off by an ulp or two from the exact
    // pair count; two classes here are the exact count correctly rounded.
    close(m.auroc, c.auroc, 1e-15, c.name);
    if (c.aurocExact) assert.equal(m.auroc, c.aurocExact[0] / c.aurocExact[1], c.name);
    if (c.perClass) {
      perClassAuroc(ovrLogOdds(logits, C), labels, C).forEach((v, k) =>
        close(v, c.perClass![k], 1e-15, `${c.name}, class ${k}`)
      );
    }
    if (c.auroc !== c.sklearnOnProbabilities) differFromProbabilities++;
    // Where the probabilities cannot saturate (two classes, gaps ≤ 20) both agree exactly.
    if (C === 2 && c.logits.every((v) => Math.abs(v) <= 10)) {
      assert.equal(c.auroc, c.sklearnOnProbabilities, `${c.name}: unsaturated`);
    }
  }
  assert.ok(saturation.cases.length >= 50, `${saturation.cases.length} cases`);
  // The family does exercise saturation: ranking the probabilities would get many cases wrong.
  assert.ok(differFromProbabilities >= 15, `${differFromProbabilities} cases differ`);
});

Deno.test("ovrLogOdds: log(p / (1 − p)) of the softmax, exact ties kept, stable for huge logits", () => {
  const logits = [1, 2, 3, 0.5, -1, 2];
  const lo = ovrLogOdds(logits, 3);
  const p = softmax64(logits, 3);
  for (let i = 0; i < 6; i++) close(lo[i], Math.log(p[i] / (1 - p[i])), 1e-12, `entry ${i}`);
  // The others permuted and everything shifted: class 0's log-odds are bit-identical.
  const a = ovrLogOdds([0, -3, -70], 3)[0];
  const b = ovrLogOdds([5, -65, 2], 3)[0];
  assert.equal(a, b);
  assert.ok(Number.isFinite(ovrLogOdds([1e30, 0, -1e30], 3)[0]));
});

Deno.test("every exported metric names itself when given NaN, Inf or a wrong shape", () => {
  const lab = Int32Array.of(0, 1);
  const cases: [string, () => unknown][] = [
    ["aurocOvr", () => aurocOvr([0.2, 0.8, NaN, 0.5], lab, 2)],
    ["aurocOvr", () => aurocOvr([0.2, 0.8, 0.1], lab, 2)],
    ["perClassAuroc", () => perClassAuroc([0.2, Infinity, 0.3, 0.5], lab, 2)],
    ["aurocTorchmetrics", () => aurocTorchmetrics([NaN, 0.8, 0.3, 0.5], lab, 2)],
    ["rocAuc", () => rocAuc([0.1, -Infinity], [true, false])],
    ["rocAuc", () => rocAuc([0.1, 0.2], Uint8Array.of(1, 2))],
    ["rocCurve", () => rocCurve([0.1, NaN], [true, false])],
    ["rocCurve", () => rocCurve([0.1], [true, false])],
    ["softmax64", () => softmax64([0, NaN], 2)],
    ["softmax", () => softmax([0, 1, 2], 2)],
    ["ovrLogOdds", () => ovrLogOdds([0, Infinity], 2)],
    ["sigmoid", () => sigmoid([NaN])],
    ["argmax", () => argmax([0, NaN], 2)],
    ["crossEntropy", () => crossEntropy([0, 1, NaN, 2], lab, 2)],
    ["crossEntropy", () => crossEntropy([0, 1, 1, 2], Int32Array.of(0), 2)],
    ["accuracy", () => accuracy(Int32Array.of(0), lab)],
    ["accuracy", () => accuracy(Int32Array.of(0, -1), lab)],
    ["confusionMatrix", () => confusionMatrix(Int32Array.of(0, 2), lab, 2)],
    ["macroF1", () => macroF1(Int32Array.of(0, 1), Int32Array.of(0, 5), 2)],
    ["macroF1", () => macroF1(lab, lab, 2, { absentClasses: "drop" as "skip" })],
    ["perClassF1", () => perClassF1([[1, 0], [0]])],
    ["perClassF1", () => perClassF1([[1, 0.5], [0, 1]])],
    ["evaluateLogits", () => evaluateLogits([0, 1, 2, NaN], lab, 2)],
    ["aurocFromLogits", () => aurocFromLogits([0, 1, 2, Infinity], lab, 2, "softmax")],
    ["aurocFromLogits", () => aurocFromLogits([0, 1, 2, 3], Int32Array.of(0), 2, "reference")],
    ["referenceBatchMeanMetrics", () => referenceBatchMeanMetrics([0, NaN, 1, 2], lab, 2, 1)],
    ["meanStd", () => meanStd([1, NaN])],
    ["studentTQuantile", () => studentTQuantile(0.975, 0)],
    ["studentTQuantile", () => studentTQuantile(0.975, 2.5)],
    ["studentTCdf", () => studentTCdf(1, 0.5)],
    ["studentTCdf", () => studentTCdf(NaN, 3)],
  ];
  for (const [name, call] of cases) {
    assert.throws(call, (e: Error) => e.message.startsWith(`${name}`), `${name}: ${call}`);
  }
});
