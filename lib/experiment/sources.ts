/**
 * Where interactive work (the notebooks) takes its model and data from, read from the
 * `MEMESENSE_*` variables (each resolved in `lib/config/settings.ts`) so the same notebook runs on
 * ViT-L/14 and PrideMM or fully offline: `MEMESENSE_OFFLINE`, `MEMESENSE_CLIP_MODEL` (`tiny`
 * when offline and unset), `MEMESENSE_DATA`, `MEMESENSE_PRIDEMM_CSV`, `MEMESENSE_PRIDEMM_IMAGES`
 * and `MEMESENSE_TASK`.
 *
 * Label- and text-only analyses use the real PrideMM annotations whenever they are found, even
 * when the images (and so every image-dependent step) come from the synthetic set.
 *
 * @module
 */
import { resolve } from "node:path";
import {
  clipModelSetting,
  dataSetting,
  type DataSource,
  type EnvReader,
  offlineSetting,
  pridemmCsvSetting,
  pridemmImagesSetting,
  readEnvironment,
  type TaskName,
  taskSetting,
} from "../config/mod.ts";
import { ensureSyntheticMemes } from "../synthetic/mod.ts";
import { type ExperimentInputs, prepareInputs } from "../run/mod.ts";

/** The resolved model and data. */
export interface InputSources {
  /** Downloads forbidden. */
  readonly offline: boolean;
  /** CLIP model: hub id, directory, or `tiny`. */
  readonly clipModel: string;
  /** The dataset image-dependent steps (features, training) use. */
  readonly data: DataSource;
  /** That dataset's annotation CSV (PrideMM layout). */
  readonly csv: string;
  /** That dataset's image directory. */
  readonly images: string;
  /** The real PrideMM annotations, for label and text statistics; null when not found. */
  readonly pridemmCsv: string | null;
  /** Why `data` is what it is, in words. */
  readonly dataReason: string;
  /**
   * The task to train when one is trained for illustration: `MEMESENSE_TASK`, else `hate` on
   * PrideMM and `stance` on the synthetic set (whose hate label, a background colour, is learnt
   * perfectly within one epoch and so makes flat curves).
   */
  readonly task: TaskName;
}

/** Options of {@linkcode resolveInputSources}. */
export interface ResolveInputSourcesOptions {
  /** Reads a variable (default `Deno.env.get`). */
  readonly env?: EnvReader;
}

/**
 * Resolves model and data from the environment (see the module doc), generating the synthetic
 * meme set when it is chosen and not cached yet. Throws when `MEMESENSE_DATA` names an unknown
 * source, `pridemm` while no PrideMM CSV is found, or an unknown task.
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
  const { value: data, reason: dataReason } = dataSetting(undefined, env, {
    offline,
    pridemmCsv,
    pridemmImages,
  });
  const task = taskSetting(undefined, env, { data }).value;
  if (data === "pridemm") {
    return {
      offline,
      clipModel,
      data,
      csv: pridemmCsv!,
      images: pridemmImages!,
      pridemmCsv,
      dataReason,
      task,
    };
  }
  const synthetic = await ensureSyntheticMemes({ progress: false });
  return {
    offline,
    clipModel,
    data,
    csv: synthetic.csvPath,
    images: synthetic.imageDir,
    pridemmCsv,
    dataReason,
    task,
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
    csv: sources.csv,
    images: sources.images,
    model: sources.clipModel,
    offline: sources.offline,
    log: options.log ?? (() => {}),
  });
  return { sources, inputs };
}
