/**
 * One experiment end to end: cells (variant × task × seed) over prepared inputs, resumable, then
 * baselines, aggregation, tables and the HTML report, all written into one run directory that is
 * never shared with another run.
 *
 * @module
 */
import { resolve } from "node:path";
import {
  assertWritableDir,
  type BackendName,
  backendSetting,
  makeConfig,
  type MemeSenseConfig,
  type TaskName,
  TASKS,
} from "../config/mod.ts";
import { BOOTSTRAP_REPLICATES, evaluateLogits } from "../metrics/mod.ts";
import { writeReport } from "../report/mod.ts";
import type { TrainResult } from "../train/mod.ts";
import {
  ensureDir,
  FileWriteError,
  formatDuration,
  REPO_ROOT,
  writeSealedJson,
} from "../util/mod.ts";
import { compareWithPaper, type ComparisonRow, summarise, type SummaryRow } from "./aggregate.ts";
import { notComparableReason, usageLine } from "./partial.ts";
import {
  type BaselineResult,
  concatFeatures,
  linearProbe,
  majorityBaseline,
  stratifiedRandomBaseline,
  zeroShotLogits,
} from "./baselines.ts";
import { type Cell, cellKey, type CellResult } from "./cells.ts";
import type { ExperimentInputs } from "./inputs.ts";
import { loadPaperResults } from "./paper.ts";
import { buildExperimentReport } from "./_report.ts";
import { lockRunDir } from "./_lock.ts";
import { analyseRun } from "./_error_analysis.ts";
import { loadRunPredictions, predictionsCsv } from "./predictions.ts";
import { runCells } from "./_runner.ts";
import { formatShard, type Shard } from "../util/mod.ts";
import { shardCells } from "./_shard.ts";
import {
  claimAggregation,
  createRunDir,
  headFolder,
  latestUnfinishedRun,
  predictionsFile,
  readRunConfig,
  readRunRecord,
  resumeCommand,
  ResumeError,
  RUN_FILES,
  runPath,
  writeRunFile,
} from "./run_dir.ts";
import { type OwnedFile, ownedFile } from "./_seal.ts";
import { checkCells, RunIntegrityError } from "./run_integrity.ts";
import {
  absentClassesNote,
  baselineTable,
  comparisonTable,
  metricsCsv,
  summaryTable,
  uncertaintyMarkdown,
} from "./tables.ts";
import { analyseRunPredictions, type RunUncertainty } from "./uncertainty.ts";
import { checkTaskSplits, type TaskData, taskData } from "./task_data.ts";
import { REFERENCE_VARIANT, type Variant } from "./variants.ts";

/** What to run. */
export interface ExperimentSpec {
  /** Run name (directory suffix), e.g. `reproduce`. */
  readonly name: string;
  /** Report title. */
  readonly title: string;
  /** Tasks to train. */
  readonly tasks: readonly TaskName[];
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
   * The script that runs it (`reproduce`, `ablate`, `demo`): recorded, and named in the command
   * that resumes or repairs the run.
   */
  readonly script?: string;
  /** Anything else to record in `config.json` (flags as given). */
  readonly extra?: Record<string, unknown>;
  /** Progress output (default: stderr). */
  readonly log?: (line: string) => void;
}

/** What an experiment produced. */
export interface ExperimentOutcome {
  /** The run directory. */
  readonly runDir: string;
  /** Every finished cell of the run, in key order. */
  readonly results: readonly CellResult[];
  /** Summaries over seeds (empty while cells are pending). */
  readonly summary: readonly SummaryRow[];
  /** The main variant beside the paper (reproduce; empty otherwise). */
  readonly comparison: readonly ComparisonRow[];
  /** Baseline results. */
  readonly baselines: readonly BaselineResult[];
  /** Bootstrap intervals, paired comparisons, calibration and per-class detail. */
  readonly uncertainty: RunUncertainty;
  /** Wall-clock seconds of this invocation. */
  readonly seconds: number;
  /** The markdown table written to `table.md` ("" while cells are pending). */
  readonly table: string;
  /**
   * Lines every table starts with: the memes used per split when some were lost, and why the
   * run is not compared with the paper when it was asked to be.
   */
  readonly preface?: readonly string[];
  /** Notes printed under the main table (a class absent from a test split). */
  readonly tableNotes?: readonly string[];
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

const NO_UNCERTAINTY: RunUncertainty = {
  bootstrap: { replicates: 0, seed: 0, level: 0.95 },
  groups: [],
  comparisons: [],
  missing: [],
};

/** Every cell of an experiment: variant × task × seed, each with its complete config. */
export function experimentCells(
  spec: Pick<ExperimentSpec, "variants" | "tasks" | "seeds" | "baseConfig">,
): Cell[] {
  return spec.variants.flatMap((variant) => {
    const base = makeConfig(variant.overrides, spec.baseConfig);
    return spec.tasks.flatMap((task) =>
      spec.seeds.map((seed) => ({
        variant: variant.name,
        task,
        seed,
        config: makeConfig({ train: { seed } }, base),
      }))
    );
  });
}

/**
 * Creates (or, with `resume`, reopens) the run directory and its `config.json`, which records
 * every setting a later shard, resume or `deno task report` needs. Trains nothing. Every setting
 * is checked, and the results folder probed, before anything is created.
 */
export async function openRun(spec: ExperimentSpec): Promise<{ runDir: string; cells: Cell[] }> {
  if (spec.inputs.modelId !== spec.baseConfig.clip.model) {
    // The record must name the model whose features are trained on.
    throw new Error(
      `config.clip.model is "${spec.baseConfig.clip.model}" but the features come from ` +
        `"${spec.inputs.modelId}"`,
    );
  }
  const cells = experimentCells(spec);
  // Every split each task needs, before anything is created: a worker never meets an empty one.
  checkTaskSplits(spec.inputs.dataset, spec.inputs.features, spec.tasks);
  if (!spec.resume) await assertWritableDir(spec.outRoot, "--out");
  const runDir = await resolveRunDir(spec);
  if (spec.resume) await assertWritableDir(runDir, "--resume");
  const meta = {
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
    featureStore: spec.inputs.featureKey,
    // Where the store is, so that report, status and resume read it and never extract.
    featureStoreDir: resolve(spec.inputs.featureDir),
    cache: resolve(spec.inputs.featureDir, "..", ".."),
    dataset: { csv: spec.inputs.dataset.csvPath, sha256: spec.inputs.datasetSha256 },
    images: resolve(spec.inputs.dataset.imageDir),
    compareWithPaper: spec.compareWithPaper ?? false,
    baselines: spec.baselines ?? false,
    saveHeads: spec.saveHeads ?? false,
    predictionsCsv: spec.predictionsCsv ?? false,
    gallery: spec.gallery ?? true,
    excludedWithoutImage: spec.inputs.missingImages,
    bootstrap: {
      replicates: spec.bootstrap?.replicates ?? BOOTSTRAP_REPLICATES,
      seed: spec.bootstrap?.seed ?? 0,
    },
    ...spec.extra,
  };
  if (spec.resume) await checkResumable(runDir, meta);
  else {
    try {
      await writeSealedJson(runPath(runDir, "config"), meta);
    } catch (e) {
      // A folder without its record is no run: leave nothing behind.
      await Deno.remove(runDir, { recursive: true }).catch(() => {});
      if (!(e instanceof FileWriteError)) throw e;
      const fix = e.code === "ENOSPC" || e.code === "EDQUOT" ? "free space" : "fix the disk";
      throw e.withRemedy(`the run folder was removed; ${fix}, then start the run again`);
    }
  }
  return { runDir, cells };
}

/**
 * Runs an experiment — or one shard of it — in its run directory, and writes the tables and
 * report once every cell has finished (for a sharded run: the shard that finishes last, or
 * `deno task report <run-dir>`).
 */
export async function runExperiment(spec: ExperimentSpec): Promise<ExperimentOutcome> {
  const t0 = performance.now();
  const log = spec.log ?? ((s: string) => console.error(s));
  const { runDir, cells } = await openRun(spec);
  log(`run directory: ${runDir}${spec.shard ? ` (shard ${formatShard(spec.shard)})` : ""}`);
  const lock = await lockRunDir(runDir, spec.shard, log).catch((e) => {
    throw withRunRemedy(e, runDir, spec);
  });
  let trained = 0;
  const tCells = performance.now();
  try {
    const data: Partial<Record<TaskName, TaskData>> = {};
    for (const task of spec.tasks) {
      data[task] = taskData(spec.inputs.dataset, spec.inputs.features, task);
    }
    const promptWeights = Object.fromEntries(
      spec.tasks.map((t) => [t, spec.inputs.prompts[t].promptWeights]),
    ) as Partial<Record<TaskName, Float32Array>>;
    const main = spec.variants[0]?.name ?? REFERENCE_VARIANT.name;
    await runCells({
      cells: shardCells(cells, spec.shard),
      data,
      promptWeights,
      runDir,
      workers: spec.workers,
      backend: spec.backend,
      log,
      ownFiles: async (cell: Cell, result: TrainResult) => {
        trained++;
        if (!spec.saveHeads || cell.variant !== main || cell.seed !== spec.seeds[0]) return [];
        return await saveTrainedHead(runDir, cell, result, spec.inputs);
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
      summary: [],
      comparison: [],
      baselines: [],
      uncertainty: NO_UNCERTAINTY,
      table: "",
    };
    const timings = { cells: cellSeconds, baselines: 0, outputs: 0 };
    return { runDir, results, ...none, seconds: seconds(), ...progress, timings };
  }
  const outputs = await writeRunOutputs({ spec, runDir, results, seconds: seconds() })
    .catch((e) => {
      throw withRunRemedy(e, runDir, spec);
    });
  const timings = { ...outputs.timings, cells: cellSeconds };
  return { ...outputs, seconds: seconds(), ...progress, timings };
}

/** What {@linkcode writeRunOutputs} aggregates. */
export interface RunOutputsInput {
  /** The settings to aggregate under (a spec, or a run's record with its inputs). */
  readonly spec: Pick<
    ExperimentSpec,
    | "title"
    | "tasks"
    | "seeds"
    | "variants"
    | "inputs"
    | "compareWithPaper"
    | "baselines"
    | "gallery"
    | "predictionsCsv"
  >;
  /** The run directory. */
  readonly runDir: string;
  /** Every cell's result, in key order. */
  readonly results: readonly CellResult[];
  /** Wall-clock seconds to report for this invocation. */
  readonly seconds: number;
}

/**
 * The one aggregation of a finished run, for a single-machine run and `deno task report` alike:
 * baselines, summary over seeds, the comparison with the paper, `table.md`, `metrics.csv`,
 * `curves.json`, `report.html`, and last `metrics.json` (whose presence marks the run finished).
 */
export async function writeRunOutputs(
  input: RunOutputsInput,
): Promise<Omit<ExperimentOutcome, "trained" | "pending" | "shard">> {
  const { spec, runDir, results, seconds } = input;
  const tBaselines = performance.now();
  const meta = await readRunRecord(runDir);
  // Every output, so that metrics.json, written last, can vouch for each.
  const written: string[] = [];
  const main = spec.variants[0]?.name ?? REFERENCE_VARIANT.name;
  const baselines: BaselineResult[] = [];
  if (spec.baselines) {
    for (const task of spec.tasks) {
      const data = taskData(spec.inputs.dataset, spec.inputs.features, task);
      baselines.push(...runBaselines(data, spec.inputs, task));
    }
    await writeRunFile(runDir, RUN_FILES.baselines, baselines);
    written.push(RUN_FILES.baselines);
  }
  const tOutputs = performance.now();
  const summary = summarise(results);
  const uncertainty = await analyseRunPredictions(runDir, {
    keys: results.map((r) => r.key),
    reference: spec.variants.length > 1 ? main : undefined,
    // As recorded when the run started, so `deno task report` on shards computes the same.
    replicates: meta.bootstrap?.replicates,
    seed: meta.bootstrap?.seed,
  });
  if (uncertainty.missing.length > 0) {
    // Every table counts the same seeds: a cell without its predictions stops the tables.
    const files = uncertainty.missing.map(predictionsFile);
    throw new RunIntegrityError(
      `${runDir}: ${files.join(", ")} ${files.length === 1 ? "is" : "are"} missing, so the ` +
        `tables would count fewer seeds for ${files.length === 1 ? "that cell" : "those cells"}` +
        `; to train ${files.length === 1 ? "it" : "them"} again: ${resumeCommand(runDir, meta)}`,
      files,
    );
  }
  const keys = new Set(results.map((r) => r.key));
  const predictions = (await loadRunPredictions(runDir)).filter((p) => keys.has(p.key));
  const paper = await loadPaperResults();
  // Generated memes or the tiny model never stand beside the paper's numbers; partial data
  // does only with consent (checked before training) and with its counts on every table.
  const notComparable = spec.compareWithPaper ? notComparableReason(spec.inputs) : null;
  const comparison = spec.compareWithPaper && !notComparable
    ? compareWithPaper(summary, paper, main)
    : [];
  const preface = [usageLine(spec.inputs), notComparable && `${notComparable}.`]
    .filter((l): l is string => !!l);
  const testLabels = new Map(predictions.map((p) => [p.task, p.rows.test.labels]));
  const tableNotes = [absentClassesNote(testLabels)].filter((l): l is string => !!l);
  let table = `# ${spec.title}\n\n${preface.map((l) => `${l}\n\n`).join("")}` +
    (comparison.length > 0 ? `${comparisonTable(comparison)}\n` : `${summaryTable(summary)}\n`) +
    tableNotes.map((l) => `\n${l}\n`).join("").replace(/^\n/, "");
  if (baselines.length > 0) {
    table += `\n## Baselines (test split)\n\n${baselineTable(baselines, summary, main)}\n`;
  }
  table += uncertainty.groups.length > 0 ? `\n${uncertaintyMarkdown(uncertainty)}` : "";
  await writeRunFile(runDir, RUN_FILES.table, table);
  await writeRunFile(runDir, RUN_FILES.metricsCsv, metricsCsv(results));
  await writeRunFile(
    runDir,
    RUN_FILES.curves,
    results.map((r) => ({ key: r.key, curves: r.curves })),
  );
  written.push(RUN_FILES.table, RUN_FILES.metricsCsv, RUN_FILES.curves);
  const excluded = Object.entries(spec.inputs.missingImages).filter(([, n]) => n > 0);
  const analysis = await analyseRun(
    predictions.filter((p) => p.variant === main),
    spec.inputs.dataset,
    main,
    { gallery: spec.gallery ?? true },
  );
  const report = buildExperimentReport({
    title: spec.title,
    subtitle: [
      `${spec.tasks.length} task(s) × ${spec.seeds.length} seed(s) × ${spec.variants.length} variant(s)`,
      ...preface,
    ].join(". "),
    meta: {
      commit: meta.gitCommit,
      backend: [...new Set(results.map((r) => r.backendDetail ?? r.backend))].join("; "),
      "CLIP model": spec.inputs.modelId,
      "feature store": spec.inputs.featureKey,
      dataset: spec.inputs.dataset.csvPath,
      "wall time (this invocation)": formatDuration(seconds),
    },
    results,
    summary,
    pairedComparisons: uncertainty.comparisons,
    comparison,
    baselines,
    variants: spec.variants,
    mainVariant: main,
    analysis,
    notes: excluded.length > 0
      ? `Memes without a readable image were excluded (never silently): ${
        excluded.map(([s, n]) => `${s} ${n}`).join(", ")
      }; listed in ${spec.inputs.featureDir}/missing-images.tsv.`
      : undefined,
  });
  await writeReport(runPath(runDir, "report"), report);
  written.push(RUN_FILES.report);
  if (spec.predictionsCsv) {
    // Per-meme predictions of every cell, as `deno task predictions` exports them.
    await writeRunFile(runDir, RUN_FILES.predictionsCsv, predictionsCsv(predictions));
    written.push(RUN_FILES.predictionsCsv);
  }
  const outputs: OwnedFile[] = [];
  for (const path of written) outputs.push(await ownedFile(runDir, path));
  // metrics.json last: intact, with every output as written, it marks the run as finished.
  await writeSealedJson(runPath(runDir, "metrics"), {
    summary,
    comparison,
    baselines,
    uncertainty,
    cells: results.map((r) => ({
      key: r.key,
      reference: r.reference,
      clean: r.clean,
      seconds: r.seconds,
    })),
    wallSeconds: seconds,
    outputs,
  });
  const timings = {
    cells: 0,
    baselines: (tOutputs - tBaselines) / 1000,
    outputs: (performance.now() - tOutputs) / 1000,
  };
  return {
    runDir,
    results,
    summary,
    comparison,
    baselines,
    uncertainty,
    seconds,
    table,
    timings,
    preface,
    tableNotes,
  };
}

async function resolveRunDir(spec: ExperimentSpec): Promise<string> {
  if (!spec.resume) return await createRunDir(spec.outRoot, spec.name);
  if (spec.resume !== "latest") {
    await readRunConfig(spec.resume); // names a missing or damaged record, and what to do
    return spec.resume;
  }
  try {
    return await latestUnfinishedRun(spec.outRoot, spec.name);
  } catch (e) {
    throw new ResumeError((e as Error).message);
  }
}

/**
 * A run resumes only with the settings it started with: the same config, tasks, seeds, variants,
 * CLIP model, feature store and dataset. Otherwise finished and new cells would not compare: a
 * {@linkcode ResumeError} names the first setting that differs, with both values.
 */
async function checkResumable(runDir: string, meta: Record<string, unknown>): Promise<void> {
  const saved = await readRunConfig(runDir);
  const hints: Record<string, string> = {
    featureStore: " (the data, images or CLIP model changed since it started)",
    dataset: " (the annotations changed since it started)",
  };
  for (const field of RESUMED_FIELDS) {
    const [path, was, now] = firstDifference(saved[field], meta[field], field) ?? [];
    if (path === undefined) continue;
    throw new ResumeError(
      `cannot resume ${runDir}: ${path} is ${was} in its config.json but ${now} here` +
        `${hints[field] ?? ""}; resume with the run's settings, or start a new run`,
    );
  }
}

/** The settings a resumed run must share with its record. */
const RESUMED_FIELDS = [
  "config",
  "tasks",
  "seeds",
  "variants",
  "clipModel",
  "featureStore",
  "dataset",
] as const;

/** The first leaf where two JSON values differ: its path and both values as JSON. */
function firstDifference(a: unknown, b: unknown, path: string): [string, string, string] | null {
  const isObject = (v: unknown) => v !== null && typeof v === "object" && !Array.isArray(v);
  if (isObject(a) && isObject(b)) {
    const ra = a as Record<string, unknown>, rb = b as Record<string, unknown>;
    for (const k of new Set([...Object.keys(ra), ...Object.keys(rb)])) {
      const d = firstDifference(ra[k], rb[k], `${path}.${k}`);
      if (d) return d;
    }
    return null;
  }
  const ja = JSON.stringify(a) ?? "(absent)", jb = JSON.stringify(b) ?? "(absent)";
  return ja === jb ? null : [path, ja, jb];
}

/**
 * The baselines of one task: the majority class and stratified random (sanity floors, their
 * expected metrics exact), zero-shot CLIP, and a linear probe on [image | text] features.
 */
export function runBaselines(
  data: TaskData,
  inputs: ExperimentInputs,
  task: TaskName,
): BaselineResult[] {
  const C = data.numClasses;
  const { train, val, test } = data.splits;
  const zeroShot = zeroShotLogits(test.image, inputs.prompts[task].promptEmbeds, test.n, C);
  const probe = linearProbe(
    { x: concatFeatures(train.image, train.text, train.n), labels: train.labels, n: train.n },
    { x: concatFeatures(val.image, val.text, val.n), labels: val.labels, n: val.n },
    { x: concatFeatures(test.image, test.text, test.n), labels: test.labels, n: test.n },
    { numClasses: C },
  );
  return [
    { name: "majority class", task, test: majorityBaseline(train.labels, test.labels, C) },
    {
      name: "stratified random (expected)",
      task,
      test: stratifiedRandomBaseline(train.labels, test.labels, C),
    },
    { name: "zero-shot CLIP", task, test: evaluateLogits(zeroShot, test.labels, C) },
    { name: "linear probe [image | text]", task, test: probe.test },
  ];
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
    classNames: TASKS[cell.task].classNames,
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
function withRunRemedy(e: unknown, runDir: string, spec: Pick<ExperimentSpec, "name" | "script">) {
  if (!(e instanceof FileWriteError)) return e;
  const fix = e.code === "ENOSPC" || e.code === "EDQUOT"
    ? "free space on that disk"
    : "fix the disk";
  return e.withRemedy(
    `nothing unfinished was marked complete; ${fix}, then continue: ${
      resumeCommand(runDir, { name: spec.name, script: spec.script })
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
