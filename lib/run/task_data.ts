/**
 * Per-task training inputs: the rows of a feature table (in dataset order) gathered into the
 * train / val / test arrays the trainer takes, with memes lacking image features left out and
 * counted.
 *
 * @module
 */
import { type TaskName, TASKS } from "../config/mod.ts";
import { DataError, type Meme, type PrideMM, type Split, SPLITS, taskView } from "../data/mod.ts";
import type { FeatureTable } from "../features/mod.ts";
import type { SplitData } from "../train/mod.ts";

/** One task's inputs for the trainer. */
export interface TaskData {
  /** The task. */
  readonly task: TaskName;
  /** Number of classes. */
  readonly numClasses: number;
  /** Each split's features and labels. */
  readonly splits: Readonly<Record<Split, SplitData>>;
  /** The memes of each split, aligned with the rows of `splits[split]`. */
  readonly memes: Readonly<Record<Split, readonly Meme[]>>;
  /** Memes excluded per split because their image features are missing. */
  readonly excluded: Readonly<Record<Split, number>>;
}

/**
 * Gathers the rows of `task` for each split. The feature table (e.g. a loaded store) must list
 * the dataset's memes in order (checked by name); memes without image features are excluded from every split, counted
 * in `excluded` — never dropped silently.
 */
export function taskData(ds: PrideMM, features: FeatureTable, task: TaskName): TaskData {
  if (features.names.length !== ds.memes.length) {
    throw new Error(
      `feature table has ${features.names.length} rows but ${ds.csvPath} has ${ds.memes.length} memes: ` +
        "the features were extracted for another dataset (re-run `deno task extract`)",
    );
  }
  for (const m of ds.memes) {
    if (features.names[m.index] !== m.name) {
      throw new Error(
        `feature row ${m.index} is "${
          features.names[m.index]
        }" but ${ds.csvPath} line ${m.line} is ` +
          `"${m.name}": the features were extracted for another dataset`,
      );
    }
  }
  const d = features.dim, dT = features.textDim;
  const splits = {} as Record<Split, SplitData>;
  const memes = {} as Record<Split, Meme[]>;
  const excluded = {} as Record<Split, number>;
  for (const split of SPLITS) {
    const view = taskView(ds, task, split);
    const kept = view.memes.map((m, i) => ({ m, label: view.labels[i] }))
      .filter(({ m }) => features.imageOk[m.index] === 1);
    const n = kept.length;
    const image = new Float32Array(n * d), text = new Float32Array(n * dT);
    const labels = new Int32Array(n);
    kept.forEach(({ m, label }, i) => {
      image.set(features.image.subarray(m.index * d, (m.index + 1) * d), i * d);
      text.set(features.text.subarray(m.index * dT, (m.index + 1) * dT), i * dT);
      labels[i] = label;
    });
    splits[split] = { image, text, labels, n };
    memes[split] = kept.map(({ m }) => m);
    excluded[split] = view.memes.length - n;
  }
  return { task, numClasses: TASKS[task].classNames.length, splits, memes, excluded };
}

/** The splits a cell is scored on: each needs memes of at least two classes. */
const EVALUATED: readonly Split[] = ["val", "test"];

/**
 * Checks, before a run creates anything, that every task × split it needs has memes with a
 * readable image — and, for the splits a cell is evaluated on (val, test), memes of at least
 * two classes. Throws a {@linkcode DataError} naming the CSV, the task and split, and what it
 * holds.
 */
export function checkTaskSplits(
  ds: PrideMM,
  features: Pick<FeatureTable, "imageOk">,
  tasks: readonly TaskName[],
): void {
  for (const task of tasks) {
    const classNames = TASKS[task].classNames;
    for (const split of SPLITS) {
      const view = taskView(ds, task, split);
      const usable = view.memes.flatMap((m, i) =>
        features.imageOk[m.index] === 1 ? [view.labels[i]] : []
      );
      const which = `task ${task}, ${split} split`;
      if (usable.length === 0) {
        const lost = view.memes.length > 0
          ? ` (its ${view.memes.length} memes have no readable image)`
          : TASKS[task].hatefulOnly
          ? " (no hateful meme in it)"
          : " (no meme in it)";
        throw new DataError(ds.csvPath, `${which} is empty${lost}; every split must have memes`, {
          field: "split",
        });
      }
      const present = [...new Set(usable)].sort((a, b) => a - b);
      if (EVALUATED.includes(split) && present.length < 2) {
        throw new DataError(
          ds.csvPath,
          `${which} holds only class "${classNames[present[0]]}" (${usable.length} memes); ` +
            "a split cells are evaluated on needs at least two classes",
          { field: task },
        );
      }
    }
  }
}
