/**
 * Everything an experiment trains on, prepared once: the dataset, its CLIP features (extracted
 * on first use, reused from the feature store afterwards) and, per task, the prompt embeddings
 * that initialise the cosine classifier and score the zero-shot baseline.
 *
 * @module
 */
import {
  type ImageMode,
  type Preprocess,
  TASK_NAMES,
  type TaskName,
  TASKS,
} from "../config/mod.ts";
import { type PrideMM, type Split, SPLITS } from "../data/mod.ts";
import { extractPrideMM, type FeatureTable, loadFeatures, storedPrompts } from "../features/mod.ts";
import { dirname, join } from "node:path";
import { exists } from "../util/mod.ts";

/** A task's CLIP prompt embeddings. */
export interface TaskPrompts {
  /** `a photo of a {class}.` text embeddings (projected, C × 768), for zero-shot scores. */
  readonly promptEmbeds: Float32Array;
  /** Classifier init: normalize(normalize(promptEmbeds) @ visual.projᵀ), C × 1024. */
  readonly promptWeights: Float32Array;
}

/** Prepared inputs of an experiment. */
export interface ExperimentInputs {
  /** The dataset. */
  readonly dataset: PrideMM;
  /** SHA-256 of the dataset's CSV. */
  readonly datasetSha256: string;
  /** The CLIP features of every meme, in dataset order. */
  readonly features: FeatureTable;
  /** The feature store key. */
  readonly featureKey: string;
  /** The feature store directory. */
  readonly featureDir: string;
  /** The CLIP model the features come from, as named. */
  readonly modelId: string;
  /** Each task's prompt embeddings and prompt-initialised classifier weights. */
  readonly prompts: Readonly<Record<TaskName, TaskPrompts>>;
  /** Memes per split whose image is missing or unreadable (excluded from training). */
  readonly missingImages: Readonly<Record<Split, number>>;
  /** Whether the memes are generated (a `synthetic.json` lies beside the CSV), not PrideMM. */
  readonly synthetic: boolean;
}

/** Options for {@linkcode prepareInputs}. */
export interface PrepareOptions {
  /** The annotations (PrideMM layout). */
  readonly csv: string;
  /** The image directory (default: `Images/` beside the CSV). */
  readonly images?: string;
  /** The CLIP model (see `loadClip`). */
  readonly model?: string;
  /** Image preprocessing (default `squash`). */
  readonly preprocess?: Preprocess;
  /** Image decoding (default `pillow`). */
  readonly imageMode?: ImageMode;
  /** Never download. */
  readonly offline?: boolean;
  /** Cache root for models and feature stores. */
  readonly cacheDir?: string;
  /** The CSV's text encoding (default `utf-8`, strict). */
  readonly encoding?: string;
  /** Hash every stored chunk, even where size and modification time are unchanged. */
  readonly verify?: boolean;
  /** Status lines (default: stderr). */
  readonly log?: (line: string) => void;
}

/**
 * Loads the dataset, extracts its features if the store lacks them (resumable; re-extracting
 * rows whose image changed and chunks found damaged) and loads them with the prompt embeddings
 * of all four tasks stored beside them.
 */
export async function prepareInputs(opts: PrepareOptions): Promise<ExperimentInputs> {
  const log = opts.log ?? ((s: string) => console.error(s));
  const extracted = await extractPrideMM(opts.csv, {
    imageDir: opts.images,
    model: opts.model,
    preprocess: opts.preprocess,
    imageMode: opts.imageMode,
    offline: opts.offline,
    cacheDir: opts.cacheDir,
    encoding: opts.encoding,
    verify: opts.verify,
    log,
  });
  // Extraction has just checked (and repaired) every chunk: loading checks sizes and times again.
  const features = await loadFeatures(extracted.dir);
  const dataset = extracted.dataset;
  const missingImages = Object.fromEntries(SPLITS.map((s) => [s, 0])) as Record<Split, number>;
  for (const m of dataset.memes) if (features.imageOk[m.index] !== 1) missingImages[m.split]++;
  // Extraction stores each task's prompt embeddings beside the features, so training never
  // needs to load CLIP again.
  const prompts = Object.fromEntries(TASK_NAMES.map((t) => {
    const stored = storedPrompts(features, TASKS[t].classNames);
    return [t, { promptEmbeds: stored.textEmbeds, promptWeights: stored.promptWeights }];
  })) as Record<TaskName, TaskPrompts>;
  return {
    dataset,
    datasetSha256: features.datasetHash,
    features,
    featureKey: extracted.key,
    featureDir: extracted.dir,
    modelId: features.modelId,
    prompts,
    missingImages,
    synthetic: await exists(join(dirname(dataset.csvPath), "synthetic.json")),
  };
}
