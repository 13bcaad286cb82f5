/**
 * Per-task training inputs: the rows of a feature table (in dataset order) gathered into the
 * train / val / test arrays the trainer takes, with memes lacking image features left out and
 * counted.
 *
 * @module
 */
import {
  DataError,
  type Dataset,
  type DatasetMeme,
  datasetTask,
  datasetTaskView,
  type Split,
  SPLITS,
} from "../data/mod.ts";
import type { FeatureTable } from "../features/mod.ts";
import type { SplitData } from "../train/mod.ts";

/** One task's inputs for the trainer. */
export interface TaskData {
  /** The task. */
  readonly task: string;
  /** Number of classes. */
  readonly numClasses: number;
  /** The task's title (for tables and figures). */
  readonly title: string;
  /** Class names in label order. */
  readonly classNames: readonly string[];
  /** Each split's features and labels. */
  readonly splits: Readonly<Record<Split, SplitData>>;
  /** The memes of each split, aligned with the rows of `splits[split]`. */
  readonly memes: Readonly<Record<Split, readonly DatasetMeme[]>>;
  /** Memes excluded per split because their image features are missing. */
  readonly excluded: Readonly<Record<Split, number>>;
}

/** How messages name a dataset: its title and folder. */
function where(ds: Dataset): string {
  return `${ds.description.title} (${ds.root})`;
}

/**
 * Gathers the rows of `task` for each split. The feature table (e.g. a loaded store) must list
 * the dataset's memes in order (checked by name); memes without image features are excluded from
 * every split, counted in `excluded` — never dropped silently.
 */
export function taskData(ds: Dataset, features: FeatureTable, task: string): TaskData {
  const description = datasetTask(ds.description, task);
  if (features.names.length !== ds.memes.length) {
    throw new Error(
      `feature table has ${features.names.length} rows but ${where(ds)} has ` +
        `${ds.memes.length} memes: the features were extracted for another dataset (re-run ` +
        "`deno task extract`)",
    );
  }
  for (const m of ds.memes) {
    if (features.names[m.index] !== m.name) {
      throw new Error(
        `feature row ${m.index} is "${features.names[m.index]}" but ${m.file} line ${m.line} is ` +
          `"${m.name}": the features were extracted for another dataset`,
      );
    }
  }
  const d = features.dim, dT = features.textDim;
  const splits = {} as Record<Split, SplitData>;
  const memes = {} as Record<Split, DatasetMeme[]>;
  const excluded = {} as Record<Split, number>;
  for (const split of SPLITS) {
    const view = datasetTaskView(ds, task, split);
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
  return {
    task,
    numClasses: description.classes.length,
    title: description.title,
    classNames: description.classes,
    splits,
    memes,
    excluded,
  };
}

/** The splits a cell is scored on: each needs memes of at least two classes. */
const EVALUATED: readonly Split[] = ["val", "test"];

/**
 * Checks, before a run creates anything, that every task × split it needs has memes with a
 * readable image — and, for the splits a cell is evaluated on (val, test), memes of at least
 * two classes. Without `features` (before extraction) every image counts as readable: the labels
 * alone are checked. `splits` limits the check (a transfer target is tested only). Throws a
 * {@linkcode DataError} naming the split's file, the task and split, and what it holds.
 */
export function checkTaskSplits(
  ds: Dataset,
  features: Pick<FeatureTable, "imageOk"> | null,
  tasks: readonly string[],
  splits: readonly Split[] = SPLITS,
): void {
  for (const task of tasks) {
    const description = datasetTask(ds.description, task);
    for (const split of splits) {
      const view = datasetTaskView(ds, task, split);
      const usable = view.memes.flatMap((m, i) =>
        features === null || features.imageOk[m.index] === 1 ? [view.labels[i]] : []
      );
      const chosen = ds.splits[split].name;
      const which = `task ${task}, ${split} split${chosen === split ? "" : ` (${chosen})`}`;
      const file = ds.splits[split].file;
      if (usable.length === 0) {
        const lost = view.memes.length > 0
          ? ` (its ${view.memes.length} memes have no readable image)`
          : description.rows !== undefined
          ? ` (no ${description.rows.noun} in it)`
          : " (no meme in it)";
        // A split chosen by a field's value (PrideMM's `split` column) is that field's fault.
        const source = ds.description.splits[chosen];
        throw new DataError(
          file,
          `${which} is empty${lost}; every split must have memes`,
          "field" in source ? { field: source.field } : {},
        );
      }
      const present = [...new Set(usable)].sort((a, b) => a - b);
      if (EVALUATED.includes(split) && present.length < 2) {
        throw new DataError(
          file,
          `${which} holds only class "${description.classes[present[0]]}" (${usable.length} ` +
            "memes); a split cells are evaluated on needs at least two classes",
          { field: description.field },
        );
      }
    }
  }
}
