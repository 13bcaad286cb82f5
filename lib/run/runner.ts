/**
 * Runs the cells of an experiment: skips cells already complete in the run directory (resume),
 * trains the rest — in parallel workers, one per core, when there are several — and, as soon as
 * a cell is done, writes the files it owns (its per-meme predictions, and whatever `ownFiles`
 * writes: the head of the cell that saves it), verifies them, and last writes its record
 * (`cells/<key>.json`) with their sizes and checksums — so an interrupted run, or one whose disk
 * filled up, loses at most the cells in flight, and never marks one finished that lacks a file.
 * A cell whose record or files are missing, cut short or altered is trained again.
 *
 * @module
 */
import type { BackendName } from "../config/mod.ts";
import { readEventFile, writeCellEvents } from "../tensorboard/mod.ts";
import { trainMany, type TrainResult } from "../train/mod.ts";
import { ensureDir, FileWriteError, Progress } from "../util/mod.ts";
import { type Cell, cellKey, type CellResult } from "./cells.ts";
import { encodeCellPredictions } from "./predictions.ts";
import { predictionsFile, runPath, tensorboardFolder } from "./run_dir.ts";
import { ownedFile, writeOwnedFile } from "./owned_files.ts";
import { settingValues, type VariedSetting, variedSettings } from "./variants.ts";
import { checkCells, writeCellResult } from "./integrity.ts";
import type { TaskData } from "./task_data.ts";

/** Options for {@linkcode runCells}. */
export interface RunCellsOptions {
  /** The cells to run (finished ones found in `runDir/cells` are skipped). */
  readonly cells: readonly Cell[];
  /** Inputs per task. */
  readonly data: Readonly<Record<string, TaskData>>;
  /** Prompt-initialised classifier weights per task (C × mapDim), for `classifierInit: "prompt"`. */
  readonly promptWeights?: Readonly<Record<string, Float32Array>>;
  /** The run directory; results go to `runDir/cells/<key>.json`. */
  readonly runDir: string;
  /** Parallel workers (default: one per core, at most the number of pending cells). */
  readonly workers?: number;
  /** Training backend (default: `backendSetting()`, `$MEMESENSE_BACKEND` else `auto`). */
  readonly backend?: BackendName | "auto";
  /**
   * Called once per trained cell, before its record is written, to write the other files the
   * cell owns (its head); returns their paths relative to the run directory, which the record
   * lists with their sizes and checksums.
   */
  readonly ownFiles?: (cell: Cell, trained: TrainResult) => Promise<readonly string[]>;
  /**
   * The settings that differ between the run's cells, which each cell's TensorBoard file holds as
   * hparams beside its variant, task and seed (default: those that differ between `cells`; a
   * shard passes the whole run's, so that every shard writes the same names).
   */
  readonly variedSettings?: readonly VariedSetting[];
  /** Progress output; `null` for silence. */
  readonly log?: ((line: string) => void) | null;
}

/** Runs the pending cells and returns every cell's result (earlier ones included), in key order. */
export async function runCells(opts: RunCellsOptions): Promise<CellResult[]> {
  await ensureDir(runPath(opts.runDir, "cells"));
  const log = opts.log === undefined ? (s: string) => console.error(s) : opts.log;
  const wanted = new Set(opts.cells.map(cellKey));
  const all = await checkCells(opts.runDir);
  const checks = all.filter((c) => wanted.has(c.key));
  const finished = checks.flatMap((c) => (c.condition === "complete" ? [c.result!] : []));
  const done = new Set(finished.map((r) => r.key));
  for (const c of checks.filter((c) => c.condition !== "complete")) {
    log?.(`${c.key} is incomplete (${c.problems.join("; ")}): training it again`);
  }
  const pending = opts.cells.filter((c) => !done.has(cellKey(c)));
  if (all.length > 0) {
    // Every finished cell of the run (other shards' too), and this invocation's share.
    const finishedInRun = all.filter((c) => c.condition === "complete").length;
    log?.(
      `resuming: ${finishedInRun} cells finished, ` +
        (pending.length === 0 ? "nothing to train" : `${pending.length} to run`),
    );
  }
  if (pending.length === 0) return finished.sort((a, b) => a.key.localeCompare(b.key));
  const progress = new Progress({
    label: "cells",
    total: opts.cells.length,
    unit: "cells",
    initial: opts.cells.length - pending.length,
    // Redrawn in place on a terminal; through the caller's log otherwise.
    write: opts.log === undefined ? undefined : opts.log === null ? null : (l) => log!(l.trimEnd()),
  });
  const results = [...finished];
  const jobs = pending.map((cell) => {
    const data = opts.data[cell.task];
    if (!data) throw new Error(`no data for task ${cell.task}`);
    return {
      config: cell.config,
      numClasses: data.numClasses,
      train: data.splits.train,
      val: data.splits.val,
      test: data.splits.test,
      promptWeights: cell.config.head.classifierInit === "prompt"
        ? opts.promptWeights?.[cell.task]
        : undefined,
      backend: opts.backend,
    };
  });
  const varied = opts.variedSettings ?? variedSettings(opts.cells.map((c) => c.config));
  // Each result is written as soon as its cell finishes, so an interrupted run keeps it.
  const writes: Promise<void>[] = [];
  let failure: unknown = null;
  const record = async (index: number, trained: TrainResult) => {
    const cell = pending[index];
    const data = opts.data[cell.task]!;
    const result: CellResult = {
      key: cellKey(cell),
      variant: cell.variant,
      task: cell.task,
      seed: cell.seed,
      config: cell.config,
      backend: trained.backend,
      backendDetail: trained.backendDetail,
      numParams: trained.numParams,
      seconds: trained.curves.reduce((s, e) => s + e.seconds, 0),
      curves: trained.curves,
      reference: trained.reference,
      clean: trained.clean,
      excluded: data.excluded,
    };
    // The files the cell owns first, each verified; its record last, since the record marks
    // the cell finished and lists the files with their sizes and checksums.
    const bytes = encodeCellPredictions({
      key: result.key,
      variant: cell.variant,
      task: cell.task,
      seed: cell.seed,
      classNames: data.classNames,
      epochs: { reference: trained.reference.epoch, clean: trained.clean.epoch },
      rows: {
        val: { names: data.memes.val.map((m) => m.name), labels: data.splits.val.labels },
        test: { names: data.memes.test.map((m) => m.name), labels: data.splits.test.labels },
      },
      logits: trained.logits,
    });
    const files = [await writeOwnedFile(opts.runDir, predictionsFile(result.key), bytes)];
    for (const path of (await opts.ownFiles?.(cell, trained)) ?? []) {
      files.push(await ownedFile(opts.runDir, path));
    }
    files.push(await writeCellTensorboard(opts.runDir, result, settingValues(cell.config, varied)));
    await writeCellResult(opts.runDir, result, files);
    results.push(result);
    progress.tick();
  };
  await trainMany(jobs, {
    workers: opts.workers,
    // A failed write is kept and rethrown below once every write has settled.
    onDone: (index, trained) =>
      void writes.push(record(index, trained).catch((e) => void (failure ??= e))),
  });
  await Promise.all(writes);
  if (failure) throw failure;
  progress.finish();
  return results.sort((a, b) => a.key.localeCompare(b.key));
}

/**
 * Writes a finished cell's TensorBoard event file into `tensorboard/<key>/` (its curves, both
 * protocols' selections, its settings as hparams) and returns it as owned. The folder is emptied
 * first: a cell trained again must not leave an earlier attempt's file beside the new one, which
 * TensorBoard would read as the same run. The file's time is the cell's start (now, less its
 * seconds).
 */
async function writeCellTensorboard(
  runDir: string,
  result: CellResult,
  settings: Readonly<Record<string, string | number | boolean>>,
) {
  const folder = tensorboardFolder(result.key);
  await Deno.remove(`${runDir}/${folder}`, { recursive: true }).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
  const path = await writeCellEvents(`${runDir}/${folder}`, {
    variant: result.variant,
    task: result.task,
    seed: result.seed,
    settings,
    startTime: Math.max(0, Date.now() / 1000 - result.seconds),
    epochs: result.curves,
    reference: result.reference,
    clean: result.clean,
  });
  // Read back as TensorBoard reads it (every record's CRCs): a file that does not is a failed write.
  await readEventFile(path).catch(() => {
    throw new FileWriteError(path, "EIO");
  });
  return await ownedFile(runDir, `${folder}/${path.slice(path.lastIndexOf("/") + 1)}`);
}
