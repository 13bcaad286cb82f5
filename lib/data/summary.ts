/**
 * Class counts per split and task, as a value and as a text table.
 *
 * @module
 */
import { type Dataset, datasetTaskView } from "./dataset.ts";
import { type Split, SPLITS } from "./description.ts";

/** A split, or all splits together. */
export type SplitOrTotal = Split | "total";

/** Class counts of one task. */
export interface TaskSummary {
  /** Class names in label order. */
  readonly classNames: readonly string[];
  /** `counts[split][c]`: examples of class `c` (for a task with rows: those rows only). */
  readonly counts: Readonly<Record<SplitOrTotal, readonly number[]>>;
  /** `examples[split]`: examples of the task (the sum of `counts[split]`). */
  readonly examples: Readonly<Record<SplitOrTotal, number>>;
}

/** Counts of a whole dataset. */
export interface DatasetSummary {
  /** Memes per split and in total. */
  readonly memes: Readonly<Record<SplitOrTotal, number>>;
  /** Class counts per task, in the dataset's task order. */
  readonly tasks: Readonly<Record<string, TaskSummary>>;
  /** For each task with rows, what its `all` row counts (`hate = 1`). */
  readonly rowsOf: Readonly<Record<string, string>>;
}

/** Counts memes per split and classes per split and task. */
export function summary(ds: Dataset): DatasetSummary {
  const memes = { train: 0, val: 0, test: 0, total: ds.memes.length };
  for (const m of ds.memes) memes[m.split]++;
  const tasks: Record<string, TaskSummary> = {};
  const rowsOf: Record<string, string> = {};
  for (const task of ds.tasks) {
    const k = task.classes.length;
    const counts = { total: new Array<number>(k).fill(0) } as Record<SplitOrTotal, number[]>;
    const examples = { total: 0 } as Record<SplitOrTotal, number>;
    for (const split of SPLITS) {
      const { labels } = datasetTaskView(ds, task.name, split);
      counts[split] = new Array<number>(k).fill(0);
      for (const y of labels) {
        counts[split][y]++;
        counts.total[y]++;
      }
      examples[split] = labels.length;
      examples.total += labels.length;
    }
    tasks[task.name] = { classNames: task.classes, counts, examples };
    if (task.rows) rowsOf[task.name] = `${task.rows.task} = ${task.rows.classes.join(" or ")}`;
  }
  return { memes, tasks, rowsOf };
}

/**
 * Formats a summary as a fixed-width table: one row per task and class, columns train, val,
 * test, total, and an `all` row per task.
 */
export function formatSummary(s: DatasetSummary, title = "PrideMM"): string {
  const columns: SplitOrTotal[] = [...SPLITS, "total"];
  const names = Object.keys(s.tasks);
  const classWidth = Math.max(
    ...names.flatMap((t) => s.tasks[t].classNames.map((c) => c.length)),
  );
  const taskWidth = Math.max(8, ...names.map((t) => t.length + 2));
  const row = (task: string, cls: string, values: readonly (number | string)[]) =>
    `${task.padEnd(taskWidth)}${cls.padEnd(classWidth + 2)}${
      values.map((v) => String(v).padStart(7)).join("")
    }`;
  const lines = [
    `${title}: ${s.memes.total} memes (${SPLITS.map((sp) => `${sp} ${s.memes[sp]}`).join(", ")})`,
    "",
    row("task", "class", columns),
  ];
  for (const task of names) {
    const t = s.tasks[task];
    t.classNames.forEach((cls, c) => {
      lines.push(row(c === 0 ? task : "", cls, columns.map((col) => t.counts[col][c])));
    });
    const all = s.rowsOf[task] === undefined ? "all" : `all (${s.rowsOf[task]})`;
    lines.push(row("", all, columns.map((col) => t.examples[col])));
  }
  return lines.join("\n");
}
