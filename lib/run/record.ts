/**
 * A run's record: `config.json`, written once when the run directory is created and sealed, holds
 * every setting a later shard, resume, status or `deno task aggregate` needs. {@linkcode RunRecord}
 * is its type, end to end: what is written, what {@linkcode readRunRecord} gives back, and what
 * `listRuns` lists. Fields added by later versions are optional, so older records still read.
 *
 * @module
 */
import type { BackendName, MemeSenseConfig, Resolved, TaskName } from "../config/mod.ts";
import type { Split } from "../data/mod.ts";
import { openSealedJson } from "../util/mod.ts";
import type { CellGrid } from "./cells.ts";
import { runPath } from "./run_dir.ts";
import type { Variant } from "./variants.ts";

/** The settings a run directory's `config.json` records. */
export interface RunRecord extends CellGrid {
  /** Run name (the directory suffix). */
  readonly name: string;
  /** The title of the tables and report. */
  readonly title: string;
  /** When the run was created (ISO 8601). */
  readonly createdAt: string;
  /** The code's commit (`abc1234`, `-dirty` with uncommitted changes, or `unknown`). */
  readonly gitCommit: string;
  /** The base config every variant starts from. */
  readonly config: MemeSenseConfig;
  /** Tasks trained. */
  readonly tasks: readonly TaskName[];
  /** Seeds of every (variant, task). */
  readonly seeds: readonly number[];
  /** Head variants; the first is the main one. */
  readonly variants: readonly Variant[];
  /** The script that ran it (`reproduce`, `ablate`, `demo`; absent in older runs). */
  readonly script?: string;
  /** The training backend asked for (absent in older runs). */
  readonly backend?: BackendName | "auto";
  /** The CLIP model whose features were trained on. */
  readonly clipModel: string;
  /** Key of the feature store the cells were trained on. */
  readonly featureStore: string;
  /** The feature store's folder (absent in runs recorded before it was). */
  readonly featureStoreDir?: string;
  /** The cache root the store is in (absent in runs recorded before it was). */
  readonly cache?: string;
  /** The annotations: absolute CSV path and its SHA-256. */
  readonly dataset: { readonly csv: string; readonly sha256: string };
  /** Absolute image directory (null in runs recorded before it was). */
  readonly images: string | null;
  /** Whether the tables compare the main variant with the paper. */
  readonly compareWithPaper: boolean;
  /** Whether zero-shot and linear-probe baselines are run. */
  readonly baselines: boolean;
  /** Whether the main variant's first-seed heads are saved (absent in older runs). */
  readonly saveHeads?: boolean;
  /** Whether `predictions.csv` is written with the tables (absent in older runs). */
  readonly predictionsCsv?: boolean;
  /** Whether the report shows the gallery of confident errors. */
  readonly gallery?: boolean;
  /** Memes per split left out because their image is missing or unreadable. */
  readonly excludedWithoutImage?: Readonly<Record<Split, number>>;
  /** The bootstrap of the report's intervals (absent in runs recorded before it was). */
  readonly bootstrap?: {
    /** Resamples. */
    readonly replicates: number;
    /** Seed of the resampling. */
    readonly seed: number;
  };
  /** The script's flags as given and defaulted (absent for runs started from code). */
  readonly flags?: Readonly<Record<string, unknown>>;
  /**
   * Each setting as it was resolved when the run started: its value and whether it came from a
   * flag, the environment or the default (absent in runs recorded before it was).
   */
  readonly settings?: Readonly<Record<string, Resolved<unknown>>>;
}

/** Thrown when a directory is not a run directory or its record is unusable. */
export class RunRecordError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "RunRecordError";
  }
}

/** The fields a record must hold to be used at all. */
const REQUIRED = ["name", "config", "tasks", "seeds", "variants", "dataset"] as const;

/**
 * Reads `<runDir>/config.json` as written, every field, its seal checked but its fields not:
 * for comparing two runs' settings leaf by leaf. Throws {@linkcode RunRecordError} naming the
 * file when the directory has none or it is damaged. Everything else reads a record with
 * {@linkcode readRunRecord}.
 */
export async function readRecordJson(runDir: string): Promise<Record<string, unknown>> {
  const path = runPath(runDir, "config");
  const lost = "the run's settings are lost with it: restore the file from a copy, or start a " +
    "new run";
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    const cells = await Deno.stat(runPath(runDir, "cells")).then(() => true, () => false);
    throw new RunRecordError(
      cells
        ? `${path} is missing; ${lost}`
        : `${runDir} is not a run directory (no readable config.json)`,
    );
  }
  const opened = await openSealedJson(text);
  if (!opened.value) throw new RunRecordError(`${path} is damaged: ${opened.problem}; ${lost}`);
  return opened.value;
}

/**
 * Reads `<runDir>/config.json` as a {@linkcode RunRecord}: its seal checked, the fields every
 * reader needs present (`title` defaults to the name, `images` to null). Throws
 * {@linkcode RunRecordError} naming the file and what is wrong: not a run directory, missing,
 * damaged, or from a version too old to use.
 */
export async function readRunRecord(runDir: string): Promise<RunRecord> {
  const path = runPath(runDir, "config");
  const record = await readRecordJson(runDir) as unknown as RunRecord;
  for (const field of REQUIRED) {
    if (record[field] === undefined) {
      throw new RunRecordError(`${path}: no "${field}" (a run from an older version?)`);
    }
  }
  return { ...record, title: record.title ?? record.name, images: record.images ?? null };
}

/**
 * The command that repairs a run: `deno task <script> --resume <run-dir>` (the demo:
 * `deno task demo --resume latest`). The script is the one the run recorded, else the one its
 * name suggests.
 */
export function resumeCommand(
  runDir: string,
  record: { readonly name?: unknown; readonly script?: unknown } = {},
): string {
  const name = typeof record.name === "string" ? record.name : "";
  const script = typeof record.script === "string"
    ? record.script
    : name.startsWith("ablate")
    ? "ablate"
    : name.startsWith("demo")
    ? "demo"
    : "reproduce";
  return script === "demo"
    ? "deno task demo --resume latest"
    : `deno task ${script} --resume ${runDir}`;
}

/**
 * {@linkcode resumeCommand} for a run whose record may itself be damaged: the name and script are
 * read from `config.json` when it parses at all, else the command is the default script's. For
 * the messages about a run's other files, which must name their remedy whatever the record's
 * state.
 */
export async function resumeCommandOf(runDir: string): Promise<string> {
  let record: unknown = null;
  try {
    record = JSON.parse(await Deno.readTextFile(runPath(runDir, "config")));
  } catch { /* the command is still the script's */ }
  return resumeCommand(runDir, typeof record === "object" && record !== null ? record : {});
}
