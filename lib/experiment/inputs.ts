/**
 * Everything an experiment trains on, prepared once: the dataset, its CLIP features (extracted
 * on first use, reused from the feature store afterwards) and, per task, the prompt embeddings
 * that initialise the cosine classifier and score the zero-shot baseline.
 *
 * @module
 */
import { classPrompt, type Preprocess, TASK_NAMES, type TaskName, TASKS } from "../config/mod.ts";
import { loadClip, promptClassifierInit } from "../clip/mod.ts";
import { type PrideMM, type Split, SPLITS } from "../data/mod.ts";
import { extractPrideMM, loadFeatures } from "../features/mod.ts";
import { writeJsonAtomic } from "../util/mod.ts";
import type { FeatureTable } from "./task_data.ts";

/** A task's CLIP prompt embeddings. */
export interface TaskPrompts {
  /** `a photo of a {class}.` text embeddings (projected, C × 768), for zero-shot scores. */
  readonly promptEmbeds: Float32Array;
  /** Classifier init: normalize(normalize(promptEmbeds) @ visual.projᵀ), C × 1024. */
  readonly classifierInit: Float32Array;
}

/** Prepared inputs of an experiment. */
export interface ExperimentInputs {
  readonly dataset: PrideMM;
  readonly datasetSha256: string;
  readonly features: FeatureTable;
  readonly featureKey: string;
  readonly featureDir: string;
  readonly modelId: string;
  readonly prompts: Readonly<Record<TaskName, TaskPrompts>>;
  /** Memes per split whose image is missing or unreadable (excluded from training). */
  readonly missingImages: Readonly<Record<Split, number>>;
}

/** Options for {@linkcode prepareInputs}. */
export interface PrepareOptions {
  readonly csv: string;
  readonly images?: string;
  readonly model?: string;
  readonly preprocess?: Preprocess;
  readonly offline?: boolean;
  readonly cacheDir?: string;
  readonly log?: (line: string) => void;
}

/**
 * Loads the dataset, extracts its features if the store lacks them (resumable), loads them, and
 * computes the prompt embeddings of all four tasks (cached as `prompts.json` in the store).
 */
export async function prepareInputs(opts: PrepareOptions): Promise<ExperimentInputs> {
  const log = opts.log ?? ((s: string) => console.error(s));
  const extracted = await extractPrideMM(opts.csv, {
    imageDir: opts.images,
    model: opts.model,
    preprocess: opts.preprocess,
    offline: opts.offline,
    cacheDir: opts.cacheDir,
    log,
  });
  const features = await loadFeatures(extracted.dir);
  const dataset = extracted.dataset;
  const missingImages = Object.fromEntries(SPLITS.map((s) => [s, 0])) as Record<Split, number>;
  for (const m of dataset.memes) if (features.imageOk[m.index] !== 1) missingImages[m.split]++;
  const prompts = await taskPrompts(extracted.dir, features.modelId, opts);
  return {
    dataset,
    datasetSha256: features.datasetHash,
    features,
    featureKey: extracted.key,
    featureDir: extracted.dir,
    modelId: features.modelId,
    prompts,
    missingImages,
  };
}

interface PromptFile {
  readonly modelId: string;
  readonly tasks: Record<
    string,
    { classNames: string[]; promptEmbeds: number[]; classifierInit: number[] }
  >;
}

async function taskPrompts(
  storeDir: string,
  modelId: string,
  opts: PrepareOptions,
): Promise<Record<TaskName, TaskPrompts>> {
  const path = `${storeDir}/prompts.json`;
  try {
    const cached = JSON.parse(await Deno.readTextFile(path)) as PromptFile;
    const ok = cached.modelId === modelId &&
      TASK_NAMES.every((t) =>
        JSON.stringify(cached.tasks[t]?.classNames) === JSON.stringify(TASKS[t].classNames)
      );
    if (ok) {
      return Object.fromEntries(TASK_NAMES.map((t) => [t, {
        promptEmbeds: Float32Array.from(cached.tasks[t].promptEmbeds),
        classifierInit: Float32Array.from(cached.tasks[t].classifierInit),
      }])) as Record<TaskName, TaskPrompts>;
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound) && !(e instanceof SyntaxError)) throw e;
  }
  const clip = await loadClip({
    model: opts.model,
    offline: opts.offline,
    cacheDir: opts.cacheDir,
    log: opts.log,
  });
  try {
    const out = {} as Record<TaskName, TaskPrompts>;
    const file: PromptFile = { modelId, tasks: {} };
    for (const t of TASK_NAMES) {
      const names = TASKS[t].classNames;
      const { embeds } = await clip.encodeTexts(names.map(classPrompt));
      const classifierInit = await promptClassifierInit(clip, names);
      out[t] = { promptEmbeds: embeds, classifierInit };
      file.tasks[t] = {
        classNames: [...names],
        promptEmbeds: Array.from(embeds),
        classifierInit: Array.from(classifierInit),
      };
    }
    await writeJsonAtomic(path, file);
    return out;
  } finally {
    await clip.dispose();
  }
}
