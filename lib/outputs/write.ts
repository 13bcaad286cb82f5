/**
 * A run's outputs, written once every cell is in: baselines, the summary over seeds, the
 * comparison with the paper, the test-set uncertainty, `table.md`, `metrics.csv` with its long and
 * summary forms (`metrics_long.csv`, `metrics_summary.csv`), `curves.json`,
 * `report.html`, optionally `predictions.csv`, and last `metrics.json`, which lists every other
 * output with its size and SHA-256 and so marks the run finished. The same function writes them
 * at the end of a single-machine run and for `deno task aggregate` on a run trained in shards.
 *
 * @module
 */
import { imagesBeside } from "../config/mod.ts";
import type { TaskDescription } from "../data/mod.ts";
import { writeReport } from "../report/mod.ts";
import {
  type CellResult,
  completeCells,
  type ExperimentInputs,
  loadRunInputs,
  loadRunPredictions,
  lockRunDir,
  type OwnedFile,
  ownedFile,
  predictionsCsv,
  predictionsFile,
  readRunRecord,
  REFERENCE_VARIANT,
  resumeCommand,
  RUN_FILES,
  RunIntegrityError,
  type RunLock,
  RunLockedError,
  runPath,
  type RunRecord,
  RunRecordError,
  taskData,
  variedSettings,
  writeRunFile,
} from "../run/mod.ts";
import { formatDuration, writeSealedJson } from "../util/mod.ts";
import {
  analyseRun,
  analyseRunPredictions,
  analyseTransfer,
  type BaselineResult,
  compareWithPaper,
  type ComparisonRow,
  loadPaperResults,
  notComparableReason,
  runBaselines,
  type RunUncertainty,
  summarise,
  type SummaryRow,
  transferMarkdown,
  transferReportSection,
  type TransferResults,
  usageLine,
} from "../analysis/mod.ts";
import { runReport } from "./_run_report.ts";
import { absentClassesNote, runTableMarkdown } from "./tables.ts";
import {
  metricsCsv,
  metricsLongCsv,
  metricsLongRows,
  metricsSummaryCsv,
  metricsSummaryRows,
} from "./metrics_files.ts";

/** What {@linkcode writeRunOutputs} aggregates. */
export interface RunOutputsInput {
  /** The run directory. */
  readonly runDir: string;
  /** Its record: the settings to aggregate under (title, tasks, variants, baselines, …). */
  readonly record: RunRecord;
  /** The inputs the run was trained on (dataset, features, prompts). */
  readonly inputs: ExperimentInputs;
  /** Every cell's result, in key order. */
  readonly results: readonly CellResult[];
  /** Wall-clock seconds to report for this invocation. */
  readonly seconds: number;
}

/** Wall-clock seconds of the phases of {@linkcode writeRunOutputs}. */
export interface OutputTimings {
  /** The zero-shot and linear-probe baselines (0 when not run). */
  readonly baselines: number;
  /** Summaries, intervals and paired tests, tables, curves, `report.html`, `metrics.json`. */
  readonly outputs: number;
}

/** What a run's outputs hold, as written. */
export interface RunOutputs {
  /** The run directory. */
  readonly runDir: string;
  /** The dataset's tasks: their order, titles and class names. */
  readonly tasks: readonly TaskDescription[];
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
  /** A transfer run's results on its targets. */
  readonly transfer?: TransferResults;
  /** Wall-clock seconds of the phases. */
  readonly timings: OutputTimings;
}

/** The uncertainty of a run whose outputs are not written yet. */
export const NO_UNCERTAINTY: RunUncertainty = {
  bootstrap: { replicates: 0, seed: 0, level: 0.95 },
  groups: [],
  comparisons: [],
  missing: [],
};

/**
 * The one aggregation of a finished run, for a single-machine run and {@linkcode aggregateRun}
 * alike, under the settings its record holds: baselines, summary over seeds, the comparison with
 * the paper, `table.md`, `metrics.csv`, `curves.json`, `report.html`, and last `metrics.json`
 * (whose presence marks the run finished).
 */
export async function writeRunOutputs(input: RunOutputsInput): Promise<RunOutputs> {
  const { record, inputs, runDir, results, seconds } = input;
  const tBaselines = performance.now();
  // Every output, so that metrics.json, written last, can vouch for each.
  const written: string[] = [];
  const main = record.variants[0]?.name ?? REFERENCE_VARIANT.name;
  const baselines: BaselineResult[] = [];
  if (record.baselines) {
    for (const task of record.tasks) {
      const data = taskData(inputs.dataset, inputs.features, task);
      baselines.push(...runBaselines(data, inputs, task));
    }
    await writeRunFile(runDir, RUN_FILES.baselines, baselines);
    written.push(RUN_FILES.baselines);
  }
  const tOutputs = performance.now();
  const tasks = inputs.dataset.tasks;
  const taskNames = tasks.map((t) => t.name);
  const summary = summarise(results, taskNames);
  const uncertainty = await analyseRunPredictions(runDir, {
    tasks: taskNames,
    keys: results.map((r) => r.key),
    reference: record.variants.length > 1 ? main : undefined,
    // As recorded when the run started, so `deno task aggregate` on shards computes the same.
    replicates: record.bootstrap?.replicates,
    seed: record.bootstrap?.seed,
  });
  if (uncertainty.missing.length > 0) {
    // Every table counts the same seeds: a cell without its predictions stops the tables.
    const files = uncertainty.missing.map(predictionsFile);
    throw new RunIntegrityError(
      `${runDir}: ${files.join(", ")} ${files.length === 1 ? "is" : "are"} missing, so the ` +
        `tables would count fewer seeds for ${files.length === 1 ? "that cell" : "those cells"}` +
        `; to train ${files.length === 1 ? "it" : "them"} again: ${resumeCommand(runDir, record)}`,
      files,
    );
  }
  const keys = new Set(results.map((r) => r.key));
  const predictions = (await loadRunPredictions(runDir)).filter((p) => keys.has(p.key));
  const paper = await loadPaperResults();
  // Generated memes or the tiny model never stand beside the paper's numbers; partial data
  // does only with consent (checked before training) and with its counts on every table.
  const notComparable = record.compareWithPaper ? notComparableReason(inputs) : null;
  const comparison = record.compareWithPaper && !notComparable
    ? compareWithPaper(summary, paper, main)
    : [];
  const preface = [usageLine(inputs), notComparable && `${notComparable}.`]
    .filter((l): l is string => !!l);
  // Each task's test labels, in the dataset's task order.
  const testLabels = new Map(
    tasks.flatMap((t) => {
      const p = predictions.find((c) => c.task === t.name);
      return p ? [[t.name, { classNames: p.classNames, labels: p.rows.test.labels }]] : [];
    }),
  );
  const tableNotes = [absentClassesNote(testLabels)].filter((l): l is string => !!l);
  const transfer = record.transfer === undefined ? undefined : await analyseTransfer({
    runDir,
    record,
    results,
    uncertainty,
    mainVariant: main,
  });
  const table = runTableMarkdown({
    title: record.title,
    tasks,
    preface,
    summary,
    comparison,
    tableNotes,
    baselines,
    mainVariant: main,
    uncertainty,
    ...(transfer ? { transfer: transferMarkdown(transfer, uncertainty.bootstrap) } : {}),
  });
  await writeRunFile(runDir, RUN_FILES.table, table);
  // The files for pandas: every setting that differs between the cells a column of its own.
  const metricsInput = {
    run: runDir.replace(/\/+$/, "").split("/").at(-1)!,
    results,
    predictions,
    settings: variedSettings(results.map((r) => r.config)),
  };
  const long = metricsLongRows(metricsInput);
  await writeRunFile(runDir, RUN_FILES.metricsCsv, metricsCsv(metricsInput, long));
  await writeRunFile(runDir, RUN_FILES.metricsLong, metricsLongCsv(long, metricsInput.settings));
  await writeRunFile(
    runDir,
    RUN_FILES.metricsSummary,
    metricsSummaryCsv(metricsSummaryRows(long, uncertainty.groups), metricsInput.settings),
  );
  await writeRunFile(
    runDir,
    RUN_FILES.curves,
    results.map((r) => ({ key: r.key, curves: r.curves })),
  );
  written.push(
    RUN_FILES.table,
    RUN_FILES.metricsCsv,
    RUN_FILES.metricsLong,
    RUN_FILES.metricsSummary,
    RUN_FILES.curves,
  );
  const excluded = Object.entries(inputs.missingImages).filter(([, n]) => n > 0);
  const analysis = await analyseRun(
    predictions.filter((p) => p.variant === main),
    inputs.dataset,
    main,
    { gallery: record.gallery ?? true },
  );
  const report = runReport({
    title: record.title,
    tasks,
    subtitle: [
      `${record.tasks.length} task(s) × ${record.seeds.length} seed(s) × ${record.variants.length} variant(s)`,
      ...preface.map((l) => l.charAt(0).toUpperCase() + l.slice(1)),
    ].join(". "),
    meta: {
      commit: record.gitCommit,
      backend: [...new Set(results.map((r) => r.backendDetail ?? r.backend))].join("; "),
      "CLIP model": inputs.modelId,
      "feature store": inputs.featureKey,
      dataset: `${inputs.dataset.description.title} (${inputs.source.data})`,
      "wall time (this invocation)": formatDuration(seconds),
    },
    results,
    summary,
    uncertainty,
    comparison,
    baselines,
    variants: record.variants,
    mainVariant: main,
    preface,
    tableNotes,
    randomClip: inputs.modelId === "tiny",
    analysis,
    ...(transfer ? { transfer: transferReportSection(transfer, uncertainty.bootstrap) } : {}),
    notes: excluded.length > 0
      ? `Memes without a readable image were excluded (never silently): ${
        excluded.map(([s, n]) => `${s} ${n}`).join(", ")
      }; listed in ${inputs.featureDir}/missing-images.tsv.`
      : undefined,
  });
  await writeReport(runPath(runDir, "report"), report);
  written.push(RUN_FILES.report);
  if (record.predictionsCsv) {
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
    ...(transfer ? { transfer } : {}),
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
    baselines: (tOutputs - tBaselines) / 1000,
    outputs: (performance.now() - tOutputs) / 1000,
  };
  return {
    runDir,
    tasks,
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
    ...(transfer ? { transfer } : {}),
  };
}

/**
 * Writes a run's tables and report from its finished cells, exactly as the run itself would
 * once its last cell is in, from the feature store the run recorded (or the one in
 * `options.cacheDir`), which it never extracts. Refuses, with a {@linkcode RunIntegrityError} naming the files and
 * the command that trains them again, while cells are missing or incomplete (a file they own
 * missing, cut short or altered); and while a process still trains in the directory.
 */
export async function aggregateRun(
  runDir: string,
  log: (line: string) => void = (l) => console.error(l),
  options: { readonly cacheDir?: string } = {},
): Promise<RunOutputs> {
  const t0 = performance.now();
  const record = await readRunRecord(runDir);
  const lock = await lockWhenFree(runDir, log);
  try {
    const results = await completeCells(runDir, record);
    // The store the run recorded, never extracted again.
    const inputs = await loadRunInputs({
      runDir,
      dataset: record.dataset,
      images: record.images ?? imagesBeside(record.dataset.data),
      clipModel: record.clipModel,
      clipShape: record.clipShape,
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
      runDir,
      record,
      inputs,
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
