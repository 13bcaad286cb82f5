// Source of notebooks/07_cosine_classifier.ipynb: edit here, then `deno task notebooks:build`.

// %% [markdown]
// # 7 · Cosine classifier
//
// The output layer scores a meme against one weight row per class by cosine similarity, scaled:
// `logits = 30 · cos(x, w_c)`, with no bias. Its rows start from CLIP itself: the projected text
// embedding of the prompt `a photo of a {class}.`, normalised, mapped through the transpose of
// CLIP's visual projection into the 1024-d space, and normalised again (`lib/clip/prompts.ts`
// explains why that space is only the head's by coincidence of width).
//
// This notebook looks at the prompt-initialised rows, at how the scale of 30 turns cosines in
// [−1, 1] into a sharp softmax, and at a caveat of the reference's evaluation: MemeCLIP computes
// AUROC on `sigmoid(logits)`, and at scale 30 float32 sigmoid saturates to exactly 1.0, tying
// the scores the AUROC is meant to rank. The trained head here is for the **hate** task, the one
// the paper leads with.

// %%
import { TASK_NAMES, TASKS } from "../lib/config/mod.ts";
import { makeConfig } from "../lib/config/mod.ts";
import { loadNotebookContext } from "../lib/experiment/mod.ts";
import { cosineMatrix, describeValues, pairedCosines, rowNorms } from "../lib/features/mod.ts";
import { evaluateLogits, referenceBatchMeanMetrics, sigmoid, softmax } from "../lib/metrics/mod.ts";
import {
  display,
  displayMarkdown,
  formatPct,
  heatmap,
  histogram,
  lineChart,
  markdownTable,
} from "../lib/report/mod.ts";
import { HeadTrainer, predictLogits } from "../lib/train/mod.ts";

// The head trained below is for the hate task, the one the paper leads with.
const { sources, inputs, task, data } = await loadNotebookContext({ task: "hate" });
const config = makeConfig({ train: { epochs: 4 } });
const scale = config.head.scale;
console.log(`${sources.data} data, CLIP ${inputs.modelId}, scale ${scale}`);

// %% [markdown]
// ## Prompt-initialised weights
//
// Each row has unit norm. How far apart the class rows start decides how different the initial
// logits can be: with a real CLIP, prompts such as `a photo of a Benign Meme.` and `a photo of a
// Harmful Meme.` differ in one word and their rows are close, so the head starts close to
// uniform and training separates the rows.

// %%
const initRows = TASK_NAMES.map((task) => {
  const C = TASKS[task].classNames.length;
  const w = inputs.prompts[task].promptWeights;
  const cos = cosineMatrix(w, w, w.length / C);
  const off = Array.from(cos).filter((_, k) => Math.floor(k / C) !== k % C);
  return [
    task,
    `${C} × ${w.length / C}`,
    describeValues(rowNorms(w, w.length / C)).mean.toFixed(6),
    describeValues(off).min.toFixed(3),
    describeValues(off).max.toFixed(3),
  ];
});
await displayMarkdown(markdownTable(
  ["task", "weight", "mean row norm", "min cosine between classes", "max"],
  initRows,
  ["left", "right", "right", "right", "right"],
));
const target = inputs.prompts.target.promptWeights;
const targetCos = cosineMatrix(target, target, target.length / 4);
await display(heatmap({
  title: "Cosine between the prompt-initialised class rows (target task)",
  z: [0, 1, 2, 3].map((i) => Array.from(targetCos.subarray(i * 4, i * 4 + 4))),
  x: TASKS.target.classNames,
  y: TASKS.target.classNames,
  format: (v) => v.toFixed(3),
  colorbarTitle: "cosine",
}));

// %% [markdown]
// ## Training the hate head
//
// Four epochs of the reference head, driven epoch by epoch with `HeadTrainer` so that the
// weights below are the last epoch's (on the synthetic set both checkpoint protocols would pick
// epoch 1, where the test AUROC already ties at its maximum). Then the test memes' cosines to
// each class row, and how far the rows moved from their prompt initialisation.

// %%
const C = data.numClasses;
const trainer = new HeadTrainer(config, C, { promptWeights: inputs.prompts[task].promptWeights });
for (let epoch = 1; epoch <= config.train.epochs; epoch++) {
  const { loss } = await trainer.epoch(data.splits.train);
  console.log(`epoch ${epoch}: training loss ${loss.toFixed(4)}`);
}
const { test } = data.splits;
const head = trainer.weights;
const logits = predictLogits(head, config, test.image, test.text, test.n);
const cosRange = describeValues(Float32Array.from(logits, (v) => v / scale));
const moved = pairedCosines(
  inputs.prompts[task].promptWeights,
  head.params["classifier.weight"],
  1024,
);
console.log(
  `test cosines in [${cosRange.min.toFixed(3)}, ${cosRange.max.toFixed(3)}]; ` +
    "cos(initial row, trained row): " +
    TASKS[task].classNames.map((c, i) => `${c} ${moved[i].toFixed(3)}`).join(", "),
);
await display(histogram({
  title: "Test memes: cosine to each class row (logit / 30), last epoch",
  series: TASKS[task].classNames.map((name, c) => ({
    name,
    values: Array.from(logits.filter((_, k) => k % C === c), (v) => v / scale),
  })),
  xTitle: "cos(x, w_c)",
  nbins: 60,
}));

// %% [markdown]
// ## How the scale sharpens the softmax
//
// A cosine lies in [−1, 1], so without a scale the softmax of two classes could never be more
// confident than σ(2) ≈ 0.88, and cross-entropy would keep pushing every example. The scale is an
// inverse temperature: for two classes, P(class 1) = σ(s · Δcos), with Δcos the difference of the
// two cosines. At s = 30 a gap of 0.1 already gives 95%.

// %%
const gaps = Array.from({ length: 101 }, (_, i) => -0.5 + i / 100);
await display(lineChart({
  title: "Softmax P(class 1) against the cosine gap, for several scales",
  series: [1, 5, 10, 30, 100].map((s) => {
    const p = softmax(Float32Array.from(gaps.flatMap((g) => [0, s * g])), 2);
    return {
      name: `scale ${s}${s === scale ? " (MemeCLIP)" : ""}`,
      x: gaps,
      y: p.filter((_, k) => k % 2 === 1),
      mode: "lines" as const,
    };
  }),
  xTitle: "cos(x, w₁) − cos(x, w₀)",
  yTitle: "P(class 1)",
  yRange: [0, 1],
}));

// %% [markdown]
// ## Why sigmoid(30·cos) saturates: the reference AUROC caveat
//
// MemeCLIP evaluates AUROC with torchmetrics on `torch.sigmoid(logits)` in float32. Float32 has
// 24 bits of mantissa, so just below 1 its values are 2⁻²⁴ ≈ 6·10⁻⁸ apart: once `1 − σ(x) ≈ e⁻ˣ`
// drops below half of that, σ(x) rounds to exactly 1.0. That happens at x = 25·ln 2 ≈ 17.33,
// i.e. at a **cosine of 0.578** at scale 30. Every score above it ties at 1.0 and AUROC can no
// longer rank those memes. Because the prompt-initialised class rows are close to each other, a
// meme near their shared direction has a high cosine to *every* class, and all its sigmoid
// scores saturate together. torchmetrics also scores each sigmoid column on its own, even for
// two classes, and MemeCLIP logs the batch-weighted mean of per-batch AUROCs rather than the
// epoch's AUROC.
//
// This suite reports AUROC on the softmax (in float64, as scikit-learn), which depends only on
// the cosine *gaps*, and MemeCLIP's variant separately as `aurocReference`.

// %%
const cosines = Array.from({ length: 241 }, (_, i) => 0.2 + i / 400);
const f32 = sigmoid(Float32Array.from(cosines, (c) => scale * c));
const threshold = (25 * Math.LN2) / scale;
const gapFigure = lineChart({
  title: `1 − sigmoid(${scale}·cos): float32 (as PyTorch) vs exact`,
  series: [
    {
      name: "exact (float64)",
      x: cosines,
      y: cosines.map((c) => 1 / (1 + Math.exp(scale * c))),
      mode: "lines",
      dash: "dash",
      color: "#555555",
    },
    {
      name: "float32: exactly 0 (a tie at 1.0) right of the line",
      x: cosines,
      y: Array.from(f32, (v) => (v === 1 ? NaN : 1 - v)),
      mode: "lines",
    },
  ],
  xTitle: "cosine to the class row",
  yTitle: "1 − sigmoid (log scale)",
  verticalLines: [{ x: threshold, label: ` cos = ${threshold.toFixed(3)}: float32 σ = 1.0` }],
});
gapFigure.layout.yaxis = { ...gapFigure.layout.yaxis, type: "log", exponentformat: "power" };
await display(gapFigure);

// %% [markdown]
// A worked example: six memes whose cosines to both class rows are high, as happens when the
// rows start close together. The softmax ranks every harmful meme above every benign one
// (AUROC 100); float32 sigmoid ties five of the six class-1 scores at 1.0, and the reference
// AUROC drops far below it.

// %%
const example = [
  // [cos to "Benign", cos to "Harmful", label]
  [0.62, 0.80, 1],
  [0.60, 0.70, 1],
  [0.55, 0.66, 1],
  [0.75, 0.63, 0],
  [0.70, 0.59, 0],
  [0.45, 0.40, 0],
] as const;
const exLogits = Float32Array.from(example.flatMap(([c0, c1]) => [scale * c0, scale * c1]));
const exLabels = Int32Array.from(example, (r) => r[2]);
const exSigmoid = sigmoid(exLogits);
const exSoftmax = softmax(exLogits, 2);
const exMetrics = evaluateLogits(exLogits, exLabels, 2);
await displayMarkdown(`${
  markdownTable(
    [
      "meme",
      "label",
      "cos benign",
      "cos harmful",
      "σ(30·cos) benign",
      "σ(30·cos) harmful",
      "softmax P(harmful)",
    ],
    example.map(([c0, c1, y], i) => [
      i + 1,
      TASKS.hate.classNames[y],
      c0.toFixed(2),
      c1.toFixed(2),
      exSigmoid[2 * i].toFixed(8),
      exSigmoid[2 * i + 1].toFixed(8),
      exSoftmax[2 * i + 1].toFixed(4),
    ]),
    ["right", "left", "right", "right", "right", "right", "right"],
  )
}

AUROC on the softmax: **${formatPct(exMetrics.auroc)}**; torchmetrics on float32 sigmoid, as
MemeCLIP: **${formatPct(exMetrics.aurocReference)}**.`);

// %% [markdown]
// And the hate head trained above, on the test split. Whether a trained head's cosines cross
// 0.578 depends on the data and the length of training: after this short run on the synthetic
// set they stay far below it, nothing saturates, and the two AUROCs agree. On PrideMM, the
// reproduce report shows both columns side by side ("sigmoid AUROC (MemeCLIP's)").

// %%
const probs = sigmoid(logits);
const saturated = probs.filter((v) => v === 1).length;
const m = evaluateLogits(logits, test.labels, C);
const batchMean = referenceBatchMeanMetrics(logits, test.labels, C, config.train.batchSize);
await displayMarkdown(markdownTable(["hate head, last epoch, " + test.n + " test memes", "value"], [
  ["cosines", `${cosRange.min.toFixed(3)} … ${cosRange.max.toFixed(3)}`],
  ["sigmoid scores exactly 1.0", `${saturated} of ${probs.length}`],
  ["AUROC, softmax (reported)", formatPct(m.auroc)],
  ["AUROC, torchmetrics on float32 sigmoid (epoch)", formatPct(m.aurocReference)],
  [
    `same, mean over batches of ${config.train.batchSize} (what MemeCLIP logs)`,
    formatPct(batchMean.auroc),
  ],
]));

// %% [markdown]
// ## The whole head in one function
//
// The head's forward pass is one function, `headForward` in `lib/model/head.ts`: from the frozen
// CLIP features to the classifier, top to bottom. Each line calls one stage, whose file
// (`projection.ts`, `adapter.ts`, …) holds that stage's forward and backward pass. (On the
// `blas` backend, training and `predictLogits` run a fused kernel that computes the same pass
// without tensors; the tests hold it to this function.)

// %%
import { headForwardSource } from "../lib/model/mod.ts";
await displayMarkdown("```ts\n" + await headForwardSource() + "```");

// %% [markdown]
// The same pass re-stated by hand in plain arithmetic on arrays — the reference configuration
// in eval mode: one projection layer per modality, the adapter, the residual mix, L2
// normalisation, product fusion, one pre-output layer and the cosine classifier — must give the
// trained hate head's logits on the first test memes, both as `headForward` computes them (run
// through `headActivations`) and as `predictLogits` does.

// %%
import { headActivations, type HeadWeights } from "../lib/model/mod.ts";
import { normaliseRows } from "../lib/util/mod.ts";

function handWrittenLogits(
  weights: HeadWeights,
  image: Float32Array,
  text: Float32Array,
  n: number,
): Float32Array {
  const { params, head: h, numClasses } = weights;
  const D = h.mapDim;
  /** `x·Wᵀ + b` for `n` rows, W in PyTorch's `[out, in]` layout. */
  const linear = (x: Float32Array, name: string, inDim: number, outDim: number) => {
    const w = params[`${name}.weight`], b = params[`${name}.bias`];
    const y = new Float32Array(n * outDim);
    for (let r = 0; r < n; r++) {
      for (let o = 0; o < outDim; o++) {
        let s = b ? b[o] : 0;
        for (let k = 0; k < inDim; k++) s += x[r * inDim + k] * w[o * inDim + k];
        y[r * outDim + o] = s;
      }
    }
    return y;
  };
  const relu = (x: Float32Array) => x.map((v) => Math.max(v, 0));
  const normalize = (x: Float32Array, rows: number) => normaliseRows(x.slice(), rows, D);
  const branch = (x: Float32Array, map: string, adapter: string) => {
    const projected = linear(x, `${map}.proj.0`, h.unmappedDim, D);
    const hidden = relu(linear(projected, `${adapter}.fc.0`, D, D / h.adapterReduction));
    const adapted = relu(linear(hidden, `${adapter}.fc.2`, D / h.adapterReduction, D));
    return normalize(projected.map((v, i) => h.ratio * adapted[i] + (1 - h.ratio) * v), n);
  };
  const imageSide = branch(image, "image_map", "img_adapter");
  const textSide = branch(text, "text_map", "text_adapter");
  const fused = imageSide.map((v, i) => v * textSide[i]);
  const x = normalize(relu(linear(fused, "pre_output.1", D, D)), n);
  const w = normalize(params["classifier.weight"], numClasses);
  const logits = new Float32Array(n * numClasses);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < numClasses; c++) {
      let dot = 0;
      for (let k = 0; k < D; k++) dot += x[r * D + k] * w[c * D + k];
      logits[r * numClasses + c] = h.scale * dot;
    }
  }
  return logits;
}

const rows = Math.min(32, test.n);
const dim = config.head.unmappedDim;
const firstImages = test.image.subarray(0, rows * dim);
const firstTexts = test.text.subarray(0, rows * dim);
const byHand = handWrittenLogits(head, firstImages, firstTexts, rows);
const viaForward = headActivations(head, firstImages, firstTexts, rows).logits;
const maxDiff = (a: Float32Array, b: Float32Array) =>
  a.reduce((mx, v, i) => Math.max(mx, Math.abs(v - b[i])), 0);
const diffs = [maxDiff(byHand, viaForward), maxDiff(byHand, logits.subarray(0, byHand.length))];
if (!diffs.every((d) => d < 1e-4)) throw new Error(`hand-written head differs: ${diffs}`);
console.log(
  `${rows} test memes: max |hand-written − headForward| = ${diffs[0].toExponential(2)}, ` +
    `max |hand-written − predictLogits| = ${diffs[1].toExponential(2)}`,
);
