// Source of notebooks/02_clip_features.ipynb: edit here, then `deno task notebooks:build`.

// %% [markdown]
// # 2 · Frozen CLIP features
//
// MemeCLIP never fine-tunes CLIP. Each meme is encoded once by CLIP ViT-L/14: the image into
// CLIP's **projected image embedding** (`image_embeds`, 768-d, the joint image–text space), the
// text into the text transformer's final hidden state at the end-of-text token **before the
// text projection** (768-d, *not* the joint space). Only the small head after them is trained,
// so the features are computed once and cached in the feature store.
//
// This notebook encodes a handful of memes directly, checks them against the feature store,
// and looks at their shapes and norms, at image–text similarity and at CLIP's zero-shot scores
// for the class prompts. Offline the encoder is the random tiny CLIP (same widths as ViT-L/14),
// so the numbers show the mechanics, not CLIP's knowledge.

// %%
import { classPrompt, loadClip, zeroShotScores } from "../lib/clip/mod.ts";
import { taskData } from "../lib/run/mod.ts";
import { zeroShotLogits } from "../lib/analysis/mod.ts";
import { notebookSetUp, prepareFromEnvironment } from "../lib/experiment/mod.ts";
import { cosineMatrix, describeValues, rowNorms } from "../lib/features/mod.ts";
import { evaluateLogits, softmax } from "../lib/metrics/mod.ts";
import {
  barChart,
  display,
  displayMarkdown,
  formatPct,
  heatmap,
  markdownTable,
} from "../lib/report/mod.ts";

// Extracts the whole dataset's features on first use (resumable), then reuses the store.
const { sources, inputs } = await notebookSetUp(() => prepareFromEnvironment());
const f = inputs.features;
const okCount = f.imageOk.reduce((a, b) => a + b, 0);
const tasks = inputs.dataset.tasks;
// The dataset's first task (PrideMM: hate) stands for all in the per-meme figures.
const first = tasks[0];

// %% [markdown]
// ## The feature store
//
// Features are stored per (CLIP model, image preprocessing, dataset file): the key below names
// the store, and any change to the model's files or the CSV gives a new key. Each row also records
// which image file made it (path, size, time, hash), so a changed image is re-extracted — that row
// only — and every chunk carries a checksum. Extraction writes chunks atomically and the manifest
// last, so an interrupted run resumes where it stopped (`deno task extract`).

// %%
await displayMarkdown(markdownTable(["", ""], [
  ["store key", inputs.featureKey],
  ["directory", inputs.featureDir],
  ["CLIP model", inputs.modelId],
  ["dataset", `${inputs.dataset.description.title} (${inputs.source.data})`],
  ["memes", String(f.names.length)],
  ["image features", `${f.names.length} × ${f.dim} (images read: ${okCount})`],
  ["text features", `${f.names.length} × ${f.text.length / f.names.length}`],
  ["files", [...Deno.readDirSync(inputs.featureDir)].map((e) => e.name).sort().join(", ")],
]));

// %% [markdown]
// ## A handful of memes, encoded directly
//
// Eight test memes through the encoders, compared with their rows in the store: the two must
// agree, since the store is just these encodings cached.

// %%
const memes = inputs.dataset.memes.filter((m) => m.split === "test" && f.imageOk[m.index] === 1)
  .slice(0, 8);
const n = memes.length;
const clip = await loadClip({ model: sources.clipModel, offline: sources.offline, log: () => {} });
const images = await clip.encodeImages(memes.map((m) => m.image));
const texts = await clip.encodeTexts(memes.map((m) => m.text));
const firstScores = await zeroShotScores(clip, images.embeds, first.prompts);
await clip.dispose();

const maxDiff = (fresh: Float32Array, stored: Float32Array, dim: number) => {
  let worst = 0;
  memes.forEach((m, i) => {
    for (let k = 0; k < dim; k++) {
      worst = Math.max(worst, Math.abs(fresh[i * dim + k] - stored[m.index * dim + k]));
    }
  });
  return worst;
};
const textDim = clip.textHidden;
await displayMarkdown(`${
  markdownTable(["output", "shape", "what it is", "max |fresh − stored|"], [
    [
      "image_embeds",
      `${n} × ${clip.dim}`,
      "projected image embedding (joint space): the head's image input",
      maxDiff(images.embeds, f.image, clip.dim).toExponential(1),
    ],
    [
      "text features",
      `${n} × ${textDim}`,
      "end-of-text hidden state, unprojected: the head's text input",
      maxDiff(texts.features, f.text, textDim).toExponential(1),
    ],
    ["text_embeds", `${n} × ${clip.dim}`, "projected text embedding (joint space): prompts", "–"],
  ])
}

Vision transformer width (rows of the visual projection): ${clip.visionHidden}.`);

// %% [markdown]
// ## Norms
//
// CLIP's outputs are not normalised, and MemeCLIP feeds them to the head as they are: the
// projection sees each feature's norm, and nothing makes the image and the text scales agree —
// each modality gets its own projection. (The tiny model's text features all have norm
// √768 ≈ 27.7: its final layer norm has unit gain. A trained CLIP's learned gains vary it.)

// %%
const names = memes.map((m) => m.name);
const norms = {
  image: rowNorms(images.embeds, clip.dim),
  text: rowNorms(texts.features, textDim),
  textEmbeds: rowNorms(texts.embeds, clip.dim),
};
await display(barChart({
  title: "Feature norms of eight test memes",
  categories: names,
  series: [
    { name: "image_embeds", values: norms.image },
    { name: "text features (unprojected)", values: norms.text },
    { name: "text_embeds (projected)", values: norms.textEmbeds },
  ],
  yTitle: "L2 norm",
}));
const all = {
  image: describeValues(rowNorms(f.image, f.dim).filter((_, i) => f.imageOk[i] === 1)),
  text: describeValues(rowNorms(f.text, textDim)),
};
console.log(
  `whole dataset: image_embeds norm ${all.image.mean.toFixed(3)} ± ${all.image.std.toFixed(3)}, ` +
    `text features norm ${all.text.mean.toFixed(3)} ± ${all.text.std.toFixed(3)}`,
);

// %% [markdown]
// ## Image × text similarity
//
// In CLIP's joint space a meme's image and its own text should be closer than unrelated pairs —
// the diagonal below — for a trained CLIP. The cosine is taken between `image_embeds` and the
// *projected* `text_embeds`: MemeCLIP's text input (unprojected) is in another space and is
// never compared with the image directly; the head learns its own mapping for each.

// %%
const sim = cosineMatrix(images.embeds, texts.embeds, clip.dim);
await display(heatmap({
  title: "cos(image_embeds, text_embeds): rows images, columns texts",
  z: Array.from({ length: n }, (_, i) => Array.from(sim.subarray(i * n, (i + 1) * n))),
  x: names.map((s) => `text ${s}`),
  y: names.map((s) => `image ${s}`),
  format: (v) => v.toFixed(2),
  colorbarTitle: "cosine",
}));
let diagonal = 0, offDiagonal = 0;
for (let i = 0; i < n; i++) {
  for (let j = 0; j < n; j++) {
    i === j ? (diagonal += sim[i * n + j]) : (offDiagonal += sim[i * n + j]);
  }
}
console.log(
  `mean cosine: matching pairs ${(diagonal / n).toFixed(3)}, ` +
    `other pairs ${(offDiagonal / (n * n - n)).toFixed(3)}`,
);

// %% [markdown]
// ## Zero-shot prompt scores
//
// CLIP can classify without training by comparing an image with the embedding of a prompt per
// class — MemeCLIP's prompt is `a photo of a {class}.` — and taking a softmax over
// `100 · cosine` (CLIP's learned logit scale). The same prompts initialise the head's cosine
// classifier (notebook 7). Below: the prompts of the dataset's first task (PrideMM: hate) for the
// eight memes, then zero-shot test
// metrics for every task from the stored features. On the random tiny CLIP the prompts carry no
// meaning: an AUROC far from 50 only says that a random direction happens to follow (or oppose)
// a synthetic label's colour, which a random encoder has no reason to get the right way round.

// %%
const C = first.classes.length;
const logits = Float32Array.from(firstScores, (c) => 100 * c);
const probs = softmax(logits, C);
await display(heatmap({
  title: `Zero-shot P(class) for the ${first.name} prompts (softmax of 100·cos)`,
  z: Array.from({ length: n }, (_, i) => Array.from(probs.subarray(i * C, (i + 1) * C))),
  x: first.prompts.map((c) => classPrompt(c)),
  y: memes.map((m) => `${m.name} (${first.classes[m.labels[first.name]!]})`),
  zmin: 0,
  zmax: 1,
  format: (v) => v.toFixed(2),
}));

const zeroShot = tasks.map(({ name: task, title, classes }) => {
  const { test } = taskData(inputs.dataset, inputs.features, task).splits;
  const k = classes.length;
  const scores = zeroShotLogits(test.image, inputs.prompts[task].promptEmbeds, test.n, k);
  return { task, title, n: test.n, metrics: evaluateLogits(scores, test.labels, k) };
});
await display(barChart({
  title: "Zero-shot CLIP on the test split (no training)",
  categories: zeroShot.map((z) => z.title),
  series: [
    { name: "accuracy", values: zeroShot.map((z) => 100 * z.metrics.accuracy) },
    { name: "AUROC", values: zeroShot.map((z) => 100 * z.metrics.auroc) },
    { name: "macro-F1", values: zeroShot.map((z) => 100 * z.metrics.macroF1) },
  ],
  yTitle: "%",
  yRange: [0, 100],
}));
await displayMarkdown(
  markdownTable(
    ["task", "test memes", "accuracy", "AUROC", "macro-F1"],
    zeroShot.map((z) => [
      z.task,
      z.n,
      formatPct(z.metrics.accuracy),
      formatPct(z.metrics.auroc),
      formatPct(z.metrics.macroF1),
    ]),
    ["left", "right", "right", "right", "right"],
  ),
);
