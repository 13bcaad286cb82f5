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
  TASK_NAMES,
  type TaskName,
  type TypedFlag,
} from "../config/mod.ts";

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

/** The specs of {@linkcode COMMON_FLAGS}, with their literal names, types and choices. */
export type CommonFlags = readonly [
  TypedFlag<"data", "string">,
  TypedFlag<"images", "string">,
  DefaultedFlag<"csv-encoding", "string">,
  TypedFlag<"verify", "boolean">,
  TypedFlag<"offline", "boolean">,
  typeof CACHE_FLAG,
  typeof RESULTS_FLAG,
  TypedFlag<"name", "string">,
  typeof BACKEND_FLAG,
  typeof WORKERS_FLAG,
  TypedFlag<"resume", "string">,
  DefaultedFlag<"no-gallery", "boolean">,
  TypedFlag<"help", "boolean">,
];

/** Data, output and execution flags common to the experiment scripts. */
export const COMMON_FLAGS: CommonFlags = defineFlags([
  {
    name: "data",
    type: "string",
    help:
      "PrideMM.csv (default: $MEMESENSE_PRIDEMM_CSV, else data/PrideMM/, downloaded if missing)",
  },
  {
    name: "images",
    type: "string",
    help: "image directory (default: $MEMESENSE_PRIDEMM_IMAGES, else Images/ beside the CSV)",
  },
  {
    name: "csv-encoding",
    type: "string",
    default: "utf-8",
    help:
      "text encoding of the CSV (utf-8 is checked strictly; e.g. windows-1252 for legacy files)",
  },
  {
    name: "verify",
    type: "boolean",
    help: "hash every feature-store chunk, even where size and time are unchanged",
  },
  {
    name: "offline",
    type: "boolean",
    help: "never contact the model hub (default: $MEMESENSE_OFFLINE, else false)",
  },
  CACHE_FLAG,
  RESULTS_FLAG,
  { name: "name", type: "string", help: "run name (default: the script's name)" },
  BACKEND_FLAG,
  WORKERS_FLAG,
  {
    name: "resume",
    type: "string",
    help: "continue an interrupted run: its directory, or 'latest'",
  },
  {
    name: "no-gallery",
    type: "boolean",
    default: false,
    help: "leave the gallery of confident errors (meme images and texts) out of the report",
  },
  { name: "help", type: "boolean", help: "show this help" },
]);

/** Parses a comma-separated task list, checking each name. */
export function parseTasks(list: readonly string[]): TaskName[] {
  const allowed = `one or more of ${TASK_NAMES.join(", ")}`;
  if (list.length === 0) throw new SettingError("--tasks", "", allowed);
  for (const t of list) {
    if (!(TASK_NAMES as readonly string[]).includes(t)) {
      throw new SettingError("--tasks", list, allowed);
    }
  }
  return list as TaskName[];
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
 * The `--csv-encoding` setting checked: a WHATWG encoding label (default `utf-8`), else a
 * {@linkcode SettingError} naming the flag.
 */
export function csvEncoding(value: string | undefined): string {
  const encoding = value ?? "utf-8";
  try {
    new TextDecoder(encoding);
  } catch {
    throw new SettingError("--csv-encoding", encoding, "a known encoding (e.g. windows-1252)");
  }
  return encoding;
}
