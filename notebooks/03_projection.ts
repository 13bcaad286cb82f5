// Source of notebooks/03_projection.ipynb: edit here, then `deno task notebooks:build`.

// %% [markdown]
// # 3 · LinearProjection
//
// The head's first stage maps each frozen 768-d CLIP feature into the head's 1024-d working
// space, with one projection per modality (`image_map`, `text_map`): `Linear(768→1024) →
// Dropout(0.1)`, and for a deeper mapping each extra layer adds `ReLU → Linear(1024→1024) →
// Dropout(0.1)`. MemeCLIP uses depth 1 — a single affine map — and its ablation sweeps the depth.
//
// Below: the parameters each depth costs, what the projection does to the features' scale and
// geometry at initialisation (PyTorch's default `nn.Linear` init, as the reference), and what
// dropout does in training mode. The features are those of the dataset in use (offline: the
// synthetic memes through the tiny CLIP).

// %%
import { makeConfig } from "../lib/config/mod.ts";
import { loadNotebookContext } from "../lib/experiment/mod.ts";
import {
  describeValues,
  meanPairwiseCosine,
  pairedCosines,
  rowNorms,
  zeroFraction,
} from "../lib/features/mod.ts";
import {
  countParams,
  headActivations,
  initHeadWeights,
  projectionSpecs,
  shapeSize,
} from "../lib/model/mod.ts";
import {
  barChart,
  display,
  displayMarkdown,
  type Figure,
  formatCount,
  histogram,
  markdownTable,
} from "../lib/report/mod.ts";
import { Rng } from "../lib/util/mod.ts";

// 128 training memes are plenty to see distributions; the head runs in eval mode unless noted.
const { inputs, sample: { n, image, text }, summary } = await loadNotebookContext({
  task: "hate",
  sampleSize: 128,
});
const D = inputs.features.dim;
console.log(summary);

// %% [markdown]
// ## Parameters per depth
//
// Depth 1 costs 768·1024 + 1024 = 787,456 parameters per modality; each extra layer adds
// 1024·1024 + 1024 = 1,049,600. At depth 3 the two projections alone hold more than the whole
// reference head.

// %%
const depths = [1, 2, 3];
const heads = depths.map((d) => makeConfig({ head: { numMappingLayers: d } }).head);
const projectionParams = heads.map((h) =>
  projectionSpecs("image_map", h).reduce((s, p) => s + shapeSize(p.shape), 0)
);
const headParams = heads.map((h) => countParams(h, 2));
await displayMarkdown(markdownTable(
  [
    "depth",
    "Linear layers per projection",
    "one projection",
    "both projections",
    "whole head (2 classes)",
  ],
  depths.map((d, i) => [
    d,
    projectionSpecs("image_map", heads[i]).filter((s) => s.name.endsWith(".weight")).map((s) =>
      s.shape.slice().reverse().join("→")
    ).join(", "),
    formatCount(projectionParams[i]),
    formatCount(2 * projectionParams[i]),
    formatCount(headParams[i]),
  ]),
  ["right", "left", "right", "right", "right"],
));
await display(barChart({
  title: "Trainable parameters by mapping depth",
  categories: depths.map((d) => `depth ${d}`),
  series: [
    { name: "both projections", values: projectionParams.map((p) => 2 * p) },
    {
      name: "rest of the head",
      values: headParams.map((p, i) => p - 2 * projectionParams[i]),
    },
  ],
  barmode: "stack",
  yTitle: "parameters",
  height: 380,
}));

// %% [markdown]
// ## Features before and after, at initialisation
//
// PyTorch initialises each Linear uniformly in ±1/√fan_in, so a layer scales a feature's norm by
// about √(out / (3·in)): ×0.67 for 768→1024, ×0.58 for each 1024→1024, and the ReLU between
// layers removes about half of the energy. Deeper projections therefore start with much smaller
// features (the L2 normalisation before fusion undoes the scale later), and because every layer
// adds a bias shared by all memes, their directions drift together: the mean cosine between
// different memes rises with depth, i.e. an untrained deep projection separates memes less.

// %%
const acts = heads.map((h) => headActivations(initHeadWeights(h, 2, 42), image, text, n));
const row = (label: string, x: Float32Array, dim: number) => {
  const v = describeValues(x);
  return [
    label,
    `${n} × ${dim}`,
    v.mean.toFixed(4),
    v.std.toFixed(4),
    describeValues(rowNorms(x, dim)).mean.toFixed(3),
    meanPairwiseCosine(x, dim).toFixed(3),
  ];
};
const statsRows = (["image", "text"] as const).flatMap((modality) => [
  row(`${modality}: CLIP feature (input)`, modality === "image" ? image : text, D),
  ...depths.map((d, i) =>
    row(`${modality}: projected, depth ${d}`, acts[i][modality]!.projected, 1024)
  ),
]);
await displayMarkdown(markdownTable(
  ["features", "shape", "mean", "std", "mean norm", "mean cosine between memes"],
  statsRows,
  ["left", "right", "right", "right", "right", "right"],
));
// Eight memes' values (8 × 1024 per series, rounded) show the distribution's shape and keep the
// figure small.
const sample = (x: Float32Array, dim: number) =>
  Array.from(x.subarray(0, 8 * dim), (v) => Math.round(v * 1e4) / 1e4);
// One bin width for every series, so that bar heights compare across series.
const sameBins = (figure: Figure, size: number) => {
  for (const trace of figure.data) trace.xbins = { start: -4, end: 4, size };
  return figure;
};
await display(sameBins(
  histogram({
    title: "Image feature values before and after the projection (initialised, eval mode)",
    series: [
      { name: "CLIP image_embeds", values: sample(image, D) },
      ...depths.map((d, i) => ({
        name: `projected, depth ${d}`,
        values: sample(acts[i].image!.projected, 1024),
      })),
    ],
    xTitle: "value",
    normalize: true,
  }),
  0.04,
));

// %% [markdown]
// ## Dropout on and off
//
// In training mode each projection output is dropped with p = 0.1 and the kept units are scaled
// by 1/(1 − p) (inverted dropout, as PyTorch), so the expected value is unchanged and evaluation
// simply turns it off. The masks come from the run's seeded generator, so a seed reproduces
// them exactly on every backend. Below, the same memes in eval and training mode (depth 1).

// %%
const evalActs = acts[0];
const trainActs = headActivations(initHeadWeights(heads[0], 2, 42), image, text, n, {
  dropout: new Rng(42).fork("dropout"),
});
const modeRow = (label: string, x: Float32Array) => {
  const v = describeValues(x);
  return [
    label,
    (100 * zeroFraction(x)).toFixed(1) + "%",
    v.mean.toFixed(4),
    v.std.toFixed(4),
    describeValues(rowNorms(x, 1024)).mean.toFixed(3),
  ];
};
const agreement = describeValues(
  pairedCosines(evalActs.image!.projected, trainActs.image!.projected, 1024),
);
await displayMarkdown(markdownTable(
  ["image projection, depth 1", "zeros", "mean", "std", "mean norm"],
  [
    modeRow("eval mode (dropout off)", evalActs.image!.projected),
    modeRow("training mode (dropout p = 0.1)", trainActs.image!.projected),
  ],
  ["left", "right", "right", "right", "right"],
));
console.log(
  `cosine between a meme's eval and training-mode projection: ${agreement.mean.toFixed(4)} ` +
    `(min ${agreement.min.toFixed(4)}); the logits move by up to ${
      Math.max(...evalActs.logits.map((v, i) => Math.abs(v - trainActs.logits[i]))).toFixed(3)
    } (all three dropouts on)`,
);
await display(sameBins(
  histogram({
    title: "Projected image values, eval vs training mode (depth 1): dropout's spike at zero",
    series: [
      { name: "eval (dropout off)", values: sample(evalActs.image!.projected, 1024) },
      {
        name: "training (p = 0.1, kept × 1/0.9)",
        values: sample(trainActs.image!.projected, 1024),
      },
    ],
    xTitle: "value",
  }),
  0.04,
));
