/**
 * `--executor slurm`: instead of training here, a run is opened (or reopened with `--resume`)
 * and its pending cells are submitted as a Slurm array job — one task per shard, each running
 * the same command with `--resume <run-dir> --shard K/N` — followed by a report job that depends
 * on the array (`afterany`). A resubmission sends only the shards that still have missing cells,
 * with the split of the first submission, so finished cells are never trained twice.
 *
 * @module
 */
import {
  arraySpec,
  queueStates,
  readSubmissions,
  SlurmError,
  type SlurmOptions,
  type SlurmSubmission,
  submitShards,
} from "../cluster/mod.ts";
import { REPO_ROOT } from "../util/mod.ts";
import {
  type ExperimentOutcome,
  type ExperimentSpec,
  openRun,
  runExperiment,
} from "./experiment.ts";
import {
  cellKey,
  cellsInKeyOrder,
  checkCells,
  createRunDir,
  listRunLocks,
  RUN_FILES,
  shardOf,
} from "../run/mod.ts";
import { parseShard, type Shard, ShardError } from "../util/mod.ts";
import {
  cacheSetting,
  type DefaultedChoiceFlag,
  defineFlags,
  type ParsedFlags,
  type TypedFlag,
  UsageError,
} from "../config/mod.ts";

/** The most tasks one array job gets (Slurm's default MaxArraySize is 1001). */
export const MAX_ARRAY_TASKS = 1000;

/** The flags that are passed through to sbatch (each needs `--executor slurm`). */
export const SBATCH_FLAG_NAMES = [
  "partition",
  "time",
  "cpus-per-task",
  "mem",
  "gres",
  "account",
  "sbatch-extra",
] as const;

/** Flags that configure the submission itself; a shard's command line drops them. */
export const SUBMISSION_FLAG_NAMES: readonly string[] = [
  "executor",
  "shards",
  ...SBATCH_FLAG_NAMES,
  "resume",
  "shard",
  "out",
  "name",
];

/** What {@linkcode submitExperiment} needs. */
export interface SubmitExperimentSpec {
  /** The experiment to submit. */
  readonly experiment: ExperimentSpec;
  /** The script the shards run: `experiments/<script>.ts`. */
  readonly script: string;
  /** The command-line arguments as given; submission flags are dropped for the shards. */
  readonly args: readonly string[];
  /** Shards of a new run (default: one per cell, at most {@linkcode MAX_ARRAY_TASKS}). */
  readonly shards?: number;
  /** sbatch options passed through. */
  readonly options: SlurmOptions;
  /** The Deno executable on the nodes (default: this one; the repository is shared). */
  readonly deno?: string;
}

/** What a submission did. */
export interface SubmitOutcome {
  /** The run directory. */
  readonly runDir: string;
  /** Null when nothing was left to run. */
  readonly submission: SlurmSubmission | null;
  /** Cells of the run. */
  readonly totalCells: number;
  /** Cells that were missing when submitted. */
  readonly pendingCells: number;
}

/**
 * `args` without the submission flags (`--executor slurm`, `--partition p`, `--time=1:00`, …),
 * in either `--flag value` or `--flag=value` form. Boolean-free: every submission flag takes a
 * value.
 */
export function shardArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const name = arg.startsWith("--") ? arg.slice(2).split("=")[0] : "";
    if (SUBMISSION_FLAG_NAMES.includes(name)) {
      if (!arg.includes("=")) i++;
      continue;
    }
    out.push(arg);
  }
  return out;
}

/**
 * Opens the run (new, or the `resume` one), then submits its missing cells to Slurm (see the
 * module doc) and returns without waiting. Refuses while an earlier submission of the run still
 * has tasks queued or running.
 */
export async function submitExperiment(spec: SubmitExperimentSpec): Promise<SubmitOutcome> {
  const { runDir, cells } = await openRun(spec.experiment);
  const earlier = await readSubmissions(runDir);
  if (earlier.length > 0) {
    const states = await queueStates(earlier.flatMap((s) => [s.arrayJob]));
    const active = states ? [...states.keys()] : [];
    if (active.length > 0) {
      throw new SlurmError(
        `${runDir}: jobs of an earlier submission are still queued or running (${
          active.join(", ")
        }); wait for them (deno task status ${runDir}) or scancel them first`,
      );
    }
  }
  const live = (await listRunLocks(runDir)).filter((l) => l.running === true);
  if (live.length > 0) {
    throw new SlurmError(
      `${runDir}: processes still train in it (${
        live.map((l) => `${l.scope} pid ${l.pid}`).join(", ")
      }); wait for them first`,
    );
  }
  const ordered = cellsInKeyOrder(cells);
  const done = new Set(
    (await checkCells(runDir)).filter((c) => c.condition === "complete").map((c) => c.key),
  );
  const count = earlier[0]?.count ??
    Math.max(1, Math.min(spec.shards ?? ordered.length, ordered.length, MAX_ARRAY_TASKS));
  const pendingShards = new Set<number>();
  let pendingCells = 0;
  ordered.forEach((cell, i) => {
    if (done.has(cellKey(cell))) return;
    pendingShards.add(shardOf(i, count));
    pendingCells++;
  });
  if (pendingCells === 0) {
    return { runDir, submission: null, totalCells: cells.length, pendingCells };
  }
  const deno = spec.deno ?? Deno.execPath();
  const args = shardArgs(spec.args);
  // One training worker per CPU Slurm gives the task, unless the command says otherwise.
  const hasWorkers = args.some((a) => a === "--workers" || a.startsWith("--workers="));
  const workers = hasWorkers ? [] : ["--workers", String(spec.options.cpusPerTask ?? 1)];
  const submission = await submitShards({
    runDir,
    name: `memesense-${spec.experiment.name}`,
    cwd: REPO_ROOT,
    count,
    shards: [...pendingShards].sort((a, b) => a - b),
    cells: pendingCells,
    shardCommand: [
      deno,
      "run",
      "--allow-all",
      `${REPO_ROOT}/experiments/${spec.script}.ts`,
      ...args,
      ...workers,
      "--resume",
      runDir,
      "--shard",
      `$SLURM_ARRAY_TASK_ID/${count}`,
    ],
    reportCommand: [deno, "run", "--allow-all", `${REPO_ROOT}/experiments/aggregate.ts`, runDir],
    options: spec.options,
  });
  return { runDir, submission, totalCells: cells.length, pendingCells };
}

/** What to tell the user after a submission. */
export function describeSubmission(outcome: SubmitOutcome): string {
  const { runDir, submission: s } = outcome;
  if (!s) {
    return `${runDir}: all ${outcome.totalCells} cells have finished; nothing submitted ` +
      `(tables: deno task aggregate ${runDir})`;
  }
  return [
    `submitted array job ${s.arrayJob}: shards ${arraySpec(s.shards)} of ${s.count}, ` +
    `${s.cells} of ${outcome.totalCells} cells`,
    `submitted report job ${s.reportJob}: runs once the array job has ended (afterany)`,
    `  follow:  squeue -j ${s.arrayJob},${s.reportJob}`,
    `  status:  deno task status ${runDir}`,
    `  logs:    ${runDir}/${RUN_FILES.slurm}/logs/`,
    `  script:  ${runDir}/${s.script}`,
    `  if a task fails: the same command with --resume ${runDir} submits only the missing cells`,
  ].join("\n");
}

/** The specs of {@linkcode CLUSTER_FLAGS}, with their literal names, types and choices. */
export type ClusterFlags = readonly [
  TypedFlag<"shard", "string">,
  DefaultedChoiceFlag<"executor", readonly ["local", "slurm"]>,
  TypedFlag<"shards", "integer">,
  TypedFlag<"partition", "string">,
  TypedFlag<"time", "string">,
  TypedFlag<"cpus-per-task", "integer">,
  TypedFlag<"mem", "string">,
  TypedFlag<"gres", "string">,
  TypedFlag<"account", "string">,
  TypedFlag<"sbatch-extra", "string">,
];

/** Flags of the scripts that can run sharded or on Slurm (`reproduce`, `ablate`, `extract`). */
export const CLUSTER_FLAGS: ClusterFlags = defineFlags([
  {
    name: "shard",
    type: "string",
    help: "train only shard K of N of the cells (K/N), into the run given by --resume or a new one",
  },
  {
    name: "executor",
    type: "choice",
    choices: ["local", "slurm"],
    default: "local",
    help: "work here, or submit a Slurm array job (one task per shard) and a job after it that " +
      "writes the report (extract: consolidates the store)",
  },
  {
    name: "shards",
    type: "integer",
    help:
      `Slurm: array tasks (default: one per cell of a new run, at most ${MAX_ARRAY_TASKS}; extract: 4)`,
  },
  { name: "partition", type: "string", help: "Slurm: partition" },
  { name: "time", type: "string", help: "Slurm: time limit per task, e.g. 2:00:00" },
  { name: "cpus-per-task", type: "integer", help: "Slurm: CPUs per task (training workers)" },
  { name: "mem", type: "string", help: "Slurm: memory per task, e.g. 16G" },
  { name: "gres", type: "string", help: "Slurm: generic resources per task, e.g. gpu:1" },
  { name: "account", type: "string", help: "Slurm: account to charge" },
  {
    name: "sbatch-extra",
    type: "string",
    help: 'Slurm: more sbatch options, space-separated, e.g. "--qos=short --constraint=avx2"',
  },
]);

/** How a script executes, from {@linkcode CLUSTER_FLAGS}. */
export interface ExecutionSettings {
  /** Where the cells train: here, or as Slurm jobs. */
  readonly executor: "local" | "slurm";
  /** `--shard K/N`: one shard, here. */
  readonly shard?: Shard;
  /** `--shards N`: array tasks of a Slurm run. */
  readonly shards?: number;
  /** sbatch options passed through. */
  readonly slurm: SlurmOptions;
}

/** Reads {@linkcode CLUSTER_FLAGS}; throws {@linkcode ExecutionError} naming a bad value. */
export function executionFromFlags(
  flags: Partial<ParsedFlags<ClusterFlags>>,
): ExecutionSettings {
  const executor = flags.executor ?? "local";
  let shard: Shard | undefined;
  try {
    shard = flags.shard === undefined ? undefined : parseShard(flags.shard);
  } catch (e) {
    if (!(e instanceof ShardError)) throw e;
    throw new ExecutionError(`--shard: ${e.message}`);
  }
  if (shard && executor === "slurm") {
    throw new ExecutionError("--shard is for one process; with --executor slurm use --shards N");
  }
  const shards = flags.shards;
  if (shards !== undefined && !(Number.isInteger(shards) && shards >= 1)) {
    throw new ExecutionError(`--shards: "${shards}" is not an integer ≥ 1`);
  }
  const cpus = flags["cpus-per-task"];
  if (cpus !== undefined && !(Number.isInteger(cpus) && cpus >= 1)) {
    throw new ExecutionError(`--cpus-per-task: "${cpus}" is not an integer ≥ 1`);
  }
  const text = (name: "partition" | "time" | "mem" | "gres" | "account" | "sbatch-extra") =>
    flags[name];
  const extra = text("sbatch-extra")?.split(/\s+/).filter((s) => s.length > 0) ?? [];
  for (const option of extra) {
    if (!option.startsWith("-")) {
      throw new ExecutionError(
        `--sbatch-extra: "${option}" is not an sbatch option (--name=value)`,
      );
    }
  }
  const slurmOnly = (
    ["shards", "partition", "time", "cpus-per-task", "mem", "gres", "account"] as const
  ).filter((n) => flags[n] !== undefined).map(String)
    .concat(extra.length > 0 ? ["sbatch-extra"] : []);
  if (executor === "local" && slurmOnly.length > 0) {
    throw new ExecutionError(`--${slurmOnly[0]} needs --executor slurm`);
  }
  return {
    executor,
    shard,
    shards,
    slurm: {
      partition: text("partition"),
      time: text("time"),
      cpusPerTask: cpus,
      mem: text("mem"),
      gres: text("gres"),
      account: text("account"),
      extra,
    },
  };
}

/** A bad execution flag (exit status 2). */
export class ExecutionError extends UsageError {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "ExecutionError";
  }
}

/**
 * Runs an experiment as the execution flags say: here (the whole run, or `--shard K/N` of it),
 * or submitted to Slurm (printing the job ids and how to follow them; returns null).
 */
export async function executeExperiment(
  experiment: ExperimentSpec,
  execution: ExecutionSettings,
  script: string,
  args: readonly string[],
): Promise<ExperimentOutcome | null> {
  if (execution.executor === "local") {
    return await runExperiment({ ...experiment, shard: execution.shard });
  }
  const outcome = await submitExperiment({
    experiment,
    script,
    args,
    shards: execution.shards,
    options: execution.slurm,
  });
  console.log(describeSubmission(outcome));
  return null;
}

/** What {@linkcode submitExtraction} needs. */
export interface SubmitExtractionSpec {
  /** The command-line arguments as given; submission flags are dropped for the jobs. */
  readonly args: readonly string[];
  /** Array tasks, one shard of the memes each (default 4). */
  readonly shards?: number;
  /** sbatch options passed through. */
  readonly options: SlurmOptions;
  /** The cache root the store is in (default: the configured one). */
  readonly cacheDir?: string;
  /** The Deno executable on the nodes (default: this one; the repository is shared). */
  readonly deno?: string;
}

/**
 * `extract --executor slurm`: an array job of `extract --shard K/N` tasks (each writes its own
 * chunk files) and, once they have ended, a dependent `extract --consolidate` job that assembles
 * the store. Returns the folder holding the scripts, logs and job ids.
 */
export async function submitExtraction(
  spec: SubmitExtractionSpec,
): Promise<{ dir: string; submission: SlurmSubmission }> {
  // Scripts, logs and job ids: a new folder under `<cache>/slurm/`.
  const dir = await createRunDir(`${cacheSetting(spec.cacheDir).value}/slurm`, "extract");
  const count = spec.shards ?? 4;
  const deno = spec.deno ?? Deno.execPath();
  const extract = [deno, "run", "--allow-all", `${REPO_ROOT}/experiments/extract.ts`];
  const args = shardArgs(spec.args);
  const submission = await submitShards({
    runDir: dir,
    name: "memesense-extract",
    cwd: REPO_ROOT,
    count,
    shards: Array.from({ length: count }, (_, i) => i + 1),
    cells: 0,
    shardCommand: [...extract, ...args, "--shard", `$SLURM_ARRAY_TASK_ID/${count}`],
    reportCommand: [...extract, ...args, "--consolidate"],
    options: spec.options,
  });
  return { dir, submission };
}
