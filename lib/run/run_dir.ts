/**
 * Run directories: the layout of one and its creation, in one place. Every other module names a
 * run's files through {@linkcode RUN_FILES} and the path functions here.
 *
 * A run directory is `<results root>/<YYYYMMDD-HHMMSS>-<name>/`, created fresh for every run
 * ({@linkcode createRunDir} never reuses a folder, so nothing is written over an earlier run).
 * Every file in it is written atomically (a temporary file, then a rename), so a reader sees a
 * whole file or none. The layout, one row per file ({@linkcode RUN_LAYOUT} holds the same rows,
 * and the fault-injection tests take their list of files from it); the kind says what a file
 * that is missing, cut short or altered means (see `integrity.ts`):
 *
 * | Path                                                  | Kind    | Written by                    | When, and what                                                                      |
 * | ----------------------------------------------------- | ------- | ----------------------------- | ----------------------------------------------------------------------------------- |
 * | `config.json`                                         | record  | `openRunDir`                  | once, at creation: every setting (`RunRecord`), sealed; a resume checks it          |
 * | `predictions/<key>.safetensors`                       | cell    | `runCells`                    | with each cell, first: its per-meme logits                                          |
 * | `heads/<task>/head.safetensors`                       | cell    | `runExperiment` (`saveHeads`) | with the main variant's first seed: the head `deno task predict` loads              |
 * | `heads/<task>/head.json`                              | cell    | `runExperiment` (`saveHeads`) | with it: the head's config, classes, CLIP model and feature store                   |
 * | `transfer/<target>/<key>.safetensors`                 | cell    | `runExperiment` (`transfer`)  | with each cell of a transfer run: its logits on that target's test memes            |
 * | `tensorboard/<key>/events.out.tfevents.<time>.<host>` | cell    | `runCells`                    | with each cell: its curves, selections and settings for TensorBoard                 |
 * | `cells/<key>.json`                                    | cell    | `runCells`                    | last of its cell: metrics, curves, the files it owns with sizes and SHA-256, sealed |
 * | `baselines.json`                                      | output  | `writeRunOutputs`             | once every cell is in, when baselines were asked for                                |
 * | `table.md`                                            | output  | `writeRunOutputs`             | once every cell is in                                                               |
 * | `metrics.csv`                                         | output  | `writeRunOutputs`             | once every cell is in: a row per cell and protocol, test metrics                    |
 * | `metrics_long.csv`                                    | output  | `writeRunOutputs`             | once every cell is in: a row per cell, protocol, split, metric (and class)          |
 * | `metrics_summary.csv`                                 | output  | `writeRunOutputs`             | once every cell is in: mean, std, intervals per variant, task, protocol, metric     |
 * | `curves.json`                                         | output  | `writeRunOutputs`             | once every cell is in                                                               |
 * | `report.html`                                         | output  | `writeRunOutputs`             | once every cell is in                                                               |
 * | `predictions.csv`                                     | output  | `writeRunOutputs`             | with the tables, when asked for (the demo): every cell's per-meme predictions       |
 * | `metrics.json`                                        | output  | `writeRunOutputs`, last       | every output with its size and SHA-256, sealed: intact, it marks the run finished   |
 * | `locks/<scope>.lock`                                  | lock    | `lockRunDir`                  | while a process trains in the directory (`all` or `shard-K-of-N`)                   |
 * | `locks/aggregated`                                    | lock    | `claimAggregation`            | by the one shard that writes the tables                                             |
 * | `slurm/submissions.json`                              | cluster | `submitShards` (lib/cluster)  | per submission, with its sbatch scripts and `logs/shard-K-job-J.log`                |
 *
 * @module
 */
import { ensureDir, writeFileAtomic } from "../util/mod.ts";

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
  /** A transfer run's per-meme logits on each target's test split, one folder per target. */
  transfer: "transfer",
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
  /** One row per cell and protocol: the test metrics at the selected epoch. */
  metricsCsv: "metrics.csv",
  /** One row per cell, protocol, split and metric (and class): the long format. */
  metricsLong: "metrics_long.csv",
  /** One row per variant, task, protocol, split and metric: mean, std and intervals over seeds. */
  metricsSummary: "metrics_summary.csv",
  /** One TensorBoard event folder per finished cell. */
  tensorboard: "tensorboard",
  /** Every cell's training curves. */
  curves: "curves.json",
  /** The self-contained HTML report. */
  report: "report.html",
  /** Summaries, comparison and baselines; written last, it marks the run finished. */
  metrics: "metrics.json",
  /** Every cell's per-meme predictions as CSV (written with the tables when asked for: the demo). */
  predictionsCsv: "predictions.csv",
} as const;

/** A fixed file or folder of a run directory. */
export type RunFile = keyof typeof RUN_FILES;

/**
 * What a file of a run directory is, and so what one missing, cut short or altered means:
 *
 * - `record`: the run's settings (`config.json`); nothing in the run can rebuild it, so every
 *   reader stops naming it;
 * - `cell`: owned by one cell, whose record lists it with its size and SHA-256; the cell is then
 *   incomplete, and `--resume` trains it again;
 * - `output`: a table or report, listed by `metrics.json`; the run's tables are then incomplete,
 *   and `deno task aggregate` or `--resume` writes them again;
 * - `lock`: a marker of a process at work; one that does not read is taken over;
 * - `cluster`: the Slurm submissions' record, scripts and logs (lib/cluster).
 */
export type RunFileKind = "record" | "cell" | "output" | "lock" | "cluster";

/** One file of a run directory's layout (a row of the module's table). */
export interface RunLayoutEntry {
  /** Its path relative to the run directory; `<key>`, `<task>`, `<scope>` stand for any. */
  readonly path: string;
  /** What it is. */
  readonly kind: RunFileKind;
  /** Who writes it. */
  readonly writtenBy: string;
}

/** Every file a run directory holds, in the order they are written (the module's table). */
export const RUN_LAYOUT: readonly RunLayoutEntry[] = [
  { path: RUN_FILES.config, kind: "record", writtenBy: "openRunDir" },
  { path: `${RUN_FILES.predictions}/<key>.safetensors`, kind: "cell", writtenBy: "runCells" },
  {
    path: `${RUN_FILES.heads}/<task>/head.safetensors`,
    kind: "cell",
    writtenBy: "runExperiment (saveHeads)",
  },
  {
    path: `${RUN_FILES.heads}/<task>/head.json`,
    kind: "cell",
    writtenBy: "runExperiment (saveHeads)",
  },
  {
    path: `${RUN_FILES.transfer}/<target>/<key>.safetensors`,
    kind: "cell",
    writtenBy: "runExperiment (transfer)",
  },
  {
    path: `${RUN_FILES.tensorboard}/<key>/events.out.tfevents.<time>.<host>`,
    kind: "cell",
    writtenBy: "runCells",
  },
  { path: `${RUN_FILES.cells}/<key>.json`, kind: "cell", writtenBy: "runCells" },
  { path: RUN_FILES.baselines, kind: "output", writtenBy: "writeRunOutputs" },
  { path: RUN_FILES.table, kind: "output", writtenBy: "writeRunOutputs" },
  { path: RUN_FILES.metricsCsv, kind: "output", writtenBy: "writeRunOutputs" },
  { path: RUN_FILES.metricsLong, kind: "output", writtenBy: "writeRunOutputs" },
  { path: RUN_FILES.metricsSummary, kind: "output", writtenBy: "writeRunOutputs" },
  { path: RUN_FILES.curves, kind: "output", writtenBy: "writeRunOutputs" },
  { path: RUN_FILES.report, kind: "output", writtenBy: "writeRunOutputs" },
  { path: RUN_FILES.predictionsCsv, kind: "output", writtenBy: "writeRunOutputs" },
  { path: RUN_FILES.metrics, kind: "output", writtenBy: "writeRunOutputs, last" },
  { path: `${RUN_FILES.locks}/<scope>.lock`, kind: "lock", writtenBy: "lockRunDir" },
  { path: RUN_FILES.aggregated, kind: "lock", writtenBy: "claimAggregation" },
  {
    path: `${RUN_FILES.slurm}/submissions.json`,
    kind: "cluster",
    writtenBy: "submitShards (lib/cluster)",
  },
];

/** The path of one of a run directory's fixed files or folders. */
export function runPath(runDir: string, file: RunFile): string {
  return `${runDir}/${RUN_FILES[file]}`;
}

/** `cells/<key>.json`, relative to the run directory: a finished cell's record. */
export function cellFile(key: string): string {
  return `${RUN_FILES.cells}/${key}.json`;
}

/** `<runDir>/cells/<key>.json`: a finished cell's record. */
export function cellPath(runDir: string, key: string): string {
  return `${runDir}/${cellFile(key)}`;
}

/** `predictions/<key>.safetensors`, relative to the run directory: a cell's per-meme logits. */
export function predictionsFile(key: string): string {
  return `${RUN_FILES.predictions}/${key}.safetensors`;
}

/** `<runDir>/predictions/<key>.safetensors`: a finished cell's per-meme logits. */
export function predictionsPath(runDir: string, key: string): string {
  return `${runDir}/${predictionsFile(key)}`;
}

/**
 * `transfer/<target>/<key>.safetensors`, relative to the run directory: a transfer cell's
 * per-meme logits on one target's test split.
 */
export function transferPredictionsFile(target: string, key: string): string {
  return `${RUN_FILES.transfer}/${target}/${key}.safetensors`;
}

/**
 * `tensorboard/<key>`, relative to the run directory: a cell's TensorBoard run, one event file
 * (so `tensorboard --logdir results/` lists every cell of every run by its folder).
 */
export function tensorboardFolder(key: string): string {
  return `${RUN_FILES.tensorboard}/${key}`;
}

/** `heads/<task>`, relative to the run directory: the saved head of a task. */
export function headFolder(task: string): string {
  return `${RUN_FILES.heads}/${task}`;
}

/** `<runDir>/heads/<task>/`: the saved head of a task. */
export function headDir(runDir: string, task: string): string {
  return `${runDir}/${headFolder(task)}`;
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

/** A run folder's name starts with its creation time: `YYYYMMDD-HHMMSS`. */
export const RUN_NAME: RegExp = /^\d{8}-\d{6}/;

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
  await ensureDir(resultsRoot);
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
    await ensureDir(`${dir}/${parts.slice(0, -1).join("/")}`);
  }
  const path = `${dir}/${file}`;
  const data = typeof content === "string" || content instanceof Uint8Array
    ? content
    : JSON.stringify(content, null, 2) + "\n";
  await writeFileAtomic(path, data);
  return path;
}
