/**
 * An experiment is a set of cells — one (variant, task, seed) training run each — and its
 * results. Cells are the unit of parallelism and of resumption.
 *
 * @module
 */
import { makeConfig, type MemeSenseConfig } from "../config/mod.ts";
import type { Metrics } from "../metrics/mod.ts";
import { type EpochRecord, type Protocol, PROTOCOLS } from "../train/mod.ts";
import type { Split } from "../data/mod.ts";
import type { Variant } from "./variants.ts";

/** One training run to perform. */
export interface Cell {
  /** Head variant name. */
  readonly variant: string;
  /** The task (a task of the run's dataset). */
  readonly task: string;
  /** Training seed. */
  readonly seed: number;
  /** The complete config (the variant's overrides applied, `train.seed` = `seed`). */
  readonly config: MemeSenseConfig;
}

/** What one finished cell records (written as `cells/<key>.json`). */
export interface CellResult {
  /** The cell key ({@linkcode cellKey}). */
  readonly key: string;
  /** Head variant name. */
  readonly variant: string;
  /** The task (a task of the run's dataset). */
  readonly task: string;
  /** Training seed. */
  readonly seed: number;
  /** The complete config the cell trained with. */
  readonly config: MemeSenseConfig;
  /** The backend it trained on. */
  readonly backend: string;
  /**
   * The backend's library, kernels and threads (`blas (… OpenBLAS …, Haswell kernels, 1
   * thread)`); absent in runs from older versions.
   */
  readonly backendDetail?: string;
  /** Trainable parameters of the head. */
  readonly numParams: number;
  /** Wall-clock seconds of training and evaluation. */
  readonly seconds: number;
  /** Per-epoch training loss and val/test metrics. */
  readonly curves: readonly EpochRecord[];
  /**
   * MemeCLIP's own protocol: its `val_loader` is built from the TEST split, so the checkpoint kept
   * is the epoch with the best test AUROC, and that epoch's test metrics are reported. This leaks
   * the test set into model selection; it is mirrored to compare with the paper.
   */
  readonly reference: { readonly epoch: number; readonly test: Metrics };
  /** Select the epoch on the val split (best val AUROC), then report test once. */
  readonly clean: { readonly epoch: number; readonly val: Metrics; readonly test: Metrics };
  /** Memes left out because their image features are missing, per split. */
  readonly excluded: Readonly<Record<Split, number>>;
}

// The protocols are training's: it selects the epochs they report.
export { type Protocol, PROTOCOLS };

/** What a run's cells are made of: every variant × task × seed, each from one base config. */
export interface CellGrid {
  /** Head variants; the first is the main one. */
  readonly variants: readonly Variant[];
  /** Tasks trained. */
  readonly tasks: readonly string[];
  /** Seeds of every (variant, task). */
  readonly seeds: readonly number[];
  /** The base config every variant's overrides apply to. */
  readonly config: MemeSenseConfig;
}

/** Every cell of a grid: variant × task × seed, each with its complete config. */
export function gridCells(grid: CellGrid): Cell[] {
  return grid.variants.flatMap((variant) => {
    const base = makeConfig(variant.overrides, grid.config);
    return grid.tasks.flatMap((task) =>
      grid.seeds.map((seed) => ({
        variant: variant.name,
        task,
        seed,
        config: makeConfig({ train: { seed } }, base),
      }))
    );
  });
}

/** The file-name-safe key of a cell: `<variant>__<task>__seed<seed>`. */
export function cellKey(cell: Pick<Cell, "variant" | "task" | "seed">): string {
  const safe = cell.variant.replace(/[^A-Za-z0-9=.,_-]/g, "_");
  return `${safe}__${cell.task}__seed${cell.seed}`;
}

/** The test metrics at the epoch a protocol selected, for a finished cell. */
export function selectedTestMetrics(result: CellResult, protocol: Protocol): Metrics {
  return protocol === "reference" ? result.reference.test : result.clean.test;
}
