// Source of notebooks/04_adapter.ipynb: edit here, then `deno task notebooks:build`.

// %% [markdown]
// # 4 · Adapter
//
// After the projection, each modality passes through a CLIP-Adapter-style bottleneck:
// `Linear(1024→256, no bias) → ReLU → Linear(256→1024, no bias) → ReLU` (reduction 4). Its
// output is mixed back with the projected feature by the residual ratio α (notebook 5), so the
// adapter learns a correction on top of the projection rather than a replacement.
//
// Two properties stand out. The adapter **ends in a ReLU**, so its output is never negative:
// mixing it in can only push features towards the positive orthant. And with PyTorch's default
// initialisation its output starts several times smaller than the projected feature, so at the
// reference α = 0.2 the head begins as almost a pure projection. Below: the parameter count,
// ReLU sparsity and the output distribution, at initialisation and after a short training run.

// %%
import { makeConfig } from "../lib/config/mod.ts";
import { loadNotebookContext } from "../lib/experiment/mod.ts";
import { describeValues, rowNorms, zeroFraction } from "../lib/features/mod.ts";
import {
  adapterSpecs,
  countParams,
  type HeadActivations,
  headActivations,
  initHeadWeights,
  shapeSize,
} from "../lib/model/mod.ts";
import {
  barChart,
  display,
  displayMarkdown,
  type Figure,
  formatCount,
  formatPct,
  histogram,
  markdownTable,
} from "../lib/report/mod.ts";
import { trainHead } from "../lib/train/mod.ts";

// Activations are looked at on (up to) 256 training memes.
const { data, sample: { n, image, text }, summary, trainOptions } = await loadNotebookContext();
console.log(summary);

// %% [markdown]
// ## Parameters
//
// Two 1024·256 matrices without biases: 524,288 parameters per modality, 29% of the reference
// head's 3.7 M. The reduction factor trades capacity for size.

// %%
const reductions = [2, 4, 8, 16];
await displayMarkdown(markdownTable(
  ["reduction", "bottleneck", "one adapter", "both adapters", "share of the head"],
  reductions.map((r) => {
    const head = makeConfig({ head: { adapterReduction: r } }).head;
    const one = adapterSpecs("img_adapter", head).reduce((s, p) => s + shapeSize(p.shape), 0);
    return [
      r === 4 ? "4 (reference)" : String(r),
      `1024 → ${1024 / r} → 1024`,
      formatCount(one),
      formatCount(2 * one),
      `${(100 * 2 * one / countParams(head, 2)).toFixed(1)}%`,
    ];
  }),
  ["left", "left", "right", "right", "right"],
));

// %% [markdown]
// ## Before and after training
//
// A short run of the reference head on the task (two epochs, the clean protocol's checkpoint),
// then the same memes through the initial and the trained weights.

// %%
const config = makeConfig({ train: { epochs: 2 } });
const initial = initHeadWeights(config.head, data.numClasses, config.train.seed);
const result = await trainHead({ ...trainOptions(config), quiet: true });
const stages: [string, HeadActivations][] = [
  ["initialised", headActivations(initial, image, text, n)],
  [`trained (${config.train.epochs} epochs)`, headActivations(result.heads.clean, image, text, n)],
];
console.log(
  `trained ${config.train.epochs} epochs on ${result.backend}: clean test accuracy ` +
    `${formatPct(result.clean.test.accuracy)}, AUROC ${formatPct(result.clean.test.auroc)}`,
);

// %% [markdown]
// ## ReLU sparsity
//
// About half of each ReLU's inputs are negative at initialisation, so about half of the
// bottleneck and of the output is exactly zero. A bottleneck unit that is zero for *every* meme
// passes no gradient and cannot recover: it is dead. How many die depends on how alike the
// inputs are — the tiny CLIP's image embeddings point in nearly the same direction (mean cosine
// 0.87, notebook 3), so a unit negative for one meme tends to be negative for all.

// %%
const hiddenWidth = 1024 / config.head.adapterReduction;
function deadUnits(hidden: Float32Array): number {
  let dead = 0;
  for (let u = 0; u < hiddenWidth; u++) {
    let alive = false;
    for (let r = 0; r < n && !alive; r++) alive = hidden[r * hiddenWidth + u] !== 0;
    if (!alive) dead++;
  }
  return dead;
}
const parts = [
  ["image bottleneck", (a: HeadActivations) => a.image!.hidden],
  ["image output", (a: HeadActivations) => a.image!.adapted],
  ["text bottleneck", (a: HeadActivations) => a.text!.hidden],
  ["text output", (a: HeadActivations) => a.text!.adapted],
] as const;
await display(barChart({
  title: "Adapter ReLU sparsity: share of exact zeros",
  categories: parts.map(([label]) => label),
  series: stages.map(([label, acts]) => ({
    name: label,
    values: parts.map(([, pick]) => 100 * zeroFraction(pick(acts))),
    text: parts.map(([, pick]) => `${(100 * zeroFraction(pick(acts))).toFixed(1)}%`),
  })),
  yTitle: "zeros (%)",
  yRange: [0, 100],
  height: 380,
}));
await displayMarkdown(markdownTable(
  ["weights", "dead image bottleneck units", "dead text bottleneck units"],
  stages.map(([label, a]) => [
    label,
    `${deadUnits(a.image!.hidden)} / ${hiddenWidth}`,
    `${deadUnits(a.text!.hidden)} / ${hiddenWidth}`,
  ]),
  ["left", "right", "right"],
));

// %% [markdown]
// ## Output distribution
//
// The adapter's output is a spike at zero plus a non-negative tail, next to the projected
// feature it is mixed with, which is symmetric around zero. The norm ratio says how much of the
// mix the adapter can contribute at a given α.

// %%
const sample = (x: Float32Array) =>
  Array.from(x.subarray(0, 8 * 1024), (v) => Math.round(v * 1e4) / 1e4);
const figure: Figure = histogram({
  title: "Image branch values: adapter output vs projected feature",
  series: [
    { name: "projected (initialised)", values: sample(stages[0][1].image!.projected) },
    ...stages.map(([label, a]) => ({
      name: `adapter output, ${label}`,
      values: sample(a.image!.adapted),
    })),
  ],
  xTitle: "value",
  normalize: true,
});
// One bin width for every series, so that bar heights compare across series.
for (const trace of figure.data) trace.xbins = { start: -3, end: 3, size: 0.04 };
await display(figure);
const mean = (x: Float32Array) => describeValues(rowNorms(x, 1024)).mean;
await displayMarkdown(markdownTable(
  [
    "weights",
    "modality",
    "‖projected‖",
    "‖adapter output‖",
    "ratio",
    "share of the mix at α = 0.2",
  ],
  stages.flatMap(([label, a]) =>
    (["image", "text"] as const).map((m) => {
      const p = mean(a[m]!.projected), q = mean(a[m]!.adapted);
      const share = 0.2 * q / (0.2 * q + 0.8 * p);
      return [
        label,
        m,
        p.toFixed(3),
        q.toFixed(3),
        (q / p).toFixed(3),
        `${(100 * share).toFixed(1)}%`,
      ];
    })
  ),
  ["left", "left", "right", "right", "right", "right"],
));
