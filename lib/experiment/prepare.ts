/**
 * The inputs of a script's run, from its flags: the dataset `--dataset` names (a preset or a
 * description file), read from `--data` and `--images` (PrideMM downloaded when none is found and
 * downloads are allowed; the generated set generated), loaded and validated before anything is
 * created, and its CLIP features; with a {@linkcode SetupError} that says what to do when data
 * or model are missing.
 *
 * @module
 */
import { resolve } from "node:path";
import {
  cacheSetting,
  dataDirSetting,
  datasetSetting,
  DEFAULT_DATA_DIR,
  type Environment,
  type NotebookDatasetContext,
  pridemmCsvSetting,
  pridemmImagesSetting,
  type Resolved,
  type RunSettings,
  SettingError,
  UsageError,
} from "../config/mod.ts";
import {
  type Dataset,
  type DatasetDescription,
  type DatasetLocation,
  isPresetName,
  loadDataset,
  locateDataset,
  PRESET_NAMES,
  resolveDatasetDescription,
} from "../data/mod.ts";
import { FetchError, fetchPrideMM, manualInstructions } from "../fetch/mod.ts";
import {
  checkTaskSplits,
  type DatasetSource,
  type ExperimentInputs,
  prepareInputs,
} from "../run/mod.ts";
import { ensureSyntheticMemes } from "../synthetic/mod.ts";
import { exists, isWriteFault } from "../util/mod.ts";
import { EXIT, exitCodeOf } from "./exit.ts";
import { csvEncoding, parseSplits, parseTasks } from "./script_flags.ts";

/** A problem with the set-up (data or model not available), explained with what to do. */
export class SetupError extends UsageError {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "SetupError";
  }
}

/** The flags that name a script's data (see `DATASET_FLAGS`). */
export interface DatasetFlagValues {
  /** `--dataset`: a preset's name or a description file. */
  readonly dataset?: string;
  /** `--data`: the dataset's folder, or PrideMM's CSV. */
  readonly data?: string;
  /** `--images`: the images folder. */
  readonly images?: string;
  /** `--splits`: `role=split` pairs. */
  readonly splits?: readonly string[];
  /** `--csv-encoding`: the annotation files' encoding. */
  readonly "csv-encoding"?: string;
}

/** A script's dataset: loaded, with where it came from and the settings that located it. */
export interface ScriptDataset {
  /** The dataset, every row validated. */
  readonly dataset: Dataset;
  /** Where it was read from, as the run records it. */
  readonly source: DatasetSource;
  /** Why the dataset is the one it is, in words (`--dataset harmeme`, `offline …`). */
  readonly reason: string;
  /** The settings as resolved, each with where its value came from (what a run records). */
  readonly resolved: {
    /** The dataset ({@linkcode datasetSetting}). */
    readonly dataset: Resolved<string>;
    /** `--data` (PrideMM: {@linkcode pridemmCsvSetting}; downloaded: the default folder's). */
    readonly data: Resolved<string>;
    /** The images folder (PrideMM: {@linkcode pridemmImagesSetting}). */
    readonly images: Resolved<string>;
  };
}

/** Options of {@linkcode datasetFromFlags}. */
export interface DatasetFromFlagsOptions {
  /** The dataset when neither `--dataset` nor `MEMESENSE_DATASET` names one (default PrideMM). */
  readonly default?: string;
  /** The environment (default: `readEnvironment()`; the demo leaves `MEMESENSE_DATASET` out). */
  readonly env?: Environment;
  /** The notebooks: the default dataset is the synthetic set offline or without PrideMM images. */
  readonly notebooks?: NotebookDatasetContext;
  /** Downloads forbidden: PrideMM is not fetched when missing. */
  readonly offline?: boolean;
  /** Whether a missing PrideMM is downloaded at all (default true; `deno task extract`: no). */
  readonly download?: boolean;
  /** The generated set's size, when the dataset is `synthetic` and `--data` names none. */
  readonly syntheticCount?: number;
  /** Where relative paths start (default: the caller's folder, `INIT_CWD` under `deno task`). */
  readonly cwd?: string;
  /** Status lines (default: stderr). */
  readonly log?: (line: string) => void;
}

/**
 * The description `ref` names (a preset's name or a description file) as a setting: a name that
 * is neither is a {@linkcode SettingError} naming the flag or variable that gave it; a
 * description file that does not validate a `DataError` naming the file and the JSON path.
 */
export async function describedDataset(
  ref: Resolved<string>,
  cwd: string = callerDir(),
): Promise<{ description: DatasetDescription; ref: string }> {
  try {
    const description = await resolveDatasetDescription(ref.value, cwd);
    return { description, ref: isPresetName(ref.value) ? ref.value : resolve(cwd, ref.value) };
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    throw new SettingError(
      ref.source === "environment" ? "MEMESENSE_DATASET" : "--dataset",
      ref.value,
      `a preset (${PRESET_NAMES.join(", ")}) or a description file (.json)`,
    );
  }
}

/** The folder a user's relative paths start from: `INIT_CWD` under `deno task`, else the cwd. */
export function callerDir(): string {
  return Deno.env.get("INIT_CWD") ?? Deno.cwd();
}

/**
 * The dataset the flags name, loaded and validated — before anything is created: `--dataset`
 * (else `MEMESENSE_DATASET`, else the default), read from `--data` (else `MEMESENSE_DATA_DIR`,
 * else `data/<name>/`; PrideMM: `MEMESENSE_PRIDEMM_CSV`, the default folder, else downloaded
 * unless offline; the generated set: generated in the cache) and `--images`, with the splits of `--splits`. A bad row, an unmapped label, a
 * missing annotation file are `DataError`s naming file, line and field; missing data or images a
 * {@linkcode SetupError} with what to do (both exit status 2).
 */
export async function datasetFromFlags(
  flags: DatasetFlagValues,
  options: DatasetFromFlagsOptions = {},
): Promise<ScriptDataset> {
  const cwd = options.cwd ?? callerDir();
  const encoding = csvEncoding(flags["csv-encoding"]); // a bad setting: before any download
  const use = parseSplits(flags.splits);
  const datasetRef = datasetSetting(flags.dataset, options.env, {
    default: options.default,
    notebooks: options.notebooks,
  });
  const { description, ref } = await describedDataset(datasetRef, cwd);
  let data: Resolved<string>;
  let images: Resolved<string>;
  let location: DatasetLocation;
  if (description.name === "pridemm" && ref === "pridemm") {
    ({ data, images, location } = await pridemmLocation(flags, options, cwd));
  } else {
    data = dataDirSetting(flags.data, options.env, { dataset: description.name });
    if (data.source === "default" && description.name === "synthetic" && ref === "synthetic") {
      // The generated set: generated on first use, in the cache.
      const memes = await ensureSyntheticMemes({ count: options.syntheticCount });
      options.log?.(`synthetic memes: ${memes.count} in ${memes.dir}`);
      data = { value: memes.dir, source: "default" };
    }
    data = { ...data, value: resolve(cwd, data.value) };
    location = await locateDataset(description, { data: data.value, images: flags.images }, cwd);
    images = {
      value: location.imageDir ?? resolve(location.root, description.image.dir),
      source: flags.images === undefined ? "default" : "flag",
    };
  }
  const dataset = await loadDataset(description, location.root, {
    files: location.files,
    imageDir: location.imageDir,
    encoding,
    use,
  });
  for (const dir of new Set(dataset.memes.map((m) => dirOf(m.image, m.name)))) {
    if (!(await exists(dir))) {
      throw new SetupError(
        `${description.title}'s images not found at ${dir} (the annotations hold labels and ` +
          "text only).\n" +
          (description.name === "pridemm"
            ? "  - download them: deno task fetch-data (or by hand, see data/README.md)\n"
            : "") +
          "  - or point to them: --images /path/to/images\n" +
          `  - deno task datasets --dataset ${ref} lists what is found and what is missing`,
      );
    }
  }
  return {
    dataset,
    source: {
      ref,
      data: data.value,
      files: Object.fromEntries(
        Object.entries(location.files ?? {}).map(([file, path]) => [file, resolve(path)]),
      ),
    },
    reason: datasetRef.reason,
    resolved: { dataset: { value: datasetRef.value, source: datasetRef.source }, data, images },
  };
}

/** The images folder of a meme: its image path less its name (which may hold folders). */
function dirOf(image: string, name: string): string {
  return image.slice(0, image.length - name.length - 1) || "/";
}

/** PrideMM's CSV and images, as they have always been found (see {@linkcode datasetFromFlags}). */
async function pridemmLocation(
  flags: DatasetFlagValues,
  options: DatasetFromFlagsOptions,
  cwd: string,
): Promise<{ data: Resolved<string>; images: Resolved<string>; location: DatasetLocation }> {
  const found = pridemmCsvSetting(flags.data, undefined, { withImages: true });
  const data: Resolved<string> = found.value !== null
    ? { value: resolve(cwd, found.value), source: found.source }
    : { value: await downloadPrideMM(options, options.log), source: "default" };
  const csv = data.value;
  if (!(await exists(csv))) {
    throw new SetupError(
      `PrideMM annotations not found at ${csv}.\n` +
        "  - download the dataset: deno task fetch-data (or by hand, see data/README.md)\n" +
        "  - or point to a copy: --data /path/to/PrideMM.csv (or MEMESENSE_PRIDEMM_CSV)\n" +
        "  - or run the whole pipeline offline on generated memes: deno task demo",
    );
  }
  const imagesSetting = pridemmImagesSetting(flags.images, undefined, { csv });
  const images = { ...imagesSetting, value: resolve(cwd, imagesSetting.value) };
  if (!(await exists(images.value))) {
    throw new SetupError(
      `PrideMM images not found at ${images.value} (the CSV holds labels and text only).\n` +
        "  - download them: deno task fetch-data (or by hand, see data/README.md)\n" +
        "  - or point to them: --images /path/to/Images\n" +
        "  - or run the whole pipeline offline on generated memes: deno task demo",
    );
  }
  const location = await locateDataset(
    await resolveDatasetDescription("pridemm"),
    { data: csv, images: images.value },
    cwd,
  );
  return { data, images, location };
}

/** A script's inputs, and the settings that located them as they were resolved. */
export interface PreparedInputs {
  /** The dataset, its features and the prompt embeddings. */
  readonly inputs: ExperimentInputs;
  /** The tasks to train: `--tasks`, checked against the dataset's, or the default. */
  readonly tasks: readonly string[];
  /** The dataset, data, images and cache, each with where its value came from. */
  readonly resolved: ScriptDataset["resolved"] & {
    /** The cache root ({@linkcode cacheSetting}). */
    readonly cache: Resolved<string>;
  };
}

/** Options of {@linkcode prepareFromFlags}. */
export interface PrepareFromFlagsOptions {
  /** `--tasks` as given (undefined: `defaultTasks`). */
  readonly tasks?: readonly string[];
  /** The tasks without `--tasks`: every task of the dataset, or its first (default `all`). */
  readonly defaultTasks?: "all" | "first";
  /** The dataset when neither `--dataset` nor `MEMESENSE_DATASET` names one. */
  readonly defaultDataset?: string;
  /** Status lines (default: stderr). */
  readonly log?: (line: string) => void;
}

/**
 * Prepares the experiment inputs from the resolved settings: the dataset the flags name
 * ({@linkcode datasetFromFlags}), the tasks checked against it and every split each task needs
 * checked on its labels — all before anything is created —, then the features of exactly the
 * CLIP model `settings.config.clip.model` names, in the cache `--cache` (else
 * `MEMESENSE_CACHE`, else `<repo>/.cache`) names.
 */
export async function prepareFromFlags(
  flags: DatasetFlagValues & { readonly verify?: boolean; readonly cache?: string },
  settings: RunSettings,
  options: PrepareFromFlagsOptions = {},
): Promise<PreparedInputs> {
  const { config, offline } = settings;
  const loaded = await datasetFromFlags(flags, {
    offline,
    default: options.defaultDataset,
    log: options.log,
  });
  const tasks = parseTasks(options.tasks, loaded.dataset, options.defaultTasks ?? "all");
  // The labels of every split each task needs, before extraction creates a store.
  checkTaskSplits(loaded.dataset, null, tasks);
  const model = config.clip.model;
  const cache = cacheSetting(flags.cache);
  try {
    const inputs = await prepareInputs({
      dataset: loaded.dataset,
      source: loaded.source,
      model,
      preprocess: config.clip.preprocess,
      imageMode: config.clip.imageMode,
      offline,
      verify: flags.verify === true,
      cacheDir: cache.value,
      log: options.log,
    });
    return { inputs, tasks, resolved: { ...loaded.resolved, cache } };
  } catch (e) {
    throw asModelError(e, model);
  }
}

/**
 * A failure to find or load the CLIP model `model`, as a {@linkcode SetupError} saying how to
 * provide one (exit status 2). Conditions with a meaning of their own — bad data, a damaged
 * store, a full disk — are returned as they are.
 */
export function asModelError(e: unknown, model: string): unknown {
  if (exitCodeOf(e) !== EXIT.failure || isWriteFault(e)) return e;
  const message = (e as Error).message;
  return new SetupError(
    `could not prepare CLIP features with model "${model}":\n  ${message}\n` +
      "  - with network access, the model is downloaded from the Hugging Face hub once\n" +
      "  - offline, use a local copy in transformers.js layout: --model /path/to/clip-vit-large-patch14\n" +
      "    (or MEMESENSE_CLIP_MODEL=/path; MEMESENSE_OFFLINE=1 never contacts the hub)\n" +
      "  - or run the whole pipeline offline on the tiny model and generated memes: deno task demo",
  );
}

/**
 * Downloads PrideMM, unless offline, as `deno task fetch-data` does (resumable, verified), when no
 * CSV is named and none is found with its images. A failed download becomes a
 * {@linkcode SetupError} with the manual steps and the offline alternative.
 */
async function downloadPrideMM(
  options: { readonly offline?: boolean; readonly download?: boolean },
  log?: (line: string) => void,
): Promise<string> {
  const alternatives =
    "  - or point to a copy: --data /path/to/PrideMM.csv --images /path/to/Images\n" +
    "  - or run the whole pipeline offline on generated memes: deno task demo";
  if (options.download === false) {
    throw new SetupError(
      `no PrideMM dataset in ${DEFAULT_DATA_DIR}: download it with \`deno task fetch-data\`, or ` +
        "name its CSV with --data (or MEMESENSE_PRIDEMM_CSV)",
    );
  }
  if (options.offline) {
    throw new SetupError(
      `PrideMM is not in ${DEFAULT_DATA_DIR} and downloads are off (offline).\n` +
        `${manualInstructions()}\n${alternatives}`,
    );
  }
  (log ?? ((l: string) => console.error(l)))(
    `PrideMM is not in ${DEFAULT_DATA_DIR}: downloading it (as deno task fetch-data does)`,
  );
  try {
    return (await fetchPrideMM({ attempts: 2, log })).csvPath;
  } catch (e) {
    if (!(e instanceof FetchError)) throw e;
    throw new SetupError(
      `could not download PrideMM: ${e.message}\n${manualInstructions()}\n${alternatives}`,
    );
  }
}
