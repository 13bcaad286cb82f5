// Source of notebooks/06_fusion.ipynb: edit here, then `deno task notebooks:build`.

// %% [markdown]
// # 6 · Normalisation and fusion
//
// The two modalities meet here. Each mixed feature is L2-normalised (`x / ‖x‖`), then MemeCLIP
// multiplies them **element-wise**: `fused = î ⊙ t̂`, still 1024-d. The ablations concatenate
// (`[î, t̂]`, 2048-d) or add (`î + t̂`). The fused vector then goes through dropout and the
// pre-output block (`Linear(→1024) → ReLU → Dropout`) to the cosine classifier.
//
// The product has two properties worth seeing. Its components sum to the image–text cosine,
// `Σₖ îₖ t̂ₖ = cos(i, t)`, so it is a per-dimension breakdown of how much image and text agree.
// And it is tiny — two unit vectors that spread their mass over 1024 dimensions have a product
// of norm about 1/√1024 ≈ 0.03 — which at initialisation leaves the pre-output Linear dominated
// by its bias: every meme starts with almost the same logits, and training has to grow the
// weights before the head discriminates.

// %%
import { type Fusion, makeConfig } from "../lib/config/mod.ts";
import { loadNotebookContext } from "../lib/experiment/mod.ts";
import {
  cosineMatrix,
  describeValues,
  meanPairwiseCosine,
  pairedCosines,
  rowNorms,
  rowSums,
} from "../lib/features/mod.ts";
import { headActivations, initHeadWeights } from "../lib/model/mod.ts";
import {
  barChart,
  display,
  displayMarkdown,
  formatPct,
  heatmap,
  histogram,
  lineChart,
  markdownTable,
} from "../lib/report/mod.ts";
import { trainMany } from "../lib/train/mod.ts";

const { data, sample: { n, image, text }, summary, trainOptions } = await loadNotebookContext();
const fusions: Fusion[] = ["product", "concat", "sum"];
const configs = fusions.map((fusion) => makeConfig({ head: { fusion }, train: { epochs: 2 } }));
const initial = configs.map((c) =>
  headActivations(initHeadWeights(c.head, data.numClasses, c.train.seed), image, text, n)
);
console.log(summary);

// %% [markdown]
// ## L2 normalisation
//
// Before it, the mixed features' norms vary from meme to meme and between modalities; after it
// every row has norm 1, so neither modality can dominate the fusion by scale.

// %%
const product = initial[0];
const normsBefore = {
  image: rowNorms(product.image!.mixed, 1024),
  text: rowNorms(product.text!.mixed, 1024),
};
const after = [
  ...rowNorms(product.image!.normalized, 1024),
  ...rowNorms(product.text!.normalized, 1024),
];
console.log(
  `after normalisation: largest |‖x‖ − 1| = ${
    Math.max(...after.map((v) => Math.abs(v - 1))).toExponential(1)
  }`,
);
await display(histogram({
  title: "Norms of the mixed features before L2 normalisation (initialised head)",
  series: [
    { name: "image", values: normsBefore.image },
    { name: "text", values: normsBefore.text },
  ],
  xTitle: "‖mixed‖",
  nbins: 60,
}));

// %% [markdown]
// ## The product is the image–text cosine, spread over dimensions
//
// Each dot is a meme: the sum of its fused vector's components against the cosine between its
// normalised image and text features. They lie on the diagonal.

// %%
const cos = pairedCosines(product.image!.normalized, product.text!.normalized, 1024);
const sums = rowSums(product.fused, 1024);
const lo = Math.min(...cos), hi = Math.max(...cos);
await display(lineChart({
  title: "Σ fused (element-wise product) vs cos(image, text)",
  series: [
    { name: "memes", x: cos, y: sums, mode: "markers" },
    { name: "y = x", x: [lo, hi], y: [lo, hi], mode: "lines", dash: "dash", color: "#555555" },
  ],
  xTitle: "cos(normalised image, normalised text)",
  yTitle: "sum of the fused vector's components",
  height: 420,
}));

// %% [markdown]
// ## Product vs concat vs sum at initialisation
//
// Norms of the fused vectors, and how alike different memes look after each stage (mean cosine
// over pairs of memes; 1 means every meme looks the same). The product's small norm makes the
// pre-output block's bias dominate: its outputs are nearly identical across memes, and so are
// the initial logits (their spread across memes is in the last column).

// %%
const fusedNorms = initial.map((a) => rowNorms(a.fused, a.fusedDim));
const normSummaries = fusedNorms.map((x) => describeValues(x));
const normFigure = barChart({
  title: "Norm of the fused vector (mean ± std over memes, log scale)",
  categories: fusions,
  series: [{
    name: "‖fused‖",
    values: normSummaries.map((v) => v.mean),
    errors: normSummaries.map((v) => v.std),
    text: normSummaries.map((v) => v.mean.toFixed(3)),
  }],
  yTitle: "‖fused‖",
  height: 360,
});
// Bars start at 0.01 and ticks are powers of ten, so the two orders of magnitude read at once.
normFigure.layout.yaxis = { ...normFigure.layout.yaxis, type: "log", range: [-2, 0.5], dtick: 1 };
await display(normFigure);
const logitSpread = (logits: Float32Array, C: number) => {
  let s = 0;
  for (let c = 0; c < C; c++) {
    s += describeValues(logits.filter((_, i) => i % C === c)).std;
  }
  return s / C;
};
await displayMarkdown(markdownTable(
  [
    "fusion",
    "fused width",
    "mean ‖fused‖",
    "cosine between memes: fused",
    "pre-output",
    "logit std across memes",
  ],
  fusions.map((f, i) => [
    f,
    initial[i].fusedDim,
    describeValues(fusedNorms[i]).mean.toFixed(4),
    meanPairwiseCosine(initial[i].fused, initial[i].fusedDim).toFixed(3),
    meanPairwiseCosine(initial[i].preOutput, 1024).toFixed(4),
    logitSpread(initial[i].logits, data.numClasses).toFixed(3),
  ]),
  ["left", "right", "right", "right", "right", "right"],
));

// %% [markdown]
// ## After a short training
//
// The three fusions trained for two epochs each (reference settings otherwise, clean protocol),
// then the same comparison on the test memes. A pre-output cosine near 1 means the head still
// gives nearly the same features to every meme: it ranks memes by small differences (AUROC can
// be fine) while its argmax lags. Concat and sum start with informative pre-output features and
// learn faster; the product needs its pre-output weights to grow first — on the synthetic set it
// catches up within a few more epochs (notebook 8 trains it for longer). The heatmaps show the
// pre-output cosines between test memes sorted by class, for the product and the concat head.

// %%
const runs = await trainMany(configs.map(trainOptions), { workers: 2 });
const { test } = data.splits;
const trained = runs.map((r) => headActivations(r.heads.clean, test.image, test.text, test.n));
await displayMarkdown(markdownTable(
  ["fusion", "cosine between memes: pre-output", "test accuracy", "test AUROC", "test macro-F1"],
  fusions.map((f, i) => [
    f,
    meanPairwiseCosine(trained[i].preOutput, 1024).toFixed(3),
    formatPct(runs[i].clean.test.accuracy),
    formatPct(runs[i].clean.test.auroc),
    formatPct(runs[i].clean.test.macroF1),
  ]),
  ["left", "right", "right", "right", "right"],
));
const classNames = data.classNames;
const perClass = Math.max(2, Math.floor(24 / classNames.length));
const rows = classNames.flatMap((_, c) =>
  Array.from(test.labels.keys()).filter((i) => test.labels[i] === c).slice(0, perClass)
);
const pick = (x: Float32Array) => {
  const out = new Float32Array(rows.length * 1024);
  rows.forEach((r, i) => out.set(x.subarray(r * 1024, (r + 1) * 1024), i * 1024));
  return out;
};
const labels = rows.map((r, i) => `${i + 1}: ${classNames[test.labels[r]]}`);
for (const f of ["product", "concat"] as const) {
  const selected = pick(trained[fusions.indexOf(f)].preOutput);
  const sim = cosineMatrix(selected, selected, 1024);
  await display(heatmap({
    title: `Cosine between test memes' pre-output features, ${f} head after 2 epochs`,
    z: rows.map((_, i) => Array.from(sim.subarray(i * rows.length, (i + 1) * rows.length))),
    x: labels,
    y: labels,
    annotate: false,
    colorbarTitle: "cosine",
    height: 620,
  }));
}
