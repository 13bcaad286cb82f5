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
  UsageError,
} from "../config/mod.ts";
import { DataError, loadPrideMM, type PrideMM, type Split, SPLITS } from "../data/mod.ts";
import {
  extractPrideMM,
  featureStoreDir,
  type FeatureTable,
  type LoadedFeatures,
  loadFeatures,
  storedPrompts,
} from "../features/mod.ts";
import { dirname, join } from "node:path";
import { exists, sha256Hex } from "../util/mod.ts";

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
  return await inputsOf(extracted.dataset, features);
}

/** The inputs of a dataset from its loaded feature store. */
async function inputsOf(dataset: PrideMM, features: LoadedFeatures): Promise<ExperimentInputs> {
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
    featureKey: features.key,
    featureDir: features.dir,
    modelId: features.modelId,
    prompts,
    missingImages,
    synthetic: await exists(join(dirname(dataset.csvPath), "synthetic.json")),
  };
}

/**
 * The feature store a run was trained on is not where the run recorded it, nor in the cache
 * given: the message says where the features were and how to point to them (exit status 2).
 */
export class StoreNotFoundError extends UsageError {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "StoreNotFoundError";
  }
}

/**
 * Where to look for a run's feature store, in order: under `cacheDir` alone when given, else the
 * folder the run recorded, then the configured cache.
 */
export function storeCandidates(
  run: { readonly featureStore: string; readonly featureStoreDir?: string },
  cacheDir?: string,
): string[] {
  return cacheDir !== undefined
    ? [featureStoreDir(run.featureStore, cacheDir)]
    : [...new Set([run.featureStoreDir, featureStoreDir(run.featureStore)])]
      .filter((d): d is string => !!d);
}

/** What a run recorded of its inputs (its `config.json`), for {@linkcode loadRunInputs}. */
export interface RecordedInputs {
  /** The run directory (named in messages). */
  readonly runDir: string;
  /** The annotations: CSV path and SHA-256. */
  readonly dataset: { readonly csv: string; readonly sha256: string };
  /** The image directory. */
  readonly images: string;
  /** The CLIP model, as named. */
  readonly clipModel: string;
  /** The feature store key. */
  readonly featureStore: string;
  /** The feature store directory, where recorded. */
  readonly featureStoreDir?: string;
}

/**
 * The inputs of a finished run, read from the feature store it was trained on — never
 * extracted: from `<cacheDir>/features/<key>` when a cache is given, else from the store folder
 * the run recorded, else from the configured cache. A store found nowhere is a
 * {@linkcode StoreNotFoundError} saying where it was and how to point to it; a damaged one a
 * `FeatureStoreError` naming the file; annotations changed since the run, a
 * {@linkcode StoreNotFoundError} too.
 */
export async function loadRunInputs(
  run: RecordedInputs,
  options: { readonly cacheDir?: string; readonly verify?: boolean } = {},
): Promise<ExperimentInputs> {
  const key = run.featureStore;
  const candidates = storeCandidates(run, options.cacheDir);
  let dir: string | undefined;
  for (const d of candidates) {
    if (await exists(`${d}/store.json`)) {
      dir = d;
      break;
    }
  }
  if (!dir) {
    const where = run.featureStoreDir ?? candidates[0];
    throw new StoreNotFoundError(
      `the features ${run.runDir} was trained on (store ${key}) are not in ${
        candidates.join(" nor in ")
      }; they were in ${where}: point to the cache that holds them with --cache DIR (or ` +
        "MEMESENSE_CACHE), or extract them again: deno task extract --data " +
        `${run.dataset.csv} --images ${run.images} --model ${run.clipModel}` +
        (options.cacheDir !== undefined ? ` --cache ${options.cacheDir}` : ""),
    );
  }
  const features = await loadFeatures(dir, { verify: options.verify });
  let dataset: PrideMM;
  try {
    dataset = await loadPrideMM(run.dataset.csv, {
      imageDir: run.images,
      encoding: features.textEncoding,
    });
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new StoreNotFoundError(
      `the annotations ${run.runDir} was trained on, ${run.dataset.csv}, cannot be read ` +
        `(${(e as Error).message})`,
    );
  }
  const sha = await sha256Hex({ path: dataset.csvPath });
  if (sha !== run.dataset.sha256 || sha !== features.datasetHash) {
    throw new StoreNotFoundError(
      `${run.dataset.csv} changed since ${run.runDir} was trained on it (SHA-256 ${
        sha.slice(0, 12)
      }…, recorded ${run.dataset.sha256.slice(0, 12)}…): restore the annotations it was ` +
        "trained on",
    );
  }
  if (
    features.n !== dataset.memes.length ||
    dataset.memes.some((m, i) => features.names[i] !== m.name)
  ) {
    throw new StoreNotFoundError(
      `the feature store ${dir} does not hold the memes of ${run.dataset.csv}`,
    );
  }
  return await inputsOf(dataset, features);
}
