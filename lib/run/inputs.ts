/**
 * Everything an experiment trains on, prepared once: the dataset, its CLIP features (extracted
 * on first use, reused from the feature store afterwards) and, per task, the prompt embeddings
 * that initialise the cosine classifier and score the zero-shot baseline.
 *
 * @module
 */
import type { ClipDevice, ImageMode, Preprocess } from "../config/mod.ts";
import { UsageError } from "../config/mod.ts";
import {
  type ClipModelShape,
  clipSettings,
  locateModelFiles,
  readClipModelShape,
  resolveClipModel,
} from "../clip/mod.ts";
import {
  DataError,
  type Dataset,
  type DatasetDescription,
  loadDataset,
  type Split,
  SPLITS,
} from "../data/mod.ts";
import {
  extractDataset,
  featureStoreDir,
  type FeatureTable,
  type LoadedFeatures,
  loadFeatures,
  storedPrompts,
} from "../features/mod.ts";
import { exists } from "../util/mod.ts";
import type { RecordedDataset } from "./record.ts";

/** A task's CLIP prompt embeddings. */
export interface TaskPrompts {
  /** `a photo of a {prompt name}.` text embeddings (projected, C × 768), for zero-shot scores. */
  readonly promptEmbeds: Float32Array;
  /** Classifier init: normalize(normalize(promptEmbeds) @ visual.projᵀ), C × 1024. */
  readonly promptWeights: Float32Array;
}

/** Where a dataset was read from, as a run records it to read it again. */
export interface DatasetSource {
  /** The description as named: a preset's name, or the absolute path of its JSON file. */
  readonly ref: string;
  /** `--data` as resolved: the dataset's folder, or (one annotation file, PrideMM) that file. */
  readonly data: string;
  /** Annotation files not under the dataset's folder, by their path in the description. */
  readonly files: Readonly<Record<string, string>>;
}

/** Prepared inputs of an experiment. */
export interface ExperimentInputs {
  /** The dataset. */
  readonly dataset: Dataset;
  /** Where it was read from. */
  readonly source: DatasetSource;
  /** The CLIP features of every meme, in dataset order. */
  readonly features: FeatureTable;
  /** The feature store key. */
  readonly featureKey: string;
  /** The feature store directory. */
  readonly featureDir: string;
  /** The CLIP model the features come from, as named. */
  readonly modelId: string;
  /**
   * That model's architecture as its ONNX graphs give it; null where it could not be read
   * (the model's files are gone, or its graphs are not laid out as CLIP exports are).
   */
  readonly clipShape: ClipModelShape | null;
  /** Each task's prompt embeddings and prompt-initialised classifier weights. */
  readonly prompts: Readonly<Record<string, TaskPrompts>>;
  /** Memes per split whose image is missing or unreadable (excluded from training). */
  readonly missingImages: Readonly<Record<Split, number>>;
}

/** Options for {@linkcode prepareInputs}. */
export interface PrepareOptions {
  /** The dataset, loaded and validated. */
  readonly dataset: Dataset;
  /** Where it was read from. */
  readonly source: DatasetSource;
  /** The CLIP model (see `loadClip`). */
  readonly model?: string;
  /** Image preprocessing (default `squash`). */
  readonly preprocess?: Preprocess;
  /** Image decoding (default `pillow`). */
  readonly imageMode?: ImageMode;
  /** Where CLIP runs, should the features be extracted. */
  readonly device?: ClipDevice;
  /** Never download. */
  readonly offline?: boolean;
  /** Cache root for models and feature stores. */
  readonly cacheDir?: string;
  /** Hash every stored chunk, even where size and modification time are unchanged. */
  readonly verify?: boolean;
  /** Status lines (default: stderr). */
  readonly log?: (line: string) => void;
}

/**
 * Extracts a loaded dataset's features if the store lacks them (resumable; re-extracting rows
 * whose image changed and chunks found damaged) and loads them with the prompt embeddings of
 * every task of the dataset, stored beside them.
 */
export async function prepareInputs(opts: PrepareOptions): Promise<ExperimentInputs> {
  const log = opts.log ?? ((s: string) => console.error(s));
  const extracted = await extractDataset(opts.dataset, {
    model: opts.model,
    preprocess: opts.preprocess,
    imageMode: opts.imageMode,
    device: opts.device,
    offline: opts.offline,
    cacheDir: opts.cacheDir,
    verify: opts.verify,
    log,
  });
  // Extraction has just checked (and repaired) every chunk: loading checks sizes and times again.
  const features = await loadFeatures(extracted.dir);
  const clipShape = await readClipModelShape(extracted.modelFiles).catch((e) => {
    log(`the CLIP model's architecture could not be read (${(e as Error).message})`);
    return null;
  });
  return inputsOf(opts.dataset, opts.source, features, clipShape);
}

/**
 * The architecture of a CLIP model named as a run recorded it, from its files where they are
 * (never downloaded); null where they are not, or do not read as a CLIP model's.
 */
export async function recordedClipShape(
  modelId: string,
  cacheDir?: string,
): Promise<ClipModelShape | null> {
  try {
    const settings = clipSettings({ model: modelId, cacheDir, offline: true });
    const files = await locateModelFiles(await resolveClipModel(modelId), settings);
    return files === null ? null : await readClipModelShape(files);
  } catch {
    return null;
  }
}

/** The inputs of a dataset from its loaded feature store. */
function inputsOf(
  dataset: Dataset,
  source: DatasetSource,
  features: LoadedFeatures,
  clipShape: ClipModelShape | null,
): ExperimentInputs {
  const missingImages = Object.fromEntries(SPLITS.map((s) => [s, 0])) as Record<Split, number>;
  for (const m of dataset.memes) if (features.imageOk[m.index] !== 1) missingImages[m.split]++;
  // Extraction stores each task's prompt embeddings beside the features, so training never
  // needs to load CLIP again.
  const prompts = Object.fromEntries(dataset.tasks.map((t) => {
    const stored = storedPrompts(features, t.prompts);
    return [t.name, { promptEmbeds: stored.textEmbeds, promptWeights: stored.promptWeights }];
  }));
  return {
    dataset,
    source,
    features,
    featureKey: features.key,
    featureDir: features.dir,
    modelId: features.modelId,
    clipShape,
    prompts,
    missingImages,
  };
}

/** What a run records of its dataset, from the inputs it was prepared with. */
export function recordedDataset(
  inputs: Pick<ExperimentInputs, "dataset" | "source">,
): RecordedDataset {
  const { dataset, source } = inputs;
  return {
    ref: source.ref,
    description: dataset.description,
    data: source.data,
    root: dataset.root,
    files: source.files,
    identity: dataset.identity,
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
  /** The data. */
  readonly dataset: RecordedDataset;
  /** The image directory. */
  readonly images: string;
  /** The CLIP model, as named. */
  readonly clipModel: string;
  /** The feature store key. */
  readonly featureStore: string;
  /** The feature store directory, where recorded. */
  readonly featureStoreDir?: string;
  /** The CLIP model's architecture, where recorded (read from its files otherwise). */
  readonly clipShape?: ClipModelShape | null;
}

/** `--dataset X --data Y`, the flags that name a recorded dataset again. */
function datasetFlags(dataset: RecordedDataset): string {
  return `--dataset ${dataset.ref} --data ${dataset.data}`;
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
  const recorded = run.dataset;
  if (!dir) {
    const where = run.featureStoreDir ?? candidates[0];
    throw new StoreNotFoundError(
      `the features ${run.runDir} was trained on (store ${key}) are not in ${
        candidates.join(" nor in ")
      }; they were in ${where}: point to the cache that holds them with --cache DIR (or ` +
        "MEMESENSE_CACHE), or extract them again: deno task extract " +
        `${datasetFlags(recorded)} --images ${run.images} --model ${run.clipModel}` +
        (options.cacheDir !== undefined ? ` --cache ${options.cacheDir}` : ""),
    );
  }
  const features = await loadFeatures(dir, { verify: options.verify });
  const description: DatasetDescription = recorded.identity === undefined
    // Recorded before datasets were described: the CSV was read as the store's encoding says.
    ? { ...recorded.description, encoding: features.textEncoding }
    : recorded.description;
  let dataset: Dataset;
  try {
    dataset = await loadDataset(description, recorded.root, {
      files: recorded.files,
      imageDir: run.images,
      use: description.use,
    });
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new StoreNotFoundError(
      `the annotations ${run.runDir} was trained on (${recorded.data}) cannot be read ` +
        `(${(e as Error).message})`,
    );
  }
  const now = recorded.identity === undefined
    ? dataset.identity.files[0].sha256
    : dataset.identity.hash;
  const was = recorded.identity?.hash ?? recorded.sha256 ?? "";
  if (now !== was) {
    throw new StoreNotFoundError(
      `${recorded.data} changed since ${run.runDir} was trained on it (SHA-256 ${
        now.slice(0, 12)
      }…, recorded ${was.slice(0, 12)}…): restore the annotations it was trained on`,
    );
  }
  if (
    features.n !== dataset.memes.length ||
    dataset.memes.some((m, i) => features.names[i] !== m.name)
  ) {
    throw new StoreNotFoundError(
      `the feature store ${dir} does not hold the memes of ${recorded.data}`,
    );
  }
  const clipShape = run.clipShape !== undefined
    ? run.clipShape
    : await recordedClipShape(run.clipModel, options.cacheDir);
  return inputsOf(
    dataset,
    { ref: recorded.ref, data: recorded.data, files: recorded.files },
    features,
    clipShape,
  );
}
