// Source of notebooks/05_residual_ratio.ipynb: edit here, then `deno task notebooks:build`.

// %% [markdown]
// # 5 · Residual ratio α
//
// Each modality's feature after the adapter stage is a mix:
// `mixed = α · adapter(projected) + (1 − α) · projected`. α = 0 bypasses the adapter, α = 1
// keeps only the adapter's (non-negative) output; MemeCLIP uses α = 0.2, keeping 80% of the
// projected CLIP feature. The mix has no parameters, and in this suite the head's initial
// weights do not depend on α (each tensor's initialisation is seeded by its name), so a sweep
// over α compares the same starting point.
//
// First how α moves the mixed feature between the projection and the adapter output, at
// initialisation and after training; then a quick α sweep trained on the cached features.

// %%
import { makeConfig } from "../lib/config/mod.ts";
import { loadNotebookContext } from "../lib/experiment/mod.ts";
import { describeValues, pairedCosines } from "../lib/features/mod.ts";
import { headActivations, type HeadWeights, initHeadWeights } from "../lib/model/mod.ts";
import {
  display,
  displayMarkdown,
  formatPct,
  lineChart,
  markdownTable,
  PALETTE,
} from "../lib/report/mod.ts";
import { trainMany } from "../lib/train/mod.ts";

const { data, sample: { n, image, text }, summary, trainOptions } = await loadNotebookContext();
console.log(summary);

// %% [markdown]
// ## A quick α sweep on cached features
//
// One head per α, trained for three epochs with the reference settings otherwise, in parallel
// workers (each run is identical to a sequential one). The clean protocol picks each run's epoch
// on val and reports test. One seed and three epochs on a small set: the curve shows the
// mechanics, not a result — `deno task ablate` runs the real sweep over seeds.

// %%
const ratios = [0, 0.2, 0.5, 0.8, 1];
const epochs = 3;
const configs = ratios.map((ratio) => makeConfig({ head: { ratio }, train: { epochs } }));
const t0 = performance.now();
const runs = await trainMany(configs.map(trainOptions), { workers: 2 });
console.log(
  `${ratios.length} runs × ${epochs} epochs in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);
await display(lineChart({
  title: `${data.title}: test metrics against α (clean protocol, one seed, ${epochs} epochs)`,
  series: [
    { name: "AUROC", x: ratios, y: runs.map((r) => r.clean.test.auroc) },
    { name: "accuracy", x: ratios, y: runs.map((r) => r.clean.test.accuracy) },
    { name: "macro-F1", x: ratios, y: runs.map((r) => r.clean.test.macroF1) },
  ],
  xTitle: "residual ratio α",
  yTitle: "test metric",
  yRange: [0, 1],
}));
await displayMarkdown(markdownTable(
  ["α", "clean epoch", "val AUROC", "test accuracy", "test AUROC", "test macro-F1"],
  runs.map((r, i) => [
    ratios[i],
    r.clean.epoch,
    formatPct(r.clean.val.auroc),
    formatPct(r.clean.test.accuracy),
    formatPct(r.clean.test.auroc),
    formatPct(r.clean.test.macroF1),
  ]),
  ["right", "right", "right", "right", "right", "right"],
));

// %% [markdown]
// ## Where the mix points as α varies
//
// For each α, the mean cosine between a meme's mixed feature and its two ingredients. Because
// the adapter's output starts about six times smaller than the projected feature (notebook 4),
// the mix stays almost parallel to the projection until α is large, then swings over to the
// adapter in a narrow range: α is not a linear "share". The head's weights are held fixed and
// only α changes — the initial weights, and those trained at the reference α = 0.2 above.

// %%
const trainedAtReference = runs[ratios.indexOf(0.2)].heads.clean;
const alphas = Array.from({ length: 21 }, (_, i) => i / 20);
const initial = initHeadWeights(configs[0].head, data.numClasses, configs[0].train.seed);
const [toP, toA] = [PALETTE[0], PALETTE[1]];
function cosinesAlongAlpha(weights: HeadWeights, modality: "image" | "text") {
  return alphas.map((ratio) => {
    const a = headActivations({ ...weights, head: { ...weights.head, ratio } }, image, text, n);
    const b = a[modality]!;
    return {
      toProjected: describeValues(pairedCosines(b.mixed, b.projected, 1024)).mean,
      toAdapted: describeValues(pairedCosines(b.mixed, b.adapted, 1024)).mean,
    };
  });
}
for (
  const [label, weights] of [["initialised", initial], [
    "trained at α = 0.2",
    trainedAtReference,
  ]] as const
) {
  const image = cosinesAlongAlpha(weights, "image");
  const text = cosinesAlongAlpha(weights, "text");
  await display(lineChart({
    title: `cos(mixed, ingredient) as α varies, ${label} weights`,
    series: [
      { name: "image · projected", x: alphas, y: image.map((c) => c.toProjected), color: toP },
      { name: "image · adapter", x: alphas, y: image.map((c) => c.toAdapted), color: toA },
      {
        name: "text · projected",
        x: alphas,
        y: text.map((c) => c.toProjected),
        color: toP,
        dash: "dot",
      },
      {
        name: "text · adapter",
        x: alphas,
        y: text.map((c) => c.toAdapted),
        color: toA,
        dash: "dot",
      },
    ],
    xTitle: "residual ratio α",
    yTitle: "mean cosine",
    height: 400,
  }));
}
