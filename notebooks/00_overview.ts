// Source of notebooks/00_overview.ipynb: edit here, then `deno task notebooks:build`.

// %% [markdown]
// # MemeSense — overview
//
// MemeSense reproduces MemeCLIP's multimodal meme classifier in TypeScript: frozen CLIP ViT-L/14
// image and text features (768-d each) pass through a small trainable head and are classified for
// the four PrideMM tasks — hate (2 classes), target of hate (4, hateful memes only), stance (3)
// and humour (2). Each notebook in this folder explains one stage of that pipeline, importing the
// code from `lib/` rather than re-implementing it.
//
// This one shows where the run's inputs come from, the pipeline as a diagram, the configuration,
// and where the head's 3.7 million parameters sit.

// %% [markdown]
// ## Settings: which model, which data
//
// Every notebook reads its inputs from environment variables in its first cell
// (`resolveInputSources` in `lib/experiment`), so the same notebook runs on ViT-L/14 and
// PrideMM or fully offline. `MEMESENSE_OFFLINE=1` is set by `deno task notebooks` (not with
// `--online`); `MEMESENSE_DATA` and `MEMESENSE_TASK` concern the notebooks only. The table below
// is `lib/config`'s list of every `MEMESENSE_*` variable, the flag that beats it and its default.
//
// Label and text statistics (notebook 1) use the real PrideMM annotations whenever they are
// found, even when image-dependent steps run on the synthetic set. For example:
//
// ```sh
// deno task notebooks                                   # offline: tiny CLIP, synthetic memes
// MEMESENSE_DATA=pridemm deno task notebooks --online   # ViT-L/14 (downloaded once) on PrideMM
// MEMESENSE_CLIP_MODEL=/models/clip-vit-large-patch14 MEMESENSE_OFFLINE=1 \
//   MEMESENSE_DATA=pridemm jupyter lab notebooks/        # a local copy, interactively
// ```
//
// In JupyterLab or VS Code, set the variables in the environment the kernel starts from (the
// shell that launches `jupyter lab` or the editor) and restart the kernel to apply a change.
//
// On PrideMM with ViT-L/14 the first notebook that needs features extracts all 5,063 memes into
// the feature store — over an hour on a CPU, once; run `deno task extract` beforehand — and the
// notebooks that train (4–9) take minutes rather than seconds, the training split being ten times
// the synthetic one.

// %%
import {
  cacheSetting,
  DEFAULT_CONFIG,
  environmentTable,
  TASK_NAMES,
  TASKS,
} from "../lib/config/mod.ts";
import { notebookSetUp, resolveInputSources } from "../lib/experiment/mod.ts";
import { headStageParams, pipelineDiagram } from "../lib/model/mod.ts";
import {
  barChart,
  display,
  displayMarkdown,
  formatCount,
  markdownTable,
} from "../lib/report/mod.ts";

const sources = await notebookSetUp(() => resolveInputSources());
const settings = {
  offline: String(sources.offline),
  "CLIP model": sources.clipModel,
  "data for image-dependent steps": `${sources.data} — ${sources.dataReason}`,
  "annotations CSV": sources.csv,
  images: sources.images,
  "PrideMM annotations (labels, texts)": sources.pridemmCsv ?? "not found",
  "task trained for illustration": sources.task,
  cache: cacheSetting().value,
};
const config = DEFAULT_CONFIG;

await displayMarkdown(
  markdownTable(["setting", "value"], Object.entries(settings).map(([k, v]) => [k, String(v)])),
);

// %%
await displayMarkdown(environmentTable());

// %% [markdown]
// ## The pipeline
//
// Only the part below the encoders is trained. The diagram is drawn from the configuration and
// names the CLIP model in use, so it follows any change to them (model, depth, ratio, fusion,
// scale).

// %%
const tasks = TASK_NAMES.map((name) => ({ name, numClasses: TASKS[name].classNames.length }));
console.log(pipelineDiagram(config.head, { clipModel: sources.clipModel, tasks }));

// %% [markdown]
// ## Configuration
//
// MemeCLIP's reference settings for PrideMM, as `lib/config` defines them. Every script accepts
// the same values as flags (`--ratio 0.4`, `--num-mapping-layers 2`, …), and every result
// directory records the full configuration it ran with in `config.json`.

// %%
const configRows = Object.entries(config).flatMap(([section, values]) =>
  Object.entries(values as Record<string, unknown>).map(([key, value]) => [
    `${section}.${key}`,
    Array.isArray(value) ? value.join(", ") : String(value),
  ])
);
await displayMarkdown(markdownTable(["field", "value"], configRows));

// %% [markdown]
// ## Where the parameters are
//
// The head's trainable tensors come from `lib/model`, named as in MemeCLIP's PyTorch `state_dict`.
// For the binary tasks the total is 3,675,136 — the figure the MemeCLIP write-up gives. The two
// projections (768×1024 weights plus biases each) hold almost half; the classifier is a few
// thousand weights, one 1024-d row per class.

// %%
const perTask = tasks.map((t) => headStageParams(config.head, t.numClasses));
const stages = perTask[0].map((s) => s.stage);
const totals = perTask.map((counts) => counts.reduce((a, s) => a + s.count, 0));
if (totals[0] !== 3_675_136) {
  throw new Error(`hate head has ${totals[0]} parameters, not 3,675,136`);
}

await display(barChart({
  title: `Trainable parameters per stage (hate head: ${formatCount(totals[0])} in all)`,
  categories: stages,
  series: [{
    name: "parameters",
    values: perTask[0].map((s) => s.count),
    text: perTask[0].map((s) => formatCount(s.count)),
  }],
  yTitle: "parameters",
  height: 380,
}));
await displayMarkdown(
  markdownTable(
    ["stage", ...TASK_NAMES],
    [
      ...stages.map((
        stage,
        s,
      ) => [stage, ...perTask.map((counts) => formatCount(counts[s].count))]),
      ["total", ...totals.map(formatCount)],
    ],
    ["left", "right", "right", "right", "right"],
  ),
);
