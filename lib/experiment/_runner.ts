/**
 * Runs the cells of an experiment: skips cells already finished in the run directory (resume),
 * trains the rest — in parallel workers, one per core, when there are several — and writes each
 * result (`cells/<key>.json`) and its per-meme predictions (`predictions/<key>.safetensors`)
 * atomically as soon as it is done, so an interrupted run loses at most the cells in flight.
 *
 * @module
 */
import { type TaskName, TASKS } from "../config/mod.ts";
import { type BackendName, trainMany, type TrainResult } from "../train/mod.ts";
import { Progress } from "../util/mod.ts";
import { type Cell, cellKey, type CellResult } from "./cells.ts";
import { writeCellPredictions } from "./predictions.ts";
import { loadCellResults, runPath, writeCellResult } from "./run_dir.ts";
import type { TaskData } from "./task_data.ts";

/** Options for {@linkcode runCells}. */
export interface RunCellsOptions {
  /** The cells to run (finished ones found in `runDir/cells` are skipped). */
  readonly cells: readonly Cell[];
  /** Inputs per task. */
  readonly data: Readonly<Partial<Record<TaskName, TaskData>>>;
  /** Prompt-initialised classifier weights per task (C × mapDim), for `classifierInit: "prompt"`. */
  readonly promptWeights?: Readonly<Partial<Record<TaskName, Float32Array>>>;
  /** The run directory; results go to `runDir/cells/<key>.json`. */
  readonly runDir: string;
  /** Parallel workers (default: one per core, at most the number of pending cells). */
  readonly workers?: number;
  /** Training backend (default: `backendSetting()`, `$MEMESENSE_BACKEND` else `auto`). */
  readonly backend?: BackendName | "auto";
  /** Called once per finished cell with the trained result (e.g. to save its head). */
  readonly onResult?: (
    cell: Cell,
    result: CellResult,
    trained: TrainResult,
  ) => Promise<void> | void;
  /** Progress output; `null` for silence. */
  readonly log?: ((line: string) => void) | null;
}

/** Runs the pending cells and returns every cell's result (earlier ones included), in key order. */
export async function runCells(opts: RunCellsOptions): Promise<CellResult[]> {
  await Deno.mkdir(runPath(opts.runDir, "cells"), { recursive: true });
  const finished = await loadCellResults(opts.runDir);
  const done = new Set(finished.map((r) => r.key));
  const pending = opts.cells.filter((c) => !done.has(cellKey(c)));
  const log = opts.log === undefined ? (s: string) => console.error(s) : opts.log;
  if (finished.length > 0) log?.(`resuming: ${done.size} cells finished, ${pending.length} to run`);
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
    // Predictions first: the cell file marks the cell finished, so it never lacks them.
    await writeCellPredictions(opts.runDir, {
      key: result.key,
      variant: cell.variant,
      task: cell.task,
      seed: cell.seed,
      classNames: TASKS[cell.task].classNames,
      epochs: { reference: trained.reference.epoch, clean: trained.clean.epoch },
      rows: {
        val: { names: data.memes.val.map((m) => m.name), labels: data.splits.val.labels },
        test: { names: data.memes.test.map((m) => m.name), labels: data.splits.test.labels },
      },
      logits: trained.logits,
    });
    await writeCellResult(opts.runDir, result);
    await opts.onResult?.(cell, result, trained);
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
