/**
 * Where interactive work (the notebooks) takes its model and data from, read from the
 * `MEMESENSE_*` variables (each resolved in `lib/config/settings.ts`) so the same notebook runs on
 * ViT-L/14 and PrideMM, on any described dataset, or fully offline: `MEMESENSE_OFFLINE`,
 * `MEMESENSE_CLIP_MODEL` (`tiny` when offline and unset), `MEMESENSE_DATASET` (a preset or a
 * description file; `synthetic` offline or without PrideMM images), `MEMESENSE_PRIDEMM_CSV`,
 * `MEMESENSE_PRIDEMM_IMAGES` and `MEMESENSE_TASK`.
 *
 * Label- and text-only analyses of PrideMM use the real PrideMM annotations whenever they are
 * found, even when the images (and so every image-dependent step) come from the synthetic set.
 *
 * @module
 */
import { resolve } from "node:path";
import {
  clipModelSetting,
  datasetSetting,
  type EnvReader,
  offlineSetting,
  pridemmCsvSetting,
  pridemmImagesSetting,
  readEnvironment,
  taskSetting,
} from "../config/mod.ts";
import type { Dataset } from "../data/mod.ts";
import { type DatasetSource, type ExperimentInputs, prepareInputs } from "../run/mod.ts";
import { datasetFromFlags } from "./prepare.ts";

/** The resolved model and data. */
export interface InputSources {
  /** Downloads forbidden. */
  readonly offline: boolean;
  /** CLIP model: hub id, directory, or `tiny`. */
  readonly clipModel: string;
  /** The dataset image-dependent steps (features, training) use, loaded and validated. */
  readonly dataset: Dataset;
  /** Where it was read from. */
  readonly source: DatasetSource;
  /** Its images folder. */
  readonly images: string;
  /** Why the dataset is the one it is, in words (`MEMESENSE_DATASET=harmeme`, `offline …`). */
  readonly datasetReason: string;
  /** The real PrideMM annotations, for label and text statistics; null when not found. */
  readonly pridemmCsv: string | null;
  /**
   * The task to train when one is trained for illustration: `MEMESENSE_TASK`, else `hate` on
   * PrideMM, `stance` on the synthetic set (whose hate label, a background colour, is learnt
   * perfectly within one epoch and so makes flat curves), else the dataset's first task.
   */
  readonly task: string;
}

/** Options of {@linkcode resolveInputSources}. */
export interface ResolveInputSourcesOptions {
  /** Reads a variable (default `Deno.env.get`). */
  readonly env?: EnvReader;
}

/**
 * Resolves model and data from the environment (see the module doc) and loads the dataset,
 * generating the synthetic meme set when it is chosen and not cached yet. Throws when
 * `MEMESENSE_DATASET` names no preset or description file, when the dataset is not found or does
 * not validate, or for a task the dataset does not have.
 */
export async function resolveInputSources(
  options: ResolveInputSourcesOptions = {},
): Promise<InputSources> {
  const env = readEnvironment(options.env);
  const offline = offlineSetting(undefined, env).value;
  const clipModel = clipModelSetting(undefined, env, { notebookOffline: offline }).value;
  const found = pridemmCsvSetting(undefined, env).value;
  const pridemmCsv = found === null ? null : resolve(found);
  const pridemmImages = pridemmCsv === null
    ? null
    : resolve(pridemmImagesSetting(undefined, env, { csv: pridemmCsv }).value);
  const notebooks = { offline, pridemmCsv, pridemmImages };
  const chosen = datasetSetting(undefined, env, { notebooks });
  // The notebooks' PrideMM is the one the variables name, found without its images too.
  const pridemm = chosen.value === "pridemm" && pridemmCsv !== null
    ? { data: pridemmCsv, images: pridemmImages! }
    : {};
  const loaded = await datasetFromFlags(pridemm, {
    env,
    notebooks,
    offline: true,
    cwd: Deno.cwd(),
    log: () => {},
  });
  const tasks = loaded.dataset.tasks.map((t) => t.name);
  const task = taskSetting(undefined, env, { dataset: loaded.dataset.description.name, tasks });
  return {
    offline,
    clipModel,
    dataset: loaded.dataset,
    source: loaded.source,
    images: loaded.resolved.images.value,
    datasetReason: loaded.reason,
    pridemmCsv,
    task: task.value,
  };
}

/**
 * The model and data the environment names ({@linkcode resolveInputSources}) prepared for
 * training: features extracted on first use (resumable) and loaded, with the prompt embeddings.
 */
export async function prepareFromEnvironment(
  options: ResolveInputSourcesOptions & { readonly log?: (line: string) => void } = {},
): Promise<{ sources: InputSources; inputs: ExperimentInputs }> {
  const sources = await resolveInputSources(options);
  const inputs = await prepareInputs({
    dataset: sources.dataset,
    source: sources.source,
    model: sources.clipModel,
    offline: sources.offline,
    log: options.log ?? (() => {}),
  });
  return { sources, inputs };
}
