/**
 * Where a run stands: each cell finished, running, queued, failed, missing or damaged, with the
 * Slurm job states and the failing shards' last log lines, the processes working in the
 * directory, whether its tables are written and intact, and where its feature store is
 * (`deno task status <run-dir>`).
 *
 * @module
 */
import {
  accountingStates,
  queueStates,
  readSubmissions,
  shardLogPath,
  SlurmError,
} from "../cluster/mod.ts";
import { exists } from "../util/mod.ts";
import { cellKey, gridCells } from "./cells.ts";
import { storeCandidates } from "./inputs.ts";
import { checkCells, checkOutputs } from "./integrity.ts";
import { listRunLocks, parseScope } from "./lock.ts";
import { readRunRecord, resumeCommand, type RunRecord } from "./record.ts";
import { cellsInKeyOrder, shardOf } from "./shard_cells.ts";

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
  readonly outputsIntact: boolean;
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
  const cells = cellsInKeyOrder(gridCells(record));
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
    outputsIntact: outputs.complete,
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
