// Source of notebooks/01_data.ipynb: edit here, then `deno task notebooks:build`.

// %% [markdown]
// # 1 · Data: PrideMM
//
// PrideMM holds 5,063 memes about the LGBTQ+ community, each with its OCR text and four labels:
// **hate** (benign / harmful), **target** of the hate (undirected, individual, community,
// organisation — annotated for harmful memes only, so that task sees about half the data),
// **stance** (neutral / support / oppose) and **humour** (no / yes). The CSV fixes a train / val /
// test split, which MemeCLIP and this suite both use as given.
//
// This notebook looks at the labels and the texts — computed from the real `PrideMM.csv`
// wherever it is found, since they need no images — and shows a grid of memes from the dataset
// the image-dependent notebooks run on (the synthetic set offline). *Content warning: PrideMM
// memes, and so their texts quoted below, include hateful language.*

// %%
import { clipTokenLowerBound, CONTEXT_LENGTH, loadClip } from "../lib/clip/mod.ts";
import { TASK_NAMES, TASKS } from "../lib/config/mod.ts";
import {
  formatSummary,
  imagePath,
  loadPrideMM,
  type PrideMM,
  type Split,
  SPLITS,
  summary,
} from "../lib/data/mod.ts";
import { notebookSetUp, resolveInputSources } from "../lib/experiment/mod.ts";
import { describeValues } from "../lib/features/mod.ts";
import {
  barChart,
  display,
  displayHtml,
  displayMarkdown,
  histogram,
  markdownTable,
  type MemeCard,
  memeCardsHtml,
  textExcerpt,
  thumbnailDataUri,
} from "../lib/report/mod.ts";

const { sources, labelsCsv, ds } = await notebookSetUp(async () => {
  const sources = await resolveInputSources();
  // Labels and texts come from the real annotations when present, else from the synthetic set.
  const labelsCsv = sources.pridemmCsv ?? sources.csv;
  const ds: PrideMM = await loadPrideMM(labelsCsv);
  return { sources, labelsCsv, ds };
});
const stats = summary(ds);
await displayMarkdown(markdownTable(["setting", "value"], [
  ["labels and texts", labelsCsv],
  ["images (grid below)", `${sources.images} (${sources.data}: ${sources.dataReason})`],
  ["tokenizer", `${sources.clipModel}${sources.clipModel === "tiny" ? " (see below)" : ""}`],
]));

// %% [markdown]
// ## Class distributions per split and task
//
// Hate is balanced (51% benign), stance nearly so, humour two-thirds positive, and the target
// task — harmful memes only — is skewed: the community is targeted in 47% of them, individuals
// in 10%. Macro-F1 weighs every class equally, so the small target classes weigh as much as the
// large ones. The bars show each split's class shares (counts on the bars), so splits of
// different sizes compare; val (228 memes) and test (507) follow train's shares closely.

// %%
console.log(formatSummary(stats, labelsCsv.endsWith("PrideMM.csv") ? "PrideMM" : "dataset"));
for (const task of TASK_NAMES) {
  const t = stats.tasks[task];
  await display(barChart({
    title: `${TASKS[task].title}: class shares per split` +
      (TASKS[task].hatefulOnly ? " (harmful memes only)" : ""),
    categories: t.classNames,
    series: SPLITS.map((split) => ({
      name: `${split} (${t.examples[split]})`,
      values: t.counts[split].map((c) => 100 * c / t.examples[split]),
      text: t.counts[split].map(String),
    })),
    yTitle: "share of the split (%)",
    height: 360,
  }));
}

// %% [markdown]
// ## Texts: length and CLIP tokens
//
// MemeCLIP encodes each meme's OCR text with CLIP's text encoder, whose context is 77 tokens
// (start and end of text included); `clip.tokenize(…, truncate=True)` cuts longer texts and the
// rest of the meme's text is never seen. How many texts lose words that way depends on CLIP's
// BPE vocabulary, which a notebook running offline does not have. Two counts bracket the truth:
//
// - **the configured tokenizer** — exact for a real CLIP model. The offline *tiny* model's
//   tokenizer is a byte-level BPE with only a handful of merges, so it spends about one token per
//   character and its counts are far too high: an upper bound;
// - **CLIP's pre-tokenisation** (`clipTokenLowerBound`) — words, digits and punctuation runs,
//   each of which CLIP's BPE turns into at least one token: a lower bound, and a close one for
//   plain English, where most words are single tokens.

// %%
const texts = ds.memes.map((m) => m.text);
const clip = await loadClip({ model: sources.clipModel, offline: sources.offline, log: () => {} });
const tokens = clip.tokenize(texts);
await clip.dispose();
const exact = sources.clipModel !== "tiny";
const lowerBound = texts.map(clipTokenLowerBound);
const characters = texts.map((t) => (t ?? "").length);
const words = texts.map((t) => (t ?? "").split(/\s+/).filter(Boolean).length);

const over = (counts: ArrayLike<number>, split?: Split) =>
  ds.memes.filter((m, i) => (!split || m.split === split) && counts[i] > CONTEXT_LENGTH).length;
const tokenizerLabel = exact ? `${sources.clipModel} tokenizer` : "tiny tokenizer (upper bound)";
const rows = [
  [tokenizerLabel, ...SPLITS.map((s) => over(tokens.lengths, s)), over(tokens.lengths)],
  [
    "CLIP pre-tokens + 2 (lower bound)",
    ...SPLITS.map((s) => over(lowerBound, s)),
    over(lowerBound),
  ],
];
const pct = (k: number) => `${(100 * k / ds.memes.length).toFixed(1)}%`;
await displayMarkdown(`**Texts longer than ${CONTEXT_LENGTH} tokens (truncated by CLIP)**

${markdownTable(["count", ...SPLITS, "all"], rows, ["left", "right", "right", "right", "right"])}

${
  exact
    ? `${over(tokens.lengths)} of ${ds.memes.length} texts (${pct(over(tokens.lengths))}) are ` +
      `truncated.`
    : `Between ${over(lowerBound)} (${pct(over(lowerBound))}) and ${over(tokens.lengths)} ` +
      `(${pct(over(tokens.lengths))}) of ${ds.memes.length} texts are truncated; the lower ` +
      `figure is the closer one (run with a real CLIP model for the exact count).`
}
Texts without any OCR text (encoded as the word "null"): ${
  texts.filter((t) => t === null).length
}.`);

// %%
const charStats = describeValues(characters);
const wordStats = describeValues(words);
console.log(
  `characters per text: mean ${charStats.mean.toFixed(1)}, max ${charStats.max}; ` +
    `words per text: mean ${wordStats.mean.toFixed(1)}, max ${wordStats.max}`,
);
// A few OCR texts run to thousands of characters; the histograms stop at a cap and count the
// rest in their last bin.
const capped = (values: ArrayLike<number>, cap: number) =>
  Array.from(values, (v) => Math.min(v, cap));
const WORD_CAP = 150, TOKEN_CAP = 400;
await display(histogram({
  title: `Text length in words, per split (≥ ${WORD_CAP} in the last bin: ` +
    `${words.filter((w) => w >= WORD_CAP).length} texts)`,
  series: SPLITS.map((split) => ({
    name: split,
    values: capped(words.filter((_, i) => ds.memes[i].split === split), WORD_CAP),
  })),
  xTitle: "words",
  normalize: true,
  nbins: 50,
}));
await display(histogram({
  title: `CLIP tokens per text, ${CONTEXT_LENGTH}-token context marked (≥ ${TOKEN_CAP} in the ` +
    "last bin)",
  series: [
    { name: "CLIP pre-tokens + 2 (lower bound)", values: capped(lowerBound, TOKEN_CAP) },
    { name: tokenizerLabel, values: capped(tokens.lengths, TOKEN_CAP) },
  ],
  xTitle: "tokens, start and end of text included",
  nbins: 80,
  markers: [{ x: CONTEXT_LENGTH, label: ` ${CONTEXT_LENGTH}-token limit` }],
}));

// %% [markdown]
// ## Sample memes
//
// A grid of memes from the dataset the image-dependent notebooks use, with their labels: one row
// per stance class (neutral, support, oppose). Offline that is the synthetic set: the background's hue
// encodes hate, the shape's kind and colour stance, the number of shapes the target, and the
// caption carries one word per task (`lib/synthetic`) — every label is visible, so a working
// pipeline must learn all four tasks even on the random tiny CLIP.

// %%
const gridSet = await loadPrideMM(sources.csv, { imageDir: sources.images });
const picks = [0, 1, 2].flatMap((stance) =>
  gridSet.memes.filter((m) => m.stance === stance).slice(0, 3)
);
const cards: MemeCard[] = [];
for (const meme of picks) {
  const label = (task: (typeof TASK_NAMES)[number]) => {
    const y = meme[task];
    return y === null ? "–" : TASKS[task].classNames[y];
  };
  cards.push({
    name: `${meme.name} · ${meme.split}`,
    thumbnail: await thumbnailDataUri(imagePath(gridSet, meme)).catch(() => null),
    text: textExcerpt(meme.text),
    lines: TASK_NAMES.map((task) => ({ label: task, value: label(task) })),
  });
}
await displayHtml(
  // Three cards per row: one row per stance class.
  `<div style="max-width:600px">${memeCardsHtml(cards)}</div>`,
  picks.map((m) => `${m.name}: ${m.text}`).join("\n"),
);
