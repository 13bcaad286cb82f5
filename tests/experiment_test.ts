import assert from "node:assert/strict";
import { type CellResult, gridVariants, NAMED_ABLATIONS, sweepVariants } from "../lib/run/mod.ts";
import {
  compareWithPaper,
  loadPaperResults,
  summarise,
  zeroShotLogits,
} from "../lib/analysis/mod.ts";
import { comparisonTable } from "../lib/outputs/mod.ts";
import { cellKey } from "../lib/run/mod.ts";
import { COMPARISON_TABLE_NOTE, comparisonTableData } from "../lib/outputs/tables.ts";
import {
  concatFeatures,
  linearProbe,
  majorityBaseline,
  stratifiedRandomBaseline,
} from "../lib/analysis/baselines.ts";
import { DEFAULT_CONFIG } from "../lib/config/mod.ts";
import { datasetPreset, PRIDEMM_TASKS } from "../lib/data/mod.ts";
import { type Metrics } from "../lib/metrics/mod.ts";
import { accuracy, macroF1 } from "../lib/metrics/classification.ts";
import { Rng } from "../lib/util/mod.ts";

Deno.test("paper results load with the published numbers", async () => {
  const paper = await loadPaperResults();
  assert.deepEqual(paper.tasks.hate, { accuracy: 76.06, auroc: 84.52, macroF1: 75.09 });
  assert.deepEqual(paper.tasks.target, { accuracy: 66.12, auroc: 81.66, macroF1: 58.65 });
  assert.deepEqual(paper.tasks.stance, { accuracy: 62.0, auroc: 80.11, macroF1: 57.98 });
  assert.deepEqual(paper.tasks.humour, { accuracy: 80.27, auroc: 85.59, macroF1: 77.21 });
});

Deno.test("sweeps share the reference point once; the grid covers every pair", () => {
  const sweeps = sweepVariants([0, 0.2, 0.4, 0.6, 0.8, 1], [1, 2, 3]);
  assert.equal(sweeps.length, 6 + 3 - 1);
  assert.equal(sweeps.filter((v) => v.name === "ratio=0.2,depth=1").length, 1);
  assert.equal(sweeps[0].name, "ratio=0.2,depth=1", "the reference point first");
  assert.deepEqual(sweepVariants([0, 1], [2]).map((v) => v.name), [
    "ratio=0.2,depth=1",
    "ratio=0,depth=1",
    "ratio=1,depth=1",
    "ratio=0.2,depth=2",
  ]);
  const grid = gridVariants([0, 0.5, 1], [1, 2]);
  assert.equal(grid.length, 6);
  assert.deepEqual(grid[4].overrides, { head: { ratio: 0.5, numMappingLayers: 2 } });
  assert.deepEqual(NAMED_ABLATIONS.map((v) => v.name), [
    "fusion=concat",
    "fusion=sum",
    "image-only",
    "text-only",
    "classifier=linear",
    "init=random",
  ]);
  assert.equal(
    cellKey({ variant: "ratio=0.2,depth=1", task: "hate", seed: 3 }),
    "ratio=0.2,depth=1__hate__seed3",
  );
  assert.equal(cellKey({ variant: "a/b c", task: "stance", seed: 0 }), "a_b_c__stance__seed0");
});

function metrics(accuracy: number, auroc: number, macroF1: number): Metrics {
  return { n: 10, numClasses: 2, accuracy, auroc, aurocReference: auroc, macroF1, confusion: [] };
}

function cell(seed: number, ref: Metrics, clean: Metrics): CellResult {
  return {
    key: cellKey({ variant: "memeclip", task: "hate", seed }),
    variant: "memeclip",
    task: "hate",
    seed,
    config: DEFAULT_CONFIG,
    backend: "cpu",
    numParams: 1,
    seconds: 1,
    curves: [],
    reference: { epoch: 3, test: ref },
    clean: { epoch: 5, val: clean, test: clean },
    excluded: { train: 0, val: 0, test: 0 },
  };
}

Deno.test("summaries over seeds: mean, sample std, t-based CI, and the difference to the paper", async () => {
  const results = [
    cell(0, metrics(0.70, 0.80, 0.60), metrics(0.60, 0.70, 0.50)),
    cell(1, metrics(0.80, 0.90, 0.70), metrics(0.70, 0.80, 0.60)),
  ];
  const rows = summarise(results, PRIDEMM_TASKS);
  assert.equal(rows.length, 2);
  const ref = rows.find((r) => r.protocol === "reference")!;
  assert.ok(Math.abs(ref.metrics.accuracy.mean - 0.75) < 1e-9);
  assert.ok(Math.abs(ref.metrics.accuracy.std - Math.sqrt(0.005)) < 1e-9); // (0.7, 0.8): var = 0.005
  // t(0.975, 1) = 12.706; CI = 12.706 * 0.070711 / sqrt(2) = 0.6353
  assert.ok(Math.abs(ref.metrics.accuracy.ci95 - 0.6353) < 1e-4);
  assert.equal(ref.meanEpoch, 3);
  const comparison = compareWithPaper(rows, await loadPaperResults(), "memeclip");
  const clean = comparison.find((r) => r.protocol === "clean")!;
  assert.ok(Math.abs(clean.diff.accuracy - (65 - 76.06)) < 1e-9);
  assert.equal(clean.n, 2);
  // The table: per task the paper's row, then one row per protocol; ours beside Δ, with the
  // interval on a second line in the notation the note explains.
  const tasks = datasetPreset("pridemm").tasks;
  const table = comparisonTableData(comparison, tasks);
  assert.deepEqual(table.rows.map((r) => r[1]), [
    "paper (MemeCLIP)",
    "reference (test-selected)",
    "clean (val-selected)",
  ]);
  assert.deepEqual(table.rows[0].slice(3, 9), ["76.06", "", "84.52", "", "75.09", ""]);
  assert.equal(table.rows[2][3], "65.00 ± 7.07\n(CI ± 63.53)");
  assert.equal(table.rows[2][4], "-11.06");
  assert.match(COMPARISON_TABLE_NOTE, /\(CI ± x\)/);
  assert.match(
    comparisonTable(comparison, tasks),
    /\| 65\.00 ± 7\.07 \(CI ± 63\.53\) \| -11\.06 \|/,
  );
});

Deno.test("zero-shot logits are 100 × cosine to each prompt", () => {
  const image = new Float32Array([3, 4, 0, 0, 0, 2]); // 2 images, 3-d
  const prompts = new Float32Array([1, 0, 0, 0, 0, 5]); // 2 classes
  const logits = zeroShotLogits(image, prompts, 2, 2);
  assert.deepEqual(Array.from(logits, (x) => Math.round(x * 1000) / 1000), [60, 0, 0, 100]);
  assert.throws(() => zeroShotLogits(new Float32Array(4), prompts, 2, 2), /2-d, prompts 3-d/);
});

Deno.test("concatFeatures interleaves rows; the linear probe separates a linearly separable set", () => {
  assert.deepEqual(
    Array.from(concatFeatures(new Float32Array([1, 2, 3, 4]), new Float32Array([9, 8]), 2)),
    [1, 2, 9, 3, 4, 8],
  );
  const rng = new Rng(7);
  const make = (n: number) => {
    const x = new Float32Array(n * 4), labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = i % 3;
      for (let k = 0; k < 4; k++) x[i * 4 + k] = rng.normal() * 0.3 + (k === labels[i] ? 2 : 0);
    }
    return { x, labels, n };
  };
  const result = linearProbe(make(150), make(30), make(60), { numClasses: 3, steps: 100 });
  assert.ok(result.test.accuracy > 0.95, `probe accuracy ${result.test.accuracy}`);
  assert.equal(result.test.n, 60);
});

Deno.test("sanity baselines: majority class by hand; stratified random's expectation by enumeration", () => {
  // Training majority is class 0; test [0, 1, 1, 1]: accuracy 1/4, F1 of class 0 = 2/(1 + 4),
  // class 1 never predicted → macro-F1 0.2; every score tied → AUROC 0.5.
  const m = majorityBaseline(Int32Array.of(0, 0, 1), Int32Array.of(0, 1, 1, 1), 2);
  assert.equal(m.accuracy, 0.25);
  assert.equal(m.macroF1, 0.2);
  assert.equal(m.auroc, 0.5);
  assert.equal(m.aurocReference, 0.5);
  assert.deepEqual(m.confusion, [[1, 0], [3, 0]]);
  // Stratified random on 5 test memes, 3 classes: enumerate all 3^5 prediction vectors.
  const train = Int32Array.of(0, 0, 0, 1, 1, 2, 2, 2, 2, 2);
  const test = Int32Array.of(0, 1, 2, 2, 0);
  const pi = [0.3, 0.2, 0.5];
  let acc = 0, f1 = 0;
  for (let code = 0; code < 3 ** 5; code++) {
    const pred = new Int32Array(5);
    let p = 1;
    for (let i = 0, c = code; i < 5; i++, c = Math.floor(c / 3)) {
      pred[i] = c % 3;
      p *= pi[pred[i]];
    }
    acc += p * accuracy(pred, test);
    f1 += p * macroF1(pred, test, 3);
  }
  const r = stratifiedRandomBaseline(train, test, 3);
  assert.ok(Math.abs(r.accuracy - acc) < 1e-14, `${r.accuracy} vs ${acc}`);
  assert.ok(Math.abs(r.macroF1 - f1) < 1e-14, `${r.macroF1} vs ${f1}`);
  assert.equal(r.auroc, 0.5);
});
