/**
 * Flags shared by the experiment scripts (`reproduce`, `ablate`, `demo`), so every script spells
 * `--data`, `--model`, `--backend` the same way and `--help` lists them with their defaults.
 *
 * @module
 */
import {
  BACKEND_CHOICES,
  type ChoiceFlag,
  CONFIG_FLAGS,
  DEFAULT_DATA_DIR,
  type DefaultedChoiceFlag,
  type DefaultedFlag,
  defineFlags,
  type FlagSpec,
  IMAGE_MODES,
  PREPROCESS_MODES,
  pridemmCsvSetting,
  pridemmImagesSetting,
  type RunSettings,
  SettingError,
  TASK_NAMES,
  type TaskName,
  type TypedFlag,
  UsageError,
} from "../config/mod.ts";
import { DataError, FetchError, fetchPrideMM, manualInstructions } from "../data/mod.ts";
import { FeatureStoreError } from "../features/mod.ts";
import { exists, formatDuration } from "../util/mod.ts";
import type { ExperimentOutcome } from "./experiment.ts";
import { formatShard } from "../util/mod.ts";
import { type ExperimentInputs, prepareInputs } from "./inputs.ts";
import { describeResume, resolveResume, ResumeError } from "./run_record.ts";
import { RESULTS_ROOT } from "./run_dir.ts";
import { PartialDataError } from "./partial.ts";
import {
  baselineTable,
  calibrationTable,
  comparisonTable,
  intervalTable,
  pairedComparisonTable,
  summaryTable,
} from "./tables.ts";

/** `--backend`: the training backend (default `$MEMESENSE_BACKEND`, else `auto`). */
export const BACKEND_FLAG: ChoiceFlag<"backend", typeof BACKEND_CHOICES> = {
  name: "backend",
  type: "choice",
  choices: BACKEND_CHOICES,
  help: "training backend (default: $MEMESENSE_BACKEND, else auto)",
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
  DefaultedFlag<"out", "string">,
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
  {
    name: "out",
    type: "string",
    default: RESULTS_ROOT,
    help: "results root; each run gets <out>/<timestamp>-<name>/",
  },
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
 * default 3), a comma list gives exactly those seeds.
 */
export function parseSeeds(raw: string | number, baseSeed: number): number[] {
  const text = String(raw).trim();
  if (text.includes(",")) {
    return text.split(",").map((s) => {
      const v = Number(s.trim());
      if (!Number.isInteger(v) || v < 0) {
        throw new SettingError("--seeds", raw, "a count ≥ 1 or a comma list of integers ≥ 0");
      }
      return v;
    });
  }
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    throw new SettingError("--seeds", raw, "a count ≥ 1 or a comma list of integers ≥ 0");
  }
  return Array.from({ length: n }, (_, i) => baseSeed + i);
}

/** All flags of a script: its own, the common ones, then the config flags. */
export function scriptFlags<const O extends readonly FlagSpec[]>(
  own: O,
): readonly [...O, ...typeof COMMON_FLAGS, ...typeof CONFIG_FLAGS] {
  return [...own, ...COMMON_FLAGS, ...CONFIG_FLAGS];
}

/** A problem with the set-up (data or model not available), explained with what to do. */
export class SetupError extends UsageError {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "SetupError";
  }
}

/**
 * Prepares the experiment inputs from the resolved settings: the data from `--data` / `--images`
 * (else `MEMESENSE_PRIDEMM_CSV`, else `data/PrideMM/`, downloaded unless offline), the features
 * of exactly the CLIP model `settings.config.clip.model` names.
 */
export async function prepareFromFlags(
  flags: {
    readonly data?: string;
    readonly images?: string;
    readonly "csv-encoding"?: string;
    readonly verify?: boolean;
  },
  settings: RunSettings,
  log?: (line: string) => void,
): Promise<ExperimentInputs> {
  const { config, offline } = settings;
  const encoding = csvEncoding(flags["csv-encoding"]); // a bad setting: before any download
  const csv = pridemmCsvSetting(flags.data, undefined, { withImages: true }).value ??
    await downloadPrideMM(offline, log);
  if (!(await exists(csv))) {
    throw new SetupError(
      `PrideMM annotations not found at ${csv}.\n` +
        "  - download the dataset: deno task fetch-data (or by hand, see data/README.md)\n" +
        "  - or point to a copy: --data /path/to/PrideMM.csv (or MEMESENSE_PRIDEMM_CSV)\n" +
        "  - or run the whole pipeline offline on generated memes: deno task demo",
    );
  }
  const images = pridemmImagesSetting(flags.images, undefined, { csv }).value;
  if (!(await exists(images))) {
    throw new SetupError(
      `PrideMM images not found at ${images} (the CSV holds labels and text only).\n` +
        "  - download them: deno task fetch-data (or by hand, see data/README.md)\n" +
        "  - or point to them: --images /path/to/Images\n" +
        "  - or run the whole pipeline offline on generated memes: deno task demo",
    );
  }
  const model = config.clip.model;
  try {
    return await prepareInputs({
      csv,
      images,
      model,
      preprocess: config.clip.preprocess,
      imageMode: config.clip.imageMode,
      offline,
      encoding,
      verify: flags.verify === true,
      log,
    });
  } catch (e) {
    if (e instanceof DataError || e instanceof FeatureStoreError) throw e;
    const message = (e as Error).message;
    throw new SetupError(
      `could not prepare CLIP features with model "${model}":\n  ${message}\n` +
        "  - with network access, the model is downloaded from the Hugging Face hub once\n" +
        "  - offline, use a local copy in transformers.js layout: --model /path/to/clip-vit-large-patch14\n" +
        "    (or MEMESENSE_CLIP_MODEL=/path; MEMESENSE_OFFLINE=1 never contacts the hub)\n" +
        "  - or run the whole pipeline offline on the tiny model and generated memes: deno task demo",
    );
  }
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

/** Prints a {@linkcode SetupError} without a stack trace and exits with status 2; rethrows others. */
export function explainSetupError(e: unknown): never {
  if (e instanceof SetupError || e instanceof DataError || e instanceof PartialDataError) {
    console.error(`error: ${e.message}`);
    Deno.exit(2);
  }
  if (e instanceof FeatureStoreError) {
    console.error(`error: ${e.message}`);
    Deno.exit(1);
  }
  throw e;
}

/** Prints an experiment's table (restricted to one protocol if asked) and where it was written. */
export function printOutcome(
  outcome: ExperimentOutcome,
  protocol: "both" | "reference" | "clean" = "both",
): void {
  if (outcome.shard) {
    console.log(
      `shard ${formatShard(outcome.shard)}: ${outcome.trained} cells trained in ` +
        `${formatDuration(outcome.seconds)}; ` +
        (outcome.pending > 0
          ? `${outcome.pending} cells of the run still pending in other shards. Once they are ` +
            `in: deno task report ${outcome.runDir}`
          : outcome.table === ""
          ? `another shard writes the tables into ${outcome.runDir}/`
          : "the last shard: tables and report follow"),
    );
    if (outcome.table === "") return;
  }
  for (const line of outcome.preface ?? []) console.log(`${line}\n`);
  if (outcome.comparison.length > 0) {
    const rows = outcome.comparison.filter((r) => protocol === "both" || r.protocol === protocol);
    console.log(comparisonTable(rows));
  } else {
    console.log(summaryTable(outcome.summary));
  }
  if (outcome.baselines.length > 0) {
    const main = outcome.results[0]?.variant;
    console.log(
      `\nBaselines (test split):\n${baselineTable(outcome.baselines, outcome.summary, main)}`,
    );
  }
  const u = outcome.uncertainty;
  const shown = <T extends { protocol: string }>(rows: readonly T[]) =>
    rows.filter((r) => protocol === "both" || r.protocol === protocol);
  if (u.groups.length > 0) {
    console.log(
      `\nTest-set uncertainty (mean over seeds, 95% stratified bootstrap over test memes, ` +
        `B = ${u.bootstrap.replicates}):\n${intervalTable(shown(u.groups))}`,
    );
  }
  if (u.groups.length > 0) {
    const main = u.reference ?? u.groups[0].variant;
    const calibration = shown(u.groups).filter((g) => g.variant === main);
    console.log(
      `\nCalibration of ${main} (temperature fitted on val; per-class detail in table.md):\n` +
        calibrationTable(calibration),
    );
  }
  if (u.comparisons.length > 0) {
    const held = u.comparisons.filter((c) => c.holds).length;
    console.log(
      `\nPaired comparisons against ${u.reference} (✓ = holds after Holm's adjustment; ` +
        `${held} of ${u.comparisons.length} do):\n${pairedComparisonTable(shown(u.comparisons))}`,
    );
  }
  console.log(
    `\n${outcome.results.length} cells in ${formatDuration(outcome.seconds)}; ` +
      `results in ${outcome.runDir}/ (report.html, table.md with calibration and per-class ` +
      "tables, metrics.csv, metrics.json, predictions/)",
  );
}

/**
 * With `--resume`: finds the run (`latest`: the newest unfinished run named `name`), restores
 * `--data`, `--images` and `--model` from its record into `flags`, replaces `latest` by the run
 * directory and says which run is resumed. A contradicting explicit flag, or nothing to resume:
 * one line and exit status 2.
 */
export async function resumeFromFlags(
  flags: { data?: string; images?: string; model?: string; resume?: string; out?: string },
  name: string,
): Promise<void> {
  if (flags.resume === undefined) return;
  try {
    const target = await resolveResume(flags.resume, {
      outRoot: flags.out ?? RESULTS_ROOT,
      name,
    }, {
      data: flags.data,
      images: flags.images,
      model: flags.model,
    });
    flags.data = target.data;
    flags.images = target.images;
    flags.model = target.model;
    flags.resume = target.runDir;
    console.error(describeResume(target));
  } catch (e) {
    if (!(e instanceof ResumeError)) throw e;
    console.error(`error: ${e.message}`);
    Deno.exit(2);
  }
}
