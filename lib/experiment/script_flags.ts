/**
 * Flags shared by the experiment scripts (`reproduce`, `ablate`, `demo`, `extract`, …), so every
 * script spells `--data`, `--model`, `--backend` the same way and `--help` lists them with their
 * defaults; and the readers of the scripts' own list flags (`--tasks`, `--seeds`).
 *
 * @module
 */
import {
  BACKEND_CHOICES,
  type ChoiceFlag,
  CONFIG_FLAGS,
  type DefaultedChoiceFlag,
  type DefaultedFlag,
  defineFlags,
  type FlagSpec,
  IMAGE_MODES,
  PREPROCESS_MODES,
  SettingError,
  type TypedFlag,
} from "../config/mod.ts";
import type { Dataset, Split } from "../data/mod.ts";

/** `--backend`: the training backend (default `$MEMESENSE_BACKEND`, else `auto`). */
export const BACKEND_FLAG: ChoiceFlag<"backend", typeof BACKEND_CHOICES> = {
  name: "backend",
  type: "choice",
  choices: BACKEND_CHOICES,
  help: "training backend (default: $MEMESENSE_BACKEND, else auto)",
};

/**
 * `--cache`: the cache root — CLIP models, feature stores (`<cache>/features/<key>`), the
 * synthetic set — resolved as every cache path is today (`$MEMESENSE_CACHE`, else
 * `<repo>/.cache`) when absent.
 */
export const CACHE_FLAG: TypedFlag<"cache", "string"> = {
  name: "cache",
  type: "string",
  help:
    "cache directory: models and feature stores (default: $MEMESENSE_CACHE, else <repo>/.cache)",
};

/**
 * `--out`: the results root, each run in `<out>/<timestamp>-<name>/`; absent, it resolves as every
 * results root does (`resultsRootSetting`: `$MEMESENSE_RESULTS`, else `<repo>/results`).
 */
export const RESULTS_FLAG: TypedFlag<"out", "string"> = {
  name: "out",
  type: "string",
  help: "results root; each run gets <out>/<timestamp>-<name>/ (default: $MEMESENSE_RESULTS, " +
    "else <repo>/results)",
};

/** `--offline`: the model is never downloaded (the environment's `MEMESENSE_OFFLINE` else). */
export const OFFLINE_FLAG: TypedFlag<"offline", "boolean"> = {
  name: "offline",
  type: "boolean",
  help: "never contact the model hub (default: $MEMESENSE_OFFLINE, else false)",
};

/** `--resume`: continue an interrupted run, its directory or `latest`. */
export const RESUME_FLAG: TypedFlag<"resume", "string"> = {
  name: "resume",
  type: "string",
  help: "continue an interrupted run: its directory, or 'latest'",
};

/** `--no-gallery`: the report without its gallery of confident errors. */
export const NO_GALLERY_FLAG: DefaultedFlag<"no-gallery", "boolean"> = {
  name: "no-gallery",
  type: "boolean",
  default: false,
  help: "leave the gallery of confident errors (meme images and texts) out of the report",
};

/** `--workers`: parallel training workers (default one per core). */
export const WORKERS_FLAG: TypedFlag<"workers", "integer"> = {
  name: "workers",
  type: "integer",
  help: "parallel training workers, ≥ 1 (default: one per core)",
};

/** The specs of {@linkcode EXTRACTION_FLAGS}, with their literal names and choices. */
export type ExtractionFlags = readonly [
  DefaultedChoiceFlag<"preprocess", typeof PREPROCESS_MODES>,
  DefaultedChoiceFlag<"image-mode", typeof IMAGE_MODES>,
];

/** How the scripts that extract features read images: `--preprocess` and `--image-mode`. */
export const EXTRACTION_FLAGS: ExtractionFlags = defineFlags([
  {
    name: "preprocess",
    type: "choice",
    choices: PREPROCESS_MODES,
    help: "image preprocessing",
    default: "squash",
  },
  {
    name: "image-mode",
    type: "choice",
    choices: IMAGE_MODES,
    help:
      'image decoding: pillow (the reference\'s convert("RGB")), managed (EXIF, ICC, alpha on white)',
    default: "pillow",
  },
]);

/** The specs of {@linkcode DATASET_FLAGS}, with their literal names and types. */
export type DatasetFlags = readonly [
  TypedFlag<"dataset", "string">,
  TypedFlag<"data", "string">,
  TypedFlag<"images", "string">,
  TypedFlag<"splits", "list">,
  TypedFlag<"csv-encoding", "string">,
];

/**
 * Which data a script reads: `--dataset` (a preset or a description file), `--data` (its folder;
 * PrideMM: its CSV), `--images`, `--splits` (other splits for train, val or test) and
 * `--csv-encoding`.
 */
export const DATASET_FLAGS: DatasetFlags = defineFlags([
  {
    name: "dataset",
    type: "string",
    help: "the dataset: a preset (pridemm, harmeme, harmeme-p, fhm, synthetic; deno task " +
      "datasets lists them) or a description file .json (default: $MEMESENSE_DATASET, else " +
      "pridemm)",
  },
  {
    name: "data",
    type: "string",
    help: "the dataset's folder, or PrideMM's CSV (default: data/<name>/; PrideMM: " +
      "$MEMESENSE_PRIDEMM_CSV, else data/PrideMM/, downloaded if missing)",
  },
  {
    name: "images",
    type: "string",
    help: "the images folder (default: the description's under the dataset's folder; PrideMM: " +
      "$MEMESENSE_PRIDEMM_IMAGES, else Images/ beside the CSV)",
  },
  {
    name: "splits",
    type: "list",
    help: "other splits for train, val or test: role=split pairs (e.g. " +
      "val=val_from_train,test=dev_seen; default: the description's)",
  },
  {
    name: "csv-encoding",
    type: "string",
    help: "text encoding of the annotation files (default: the description's, utf-8 for the " +
      "presets, checked strictly; e.g. windows-1252 for legacy files)",
  },
]);

/** The specs of {@linkcode OUTPUT_FLAGS}, with their literal names and types. */
export type OutputFlags = readonly [
  TypedFlag<"verify", "boolean">,
  typeof OFFLINE_FLAG,
  typeof CACHE_FLAG,
  typeof RESULTS_FLAG,
  TypedFlag<"name", "string">,
  typeof BACKEND_FLAG,
  typeof WORKERS_FLAG,
  typeof RESUME_FLAG,
  typeof NO_GALLERY_FLAG,
  TypedFlag<"help", "boolean">,
];

/**
 * Store, output and execution flags of every script that trains a run (`--verify`, `--offline`,
 * `--cache`, `--out`, `--name`, `--backend`, `--workers`, `--resume`, `--no-gallery`, `--help`).
 */
export const OUTPUT_FLAGS: OutputFlags = defineFlags([
  {
    name: "verify",
    type: "boolean",
    help: "hash every feature-store chunk, even where size and time are unchanged",
  },
  OFFLINE_FLAG,
  CACHE_FLAG,
  RESULTS_FLAG,
  { name: "name", type: "string", help: "run name (default: the script's name)" },
  BACKEND_FLAG,
  WORKERS_FLAG,
  RESUME_FLAG,
  NO_GALLERY_FLAG,
  { name: "help", type: "boolean", help: "show this help" },
]);

/** The specs of {@linkcode COMMON_FLAGS}, with their literal names, types and choices. */
export type CommonFlags = readonly [...DatasetFlags, ...OutputFlags];

/** Data, output and execution flags common to the experiment scripts of one dataset. */
export const COMMON_FLAGS: CommonFlags = [...DATASET_FLAGS, ...OUTPUT_FLAGS];

/**
 * The tasks `--tasks` names, each checked against the dataset's; absent, `fallback`: every task
 * of the dataset (`all`) or its first (`first`). In the dataset's order, each once.
 */
export function parseTasks(
  list: readonly string[] | undefined,
  dataset: Pick<Dataset, "tasks" | "description">,
  fallback: "all" | "first" = "all",
): string[] {
  const names = dataset.tasks.map((t) => t.name);
  if (list === undefined) return fallback === "all" ? names : [names[0]];
  const allowed = `one or more of ${dataset.description.name}'s tasks: ${names.join(", ")}`;
  if (list.length === 0) throw new SettingError("--tasks", "", allowed);
  for (const t of list) {
    if (!names.includes(t)) throw new SettingError("--tasks", list, allowed);
  }
  const twice = list.find((t, i) => list.indexOf(t) !== i);
  if (twice !== undefined) throw new SettingError("--tasks", list, `${allowed}, each once`);
  return [...list];
}

/**
 * The splits `--splits` chooses: `role=split` pairs for train, val or test. Throws
 * {@linkcode SettingError} for a pair that is not one (the splits themselves are checked against
 * the description when it is loaded).
 */
export function parseSplits(list: readonly string[] | undefined): Partial<Record<Split, string>> {
  const use: Partial<Record<Split, string>> = {};
  for (const pair of list ?? []) {
    const m = /^(train|val|test)=([a-z0-9][a-z0-9_-]*)$/.exec(pair.trim());
    if (m === null || use[m[1] as Split] !== undefined) {
      throw new SettingError(
        "--splits",
        list,
        "role=split pairs, each role (train, val, test) once, e.g. test=dev_seen",
      );
    }
    use[m[1] as Split] = m[2];
  }
  return use;
}

/**
 * Seeds from `--seeds`: a count N gives N seeds starting at the config's seed (42, 43, 44 for the
 * default 3), a comma list gives exactly those seeds, each once.
 */
export function parseSeeds(raw: string | number, baseSeed: number): number[] {
  const text = String(raw).trim();
  const allowed = "a count ≥ 1 or a comma list of distinct integers ≥ 0";
  if (text.includes(",")) {
    const seeds = text.split(",").map((s) => {
      const v = Number(s.trim());
      if (s.trim() === "" || !Number.isInteger(v) || v < 0) {
        throw new SettingError("--seeds", raw, allowed);
      }
      return v;
    });
    // A seed twice would be one cell counted as two: refused, not merged.
    const twice = seeds.find((v, i) => seeds.indexOf(v) !== i);
    if (twice !== undefined) {
      throw new SettingError("--seeds", raw, `${allowed} (${twice} is given twice)`);
    }
    return seeds;
  }
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new SettingError("--seeds", raw, allowed);
  return Array.from({ length: n }, (_, i) => baseSeed + i);
}

/** All flags of a script: its own, the common ones, then the config flags. */
export function scriptFlags<const O extends readonly FlagSpec[]>(
  own: O,
): readonly [...O, ...typeof COMMON_FLAGS, ...typeof CONFIG_FLAGS] {
  return [...own, ...COMMON_FLAGS, ...CONFIG_FLAGS];
}

/**
 * The `--csv-encoding` setting checked: a WHATWG encoding label, else a
 * {@linkcode SettingError} naming the flag; absent, undefined (the description's encoding).
 */
export function csvEncoding(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    new TextDecoder(value);
  } catch {
    throw new SettingError("--csv-encoding", value, "a known encoding (e.g. windows-1252)");
  }
  return value;
}
