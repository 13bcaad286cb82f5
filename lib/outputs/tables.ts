/**
 * The tables an experiment writes: the per-task comparison with the paper (`table.md`), the
 * summary of every variant, the baselines, and the test-set
 * intervals, paired comparisons, calibration and per-class tables.
 *
 * @module
 */
import type { TaskDescription } from "../data/mod.ts";
import { type MeanStd, TEMPERATURE_RANGE } from "../metrics/mod.ts";
import {
  type Align,
  formatMeanStd,
  formatPct,
  formatSigned,
  markdownTable,
  MISSING,
  SIGMOID_AUROC_NAME,
  type TableCell,
  type TableData,
} from "../report/mod.ts";
import {
  type BaselineResult,
  type ComparisonRow,
  type GroupStats,
  type PairedComparison,
  type RunUncertainty,
  type SummaryRow,
} from "../analysis/mod.ts";
import { PROTOCOLS } from "../run/mod.ts";
import { BOOTSTRAP_METRICS, type BootstrapMetric, type Interval } from "../metrics/mod.ts";

/** The title of a task among a dataset's tasks (its name when it has none). */
export function taskTitle(tasks: readonly TaskDescription[], name: string): string {
  return tasks.find((t) => t.name === name)?.title ?? name;
}

/** Left-aligned text columns, then right-aligned numbers. */
function textThenNumbers(columns: number, textColumns: number): Align[] {
  return Array.from({ length: columns }, (_, i) => (i < textColumns ? "left" : "right"));
}

const PROTOCOL_LABEL = {
  reference: "reference (test-selected)",
  clean: "clean (val-selected)",
} as const;

/** How to read {@linkcode comparisonTable}: the notation of its cells, in the words it prints. */
export const COMPARISON_TABLE_NOTE: string =
  "Test metrics in percent: mean ± std over seeds, and under it (CI ± x), the half-width of the " +
  "95% Student-t interval of that mean over seeds (it covers seed-to-seed variation only, not " +
  "the sampling of the test memes). The paper row of each task holds MemeCLIP's published " +
  "numbers; Δ is our mean minus the paper's number, in points.";

/**
 * The results table beside the paper, as data: for each task a row with the paper's numbers,
 * then one row per protocol with accuracy / AUROC / macro-F1 as mean ± std over seeds and, on a
 * second line, the 95% CI half-width `(CI ± x)`; each metric followed by its difference from the
 * paper (Δ), and MemeCLIP's own sigmoid AUROC last. The paper's number sits in the same column
 * as ours, so they compare at a glance. Read it with {@linkcode COMPARISON_TABLE_NOTE}. Tasks in
 * the order of `tasks` (the dataset's), each under its title.
 */
export function comparisonTableData(
  rows: readonly ComparisonRow[],
  tasks: readonly TaskDescription[],
  intervals: readonly GroupStats[] = [],
): TableData {
  const headers = [
    "Task",
    "Protocol",
    "Seeds",
    "Accuracy",
    "Δ Acc",
    "AUROC",
    "Δ AUROC",
    "Macro-F1",
    "Δ F1",
    SIGMOID_AUROC_NAME.replace(" (", "\n("),
  ];
  const ours = (value: MeanStd, r: ComparisonRow, metric: BootstrapMetric) =>
    withIntervals(value, testInterval(intervals, r.task, r.protocol, metric));
  const body: TableCell[][] = [];
  for (const { name, title } of tasks) {
    const forTask = rows.filter((r) => r.task === name);
    if (forTask.length === 0) continue;
    const paper = forTask[0].paper;
    body.push([
      title,
      "paper (MemeCLIP)",
      MISSING,
      paper.accuracy.toFixed(2),
      "",
      paper.auroc.toFixed(2),
      "",
      paper.macroF1.toFixed(2),
      "",
      MISSING,
    ]);
    for (const r of forTask) {
      body.push([
        title,
        PROTOCOL_LABEL[r.protocol],
        r.n,
        ours(r.ours.accuracy, r, "accuracy"),
        formatSigned(r.diff.accuracy),
        ours(r.ours.auroc, r, "auroc"),
        formatSigned(r.diff.auroc),
        ours(r.ours.macroF1, r, "macroF1"),
        formatSigned(r.diff.macroF1),
        formatMeanStd(r.oursAurocReference),
      ]);
    }
  }
  return { headers, rows: body, align: textThenNumbers(headers.length, 2) };
}

/** The bootstrap interval over test memes of a (task, protocol, metric) among `intervals`. */
function testInterval(
  intervals: readonly GroupStats[],
  task: string,
  protocol: string,
  metric: BootstrapMetric,
): Interval | undefined {
  return intervals.find((g) => g.task === task && g.protocol === protocol)?.interval[metric];
}

/**
 * A mean over seeds as the tables print it, each part on a line of its own: `mean ± std`, then
 * `[lo, hi]` (the 95 % bootstrap interval over test memes, when given), then `(CI ± x)` (the
 * Student-t half-width over seeds, with two or more seeds).
 */
function withIntervals(value: MeanStd, interval?: Interval): string {
  const text = formatMeanStd(value);
  const ci = formatMeanStd(value, { ci: true }).slice(text.length).trim();
  const boot = interval ? `[${formatPct(interval.lo)}, ${formatPct(interval.hi)}]` : "";
  return [text, boot, ci].filter((x) => x !== "").join("\n");
}

/**
 * The per-task table of one variant when it is not set beside the paper, as data: per task and
 * protocol the seeds, accuracy, AUROC and macro-F1 as mean ± std over seeds with the 95 %
 * bootstrap interval over test memes (from `intervals`, the variant's groups) and the Student-t
 * interval over seeds beneath, MemeCLIP's sigmoid AUROC, and the mean selected epoch. Tasks in
 * the order of `tasks` (the dataset's), each under its title.
 */
export function taskTableData(
  rows: readonly SummaryRow[],
  tasks: readonly TaskDescription[],
  intervals: readonly GroupStats[] = [],
): TableData {
  const headers = [
    "Task",
    "Protocol",
    "Seeds",
    "Accuracy",
    "AUROC",
    "Macro-F1",
    SIGMOID_AUROC_NAME.replace(" (", "\n("),
    "Epoch\n(mean over seeds)",
  ];
  const body = tasks.flatMap((task) =>
    rows.filter((r) => r.task === task.name).map((r) => {
      const cell = (metric: BootstrapMetric) =>
        withIntervals(r.metrics[metric], testInterval(intervals, r.task, r.protocol, metric));
      return [
        task.title,
        PROTOCOL_LABEL[r.protocol],
        r.seeds.length,
        cell("accuracy"),
        cell("auroc"),
        cell("macroF1"),
        formatMeanStd(r.metrics.aurocReference),
        r.meanEpoch.toFixed(1),
      ];
    })
  );
  return { headers, rows: body, align: textThenNumbers(headers.length, 2) };
}

/** {@linkcode comparisonTableData} as a Markdown table (`table.md`, the printed output). */
export function comparisonTable(
  rows: readonly ComparisonRow[],
  tasks: readonly TaskDescription[],
): string {
  const table = comparisonTableData(rows, tasks);
  return markdownTable(table.headers, table.rows, table.align);
}

/** Every (variant, task, protocol) summarised, as data: the ablation table. */
export function summaryTableData(rows: readonly SummaryRow[]): TableData {
  const headers = [
    "Variant",
    "Task",
    "Protocol",
    "Seeds",
    "Accuracy",
    "AUROC",
    "Macro-F1",
    SIGMOID_AUROC_NAME.replace(" (", "\n("),
    "Epoch",
  ];
  const body = rows.map((r) => [
    r.variant,
    r.task,
    r.protocol,
    r.seeds.length,
    formatMeanStd(r.metrics.accuracy),
    formatMeanStd(r.metrics.auroc),
    formatMeanStd(r.metrics.macroF1),
    formatMeanStd(r.metrics.aurocReference),
    r.meanEpoch.toFixed(1),
  ]);
  return { headers, rows: body, align: textThenNumbers(headers.length, 3) };
}

/** {@linkcode summaryTableData} as a Markdown table. */
export function summaryTable(rows: readonly SummaryRow[]): string {
  const table = summaryTableData(rows);
  return markdownTable(table.headers, table.rows, table.align);
}

/**
 * Baselines beside the head: zero-shot CLIP and the linear probe per task, then the main head and
 * the image-only / text-only heads (clean protocol, mean over seeds) where they were run.
 */
export function baselineTable(
  baselines: readonly BaselineResult[],
  summary: readonly SummaryRow[],
  main: string | undefined,
  datasetTasks: readonly TaskDescription[],
): string {
  const names = [...new Set(baselines.map((b) => b.name))];
  const tasks = datasetTasks.filter((t) => baselines.some((b) => b.task === t.name));
  const rows: (string | number)[][] = [];
  for (const { name: task, title } of tasks) {
    for (const name of names) {
      const b = baselines.find((x) => x.name === name && x.task === task);
      if (!b) continue;
      rows.push([
        title,
        name,
        formatPct(b.test.accuracy),
        formatPct(b.test.auroc),
        formatPct(b.test.macroF1),
      ]);
    }
    for (const variant of [main, "image-only", "text-only"]) {
      const s = summary.find((r) =>
        r.variant === variant && r.task === task && r.protocol === "clean"
      );
      if (!s) continue;
      rows.push([
        title,
        `${variant === main ? "MemeCLIP head" : `${variant} head`} (clean, mean)`,
        formatPct(s.metrics.accuracy.mean),
        formatPct(s.metrics.auroc.mean),
        formatPct(s.metrics.macroF1.mean),
      ]);
    }
  }
  const headers = ["Task", "Model", "Accuracy", "AUROC", "Macro-F1"];
  return markdownTable(headers, rows, textThenNumbers(headers.length, 2));
}

const METRIC_LABEL = { accuracy: "Accuracy", macroF1: "Macro-F1", auroc: "AUROC" } as const;

/** `76.33 [72.58, 79.88]`: a fraction as percent with its interval. */
function pctInterval(point: number, interval: Interval): string {
  return `${formatPct(point)} [${formatPct(interval.lo)}, ${formatPct(interval.hi)}]`;
}

/**
 * Test-set uncertainty of every (variant, task, protocol), as data: each metric as the mean over
 * seeds with its 95 % stratified-bootstrap interval over test memes, in percent.
 */
export function intervalTableData(stats: readonly GroupStats[]): TableData {
  const headers = [
    "Variant",
    "Task",
    "Protocol",
    "Seeds",
    "Test memes",
    ...BOOTSTRAP_METRICS.map(
      (m) => `${METRIC_LABEL[m]} [95% bootstrap]`,
    ),
  ];
  const body = stats.map((s) => [
    s.variant,
    s.task,
    s.protocol,
    s.seeds.length,
    s.n,
    ...BOOTSTRAP_METRICS.map((m) => pctInterval(s.point[m], s.interval[m])),
  ]);
  return { headers, rows: body, align: textThenNumbers(headers.length, 3) };
}

/** {@linkcode intervalTableData} as a Markdown table (`table.md`). */
export function intervalTable(stats: readonly GroupStats[]): string {
  const t = intervalTableData(stats);
  return markdownTable(t.headers, t.rows, t.align);
}

/** A p-value as the tables print it: three decimals, or one significant digit below 0.001. */
export function formatP(p: number): string {
  return p < 0.001 ? p.toExponential(1) : p.toFixed(3);
}

/**
 * Paired comparisons as data, one row per (pair, task, protocol, metric): the difference in
 * points with its paired-bootstrap interval, the p-value, its Holm adjustment, and for accuracy
 * McNemar's exact test on the seed-majority predictions. `✓` marks a difference that holds after
 * Holm's adjustment.
 */
export function pairedComparisonTableData(rows: readonly PairedComparison[]): TableData {
  const headers = [
    "A",
    "B",
    "Task",
    "Protocol",
    "Metric",
    "Δ (A − B)",
    "95% paired bootstrap",
    "p",
    "p (Holm)",
    "Holds",
    "McNemar A/B only, p (Holm)",
  ];
  const body = rows.map((r) => [
    r.a,
    r.b,
    r.task,
    r.protocol,
    METRIC_LABEL[r.metric],
    formatSigned(100 * r.diff),
    `[${formatSigned(100 * r.interval.lo)}, ${formatSigned(100 * r.interval.hi)}]`,
    formatP(r.p),
    formatP(r.pHolm),
    r.holds ? "✓" : "",
    r.mcnemar
      ? `${r.mcnemar.onlyA}/${r.mcnemar.onlyB}, ${formatP(r.mcnemar.p)} (${
        formatP(r.mcnemar.pHolm)
      })`
      : "",
  ]);
  return { headers, rows: body, align: textThenNumbers(headers.length, 5) };
}

/** {@linkcode pairedComparisonTableData} as a Markdown table (`table.md`, the printed output). */
export function pairedComparisonTable(rows: readonly PairedComparison[]): string {
  const t = pairedComparisonTableData(rows);
  return markdownTable(t.headers, t.rows, t.align);
}

/**
 * Calibration per (variant, task, protocol) as data: the fitted temperatures, ECE (15 bins, top
 * label) and Brier score on test before → after temperature scaling, accuracy (unchanged by
 * scaling) and AUROC before → after (unchanged for two classes).
 */
export function calibrationTableData(stats: readonly GroupStats[]): TableData {
  const headers = [
    "Variant",
    "Task",
    "Protocol",
    "T (val-fitted)",
    "ECE before → after",
    "Brier before → after",
    "Accuracy",
    "AUROC before → after",
  ];
  const body = stats.map((s) => {
    const c = s.calibration;
    const ts = c.temperatures;
    return [
      s.variant,
      s.task,
      s.protocol,
      ts.length === 1
        ? ts[0].toFixed(2)
        : `${Math.min(...ts).toFixed(2)}–${Math.max(...ts).toFixed(2)}`,
      `${formatPct(c.before.ece)} → ${formatPct(c.after.ece)}`,
      `${c.before.brier.toFixed(4)} → ${c.after.brier.toFixed(4)}`,
      formatPct(c.before.accuracy),
      `${formatPct(c.before.auroc)} → ${formatPct(c.after.auroc)}`,
    ];
  });
  return { headers, rows: body, align: textThenNumbers(headers.length, 3) };
}

/** {@linkcode calibrationTableData} as a Markdown table (`table.md`). */
export function calibrationTable(stats: readonly GroupStats[]): string {
  const t = calibrationTableData(stats);
  return markdownTable(t.headers, t.rows, t.align);
}

/** Per-class precision, recall and F1 (means over seeds), support, and balanced accuracy, as data. */
export function perClassTableData(stats: readonly GroupStats[]): TableData {
  const headers = ["Variant", "Task", "Protocol", "Class", "Precision", "Recall", "F1", "Support"];
  const body: (string | number)[][] = [];
  for (const s of stats) {
    s.perClass.forEach((c, k) =>
      body.push([
        s.variant,
        s.task,
        s.protocol,
        s.classNames[k],
        formatPct(c.precision),
        formatPct(c.recall),
        formatPct(c.f1),
        c.support,
      ])
    );
    body.push([
      s.variant,
      s.task,
      s.protocol,
      "balanced accuracy",
      "",
      formatPct(s.balancedAccuracy),
      "",
      s.n,
    ]);
  }
  return { headers, rows: body, align: textThenNumbers(headers.length, 4) };
}

/** {@linkcode perClassTableData} as a Markdown table (`table.md`). */
export function perClassTable(stats: readonly GroupStats[]): string {
  const t = perClassTableData(stats);
  return markdownTable(t.headers, t.rows, t.align);
}

/**
 * The markdown sections of a run's uncertainty analysis: intervals, paired comparisons (when
 * there are any), calibration and per-class detail.
 */
export function uncertaintyMarkdown(u: RunUncertainty): string {
  if (u.groups.length === 0) return "";
  const { replicates, level } = u.bootstrap;
  const pct = Math.round(level * 100);
  const parts = [
    `## Test-set uncertainty\n\nMean over seeds with a ${pct}% stratified bootstrap interval over ` +
    `the test memes (B = ${replicates.toLocaleString("en-US")}, seed ${u.bootstrap.seed}; every ` +
    "seed's predictions kept for the resampled memes). It covers the sampling of test memes and " +
    "the seeds run, not other training data or other seeds (see docs/statistics.md).\n\n" +
    intervalTable(u.groups),
  ];
  if (u.comparisons.length > 0) {
    const family = u.comparisons.length / PROTOCOLS.length;
    parts.push(
      `## Paired comparisons against ${u.reference}\n\nΔ in points, ${pct}% paired bootstrap ` +
        `interval over the same resampled memes, bootstrap p, and Holm's adjustment across the ` +
        `${family} comparisons of each protocol; ✓ = holds after adjustment at ${
          (1 - level).toFixed(2)
        }. McNemar: memes only A / only B gets right (seed-majority predictions), exact p ` +
        `(Holm across the McNemar tests).\n\n` + pairedComparisonTable(u.comparisons),
    );
  }
  parts.push(
    "## Calibration (test; temperature fitted on val)\n\n" + calibrationTable(u.groups),
    "## Per-class detail (test, mean over seeds)\n\n" + perClassTable(u.groups),
  );
  if (u.missing.length > 0) {
    parts.push(`Cells without saved predictions, left out above: ${u.missing.join(", ")}.`);
  }
  return parts.join("\n\n") + "\n";
}

/**
 * The note under a table with macro-F1 when a task's test split lacks some of its classes:
 * macro-F1 averages every class of the task, so an absent class counts as F1 = 0 there. The
 * values stay as they are; the note names the classes. Null when every test split has every
 * class. `testLabels` holds each task's class names and test labels, in the dataset's order.
 */
export function absentClassesNote(
  testLabels: ReadonlyMap<
    string,
    { readonly classNames: readonly string[]; readonly labels: ArrayLike<number> }
  >,
): string | null {
  const parts: string[] = [];
  for (const [task, { classNames, labels }] of testLabels) {
    const seen = new Set(Array.from(labels));
    const absent = classNames.filter((_, k) => !seen.has(k));
    if (absent.length > 0) parts.push(`${task} lacks ${absent.map((c) => `"${c}"`).join(", ")}`);
  }
  return parts.length === 0 ? null : "Macro-F1 averages every class of a task, so a class " +
    `absent from the test split counts as F1 = 0 in it: the test split of ${parts.join("; ")}.`;
}

/**
 * Whether a fitted temperature sits at an end of {@linkcode TEMPERATURE_RANGE} — clamped, not
 * fitted: `low` when the val logits separate every class (the loss falls as T → 0), `high` when
 * they are no better than uniform; null for a temperature fitted inside the range.
 */
export function temperatureClamp(t: number): "low" | "high" | null {
  const [tMin, tMax] = TEMPERATURE_RANGE;
  if (Math.abs(t - tMin) <= 1e-9 * tMin) return "low";
  if (Math.abs(t - tMax) <= 1e-9 * tMax) return "high";
  return null;
}

/**
 * The note under a calibration table when a temperature fit was clamped at an end of
 * {@linkcode TEMPERATURE_RANGE} rather than fitted; null when none was.
 */
export function clampedTemperatureNote(stats: readonly GroupStats[]): string | null {
  const [tMin, tMax] = TEMPERATURE_RANGE;
  const low = stats.filter((s) =>
    s.calibration.temperatures.some((t) => temperatureClamp(t) === "low")
  );
  const high = stats.filter((s) =>
    s.calibration.temperatures.some((t) => temperatureClamp(t) === "high")
  );
  const name = (s: GroupStats) => `${s.variant} · ${s.task} (${s.protocol})`;
  const lines: string[] = [];
  if (low.length > 0) {
    lines.push(
      `T = ${tMin} for ${low.map(name).join(", ")} is clamped, not fitted: the val logits ` +
        "separate every class, so the loss falls as T → 0; scaling then pushes each " +
        "probability to 0 or 1, and the columns after → are not a calibration.",
    );
  }
  if (high.length > 0) {
    lines.push(
      `T = ${tMax} for ${high.map(name).join(", ")} is clamped, not fitted: the val ` +
        "predictions are no better than uniform, and scaling flattens every probability.",
    );
  }
  return lines.length === 0 ? null : lines.join("\n");
}

/** What {@linkcode runTableMarkdown} puts in `table.md`. */
export interface RunTableInput {
  /** The run's title, the first heading. */
  readonly title: string;
  /** The dataset's tasks: their order and titles. */
  readonly tasks: readonly TaskDescription[];
  /** Lines before the main table (memes used per split, why there is no paper row). */
  readonly preface: readonly string[];
  /** Every (variant, task, protocol) summarised: the main table when there is no comparison. */
  readonly summary: readonly SummaryRow[];
  /** The main variant beside the paper: the main table when there is one. */
  readonly comparison: readonly ComparisonRow[];
  /** Notes under the main table. */
  readonly tableNotes: readonly string[];
  /** Baselines, with the main variant's head beside them. */
  readonly baselines: readonly BaselineResult[];
  /** The main variant. */
  readonly mainVariant: string;
  /** The test-set uncertainty sections. */
  readonly uncertainty: RunUncertainty;
  /** A transfer run's section (Markdown), after the main table. */
  readonly transfer?: string;
}

/**
 * A run's `table.md`: its title and preface, the table beside the paper (or the summary of every
 * variant) with its notes, a transfer run's section, the baselines, then the test-set
 * uncertainty, paired comparisons, calibration and per-class tables.
 */
export function runTableMarkdown(input: RunTableInput): string {
  const { preface, comparison, summary, tableNotes, baselines, uncertainty } = input;
  let table = `# ${input.title}\n\n${preface.map((l) => `${l}\n\n`).join("")}` +
    (comparison.length > 0
      ? `${comparisonTable(comparison, input.tasks)}\n`
      : `${summaryTable(summary)}\n`) +
    tableNotes.map((l) => `\n${l}\n`).join("").replace(/^\n/, "");
  if (input.transfer !== undefined) table += `\n${input.transfer}`;
  if (baselines.length > 0) {
    table += `\n## Baselines (test split)\n\n${
      baselineTable(baselines, summary, input.mainVariant, input.tasks)
    }\n`;
  }
  return table + (uncertainty.groups.length > 0 ? `\n${uncertaintyMarkdown(uncertainty)}` : "");
}

/**
 * The spread of an AUROC around 0.5 when the scores carry no information (Hanley and McNeil's
 * null variance, `(n₁ + n₀ + 1) / (12 n₁ n₀)`), for the class whose one-vs-rest AUROC spreads most
 * (the fewest memes on one side): a conservative yardstick for a macro average too. `counts` are
 * the memes per true class.
 */
export function chanceAurocSpread(counts: readonly number[]): number {
  const n = counts.reduce((a, b) => a + b, 0);
  const spreads = counts.filter((k) => k > 0 && k < n).map((pos) =>
    Math.sqrt((n + 1) / (12 * pos * (n - pos)))
  );
  return spreads.length === 0 ? NaN : Math.max(...spreads);
}

/**
 * What the baselines table needs said, one paragraph per case, for the report. A baseline whose
 * AUROC lies below 0.5 by more than chance allows (1.96 × {@linkcode chanceAurocSpread}) ranks
 * the classes the wrong way round: an inverted ranking (for two classes the reversed scores give
 * 1 − AUROC). One whose AUROC lies that far from 0.5 either way while every test meme gets the same
 * class has that class's share as its accuracy: the scores separate the classes but all fall on
 * one side of the decision (a threshold effect). For zero-shot CLIP the paragraph says why, which
 * with `randomClip` (the tiny test model, random weights) is chance. Empty when nothing needs
 * saying.
 */
export function baselineNotes(
  baselines: readonly BaselineResult[],
  tasks: readonly TaskDescription[],
  options: { readonly randomClip?: boolean } = {},
): string[] {
  const notes: string[] = [];
  for (const b of baselines) {
    const m = b.test;
    if (!Number.isFinite(m.auroc)) continue;
    const task = tasks.find((t) => t.name === b.task);
    if (!task) continue;
    const names = task.classes;
    const support = m.confusion.map((row) => row.reduce((a, x) => a + x, 0));
    const predicted = names.map((_, k) => m.confusion.reduce((a, row) => a + (row[k] ?? 0), 0));
    const margin = 1.96 * chanceAurocSpread(support);
    const inverted = m.auroc < 0.5 - margin;
    const separates = Math.abs(m.auroc - 0.5) > margin;
    const only = predicted.filter((n) => n > 0).length === 1
      ? predicted.findIndex((n) => n > 0)
      : -1;
    if (!inverted && !(separates && only >= 0)) continue;
    const name = b.name.charAt(0).toUpperCase() + b.name.slice(1);
    const parts = [`${name}, ${task.title}: AUROC ${formatPct(m.auroc)}.`];
    if (inverted) {
      parts.push(
        `That is below 50 (chance) by more than chance allows on these memes (${
          formatPct(margin)
        } points): the scores rank the classes the wrong way round, an inverted ranking` +
          (m.numClasses === 2
            ? ` — read in reverse, the same scores give AUROC ${formatPct(1 - m.auroc)}.`
            : "."),
      );
    }
    if (separates && only >= 0) {
      parts.push(
        `Its accuracy, ${formatPct(m.accuracy)}, is the share of "${names[only]}" among the ` +
          `test memes: every test meme was predicted "${names[only]}". The scores separate the ` +
          "classes, but all fall on one side of the decision (a threshold effect), so the ranking " +
          "does not reach the accuracy.",
      );
    }
    if (b.name === "zero-shot CLIP") {
      parts.push(
        "The prompts are scored in the task's class order (the suite's tests check this), so " +
          "this is not a class-order mismatch. " +
          (options.randomClip
            ? "The tiny test model's weights are random: which way each class prompt points is " +
              "chance, so its zero-shot scores come out in the right order or reversed by luck, " +
              "and say nothing about the prompts."
            : "With real CLIP weights it means the prompt wording does not describe the classes " +
              "as CLIP reads them."),
      );
    }
    notes.push(parts.join(" "));
  }
  return notes;
}
