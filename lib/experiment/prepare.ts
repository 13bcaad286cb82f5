/**
 * The inputs of a script's run, from its flags: the PrideMM annotations and images (downloaded
 * when none are found and downloads are allowed) and their CLIP features, with a
 * {@linkcode SetupError} that says what to do when data or model are missing.
 *
 * @module
 */
import {
  cacheSetting,
  DEFAULT_DATA_DIR,
  pridemmCsvSetting,
  pridemmImagesSetting,
  type Resolved,
  type RunSettings,
  UsageError,
} from "../config/mod.ts";
import { FetchError, fetchPrideMM, manualInstructions } from "../fetch/mod.ts";
import { type ExperimentInputs, prepareInputs } from "../run/mod.ts";
import { exists, isWriteFault } from "../util/mod.ts";
import { EXIT, exitCodeOf } from "./exit.ts";
import { csvEncoding } from "./script_flags.ts";

/** A problem with the set-up (data or model not available), explained with what to do. */
export class SetupError extends UsageError {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "SetupError";
  }
}

/** A script's inputs, and the settings that located them as they were resolved. */
export interface PreparedInputs {
  /** The dataset, its features and the prompt embeddings. */
  readonly inputs: ExperimentInputs;
  /** The annotations, the images and the cache, each with where its value came from. */
  readonly resolved: {
    /** The PrideMM CSV ({@linkcode pridemmCsvSetting}; downloaded: the default folder's). */
    readonly data: Resolved<string>;
    /** The image folder ({@linkcode pridemmImagesSetting}). */
    readonly images: Resolved<string>;
    /** The cache root ({@linkcode cacheSetting}). */
    readonly cache: Resolved<string>;
  };
}

/**
 * Prepares the experiment inputs from the resolved settings: the data from `--data` / `--images`
 * (else `MEMESENSE_PRIDEMM_CSV`, else `data/PrideMM/`, downloaded unless offline), the features
 * of exactly the CLIP model `settings.config.clip.model` names, in the cache `--cache` (else
 * `MEMESENSE_CACHE`, else `<repo>/.cache`) names.
 */
export async function prepareFromFlags(
  flags: {
    readonly data?: string;
    readonly images?: string;
    readonly "csv-encoding"?: string;
    readonly verify?: boolean;
    readonly cache?: string;
  },
  settings: RunSettings,
  log?: (line: string) => void,
): Promise<PreparedInputs> {
  const { config, offline } = settings;
  const encoding = csvEncoding(flags["csv-encoding"]); // a bad setting: before any download
  const found = pridemmCsvSetting(flags.data, undefined, { withImages: true });
  const data: Resolved<string> = found.value !== null
    ? { value: found.value, source: found.source }
    : { value: await downloadPrideMM(offline, log), source: "default" };
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
  const images = imagesSetting.value;
  if (!(await exists(images))) {
    throw new SetupError(
      `PrideMM images not found at ${images} (the CSV holds labels and text only).\n` +
        "  - download them: deno task fetch-data (or by hand, see data/README.md)\n" +
        "  - or point to them: --images /path/to/Images\n" +
        "  - or run the whole pipeline offline on generated memes: deno task demo",
    );
  }
  const model = config.clip.model;
  const cache = cacheSetting(flags.cache);
  try {
    const inputs = await prepareInputs({
      csv,
      images,
      model,
      preprocess: config.clip.preprocess,
      imageMode: config.clip.imageMode,
      offline,
      encoding,
      verify: flags.verify === true,
      cacheDir: cache.value,
      log,
    });
    return { inputs, resolved: { data, images: imagesSetting, cache } };
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
  offline: boolean,
  log?: (line: string) => void,
): Promise<string> {
  const alternatives =
    "  - or point to a copy: --data /path/to/PrideMM.csv --images /path/to/Images\n" +
    "  - or run the whole pipeline offline on generated memes: deno task demo";
  if (offline) {
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
