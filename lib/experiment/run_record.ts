/**
 * A run directory read back (its layout and record: `run_dir.ts`): the report written from
 * its finished cells (`deno task report <run-dir>`, the same aggregation a single-machine run
 * ends with), and its status — finished, running, queued, failed and missing cells, with the
 * Slurm job states and the failing shards' last log lines.
 *
 * @module
 */
import { resolve } from "node:path";
import {
  accountingStates,
  queueStates,
  readSubmissions,
  shardLogPath,
  SlurmError,
} from "../cluster/mod.ts";
import { imagesBeside } from "../config/mod.ts";
import { exists } from "../util/mod.ts";
import { type Cell, cellKey, type CellResult } from "./cells.ts";
import { experimentCells, type ExperimentOutcome, writeRunOutputs } from "./experiment.ts";
import { loadRunInputs, storeCandidates } from "./inputs.ts";
import { listRunLocks, lockRunDir, parseScope, type RunLock, RunLockedError } from "./_lock.ts";
import {
  cellFile,
  checkOutputs,
  latestUnfinishedRun,
  readRunRecord,
  resumeCommand,
  ResumeError,
  type RunRecord,
  RunRecordError,
} from "./run_dir.ts";
import { checkCells, incompleteCellsError, RunIntegrityError } from "./run_integrity.ts";
import { cellsInKeyOrder, shardOf } from "./_shard.ts";

/** The cells a run's record describes. */
export function recordCells(record: RunRecord): Cell[] {
  return experimentCells({
    variants: record.variants,
    tasks: record.tasks,
    seeds: record.seeds,
    baseConfig: record.config,
  });
}

/**
 * The results of every cell of a run, after checking that each is complete (its record and
 * every file it owns as written). Throws a {@linkcode RunIntegrityError} naming the files, what
 * is wrong with each and the command that trains them again, when a cell is missing or not
 * complete: every table, comparison and export is made from all of a run's seeds or not at all.
 */
export async function completeCells(
  runDir: string,
  record?: RunRecord,
): Promise<CellResult[]> {
  record ??= await readRunRecord(runDir);
  const cells = recordCells(record);
  const wanted = new Set(cells.map(cellKey));
  const checks = (await checkCells(runDir)).filter((c) => wanted.has(c.key));
  const command = resumeCommand(runDir, record);
  const bad = checks.filter((c) => c.condition !== "complete");
  if (bad.length > 0) throw incompleteCellsError(runDir, bad, cells.length, command);
  const done = new Set(checks.map((c) => c.key));
  const missing = cells.filter((c) => !done.has(cellKey(c)));
  if (missing.length > 0) {
    throw new RunIntegrityError(
      `${runDir}: ${missing.length} of ${cells.length} cells have not finished ` +
        `(${missing.slice(0, 3).map(cellKey).join(", ")}${missing.length > 3 ? ", …" : ""}); ` +
        `to train them: ${command} (deno task status ${runDir} says where each stands)`,
      missing.map((c) => cellFile(cellKey(c))),
    );
  }
  return checks.map((c) => c.result!);
}

/**
 * Writes a run's tables and report from its finished cells, exactly as the run itself would
 * once its last cell is in, from the feature store the run recorded (or the one in
 * `options.cacheDir`), which it never extracts. Refuses, with a {@linkcode RunIntegrityError} naming the files and
 * the command that trains them again, while cells are missing or incomplete (a file they own
 * missing, cut short or altered); and while a process still trains in the directory.
 */
export async function reportRun(
  runDir: string,
  log: (line: string) => void = (l) => console.error(l),
  options: { readonly cacheDir?: string } = {},
): Promise<Omit<ExperimentOutcome, "trained" | "pending" | "shard">> {
  const t0 = performance.now();
  const record = await readRunRecord(runDir);
  const lock = await lockWhenFree(runDir, log);
  try {
    const results = await completeCells(runDir, record);
    // The store the run recorded, never extracted again.
    const inputs = await loadRunInputs({
      runDir,
      dataset: record.dataset,
      images: record.images ?? imagesBeside(record.dataset.csv),
      clipModel: record.clipModel,
      featureStore: record.featureStore,
      featureStoreDir: record.featureStoreDir,
    }, { cacheDir: options.cacheDir });
    if (inputs.featureKey !== record.featureStore) {
      throw new RunRecordError(
        `${runDir}: its cells were trained on feature store ${record.featureStore}, but ` +
          `${inputs.featureDir} is ${inputs.featureKey}; the report would not match`,
      );
    }
    return await writeRunOutputs({
      spec: { ...record, inputs },
      runDir,
      results,
      seconds: (performance.now() - t0) / 1000,
    });
  } finally {
    await lock.release();
  }
}

/**
 * The whole-run lock, for the report. Under Slurm the report job starts once the array tasks
 * have ended, which a cancelled task's process may outlive by a moment: there it waits up to a
 * minute for the shards' processes to exit.
 */
async function lockWhenFree(runDir: string, log: (line: string) => void): Promise<RunLock> {
  const deadline = performance.now() + (Deno.env.get("SLURM_JOB_ID") ? 60_000 : 0);
  for (let said = false;; said = true) {
    try {
      return await lockRunDir(runDir, undefined, log);
    } catch (e) {
      if (!(e instanceof RunLockedError) || performance.now() > deadline) throw e;
      if (!said) log(`${e.message.split(";")[0]}: waiting up to a minute for it to exit`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/**
 * Where a cell stands: `damaged` is a cell whose record exists but which is not complete (a file
 * it owns missing, cut short or altered); `--resume` trains it again.
 */
export type CellState = "finished" | "running" | "queued" | "failed" | "missing" | "damaged";

/** One cell's status. */
export interface CellStatus {
  /** The cell's key (`cells/<key>.json`). */
  readonly key: string;
  /** Where it stands. */
  readonly state: CellState;
  /** The shard (of the latest Slurm submission covering it), if any. */
  readonly shard?: number;
  /** The log of the Slurm task that ran (or runs) the cell. */
  readonly log?: string;
  /** What is wrong with a damaged cell's files, each as `<path>: <what>`. */
  readonly problems?: readonly string[];
}

/** A run directory's status. */
export interface RunStatus {
  /** The run directory. */
  readonly runDir: string;
  /** The run's name. */
  readonly name: string;
  /** Cells of the run. */
  readonly total: number;
  /** Every cell, in key order. */
  readonly cells: readonly CellStatus[];
  /** Cells per state. */
  readonly counts: Readonly<Record<CellState, number>>;
  /** Tables and report written and intact (`metrics.json` and every output it lists). */
  readonly reported: boolean;
  /** What is wrong with the tables and report, each as `<path>: <what>` (empty when intact). */
  readonly outputProblems: readonly string[];
  /** Whether tables were written once (`metrics.json` exists), intact or not. */
  readonly outputsWritten: boolean;
  /** The command that trains the missing and damaged cells and writes the tables. */
  readonly resumeCommand: string;
  /** Slurm job states by id (`<array>_<task>`, report job), from squeue or sacct. */
  readonly jobs: ReadonlyMap<string, string>;
  /** Where the job states came from. */
  readonly jobSource: "squeue" | "squeue+sacct" | "none";
  /** The last lines of each failed shard's log, by shard. */
  readonly failedLogs: ReadonlyMap<number, { path: string; tail: string[] }>;
  /** Processes working in the directory now (lock files). */
  readonly workers: readonly string[];
  /** The feature store the run was trained on: where it is, or that it is nowhere to be found. */
  readonly features?: {
    /** The store key. */
    readonly key: string;
    /** Where the store was found (or looked for first). */
    readonly dir: string;
    /** The folder the run recorded (absent in older runs). */
    readonly recorded?: string;
    /** Whether the store is there. */
    readonly present: boolean;
  };
}

async function tail(path: string, lines: number): Promise<string[]> {
  try {
    const text = await Deno.readTextFile(path);
    return text.trimEnd().split("\n").slice(-lines);
  } catch {
    return [];
  }
}

/**
 * The status of a run directory: each cell finished, running (a live process or Slurm task
 * holds its shard), queued (its Slurm task waits), failed (its Slurm task ended without it) or
 * missing (never attempted, or interrupted on a machine with no record of why).
 */
export async function runStatus(
  runDir: string,
  logLines = 10,
  options: { readonly cacheDir?: string } = {},
): Promise<RunStatus> {
  const record = await readRunRecord(runDir);
  const cells = cellsInKeyOrder(recordCells(record));
  const checks = await checkCells(runDir);
  const done = new Set(checks.filter((c) => c.condition === "complete").map((c) => c.key));
  const damaged = new Map(
    checks.filter((c) => c.condition !== "complete").map((c) => [c.key, c.problems]),
  );
  const submissions = await readSubmissions(runDir).catch((e) => {
    if (!(e instanceof SlurmError)) throw e;
    throw new SlurmError(
      `${e.message}; it only records the run's Slurm jobs: remove it, then ${
        resumeCommand(runDir, record)
      } --executor slurm submits the missing cells again`,
    );
  });
  const last = submissions.at(-1);
  const jobIds = submissions.flatMap((s) => [s.arrayJob, s.reportJob]);
  const queued = await queueStates(jobIds);
  const accounted = queued && jobIds.length > 0 ? await accountingStates(jobIds) : null;
  const jobs = new Map<string, string>([...(accounted ?? []), ...(queued ?? [])]);
  const locks = await listRunLocks(runDir);
  const liveScopes = new Set(locks.filter((l) => l.running !== false).map((l) => l.scope));
  const statuses: CellStatus[] = [];
  const failedLogs = new Map<number, { path: string; tail: string[] }>();
  for (const [i, cell] of cells.entries()) {
    const key = cellKey(cell);
    if (done.has(key)) {
      statuses.push({ key, state: "finished" });
      continue;
    }
    if (damaged.has(key) && !liveScopes.size) {
      statuses.push({ key, state: "damaged", problems: damaged.get(key) });
      continue;
    }
    if (!last) {
      const shardLocked = [...liveScopes].some((scope) => {
        const shard = parseScope(scope);
        return scope === "all" || (shard && shardOf(i, shard.count) === shard.index);
      });
      statuses.push({ key, state: shardLocked ? "running" : "missing" });
      continue;
    }
    const shard = shardOf(i, last.count);
    const covering = [...submissions].reverse().find((s) => s.shards.includes(shard));
    if (!covering) {
      statuses.push({ key, state: "missing", shard });
      continue;
    }
    const log = shardLogPath(runDir, shard, covering.arrayJob);
    const state = jobs.get(`${covering.arrayJob}_${shard}`) ??
      (queued?.has(covering.arrayJob) ? "PENDING" : undefined);
    const cellState: CellState = queued === null && !state
      ? "missing"
      : state === "RUNNING" || state === "COMPLETING"
      ? "running"
      : state === "PENDING" || state === "CONFIGURING"
      ? "queued"
      : "failed";
    statuses.push({ key, state: cellState, shard, log });
    if (cellState === "failed" && !failedLogs.has(shard)) {
      failedLogs.set(shard, { path: log, tail: await tail(log, logLines) });
    }
  }
  const counts = { finished: 0, running: 0, queued: 0, failed: 0, missing: 0, damaged: 0 };
  for (const s of statuses) counts[s.state]++;
  const outputs = await checkOutputs(runDir);
  return {
    runDir,
    name: record.name,
    total: cells.length,
    cells: statuses,
    counts,
    reported: outputs.complete,
    outputProblems: outputs.problems,
    outputsWritten: outputs.written,
    resumeCommand: resumeCommand(runDir, record),
    features: await findStore(record, options.cacheDir),
    jobs,
    jobSource: queued === null ? "none" : accounted ? "squeue+sacct" : "squeue",
    failedLogs,
    workers: locks.map((l) =>
      `${l.scope} pid ${l.pid} on ${l.host}${l.slurmJob ? ` (Slurm ${l.slurmJob})` : ""}: ${
        l.running === true ? "running" : l.running === false ? "gone (stale lock)" : "unknown"
      }`
    ),
  };
}

/** The run `--resume` continues, with the inputs restored from its record. */
export interface ResumeTarget {
  /** The run directory continued. */
  readonly runDir: string;
  /** Its record (`config.json`). */
  readonly record: RunRecord;
  /** The CSV the run was started with. */
  readonly data: string;
  /** The image directory the run was started with. */
  readonly images: string;
  /** The CLIP model the run was started with. */
  readonly model: string;
  /** Cells finished so far, of `total`. */
  readonly finished: number;
  /** Cells of the run. */
  readonly total: number;
}

/**
 * Resolves `--resume` (a run directory, or `latest`: the newest unfinished run named `name`
 * under `outRoot`) and restores the data, images and CLIP model the run started with. A flag
 * given explicitly with another value is a {@linkcode ResumeError} naming both values.
 */
export async function resolveResume(
  resume: string,
  where: { readonly outRoot: string; readonly name: string },
  given: { readonly data?: string; readonly images?: string; readonly model?: string },
): Promise<ResumeTarget> {
  let runDir = resume;
  if (resume === "latest") {
    try {
      runDir = await latestUnfinishedRun(where.outRoot, where.name);
    } catch (e) {
      throw new ResumeError((e as Error).message);
    }
  }
  let record: RunRecord;
  try {
    record = await readRunRecord(runDir);
  } catch (e) {
    throw new ResumeError(`--resume ${resume}: ${(e as Error).message}`);
  }
  const data = record.dataset.csv;
  const images = record.images ?? imagesBeside(data);
  const model = record.clipModel;
  const differs = (flag: string, value: string | undefined, saved: string, path: boolean) => {
    if (value === undefined) return;
    if (path ? resolve(value) === resolve(saved) : value === saved) return;
    throw new ResumeError(
      `--${flag} "${value}" differs from the "${saved}" that ${runDir} was started with ` +
        `(its config.json); leave --${flag} out to resume with the run's, or start a new run`,
    );
  };
  differs("data", given.data, data, true);
  differs("images", given.images, images, true);
  differs("model", given.model, model, false);
  const checks = await checkCells(runDir);
  const done = new Set(checks.filter((c) => c.condition === "complete").map((c) => c.key));
  const cells = recordCells(record);
  return {
    runDir,
    record,
    data,
    images,
    model,
    finished: cells.filter((c) => done.has(cellKey(c))).length,
    total: cells.length,
  };
}

/** "resuming <dir> (<name>, started <time>): X of Y cells finished". */
export function describeResume(target: ResumeTarget): string {
  return `resuming ${target.runDir} (${target.record.name}, started ${target.record.createdAt}): ` +
    `${target.finished} of ${target.total} cells finished`;
}

/** Where a run's feature store is: under `cacheDir`, else where recorded, else the configured cache. */
async function findStore(
  record: RunRecord,
  cacheDir?: string,
): Promise<RunStatus["features"]> {
  if (!record.featureStore) return undefined;
  const key = record.featureStore;
  const candidates = storeCandidates(record, cacheDir);
  for (const dir of candidates) {
    if (await exists(`${dir}/manifest.json`)) {
      return { key, dir, recorded: record.featureStoreDir, present: true };
    }
  }
  return { key, dir: candidates[0], recorded: record.featureStoreDir, present: false };
}
