/**
 * Cross-dataset transfer as cells: a transfer run trains and selects the source task's heads on
 * the source dataset, as any run does, and each cell also scores its two selected heads (one per
 * checkpoint protocol) on every target's test split, with the target's labels read as the source
 * task's classes. Those logits are files the cell owns (`transfer/<target>/<key>.safetensors`),
 * so a cell is finished with all of them or trained again.
 *
 * @module
 */
import type { ClassMap } from "../data/mod.ts";
import { predictLogits, type SplitData, type TrainResult } from "../train/mod.ts";
import type { Cell } from "./cells.ts";
import { cellKey } from "./cells.ts";
import type { ExperimentInputs } from "./inputs.ts";
import { type CellPredictions, encodeCellPredictions } from "./predictions.ts";
import { recordedDataset } from "./inputs.ts";
import type { RecordedTransferTarget } from "./record.ts";
import { type TaskData, taskData } from "./task_data.ts";

/** One target of a transfer run, prepared. */
export interface TransferTarget {
  /** Its name in the run: `<dataset>-<task>` (its folder under `transfer/`). */
  readonly id: string;
  /** The target's dataset, features and prompts. */
  readonly inputs: ExperimentInputs;
  /** The target's task. */
  readonly task: string;
  /** How the target's classes read as the source task's. */
  readonly classMap: ClassMap;
  /** A finished within-dataset run on the target, shown beside. */
  readonly within?: string;
}

/** A target's test memes as a head scores them: features, and labels as source classes. */
export interface TransferTest {
  /** The target. */
  readonly target: TransferTarget;
  /** Features and source-class labels of the test memes with a readable image. */
  readonly split: SplitData;
  /** Their names, in row order. */
  readonly names: readonly string[];
  /** Test memes left out because their image is missing or unreadable. */
  readonly excluded: number;
}

/** The name of a target in a run: `<dataset>-<task>`. */
export function transferTargetId(dataset: string, task: string): string {
  return `${dataset}-${task}`;
}

/** A target's test split, its labels read as the source task's classes. */
export function transferTest(target: TransferTarget): TransferTest {
  const data: TaskData = taskData(target.inputs.dataset, target.inputs.features, target.task);
  const { test } = data.splits;
  const map = target.classMap.targetToSource;
  return {
    target,
    split: { ...test, labels: Int32Array.from(test.labels, (y) => map[y]) },
    names: data.memes.test.map((m) => m.name),
    excluded: data.excluded.test,
  };
}

/** What a run records of a target, from its prepared test split. */
export function recordedTransferTarget(test: TransferTest): RecordedTransferTarget {
  const { target } = test;
  return {
    id: target.id,
    dataset: recordedDataset(target.inputs),
    images: target.inputs.dataset.imageDir,
    task: target.task,
    targetToSource: target.classMap.targetToSource,
    classMapFrom: target.classMap.declaredBy,
    featureStore: target.inputs.featureKey,
    featureStoreDir: target.inputs.featureDir,
    testMemes: test.split.n + test.excluded,
    excludedWithoutImage: test.excluded,
    ...(target.within === undefined ? {} : { within: target.within }),
  };
}

/**
 * A cell's predictions on a target's test split: the logits of the head each protocol selected
 * (on the source's splits), in the source task's classes; its val rows are the source's val
 * split, as the cell saw it (a temperature fitted there calibrates the target's logits).
 * Computed on the active training backend (`initBackend`).
 */
export function transferCellPredictions(
  cell: Cell,
  trained: TrainResult,
  source: TaskData,
  test: TransferTest,
): CellPredictions {
  const { split } = test;
  const logits = (protocol: "reference" | "clean") =>
    predictLogits(trained.heads[protocol], cell.config, split.image, split.text, split.n);
  const val = { names: source.memes.val.map((m) => m.name), labels: source.splits.val.labels };
  const rows = { val, test: { names: test.names, labels: split.labels } };
  return {
    key: cellKey(cell),
    variant: cell.variant,
    task: cell.task,
    seed: cell.seed,
    classNames: source.classNames,
    epochs: { reference: trained.reference.epoch, clean: trained.clean.epoch },
    rows,
    logits: {
      reference: { val: trained.logits.reference.val, test: logits("reference") },
      clean: { val: trained.logits.clean.val, test: logits("clean") },
    },
  };
}

/** {@linkcode transferCellPredictions} as the bytes of its file. */
export function encodeTransferPredictions(
  cell: Cell,
  trained: TrainResult,
  source: TaskData,
  test: TransferTest,
): Uint8Array {
  return encodeCellPredictions(transferCellPredictions(cell, trained, source, test));
}
