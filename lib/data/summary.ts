/**
 * Class counts per split and task, as a value and as a text table.
 *
 * @module
 */
import { TASK_NAMES, type TaskName, TASKS } from "../config/mod.ts";
import { type PrideMM, type Split, SPLITS, taskView } from "./pridemm.ts";

/** A split, or all splits together. */
export type SplitOrTotal = Split | "total";

/** Class counts of one task. */
export interface TaskSummary {
  /** Class names in label order. */
  readonly classNames: readonly string[];
  /** `counts[split][c]`: examples of class `c` (for `target`: hateful memes only). */
  readonly counts: Readonly<Record<SplitOrTotal, readonly number[]>>;
  /** `examples[split]`: examples of the task (the sum of `counts[split]`). */
  readonly examples: Readonly<Record<SplitOrTotal, number>>;
}

/** Counts of a whole dataset. */
export interface DatasetSummary {
  /** Memes per split and in total. */
  readonly memes: Readonly<Record<SplitOrTotal, number>>;
  /** Class counts per task. */
  readonly tasks: Readonly<Record<TaskName, TaskSummary>>;
}

/** Counts memes per split and classes per split and task. */
export function summary(ds: PrideMM): DatasetSummary {
  const memes = { train: 0, val: 0, test: 0, total: ds.memes.length };
  for (const m of ds.memes) memes[m.split]++;
  const tasks = {} as Record<TaskName, TaskSummary>;
  for (const task of TASK_NAMES) {
    const k = TASKS[task].classNames.length;
    const counts = { total: new Array<number>(k).fill(0) } as Record<SplitOrTotal, number[]>;
    const examples = { total: 0 } as Record<SplitOrTotal, number>;
    for (const split of SPLITS) {
      const { labels } = taskView(ds, task, split);
      counts[split] = new Array<number>(k).fill(0);
      for (const y of labels) {
        counts[split][y]++;
        counts.total[y]++;
      }
      examples[split] = labels.length;
      examples.total += labels.length;
    }
    tasks[task] = { classNames: TASKS[task].classNames, counts, examples };
  }
  return { memes, tasks };
}

/**
 * Formats a summary as a fixed-width table: one row per task and class, columns train, val,
 * test, total, and an `all` row per task.
 */
export function formatSummary(s: DatasetSummary, title = "PrideMM"): string {
  const columns: SplitOrTotal[] = [...SPLITS, "total"];
  const classWidth = Math.max(
    ...TASK_NAMES.flatMap((t) => s.tasks[t].classNames.map((c) => c.length)),
  );
  const row = (task: string, cls: string, values: readonly (number | string)[]) =>
    `${task.padEnd(8)}${cls.padEnd(classWidth + 2)}${
      values.map((v) => String(v).padStart(7)).join("")
    }`;
  const lines = [
    `${title}: ${s.memes.total} memes (${SPLITS.map((sp) => `${sp} ${s.memes[sp]}`).join(", ")})`,
    "",
    row("task", "class", columns),
  ];
  for (const task of TASK_NAMES) {
    const t = s.tasks[task];
    t.classNames.forEach((cls, c) => {
      lines.push(row(c === 0 ? task : "", cls, columns.map((col) => t.counts[col][c])));
    });
    lines.push(
      row("", task === "target" ? "all (hate = 1)" : "all", columns.map((col) => t.examples[col])),
    );
  }
  return lines.join("\n");
}
