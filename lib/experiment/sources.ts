/**
 * Where interactive work (the notebooks) takes its model and data from, read from the
 * `MEMESENSE_*` variables (their table is in `lib/config/env.ts`) so the same notebook runs on
 * ViT-L/14 and PrideMM or fully offline: `MEMESENSE_OFFLINE`, `MEMESENSE_CLIP_MODEL` (`tiny`
 * when offline and unset), `MEMESENSE_DATA`, `MEMESENSE_PRIDEMM_CSV`, `MEMESENSE_PRIDEMM_IMAGES`
 * and `MEMESENSE_TASK`.
 *
 * Label- and text-only analyses use the real PrideMM annotations whenever they are found, even
 * when the images (and so every image-dependent step) come from the synthetic set.
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import {
  clipModelSetting,
  type DataSource,
  type EnvReader,
  readEnvironment,
  type TaskName,
} from "../config/mod.ts";
import { findPrideMMCsv } from "../data/mod.ts";
import { ensureSyntheticMemes } from "../synthetic/mod.ts";
import { type ExperimentInputs, prepareInputs } from "./inputs.ts";

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

function hasFiles(dir: string): boolean {
  try {
    for (const e of Deno.readDirSync(dir)) if (e.isFile) return true;
  } catch {
    // absent or unreadable: no images
  }
  return false;
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
  const offline = env.offline ?? false;
  // Offline notebooks default to the tiny model: ViT-L/14 could not be downloaded.
  const clipModel = clipModelSetting(offline ? env.clipModel ?? "tiny" : undefined, env);
  const pridemmCsv = env.pridemmCsv ? resolve(env.pridemmCsv) : findPrideMMCsv();
  const pridemmImages = pridemmCsv
    ? resolve(env.pridemmImages ?? join(dirname(pridemmCsv), "Images"))
    : null;

  const requested = env.data;
  let data: DataSource;
  let dataReason: string;
  if (requested === "pridemm") {
    if (!pridemmCsv) {
      throw new Error(
        "MEMESENSE_DATA=pridemm but no PrideMM.csv was found: set MEMESENSE_PRIDEMM_CSV or run " +
          "`deno task fetch-data`",
      );
    }
    data = "pridemm";
    dataReason = "MEMESENSE_DATA=pridemm";
  } else if (requested === "synthetic") {
    data = "synthetic";
    dataReason = "MEMESENSE_DATA=synthetic";
  } else if (offline) {
    data = "synthetic";
    dataReason = "offline (MEMESENSE_OFFLINE=1)";
  } else if (!pridemmCsv) {
    data = "synthetic";
    dataReason = "no PrideMM.csv found";
  } else if (!hasFiles(pridemmImages!)) {
    data = "synthetic";
    dataReason = `no PrideMM images in ${pridemmImages}`;
  } else {
    data = "pridemm";
    dataReason = "PrideMM annotations and images found";
  }

  const task = env.task ?? (data === "pridemm" ? "hate" : "stance");
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
