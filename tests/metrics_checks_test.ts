import assert from "node:assert/strict";
import {
  bootstrapReplicates,
  brierScore,
  crossEntropy,
  evaluateLogits,
  expectedCalibrationError,
  fitTemperature,
  ovrCurves,
  referenceBatchMeanMetrics,
  type ScoreArray,
  stratifiedResamples,
  topLabel,
} from "../lib/metrics/mod.ts";
import { aurocFromLogits } from "../lib/metrics/evaluate.ts";
import { aurocOvr, aurocTorchmetrics, perClassAuroc } from "../lib/metrics/auroc.ts";

type Metric = (scores: ScoreArray, labels: Int32Array, numClasses: number) => unknown;

/** Every function of row-major scores and labels, by the name its errors begin with. */
const METRICS: [string, Metric][] = [
  ["evaluateLogits", evaluateLogits],
  ["referenceBatchMeanMetrics", (s, l, c) => referenceBatchMeanMetrics(s, l, c, 2)],
  ["aurocFromLogits", (s, l, c) => aurocFromLogits(s, l, c, "softmax")],
  ["crossEntropy", crossEntropy],
  ["perClassAuroc", perClassAuroc],
  ["aurocOvr", aurocOvr],
  ["aurocTorchmetrics", aurocTorchmetrics],
  ["ovrCurves", ovrCurves],
  ["topLabel", topLabel],
  ["expectedCalibrationError", (s, l, c) => expectedCalibrationError(s, l, c)],
  ["brierScore", brierScore],
  ["fitTemperature", fitTemperature],
];

Deno.test("every metric of scores and labels checks its arguments alike, naming itself", () => {
  const labels = Int32Array.of(0, 1);
  const cases: [ScoreArray, Int32Array, string][] = [
    [[0.1, 0.9, 0.8], labels, "length 3 is not a multiple of numClasses 2"],
    [[0.1, 0.9, 0.8, 0.2], Int32Array.of(0), "1 labels for 2 rows"],
    [[0.1, 0.9, 0.8, 0.2], Int32Array.of(0, 2), "label 2 at row 1 is outside [0, 2)"],
    [[0.1, 0.9, NaN, 0.2], labels, "non-finite value NaN at row 1, class 0"],
    [[0.1, -Infinity, 0.8, 0.2], labels, "non-finite value -Infinity at row 0, class 1"],
  ];
  for (const [name, metric] of METRICS) {
    metric([0.1, 0.9, 0.8, 0.2], labels, 2); // good input passes
    for (const [scores, y, message] of cases) {
      assert.throws(() => metric(scores, y, 2), { message: `${name}: ${message}` }, name);
    }
  }
});

Deno.test("the bootstrap checks each seed's scores with the same preamble", () => {
  const resamples = stratifiedResamples(Int32Array.of(0, 1, 0, 1), 2, 10, 1);
  const good = [0.1, 0.9, 0.8, 0.2, 0.3, 0.7, 0.6, 0.4];
  assert.equal(bootstrapReplicates([good], resamples, 2).replicates.accuracy.length, 10);
  assert.throws(
    () => bootstrapReplicates([good, [...good.slice(0, 5), NaN, 0.6, 0.4]], resamples, 2),
    { message: "bootstrapReplicates (seed 1): non-finite value NaN at row 2, class 1" },
  );
  assert.throws(
    () => bootstrapReplicates([good.slice(0, 6)], resamples, 2),
    { message: "bootstrapReplicates: seed 0 has 3 rows, the resamples 4" },
  );
});
