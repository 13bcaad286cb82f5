/**
 * Run directories: the layout of one, its creation and its reading, in one place. Every other
 * module names a run's files through {@linkcode RUN_FILES} and the path functions here.
 *
 * A run directory is `<results root>/<YYYYMMDD-HHMMSS>-<name>/`, created fresh for every run
 * ({@linkcode createRunDir} never reuses a folder, so nothing is written over an earlier run).
 * Every file in it is written atomically (a temporary file, then a rename), so a reader sees a
 * whole file or none:
 *
 * | Path                              | Written by                       | When, and what                                                                  |
 * | --------------------------------- | -------------------------------- | ------------------------------------------------------------------------------- |
 * | `config.json`                     | `openRun`                        | once, at creation: every setting ({@linkcode RunRecord}); a resume checks it   |
 * | `cells/<key>.json`                | `runCells`                       | as each cell finishes: its metrics and curves, the resume points                |
 * | `predictions/<key>.safetensors`   | `runCells`                       | with each cell: its per-meme logits                                             |
 * | `heads/<task>/head.{json,safetensors}` | `runExperiment` (`saveHeads`) | the main variant's first seed, a head `deno task predict` loads                |
 * | `locks/<scope>.lock`              | `lockRunDir`                     | while a process trains in the directory (`all` or `shard-K-of-N`)               |
 * | `locks/aggregated`                | {@linkcode claimAggregation}     | by the one shard that writes the tables                                         |
 * | `slurm/`                          | `submitShards` (lib/cluster)     | per submission: sbatch scripts, `submissions.json`, `logs/shard-K-job-J.log`    |
 * | `baselines.json`                  | `writeRunOutputs`                | once every cell is in, when baselines were asked for                            |
 * | `table.md`, `metrics.csv`, `curves.json`, `report.html` | `writeRunOutputs` | once every cell is in                                                   |
 * | `metrics.json`                    | `writeRunOutputs`, last          | its presence marks the run finished                                             |
 * | `predictions.csv`                 | the demo                         | every cell's per-meme predictions as a table                                    |
 *
 * @module
 */
import { type MemeSenseConfig, RESULTS_ROOT, type TaskName } from "../config/mod.ts";
import { writeFileAtomic, writeJsonAtomic } from "../util/mod.ts";
import type { CellResult } from "./cells.ts";
import type { Variant } from "./variants.ts";

// The default results root is a setting's default (lib/config); runs are listed there.
export { RESULTS_ROOT };

/** The fixed files and folders of a run directory, relative to it (see the module's table). */
export const RUN_FILES = {
  /** The run's settings, written once at creation. */
  config: "config.json",
  /** One JSON per finished cell. */
  cells: "cells",
  /** One safetensors file of per-meme logits per finished cell. */
  predictions: "predictions",
  /** Saved heads, one folder per task. */
  heads: "heads",
  /** Lock files of the processes training in the directory. */
  locks: "locks",
  /** Created by the one process that writes the tables of a sharded run. */
  aggregated: "locks/aggregated",
  /** Slurm scripts, submissions and logs (laid out by lib/cluster). */
  slurm: "slurm",
  /** Baseline metrics. */
  baselines: "baselines.json",
  /** The Markdown tables. */
  table: "table.md",
  /** One row per cell and protocol. */
  metricsCsv: "metrics.csv",
  /** Every cell's training curves. */
  curves: "curves.json",
  /** The self-contained HTML report. */
  report: "report.html",
  /** Summaries, comparison and baselines; written last, it marks the run finished. */
  metrics: "metrics.json",
  /** Every cell's per-meme predictions as CSV (written by the demo). */
  predictionsCsv: "predictions.csv",
} as const;

/** A fixed file or folder of a run directory. */
export type RunFile = keyof typeof RUN_FILES;

/** The path of one of a run directory's fixed files or folders. */
export function runPath(runDir: string, file: RunFile): string {
  return `${runDir}/${RUN_FILES[file]}`;
}

/** `cells/<key>.json`: a finished cell's result. */
export function cellPath(runDir: string, key: string): string {
  return `${runDir}/${RUN_FILES.cells}/${key}.json`;
}

/** `predictions/<key>.safetensors`: a finished cell's per-meme logits. */
export function predictionsPath(runDir: string, key: string): string {
  return `${runDir}/${RUN_FILES.predictions}/${key}.safetensors`;
}

/** `heads/<task>/`: the saved head of a task. */
export function headDir(runDir: string, task: string): string {
  return `${runDir}/${RUN_FILES.heads}/${task}`;
}

/** `locks/<scope>.lock`: the lock of a process training `scope` (`all`, `shard-K-of-N`). */
export function lockPath(runDir: string, scope: string): string {
  return `${runDir}/${RUN_FILES.locks}/${scope}.lock`;
}

/** `YYYYMMDD-HHMMSS` of `date` in UTC, so names sort by time on every machine. */
export function runTimestamp(date: Date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${date.getUTCFullYear()}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}-` +
    `${p(date.getUTCHours())}${p(date.getUTCMinutes())}${p(date.getUTCSeconds())}`;
}

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const RUN_NAME = /^\d{8}-\d{6}/;

/** Options for {@linkcode createRunDir}. */
export interface CreateRunDirOptions {
  /** The time in the name (default: now). */
  readonly now?: Date;
}

/**
 * Creates `<resultsRoot>/<YYYYMMDD-HHMMSS>-<name>/` and returns its path. The root is created
 * if needed; the run folder itself is created without `recursive`, so an existing folder — from
 * the same second, or a concurrent process — is never reused: the next free name with a `-2`,
 * `-3`, … suffix is taken instead. `name` may hold letters, digits, `.`, `_` and `-`.
 */
export async function createRunDir(
  resultsRoot: string,
  name: string,
  options: CreateRunDirOptions = {},
): Promise<string> {
  if (!SAFE_NAME.test(name)) {
    throw new Error(
      `createRunDir: run name "${name}" must start with a letter or digit and hold only ` +
        "letters, digits, '.', '_' and '-'",
    );
  }
  await Deno.mkdir(resultsRoot, { recursive: true });
  const base = `${resultsRoot.replace(/\/+$/, "")}/${runTimestamp(options.now)}-${name}`;
  for (let attempt = 1; attempt <= 1000; attempt++) {
    const dir = attempt === 1 ? base : `${base}-${attempt}`;
    try {
      await Deno.mkdir(dir);
      return dir;
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    }
  }
  throw new Error(`createRunDir: 1000 folders named ${base}[-N] exist already`);
}

/**
 * Writes `content` to `<dir>/<file>` atomically (temporary file, then rename) and returns the
 * path. `file` is relative and may name a subfolder (`curves/hate-seed1.json`), which is
 * created; `..` is refused so that nothing lands outside the run folder. Objects are written
 * as pretty JSON.
 */
export async function writeRunFile(
  dir: string,
  file: string,
  content: string | Uint8Array | Record<string, unknown> | unknown[],
): Promise<string> {
  const parts = file.split("/");
  if (file.startsWith("/") || parts.some((p) => p === ".." || p === "." || p === "")) {
    throw new Error(`writeRunFile: "${file}" must be a relative path inside the run folder`);
  }
  if (parts.length > 1) {
    await Deno.mkdir(`${dir}/${parts.slice(0, -1).join("/")}`, { recursive: true });
  }
  const path = `${dir}/${file}`;
  const data = typeof content === "string" || content instanceof Uint8Array
    ? content
    : JSON.stringify(content, null, 2) + "\n";
  await writeFileAtomic(path, data);
  return path;
}

/** Writes a finished cell's result to `cells/<key>.json`, atomically; returns the path. */
export async function writeCellResult(runDir: string, result: CellResult): Promise<string> {
  await Deno.mkdir(runPath(runDir, "cells"), { recursive: true });
  const path = cellPath(runDir, result.key);
  await writeJsonAtomic(path, result);
  return path;
}

/** Reads every finished cell of a run directory (`cells/*.json`), in key order. */
export async function loadCellResults(runDir: string): Promise<CellResult[]> {
  const out: CellResult[] = [];
  const dir = runPath(runDir, "cells");
  try {
    for (const e of Deno.readDirSync(dir)) {
      if (!e.isFile || !e.name.endsWith(".json")) continue;
      const path = `${dir}/${e.name}`;
      try {
        out.push(JSON.parse(await Deno.readTextFile(path)));
      } catch (err) {
        throw new Error(`${path}: unreadable cell result (${(err as Error).message})`);
      }
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out.sort((a, b) => a.key.localeCompare(b.key));
}

/** The settings a run directory's `config.json` records. */
export interface RunRecord {
  /** Run name (the directory suffix). */
  readonly name: string;
  /** Report title. */
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
  /** The CLIP model whose features were trained on. */
  readonly clipModel: string;
  /** Key of the feature store the cells were trained on. */
  readonly featureStore: string;
  /** The annotations: absolute CSV path and its SHA-256. */
  readonly dataset: { readonly csv: string; readonly sha256: string };
  /** Absolute image directory (null in runs recorded before it was). */
  readonly images: string | null;
  /** Whether the tables compare the main variant with the paper. */
  readonly compareWithPaper: boolean;
  /** Whether zero-shot and linear-probe baselines are run. */
  readonly baselines: boolean;
  /** Whether the report shows the gallery of confident errors. */
  readonly gallery?: boolean;
  /** The bootstrap of the report's intervals (absent in runs recorded before it was). */
  readonly bootstrap?: {
    /** Resamples. */
    readonly replicates: number;
    /** Seed of the resampling. */
    readonly seed: number;
  };
}

/** Thrown when a directory is not a run directory or its record is unusable. */
export class RunRecordError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "RunRecordError";
  }
}

/**
 * Reads `<runDir>/config.json` as written, every field included. Throws
 * {@linkcode RunRecordError} when the directory has none or it is not JSON.
 */
export async function readRunConfig(runDir: string): Promise<Record<string, unknown>> {
  const path = runPath(runDir, "config");
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    throw new RunRecordError(`${runDir} is not a run directory (no readable config.json)`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new RunRecordError(`${path}: not JSON (${(e as Error).message})`);
  }
}

/**
 * Reads `<runDir>/config.json` as a {@linkcode RunRecord}, checking the fields a report, status
 * or resume needs. Throws {@linkcode RunRecordError}.
 */
export async function readRunRecord(runDir: string): Promise<RunRecord> {
  const record = await readRunConfig(runDir) as unknown as RunRecord;
  for (const field of ["name", "config", "tasks", "seeds", "variants", "dataset"] as const) {
    if (record[field] === undefined) {
      throw new RunRecordError(
        `${runPath(runDir, "config")}: no "${field}" (a run from an older version?)`,
      );
    }
  }
  return { ...record, title: record.title ?? record.name, images: record.images ?? null };
}

/** Whether the run has finished: its `metrics.json`, written last, exists. */
export async function runFinished(runDir: string): Promise<boolean> {
  try {
    await Deno.stat(runPath(runDir, "metrics"));
    return true;
  } catch {
    return false;
  }
}

/** A run directory found on disk. */
export interface RunInfo {
  /** The run directory. */
  readonly dir: string;
  /** Its folder name (`<timestamp>-<name>`). */
  readonly name: string;
  /** Parsed `config.json` (the experiment's settings). */
  readonly meta: Record<string, unknown>;
  /** Whether `metrics.json` exists (the run finished). */
  readonly finished: boolean;
}

/** Lists run directories under `root`, newest first; folders without a readable record are skipped. */
export async function listRuns(root: string = RESULTS_ROOT): Promise<RunInfo[]> {
  const runs: RunInfo[] = [];
  let entries: Deno.DirEntry[] = [];
  try {
    entries = [...Deno.readDirSync(root)];
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
  for (const e of entries) {
    if (!e.isDirectory || !RUN_NAME.test(e.name)) continue;
    const dir = `${root}/${e.name}`;
    let meta: Record<string, unknown>;
    try {
      meta = await readRunConfig(dir);
    } catch {
      continue;
    }
    runs.push({ dir, name: e.name, meta, finished: await runFinished(dir) });
  }
  return runs.sort((a, b) => b.name.localeCompare(a.name));
}

/**
 * The newest run named `name` under `root` that has not finished (no `metrics.json`): what
 * `--resume latest` continues. Throws when there is none, naming the finished ones if any.
 */
export async function latestUnfinishedRun(root: string, name: string): Promise<string> {
  const runs = (await listRuns(root)).filter((r) => r.meta.name === name);
  const open = runs.find((r) => !r.finished);
  if (open) return open.dir;
  throw new Error(
    `--resume latest: no unfinished "${name}" run under ${root}` +
      (runs.length > 0 ? ` (the newest, ${runs[0].dir}, has finished)` : ""),
  );
}

/**
 * Claims the writing of a run's tables and report for one process: the first to create
 * `locks/aggregated` wins; others get false. `deno task report` does not need the claim.
 */
export async function claimAggregation(runDir: string): Promise<boolean> {
  await Deno.mkdir(runPath(runDir, "locks"), { recursive: true });
  try {
    await Deno.writeTextFile(runPath(runDir, "aggregated"), `${Deno.pid}@${Deno.hostname()}\n`, {
      createNew: true,
    });
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) return false;
    throw e;
  }
}
