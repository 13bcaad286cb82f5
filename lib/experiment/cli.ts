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
  type MemeSenseConfig,
  PREPROCESS_MODES,
  pridemmCsvSetting,
  pridemmImagesSetting,
  resolveRunSettings,
  resultsRootSetting,
  type RunSettings,
  SettingError,
  show,
  TASK_NAMES,
  type TaskName,
  type TypedFlag,
  UsageError,
} from "../config/mod.ts";
import { FetchError, fetchPrideMM, manualInstructions } from "../data/mod.ts";
import { exists, formatDuration, isWriteFault } from "../util/mod.ts";
import { EXIT, exitCodeOf } from "./exit.ts";
import type { ExperimentOutcome } from "./experiment.ts";
import { formatShard } from "../util/mod.ts";
import {
  describeResume,
  type ExperimentInputs,
  prepareInputs,
  resolveResume,
  ResumeError,
  type RunRecord,
} from "../run/mod.ts";
import {
  baselineTable,
  calibrationTable,
  clampedTemperatureNote,
  comparisonTable,
  intervalTable,
  pairedComparisonTable,
  summaryTable,
} from "../analysis/mod.ts";

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
    readonly cache?: string;
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
      cacheDir: flags.cache,
      log,
    });
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

/** Prints an experiment's table (restricted to one protocol if asked) and where it was written. */
export function printOutcome(
  outcome: Omit<ExperimentOutcome, "timings" | "trained" | "pending"> & {
    readonly trained?: number;
    readonly pending?: number;
  },
  protocol: "both" | "reference" | "clean" = "both",
): void {
  if (outcome.shard) {
    console.log(
      `shard ${formatShard(outcome.shard)}: ${outcome.trained} cells trained in ` +
        `${formatDuration(outcome.seconds)}; ` +
        ((outcome.pending ?? 0) > 0
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
  for (const note of outcome.tableNotes ?? []) console.log(`\n${note}`);
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
    const clamped = clampedTemperatureNote(calibration);
    if (clamped) console.log(`\n${clamped}`);
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
 * The flags that may differ from the record when a run is resumed: how and where the work runs
 * (workers, executor, shard and the Slurm options), where `latest` is looked for (`--out`), where
 * the cache is, whether downloads are allowed and how hard stored files are checked. Every other
 * setting is the run's, from its `config.json`.
 */
export const RESUME_MAY_DIFFER: readonly string[] = [
  "resume",
  "out",
  "cache",
  "workers",
  "executor",
  "shard",
  "shards",
  "partition",
  "time",
  "cpus-per-task",
  "mem",
  "gres",
  "account",
  "sbatch-extra",
  "offline",
  "verify",
  "help",
];

/** The `--help` lines that say what `--resume` takes from the run and which flags may differ. */
export function resumeHelp(specs: readonly FlagSpec[]): string {
  const names = new Set(specs.map((s) => s.name));
  const free = RESUME_MAY_DIFFER.filter((n) => n !== "resume" && n !== "help" && names.has(n));
  return "With --resume, every setting comes from the run's config.json: give no other flag, or " +
    "the same value. Only these may differ:\n  " + free.map((n) => `--${n}`).join(", ");
}

/** The names of the flags given in `args` (as `parseFlags` reads them; values skipped). */
export function givenFlagNames(args: readonly string[], specs: readonly FlagSpec[]): Set<string> {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const names = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith("--")) continue;
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    names.add(name);
    if (eq >= 0) continue;
    const spec = byName.get(name);
    if (spec?.type === "boolean") {
      if (args[i + 1] === "true" || args[i + 1] === "false") i++;
    } else i++;
  }
  return names;
}

/**
 * With `--resume`: finds the run (`latest`: the newest unfinished run named `name`) and makes
 * `flags` the run's own: every flag not given takes the value its `config.json` records (data,
 * images and CLIP model included), and a flag given with another value than the record's stops
 * the script with one line naming the flag and both values (exit status 2), unless it is one of
 * {@linkcode RESUME_MAY_DIFFER}. `latest` is replaced by the run directory, and the first line
 * says which run is resumed. Nothing to resume: one line, exit status 2.
 */
export async function resumeFromFlags(
  flags: Record<string, unknown> & {
    data?: string;
    images?: string;
    model?: string;
    resume?: string;
    out?: string;
    cache?: string;
  },
  name: string,
  specs: readonly FlagSpec[] = [],
  args: readonly string[] = [],
): Promise<void> {
  if (flags.resume === undefined) return;
  try {
    const target = await resolveResume(flags.resume, {
      outRoot: resultsRootSetting(flags.out).value,
      name,
    }, {
      data: flags.data,
      images: flags.images,
      model: flags.model,
    });
    const given = givenFlagNames(args, specs);
    restoreRecordedFlags(flags, target.runDir, target.record, given, specs);
    // The store is where the run recorded it unless --cache points elsewhere: a resume never
    // extracts the features again into another cache.
    if (!given.has("cache") && target.record.cache) flags.cache = target.record.cache;
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

/**
 * Sets each flag of `specs` not in `given` to the value the run recorded, and checks each given
 * one against it (see {@linkcode resumeFromFlags}); `--data`, `--images` and `--model` are
 * checked by `resolveResume`. Throws {@linkcode ResumeError} for a given flag that differs.
 */
export function restoreRecordedFlags(
  flags: Record<string, unknown>,
  runDir: string,
  record: RunRecord,
  given: ReadonlySet<string>,
  specs: readonly FlagSpec[],
): void {
  const saved = (record as unknown as { flags?: Record<string, unknown> }).flags ?? {};
  const configFlags = new Set<string>(CONFIG_FLAGS.map((f) => f.name));
  const differs = (flag: string, value: unknown, was: unknown): never => {
    throw new ResumeError(
      `--${flag} ${show(value)} differs from the ${show(was)} that ${runDir} was started with ` +
        `(its config.json); leave --${flag} out to resume with the run's, or start a new run`,
    );
  };
  for (const spec of specs) {
    const flag = spec.name;
    if (RESUME_MAY_DIFFER.includes(flag) || ["data", "images", "model"].includes(flag)) continue;
    if (configFlags.has(flag)) {
      // A config flag is compared with the config the run recorded, whatever set it then.
      if (given.has(flag)) {
        const field = configFieldSetBy(flag, flags[flag], record.config);
        if (field) differs(flag, flags[flag], field.was);
      } else if (saved[flag] !== undefined) flags[flag] = saved[flag];
      continue;
    }
    const was = flag === "backend"
      ? (record as unknown as { backend?: unknown }).backend ?? saved.backend
      : flag === "name"
      ? record.name
      : saved[flag];
    if (was === undefined) continue; // not recorded (an older run): as given or defaulted
    if (!given.has(flag)) {
      flags[flag] = was;
      continue;
    }
    const same = flag === "seeds"
      ? sameSeeds(flags[flag], was, record)
      : JSON.stringify(flags[flag]) === JSON.stringify(was) || show(flags[flag]) === show(was);
    if (!same) differs(flag, flags[flag], was);
  }
}

/** The config field a config flag would change in `config`, with its recorded value, or null. */
function configFieldSetBy(
  flag: string,
  value: unknown,
  config: MemeSenseConfig,
): { field: string; was: unknown } | null {
  let changed: MemeSenseConfig;
  try {
    changed = resolveRunSettings({ [flag]: value }, { base: config, env: {} }).config;
  } catch {
    return { field: flag, was: "(a valid value)" };
  }
  for (const section of ["clip", "head", "train"] as const) {
    const before = config[section] as unknown as Record<string, unknown>;
    const after = changed[section] as unknown as Record<string, unknown>;
    for (const k of Object.keys(after)) {
      if (JSON.stringify(before[k]) !== JSON.stringify(after[k])) {
        return { field: `${section}.${k}`, was: before[k] };
      }
    }
  }
  return null;
}

/** Whether a `--seeds` value names the run's seeds (`3` and `42,43,44` alike). */
function sameSeeds(value: unknown, was: unknown, record: RunRecord): boolean {
  try {
    return JSON.stringify(parseSeeds(value as string, record.config.train.seed)) ===
      JSON.stringify(record.seeds);
  } catch {
    return show(value) === show(was);
  }
}
