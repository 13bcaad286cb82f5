/**
 * One experiment end to end: its record, its run directory (new, or the one resumed), its cells
 * (variant × task × seed) over prepared inputs — all of them, or one shard — and, once every cell
 * is in, the run's outputs: baselines, tables and the report, all in one run directory that is
 * never shared with another run.
 *
 * @module
 */
import { resolve } from "node:path";
import {
  type BackendName,
  backendSetting,
  type MemeSenseConfig,
  type Resolved,
} from "../config/mod.ts";
import { datasetTask } from "../data/mod.ts";
import { BOOTSTRAP_REPLICATES } from "../metrics/mod.ts";
import {
  type Cell,
  cellKey,
  checkCells,
  checkTaskSplits,
  claimAggregation,
  encodeTransferPredictions,
  type ExperimentInputs,
  gridCells,
  headFolder,
  lockRunDir,
  openRunDir,
  recordedDataset,
  recordedTransferTarget,
  REFERENCE_VARIANT,
  resumeCommand,
  runCells,
  type RunRecord,
  shardCells,
  type TaskData,
  taskData,
  transferPredictionsFile,
  type TransferTarget,
  transferTest,
  type Variant,
  variedSettings,
  writeOwnedFile,
} from "../run/mod.ts";
import { initBackend, type TrainResult } from "../train/mod.ts";
import { ensureDir, FileWriteError, formatShard, REPO_ROOT, type Shard } from "../util/mod.ts";
import { NO_UNCERTAINTY, type RunOutputs, writeRunOutputs } from "../outputs/mod.ts";

/** What to run. */
export interface ExperimentSpec {
  /** Run name (directory suffix), e.g. `reproduce`. */
  readonly name: string;
  /** Report title. */
  readonly title: string;
  /** Tasks to train (tasks of the inputs' dataset). */
  readonly tasks: readonly string[];
  /** Seeds of every (variant, task). */
  readonly seeds: readonly number[];
  /** Head variants; the first one is the main variant compared with the paper. */
  readonly variants: readonly Variant[];
  /** Config every variant starts from. */
  readonly baseConfig: MemeSenseConfig;
  /** Dataset, features and prompt embeddings, prepared once. */
  readonly inputs: ExperimentInputs;
  /** Results root. */
  readonly outRoot: string;
  /** A run directory to continue, or `latest` (the newest unfinished run of this name). */
  readonly resume?: string;
  /** Train only this shard of the cells (others may run elsewhere into the same directory). */
  readonly shard?: Shard;
  /** Training backend (default: `backendSetting()`, `$MEMESENSE_BACKEND` else `auto`). */
  readonly backend?: BackendName | "auto";
  /** Parallel training workers (default: one per core). */
  readonly workers?: number;
  /** Compare the main variant with the paper's table (reproduce). */
  readonly compareWithPaper?: boolean;
  /** Run the zero-shot and linear-probe baselines. */
  readonly baselines?: boolean;
  /** Save the first seed's heads of the main variant (`heads/<task>/head.safetensors`). */
  readonly saveHeads?: boolean;
  /** Bootstrap over test memes: replicates (default 2,000) and seed (default 0). */
  readonly bootstrap?: { readonly replicates?: number; readonly seed?: number };
  /** Put the gallery of confident errors (meme thumbnails and texts) in the report (default true). */
  readonly gallery?: boolean;
  /** Also write every cell's per-meme predictions as `predictions.csv` (the demo). */
  readonly predictionsCsv?: boolean;
  /**
   * A transfer run: every cell's two selected heads are also tested on each target's test split
   * (`deno task transfer`); the run's one task is the source task the targets' classes map to.
   */
  readonly transfer?: readonly TransferTarget[];
  /**
   * The script that runs it (`reproduce`, `ablate`, `demo`): recorded, and named in the command
   * that resumes or repairs the run.
   */
  readonly script?: string;
  /** The script's flags as given and defaulted, recorded in `config.json`. */
  readonly flags?: Readonly<Record<string, unknown>>;
  /**
   * The settings as resolved (value, and whether a flag, the environment or the default gave it),
   * recorded in `config.json`.
   */
  readonly settings?: Readonly<Record<string, Resolved<unknown>>>;
  /** Progress output (default: stderr). */
  readonly log?: (line: string) => void;
}

/** What an experiment produced. */
export interface ExperimentOutcome extends Omit<RunOutputs, "timings"> {
  /** The shard this invocation trained, if any. */
  readonly shard?: Shard;
  /** Cells this invocation trained. */
  readonly trained: number;
  /** Cells of the run still pending (other shards' work); 0 once tables and report are written. */
  readonly pending: number;
  /** Wall-clock seconds of this invocation's phases (what `bench:reproduce` prints). */
  readonly timings: PhaseTimings;
}

/** Wall-clock seconds per phase of an experiment invocation. */
export interface PhaseTimings {
  /** Training and evaluating the cells (in parallel workers). */
  readonly cells: number;
  /** The zero-shot and linear-probe baselines (0 when not run or not this invocation's part). */
  readonly baselines: number;
  /** Summaries, intervals and paired tests, tables, curves, `report.html`, `metrics.json`. */
  readonly outputs: number;
}

/**
 * The record of an experiment (its `config.json`): every setting a later shard, resume, status or
 * aggregation needs. The CLIP model in the config must be the one the features come from.
 */
export async function experimentRecord(spec: ExperimentSpec): Promise<RunRecord> {
  if (spec.inputs.modelId !== spec.baseConfig.clip.model) {
    // The record must name the model whose features are trained on.
    throw new Error(
      `config.clip.model is "${spec.baseConfig.clip.model}" but the features come from ` +
        `"${spec.inputs.modelId}"`,
    );
  }
  return {
    name: spec.name,
    script: spec.script ?? "reproduce",
    title: spec.title,
    createdAt: new Date().toISOString(),
    gitCommit: await gitCommit(),
    config: spec.baseConfig,
    tasks: spec.tasks,
    seeds: spec.seeds,
    variants: spec.variants,
    backend: backendSetting(spec.backend).value,
    clipModel: spec.inputs.modelId,
    clipShape: spec.inputs.clipShape,
    featureStore: spec.inputs.featureKey,
    // Where the store is, so that aggregation, status and resume read it and never extract.
    featureStoreDir: resolve(spec.inputs.featureDir),
    cache: resolve(spec.inputs.featureDir, "..", ".."),
    dataset: recordedDataset(spec.inputs),
    images: resolve(spec.inputs.dataset.imageDir),
    compareWithPaper: spec.compareWithPaper ?? false,
    baselines: spec.baselines ?? false,
    saveHeads: spec.saveHeads ?? false,
    predictionsCsv: spec.predictionsCsv ?? false,
    gallery: spec.gallery ?? true,
    excludedWithoutImage: spec.inputs.missingImages,
    ...(spec.transfer === undefined ? {} : {
      transfer: { targets: spec.transfer.map((t) => recordedTransferTarget(transferTest(t))) },
    }),
    bootstrap: {
      replicates: spec.bootstrap?.replicates ?? BOOTSTRAP_REPLICATES,
      seed: spec.bootstrap?.seed ?? 0,
    },
    ...(spec.flags ? { flags: spec.flags } : {}),
    ...(spec.settings ? { settings: spec.settings } : {}),
  };
}

/**
 * Creates (or, with `resume`, reopens) the run directory and its `config.json`, which records
 * every setting a later shard, resume or `deno task aggregate` needs. Trains nothing. Every
 * setting is checked, and the results folder probed, before anything is created.
 */
export async function openRun(
  spec: ExperimentSpec,
): Promise<{ runDir: string; record: RunRecord; cells: Cell[] }> {
  const record = await experimentRecord(spec);
  // Every split each task needs, before anything is created: a worker never meets an empty one.
  checkTaskSplits(spec.inputs.dataset, spec.inputs.features, spec.tasks);
  for (const t of spec.transfer ?? []) {
    checkTaskSplits(t.inputs.dataset, t.inputs.features, [t.task], ["test"]);
  }
  const opened = await openRunDir({ record, resultsRoot: spec.outRoot, resume: spec.resume });
  return { ...opened, cells: gridCells(opened.record) };
}

/**
 * Runs an experiment — or one shard of it — in its run directory, and writes the tables and
 * report once every cell has finished (for a sharded run: the shard that finishes last, or
 * `deno task aggregate <run-dir>`).
 */
export async function runExperiment(spec: ExperimentSpec): Promise<ExperimentOutcome> {
  const t0 = performance.now();
  const log = spec.log ?? ((s: string) => console.error(s));
  const { runDir, record, cells } = await openRun(spec);
  log(`run directory: ${runDir}${spec.shard ? ` (shard ${formatShard(spec.shard)})` : ""}`);
  const lock = await lockRunDir(runDir, spec.shard, log).catch((e) => {
    throw withRunRemedy(e, runDir, spec);
  });
  let trained = 0;
  const tCells = performance.now();
  try {
    const data: Record<string, TaskData> = {};
    for (const task of spec.tasks) {
      data[task] = taskData(spec.inputs.dataset, spec.inputs.features, task);
    }
    const promptWeights = Object.fromEntries(
      spec.tasks.map((t) => [t, spec.inputs.prompts[t].promptWeights]),
    );
    const main = spec.variants[0]?.name ?? REFERENCE_VARIANT.name;
    const tests = (spec.transfer ?? []).map(transferTest);
    // The targets' logits are computed here, on the backend the workers train on.
    if (tests.length > 0) await initBackend(spec.backend, { quiet: true });
    await runCells({
      cells: shardCells(cells, spec.shard),
      data,
      promptWeights,
      runDir,
      workers: spec.workers,
      backend: spec.backend,
      // The settings that differ across the whole run, whichever shard trains the cell.
      variedSettings: variedSettings(cells.map((c) => c.config)),
      log,
      ownFiles: async (cell: Cell, result: TrainResult) => {
        trained++;
        const files: string[] = [];
        for (const test of tests) {
          const path = transferPredictionsFile(test.target.id, cellKey(cell));
          const bytes = encodeTransferPredictions(cell, result, data[cell.task], test);
          files.push((await writeOwnedFile(runDir, path, bytes)).path);
        }
        if (!spec.saveHeads || cell.variant !== main || cell.seed !== spec.seeds[0]) return files;
        return [...files, ...await saveTrainedHead(runDir, cell, result, spec.inputs)];
      },
    });
  } catch (e) {
    throw withRunRemedy(e, runDir, spec);
  } finally {
    await lock.release();
  }
  const cellSeconds = (performance.now() - tCells) / 1000;
  // Other shards may have finished cells meanwhile: the directory is the record.
  const wanted = new Set(cells.map(cellKey));
  const checks = (await checkCells(runDir)).filter((c) => wanted.has(c.key));
  const results = checks.flatMap((c) => (c.condition === "complete" ? [c.result!] : []));
  const pending = cells.length - results.length;
  const seconds = () => (performance.now() - t0) / 1000;
  const progress = { shard: spec.shard, trained, pending };
  // Once every cell is in, the tables are written — by one process when several shards see
  // the last cell land at once.
  const claimed = pending === 0 && spec.shard
    ? await claimAggregation(runDir).catch((e) => {
      throw withRunRemedy(e, runDir, spec);
    })
    : true;
  if (pending > 0 || !claimed) {
    const none = {
      tasks: spec.inputs.dataset.tasks,
      summary: [],
      comparison: [],
      baselines: [],
      uncertainty: NO_UNCERTAINTY,
      table: "",
    };
    const timings = { cells: cellSeconds, baselines: 0, outputs: 0 };
    return { runDir, results, ...none, seconds: seconds(), ...progress, timings };
  }
  const outputs = await writeRunOutputs({
    runDir,
    record,
    inputs: spec.inputs,
    results,
    seconds: seconds(),
  }).catch((e) => {
    throw withRunRemedy(e, runDir, spec);
  });
  const timings = { ...outputs.timings, cells: cellSeconds };
  return { ...outputs, seconds: seconds(), ...progress, timings };
}

/**
 * Saves a cell's clean-protocol head into `heads/<task>/` and reads it back (a head that does
 * not load is a failed write); returns the files, relative to the run directory, for the cell's
 * record.
 */
async function saveTrainedHead(
  runDir: string,
  cell: Cell,
  trained: TrainResult,
  inputs: ExperimentInputs,
): Promise<string[]> {
  const { loadHead, saveHead } = await import("../model/mod.ts");
  const folder = headFolder(cell.task);
  const dir = `${runDir}/${folder}`;
  await ensureDir(dir);
  await saveHead(dir, trained.heads.clean, {
    config: cell.config,
    task: cell.task,
    dataset: inputs.dataset.description.name,
    classNames: datasetTask(inputs.dataset.description, cell.task).classes,
    clipModel: inputs.modelId,
    featureStoreKey: inputs.featureKey,
  });
  try {
    await loadHead(dir);
  } catch {
    throw new FileWriteError(`${dir}/head.safetensors`, "EIO");
  }
  return [`${folder}/head.safetensors`, `${folder}/head.json`];
}

/**
 * A failed write during a run, with what to do: free the space (or fix the disk), then resume
 * the run, which trains only the cells that are not complete.
 */
function withRunRemedy(
  e: unknown,
  runDir: string,
  run: { readonly name: string; readonly script?: string },
) {
  if (!(e instanceof FileWriteError)) return e;
  const fix = e.code === "ENOSPC" || e.code === "EDQUOT"
    ? "free space on that disk"
    : "fix the disk";
  return e.withRemedy(
    `nothing unfinished was marked complete; ${fix}, then continue: ${
      resumeCommand(runDir, { name: run.name, script: run.script })
    }`,
  );
}

/** The short commit of the repository, `-dirty` when tracked files have local changes. */
async function gitCommit(): Promise<string> {
  const git = async (...args: string[]) => {
    const out = await new Deno.Command("git", {
      args,
      cwd: REPO_ROOT,
      stdout: "piped",
      stderr: "null",
    })
      .output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : null;
  };
  try {
    const commit = await git("rev-parse", "--short", "HEAD");
    if (!commit) return "unknown";
    const changes = await git("status", "--porcelain", "--untracked-files=no");
    return changes ? `${commit}-dirty` : commit;
  } catch {
    return "unknown"; // no git on this machine
  }
}
