/**
 * A cell's results as TensorBoard events: per-epoch curves, both checkpoint protocols' selected
 * epochs, and the cell's settings as an hparams session.
 *
 * @module
 */
import {
  EventFileError,
  type HparamsSession,
  type HparamValue,
  type ScalarEvent,
} from "./events.ts";
import { EventFileWriter } from "./writer.ts";

/**
 * One split's metrics. The suite's `Metrics` (lib/metrics) has this shape, so a cell's records
 * pass as they are.
 */
export interface CellSplitMetrics {
  /** Fraction of rows predicted right. */
  readonly accuracy: number;
  /** Macro-averaged F1. */
  readonly macroF1: number;
  /** One-vs-rest macro AUROC of the softmax probabilities (scikit-learn's). */
  readonly auroc: number;
  /** AUROC as MemeCLIP computes it (torchmetrics on sigmoid(logits)), when computed. */
  readonly aurocReference?: number;
  /** Mean cross-entropy, when computed. */
  readonly loss?: number;
}

/** One epoch of a cell. The trainer's `EpochRecord` has this shape. */
export interface CellEpoch {
  /** Epoch number, from 1: the step of every point of this epoch. */
  readonly epoch: number;
  /** Mean training cross-entropy over the epoch. */
  readonly trainLoss: number;
  /** Metrics on the val split after the epoch. */
  readonly val: CellSplitMetrics;
  /** Metrics on the test split after the epoch. */
  readonly test: CellSplitMetrics;
  /** Wall-clock seconds of the epoch, evaluation included: places the epoch in time. */
  readonly seconds: number;
  /** MemeCLIP's logged `val/auroc` (a batch mean, on the test split), when recorded. */
  readonly referenceMonitor?: number;
}

/** What a finished cell holds, in plain terms: who it is, its epochs and its selections. */
export interface CellHistory {
  /** Head variant name (`ratio=0.4,depth=2`, `memeclip`). */
  readonly variant: string;
  /** The task (`hate`, `target`, `stance`, `humour`). */
  readonly task: string;
  /** Training seed. */
  readonly seed: number;
  /**
   * The settings varied across the run's cells, by name (`ratio`, `depth`, `fusion`, …): hparams
   * beside `variant`, `task` and `seed`.
   */
  readonly settings?: Readonly<Record<string, HparamValue>>;
  /** Seconds since the Unix epoch when training started (finish time minus the cell's seconds). */
  readonly startTime: number;
  /** The epochs, in order. */
  readonly epochs: readonly CellEpoch[];
  /** MemeCLIP's protocol: the epoch it keeps (best test AUROC) and its test metrics. */
  readonly reference?: { readonly epoch: number; readonly test: CellSplitMetrics };
  /** The clean protocol: the epoch with the best val AUROC, its val and test metrics. */
  readonly clean?: {
    readonly epoch: number;
    readonly val: CellSplitMetrics;
    readonly test: CellSplitMetrics;
  };
}

/** A cell's events: the file's start time, its scalars in order, its hparams session. */
export interface CellEvents {
  /** The file's time (its name and first event): the cell's `startTime`. */
  readonly wallTime: number;
  /** Every scalar point. */
  readonly scalars: readonly ScalarEvent[];
  /** The cell's settings, from `startTime` to the end of its last epoch. */
  readonly session: HparamsSession;
}

// The metrics of a split, under the names metrics.csv gives them.
function splitScalars(prefix: string, m: CellSplitMetrics): [string, number][] {
  const out: [string, number][] = [
    [`${prefix}/accuracy`, m.accuracy],
    [`${prefix}/auroc`, m.auroc],
  ];
  if (m.aurocReference !== undefined) out.push([`${prefix}/auroc_reference`, m.aurocReference]);
  out.push([`${prefix}/macro_f1`, m.macroF1]);
  if (m.loss !== undefined) out.push([`${prefix}/loss`, m.loss]);
  return out;
}

/**
 * The events of one cell, a pure function of its history. Per epoch (step = epoch, wall time =
 * `startTime` plus the seconds of the epochs so far): `train/loss`; `val/…` and `test/…`
 * (`accuracy`, `auroc`, `auroc_reference`, `macro_f1`, `loss`); `test/auroc_batch_mean` (the
 * number MemeCLIP logs as `val/auroc` and selects on). Per protocol, one point at its selected
 * epoch: `reference/epoch` and `reference/test/…`; `clean/epoch`, `clean/val/…` and
 * `clean/test/…`. The hparams are `variant`, `task`, `seed` and the `settings`. Throws an
 * {@linkcode EventFileError} naming the cell and field on epochs out of order, a negative or
 * non-finite duration, a selected epoch that is not among the epochs, or a setting named like one
 * of the three.
 */
export function cellEvents(cell: CellHistory): CellEvents {
  const name = `cell ${cell.variant}/${cell.task}/seed ${cell.seed}`;
  const fail = (what: string): never => {
    throw new EventFileError(`${name}: ${what}`);
  };
  if (!Number.isFinite(cell.startTime) || cell.startTime < 0) {
    fail(`startTime must be seconds since 1970, got ${cell.startTime}`);
  }
  if (cell.epochs.length === 0) fail(`no epochs`);
  const scalars: ScalarEvent[] = [];
  let time = cell.startTime;
  let previous = 0;
  for (const e of cell.epochs) {
    if (!Number.isSafeInteger(e.epoch) || e.epoch <= previous) {
      fail(`epoch ${e.epoch} follows epoch ${previous}; epochs count up from 1`);
    }
    if (!Number.isFinite(e.seconds) || e.seconds < 0) {
      fail(`epoch ${e.epoch}: seconds must be ≥ 0, got ${e.seconds}`);
    }
    previous = e.epoch;
    time += e.seconds;
    const point = (tag: string, value: number) =>
      scalars.push({ tag, step: e.epoch, value, wallTime: time });
    point("train/loss", e.trainLoss);
    for (const [tag, value] of splitScalars("val", e.val)) point(tag, value);
    for (const [tag, value] of splitScalars("test", e.test)) point(tag, value);
    if (e.referenceMonitor !== undefined) point("test/auroc_batch_mean", e.referenceMonitor);
  }
  const endTime = time;
  const selected = (protocol: string, epoch: number, splits: [string, CellSplitMetrics][]) => {
    if (!cell.epochs.some((e) => e.epoch === epoch)) {
      fail(`${protocol}.epoch ${epoch} is not one of the cell's epochs`);
    }
    scalars.push({ tag: `${protocol}/epoch`, step: epoch, value: epoch, wallTime: endTime });
    for (const [split, metrics] of splits) {
      for (const [tag, value] of splitScalars(`${protocol}/${split}`, metrics)) {
        scalars.push({ tag, step: epoch, value, wallTime: endTime });
      }
    }
  };
  if (cell.reference) selected("reference", cell.reference.epoch, [["test", cell.reference.test]]);
  if (cell.clean) {
    selected("clean", cell.clean.epoch, [["val", cell.clean.val], ["test", cell.clean.test]]);
  }
  const hparams: Record<string, HparamValue> = {
    variant: cell.variant,
    task: cell.task,
    seed: cell.seed,
  };
  for (const [key, value] of Object.entries(cell.settings ?? {})) {
    if (key in hparams) fail(`setting "${key}" would hide the cell's own ${key}`);
    hparams[key] = value;
  }
  return {
    wallTime: cell.startTime,
    scalars,
    session: { hparams, startTime: cell.startTime, endTime, status: "success" },
  };
}

/**
 * Writes a cell's events ({@linkcode cellEvents}) as one event file in `dir` (the cell's own
 * TensorBoard run), atomically, and returns its path. With the same history and host, the same
 * name and bytes.
 */
export function writeCellEvents(
  dir: string,
  cell: CellHistory,
  options: { readonly host?: string } = {},
): Promise<string> {
  const events = cellEvents(cell);
  const writer = new EventFileWriter(dir, { wallTime: events.wallTime, host: options.host });
  writer.addHparams(events.session);
  for (const s of events.scalars) writer.addScalar(s);
  return writer.close();
}
