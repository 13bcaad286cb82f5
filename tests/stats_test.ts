/**
 * Calibration, per-class metrics, curves and significance, against scipy/scikit-learn fixtures
 * (tests/fixtures/metrics/make_stats_fixtures.py) and hand-computed cases; the stratified
 * bootstrap against explicitly resampled rows.
 */
import assert from "node:assert/strict";
import {
  argmax,
  balancedAccuracy,
  bootstrapPValue,
  bootstrapReplicates,
  brierScore,
  evaluateLogits,
  expectedCalibrationError,
  fitTemperature,
  holmAdjust,
  mcnemarExact,
  percentileInterval,
  perClassScores,
  reliabilityBins,
  scaleLogits,
  stratifiedResamples,
  topLabel,
} from "../lib/metrics/mod.ts";
import { aurocOvr, precisionRecallCurve } from "../lib/metrics/auroc.ts";
import { binomialTestHalf, quantile } from "../lib/metrics/significance.ts";
import { ovrLogOdds } from "../lib/metrics/scores.ts";
import { Rng } from "../lib/util/mod.ts";

const ref = JSON.parse(
  await Deno.readTextFile(new URL("./fixtures/metrics/stats_reference.json", import.meta.url)),
);

function close(actual: number, expected: number, tol: number, what = "") {
  assert.ok(Math.abs(actual - expected) <= tol, `${what} expected ${expected}, got ${actual}`);
}

Deno.test("McNemar's exact p equals scipy.stats.binomtest(k, n, 0.5)", () => {
  for (const { k, n, p } of ref.binomtest) {
    close(binomialTestHalf(k, n), p, 1e-12 * Math.max(p, 1e-300) + 1e-300, `k=${k} n=${n}`);
  }
  assert.equal(binomialTestHalf(0, 0), 1);
  // 5 rows only A gets right, 1 only B: p = 2 · (1 + 6) / 64 = 0.21875.
  const a = [1, 1, 1, 1, 1, 0, 1, 0];
  const b = [0, 0, 0, 0, 0, 1, 1, 0];
  assert.deepEqual(mcnemarExact(a, b), { onlyA: 5, onlyB: 1, p: 0.21875 });
  assert.throws(() => mcnemarExact([1], [1, 0]), /^Error: mcnemarExact: 1 outcomes for A, 2/);
});

Deno.test("Holm–Bonferroni on the textbook example", () => {
  // p = (0.01, 0.04, 0.03, 0.005), m = 4: sorted 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06,
  // 0.04·1 = 0.04 → running max 0.06. At α = 0.05 the first and the fourth hold.
  const adj = holmAdjust([0.01, 0.04, 0.03, 0.005]);
  [0.03, 0.06, 0.06, 0.02].forEach((v, i) => close(adj[i], v, 1e-15, `p${i}`));
  assert.deepEqual(holmAdjust([0.5, NaN, 0.6]).map((v) => Number.isNaN(v) ? "NaN" : v), [
    1,
    "NaN",
    1,
  ]);
  assert.throws(() => holmAdjust([1.2]), /^Error: holmAdjust: p-value at index 0 is 1.2/);
});

Deno.test("reliability bins equal sklearn's calibration_curve; Brier is twice brier_score_loss", () => {
  for (const c of ref.calibration) {
    const logits = Float32Array.from(c.logits);
    const labels = Int32Array.from(c.labels);
    const { confidence, correct } = topLabel(logits, labels, c.numClasses);
    const bins = reliabilityBins(confidence, correct, 15).filter((b) => b.count > 0);
    assert.equal(bins.length, c.probTrue.length);
    bins.forEach((b, i) => {
      close(b.accuracy, c.probTrue[i], 1e-15, `bin ${i} accuracy`);
      close(b.confidence, c.probPred[i], 1e-15, `bin ${i} confidence`);
    });
    const ece = expectedCalibrationError(logits, labels, c.numClasses);
    const n = labels.length;
    const expected = bins.reduce(
      (s, b) => s + (b.count / n) * Math.abs(b.accuracy - b.confidence),
      0,
    );
    close(ece, expected, 1e-15);
    if (c.brierScoreLoss !== undefined) {
      close(brierScore(logits, labels, 2), 2 * c.brierScoreLoss, 1e-14);
    }
  }
  // Hand case: two rows at confidence 0.9 (one right) and one at 0.6 (right):
  // bins (0.8667, 0.9333] → |0.5 − 0.9| · 2/3, (0.5333, 0.6] → |1 − 0.6| · 1/3 → 0.4.
  const bins = reliabilityBins([0.9, 0.9, 0.6], [1, 0, 1]);
  assert.equal(bins.length, 15);
  assert.deepEqual(bins.filter((b) => b.count).map((b) => [b.count, b.accuracy]), [[1, 1], [
    2,
    0.5,
  ]]);
  // A value on an edge goes to the lower bin, as numpy.searchsorted(..., "left").
  assert.equal(reliabilityBins([1 / 3], [1], 3)[0].count, 1);
  assert.throws(() => reliabilityBins([1.5], [1]), /^Error: reliabilityBins: probability/);
});

Deno.test("per-class precision/recall/F1 and balanced accuracy equal scikit-learn's", () => {
  for (const c of ref.perClass) {
    const pred = Int32Array.from(c.pred), labels = Int32Array.from(c.labels);
    const s = perClassScores(pred, labels, c.numClasses);
    s.forEach((x, k) => {
      close(x.precision, c.precision[k], 1e-15, `precision ${k}`);
      close(x.recall, c.recall[k], 1e-15, `recall ${k}`);
      close(x.f1, c.f1[k], 1e-15, `f1 ${k}`);
      assert.equal(x.support, c.support[k]);
    });
    close(balancedAccuracy(pred, labels, c.numClasses), c.balancedAccuracy, 1e-15);
  }
});

Deno.test("precision–recall curve points equal scikit-learn's precision_recall_curve", () => {
  const c = ref.prCurve;
  const mine = precisionRecallCurve(c.scores, Uint8Array.from(c.positives));
  // scikit-learn: ascending thresholds, plus a final (precision 1, recall 0) point.
  const k = c.thresholds.length;
  const last = mine.thresholds.length;
  for (let i = 0; i < k; i++) {
    const j = last - 1 - i;
    assert.equal(mine.thresholds[j], c.thresholds[i]);
    close(mine.precision[j], c.precision[i], 1e-15);
    close(mine.recall[j], c.recall[i], 1e-15);
  }
});

Deno.test("temperature scaling: fitted on val it minimises NLL; accuracy and two-class AUROC unchanged", () => {
  const rng = new Rng(5);
  const make = (n: number, C: number, scale: number) => {
    const labels = new Int32Array(n);
    const logits = new Float32Array(n * C);
    for (let i = 0; i < n; i++) {
      labels[i] = rng.int(C);
      for (let k = 0; k < C; k++) logits[i * C + k] = scale * rng.normal();
      if (rng.next() < 0.7) logits[i * C + labels[i]] += scale;
    }
    return { logits, labels };
  };
  for (const C of [2, 3, 4]) {
    const val = make(300, C, 8);
    const test = make(200, C, 8);
    const T = fitTemperature(val.logits, val.labels, C);
    assert.ok(T > 1, `over-confident logits need T > 1, got ${T}`);
    const nll = (t: number) => evaluateLogits(scaleLogits(val.logits, t), val.labels, C).loss!;
    assert.ok(nll(T) < nll(T * 1.01) && nll(T) < nll(T / 1.01), "a minimum");
    const before = evaluateLogits(test.logits, test.labels, C);
    const after = evaluateLogits(scaleLogits(test.logits, T), test.labels, C);
    assert.equal(after.accuracy, before.accuracy);
    assert.deepEqual(after.confusion, before.confusion);
    if (C === 2) assert.equal(after.auroc, before.auroc);
    assert.ok(
      expectedCalibrationError(scaleLogits(test.logits, T), test.labels, C) <
        expectedCalibrationError(test.logits, test.labels, C),
    );
  }
  // With three classes a temperature can reorder the one-vs-rest ranking: class-0 log-odds of
  // (0, −1, −1) exceed those of (0, −0.1, −100) at T = 1, and fall below them at T = 100.
  const logits = [0, -1, -1, 0, -0.1, -100];
  const lo1 = ovrLogOdds(logits, 3), lo100 = ovrLogOdds(scaleLogits(logits, 100), 3);
  assert.ok(lo1[0] > lo1[3] && lo100[0] < lo100[3]);
  assert.notEqual(
    aurocOvr(lo1, Int32Array.of(0, 1), 3),
    aurocOvr(lo100, Int32Array.of(0, 1), 3),
  );
});

Deno.test("stratified bootstrap: replicates equal the metrics of the explicitly resampled rows", () => {
  const rng = new Rng(11);
  for (const C of [2, 4]) {
    const n = 60;
    const labels = new Int32Array(n).map((_, i) => i % C);
    const seeds = [0, 1, 2].map(() =>
      Float32Array.from({ length: n * C }, () => Math.round(4 * rng.normal()) / 2)
    );
    const res = stratifiedResamples(labels, C, 50, 7);
    const boot = bootstrapReplicates(seeds, res, C);
    // Point estimates are the mean over seeds of the plain metrics.
    const plain = seeds.map((l) => evaluateLogits(l, labels, C));
    for (const m of ["accuracy", "macroF1", "auroc"] as const) {
      close(boot.point[m], plain.reduce((s, p) => s + p[m], 0) / 3, 1e-15, m);
    }
    for (const b of [0, 17, 49]) {
      const w = res.weights.subarray(b * n, (b + 1) * n);
      const rows: number[] = [];
      w.forEach((count, i) => {
        for (let j = 0; j < count; j++) rows.push(i);
      });
      assert.equal(rows.length, n);
      const yb = Int32Array.from(rows, (i) => labels[i]);
      // Every class keeps its count (the strata).
      for (let k = 0; k < C; k++) assert.equal(yb.filter((y) => y === k).length, n / C);
      const ms = seeds.map((l) => {
        const lb = new Float32Array(n * C);
        rows.forEach((i, r) => lb.set(l.subarray(i * C, (i + 1) * C), r * C));
        return evaluateLogits(lb, yb, C);
      });
      for (const m of ["accuracy", "macroF1", "auroc"] as const) {
        close(boot.replicates[m][b], ms.reduce((s, x) => s + x[m], 0) / 3, 1e-14, `${m} rep ${b}`);
      }
    }
    // Deterministic under the seed; another seed draws other rows.
    assert.deepEqual(stratifiedResamples(labels, C, 50, 7).weights, res.weights);
    assert.notDeepEqual(stratifiedResamples(labels, C, 50, 8).weights, res.weights);
  }
  // One row per class: every replicate is the data itself, so the interval is the point.
  const one = stratifiedResamples(Int32Array.of(0, 1), 2, 20, 1);
  const b1 = bootstrapReplicates([Float32Array.of(1, 0, 0, 1)], one, 2);
  assert.deepEqual(percentileInterval(b1.replicates.accuracy), { lo: 1, hi: 1 });
  assert.equal(argmax([1, 0, 0, 1], 2)[1], 1);
});

Deno.test("quantiles as numpy's linear method; bootstrap p-values", () => {
  // numpy.quantile([1, 2, 3, 4], [0.025, 0.975]) = [1.075, 3.925].
  close(quantile([4, 1, 3, 2], 0.025), 1.075, 1e-15);
  close(quantile([4, 1, 3, 2], 0.975), 3.925, 1e-15);
  assert.equal(quantile([5], 0.3), 5);
  // 3 of 9 replicates below 0, one at 0: min(3.5, 5.5) → 2 · 4.5 / 10 = 0.9.
  close(bootstrapPValue([-1, -1, -1, 0, 1, 1, 1, 1, 1]), 0.9, 1e-15);
  // All above 0 with B = 1999: the floor 2 / 2000.
  close(bootstrapPValue(new Float64Array(1999).fill(0.1)), 0.001, 1e-15);
});
