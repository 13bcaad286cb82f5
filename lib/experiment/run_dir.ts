/**
 * Run directories: the layout of one, its creation and its reading, in one place. Every other
 * module names a run's files through {@linkcode RUN_FILES} and the path functions here.
 *
 * A run directory is `<results root>/<YYYYMMDD-HHMMSS>-<name>/`, created fresh for every run
 * ({@linkcode createRunDir} never reuses a folder, so nothing is written over an earlier run).
 * Every file in it is written atomically (a temporary file, then a rename), so a reader sees a
 * whole file or none. The layout, one row per file ({@linkcode RUN_LAYOUT} holds the same rows,
 * and the fault-injection tests take their list of files from it); the kind says what a file
 * that is missing, cut short or altered means (see `run_integrity.ts`):
 *
 * | Path                            | Kind    | Written by                    | When, and what                                                                  |
 * | ------------------------------- | ------- | ----------------------------- | ------------------------------------------------------------------------------- |
 * | `config.json`                   | record  | `openRun`                     | once, at creation: every setting ({@linkcode RunRecord}), sealed; a resume checks it |
 * | `predictions/<key>.safetensors` | cell    | `runCells`                    | with each cell, first: its per-meme logits                                      |
 * | `heads/<task>/head.safetensors` | cell    | `runExperiment` (`saveHeads`) | with the main variant's first seed: the head `deno task predict` loads          |
 * | `heads/<task>/head.json`        | cell    | `runExperiment` (`saveHeads`) | with it: the head's config, classes, CLIP model and feature store               |
 * | `cells/<key>.json`              | cell    | `runCells`                    | last of its cell: metrics, curves, the files it owns with sizes and SHA-256, sealed |
 * | `baselines.json`                | output  | `writeRunOutputs`             | once every cell is in, when baselines were asked for                            |
 * | `table.md`                      | output  | `writeRunOutputs`             | once every cell is in                                                           |
 * | `metrics.csv`                   | output  | `writeRunOutputs`             | once every cell is in                                                           |
 * | `curves.json`                   | output  | `writeRunOutputs`             | once every cell is in                                                           |
 * | `report.html`                   | output  | `writeRunOutputs`             | once every cell is in                                                           |
 * | `predictions.csv`               | output  | `writeRunOutputs`             | with the tables, when asked for (the demo): every cell's per-meme predictions   |
 * | `metrics.json`                  | output  | `writeRunOutputs`, last       | every output with its size and SHA-256, sealed: intact, it marks the run finished |
 * | `locks/<scope>.lock`            | lock    | `lockRunDir`                  | while a process trains in the directory (`all` or `shard-K-of-N`)               |
 * | `locks/aggregated`              | lock    | {@linkcode claimAggregation}  | by the one shard that writes the tables                                         |
 * | `slurm/submissions.json`        | cluster | `submitShards` (lib/cluster)  | per submission, with its sbatch scripts and `logs/shard-K-job-J.log`            |
 *
 * @module
 */
import { type MemeSenseConfig, RESULTS_ROOT, type TaskName, UsageError } from "../config/mod.ts";
import { ensureDir, openSealedJson, writeFileAtomic } from "../util/mod.ts";
import { type OwnedFile, ownedFileProblem } from "./_seal.ts";
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
 *   and `deno task report` or `--resume` writes them again;
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
  { path: RUN_FILES.config, kind: "record", writtenBy: "openRun" },
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
  { path: `${RUN_FILES.cells}/<key>.json`, kind: "cell", writtenBy: "runCells" },
  { path: RUN_FILES.baselines, kind: "output", writtenBy: "writeRunOutputs" },
  { path: RUN_FILES.table, kind: "output", writtenBy: "writeRunOutputs" },
  { path: RUN_FILES.metricsCsv, kind: "output", writtenBy: "writeRunOutputs" },
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
  /** The feature store's folder (absent in runs recorded before it was). */
  readonly featureStoreDir?: string;
  /** The cache root the store is in (absent in runs recorded before it was). */
  readonly cache?: string;
  /** The script that ran it (`reproduce`, `ablate`, `demo`; absent in older runs). */
  readonly script?: string;
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

/** A bad `--resume` (exit status 2): nothing to resume, or a setting that contradicts the run. */
export class ResumeError extends UsageError {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "ResumeError";
  }
}

/**
 * Reads `<runDir>/config.json` as written, every field included. Throws
 * {@linkcode RunRecordError} when the directory has none or it is not JSON.
 */
export async function readRunConfig(runDir: string): Promise<Record<string, unknown>> {
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

/**
 * Whether the run has finished: its `metrics.json`, written last, is intact and every output it
 * lists has its recorded size (see {@linkcode checkOutputs} for the full check).
 */
export async function runFinished(runDir: string): Promise<boolean> {
  return (await checkOutputs(runDir, false)).complete;
}

/** The outputs `metrics.json` vouches for, and the cells its tables count, checked. */
export interface OutputsCheck {
  /** `metrics.json` is there, intact, and every output it lists is as written. */
  readonly complete: boolean;
  /** Whether `metrics.json` exists at all (the tables were written once). */
  readonly written: boolean;
  /** Each output's problem as `<path relative to the run>: <what is wrong>`. */
  readonly problems: readonly string[];
  /** Each problem of a cell the tables count (its record or a file it owns), likewise. */
  readonly cellProblems: readonly string[];
}

/**
 * Checks the run's outputs: `metrics.json` (sealed), each output it lists, and each cell its
 * tables count — the cell's record and the files it owns. With `hash` false the files' sizes
 * are compared, not their checksums (for listings of many runs).
 */
export async function checkOutputs(runDir: string, hash = true): Promise<OutputsCheck> {
  const none = { complete: false, written: true, cellProblems: [] };
  let text: string;
  try {
    text = await Deno.readTextFile(runPath(runDir, "metrics"));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { ...none, written: false, problems: [] };
    return { ...none, problems: [`${RUN_FILES.metrics}: unreadable (${(e as Error).message})`] };
  }
  const opened = await openSealedJson(text);
  if (!opened.value) return { ...none, problems: [`${RUN_FILES.metrics}: ${opened.problem}`] };
  const problemOf = async (f: OwnedFile) => {
    if (hash) return await ownedFileProblem(runDir, f);
    const st = await Deno.stat(`${runDir}/${f.path}`).catch(() => null);
    return !st ? "missing" : st.size !== f.size ? `${st.size} bytes, expected ${f.size}` : null;
  };
  const problems: string[] = [];
  for (const f of (opened.value.outputs ?? []) as OwnedFile[]) {
    const problem = await problemOf(f);
    if (problem) problems.push(`${f.path}: ${problem}`);
  }
  // The tables count these cells: each must still be as it was, with every file it owns.
  const cellProblems: string[] = [];
  for (const cell of (opened.value.cells ?? []) as { key?: string }[]) {
    if (typeof cell?.key !== "string") continue;
    const file = cellFile(cell.key);
    let record: string;
    try {
      record = await Deno.readTextFile(`${runDir}/${file}`);
    } catch {
      cellProblems.push(`${file}: missing`);
      continue;
    }
    const cellRecord = await openSealedJson(record);
    if (!cellRecord.value) {
      cellProblems.push(`${file}: ${cellRecord.problem}`);
      continue;
    }
    for (const f of (cellRecord.value.files ?? []) as OwnedFile[]) {
      const problem = await problemOf(f);
      if (problem) cellProblems.push(`${f.path}: ${problem}`);
    }
  }
  return {
    complete: problems.length === 0 && cellProblems.length === 0,
    written: true,
    problems,
    cellProblems,
  };
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
  await ensureDir(runPath(runDir, "locks"));
  try {
    await writeFileAtomic(runPath(runDir, "aggregated"), `${Deno.pid}@${Deno.hostname()}\n`, {
      exclusive: true,
    });
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) return false;
    throw e;
  }
}
