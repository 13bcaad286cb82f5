/**
 * The tables an experiment writes: the per-task comparison with the paper (`table.md`), the
 * summary of every variant, the baselines, and the test-set
 * intervals, paired comparisons, calibration and per-class tables.
 *
 * @module
 */
import { TASK_NAMES, type TaskName, TASKS } from "../config/mod.ts";
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
import type { BaselineResult } from "./baselines.ts";
import type { ComparisonRow, SummaryRow } from "./aggregate.ts";
import { PROTOCOLS } from "../run/mod.ts";
import { BOOTSTRAP_METRICS, type Interval } from "../metrics/mod.ts";
import type { GroupStats, PairedComparison, RunUncertainty } from "./uncertainty.ts";

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
 * as ours, so they compare at a glance. Read it with {@linkcode COMPARISON_TABLE_NOTE}.
 */
export function comparisonTableData(rows: readonly ComparisonRow[]): TableData {
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
  const ours = (value: MeanStd) => {
    const text = formatMeanStd(value);
    const ci = formatMeanStd(value, { ci: true }).slice(text.length).trim();
    return ci ? `${text}\n${ci}` : text;
  };
  const body: TableCell[][] = [];
  for (const task of TASK_NAMES) {
    const forTask = rows.filter((r) => r.task === task);
    if (forTask.length === 0) continue;
    const paper = forTask[0].paper;
    body.push([
      TASKS[task].title,
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
        TASKS[r.task].title,
        PROTOCOL_LABEL[r.protocol],
        r.n,
        ours(r.ours.accuracy),
        formatSigned(r.diff.accuracy),
        ours(r.ours.auroc),
        formatSigned(r.diff.auroc),
        ours(r.ours.macroF1),
        formatSigned(r.diff.macroF1),
        formatMeanStd(r.oursAurocReference),
      ]);
    }
  }
  return { headers, rows: body, align: textThenNumbers(headers.length, 2) };
}

/** {@linkcode comparisonTableData} as a Markdown table (`table.md`, the printed output). */
export function comparisonTable(rows: readonly ComparisonRow[]): string {
  const table = comparisonTableData(rows);
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
): string {
  const names = [...new Set(baselines.map((b) => b.name))];
  const tasks = TASK_NAMES.filter((t) => baselines.some((b) => b.task === t));
  const rows: (string | number)[][] = [];
  for (const task of tasks) {
    for (const name of names) {
      const b = baselines.find((x) => x.name === name && x.task === task);
      if (!b) continue;
      rows.push([
        TASKS[task].title,
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
        TASKS[task].title,
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
 * Test-set uncertainty of every (variant, task, protocol): each metric as the mean over seeds
 * with its 95 % stratified-bootstrap interval over test memes, in percent.
 */
export function intervalTable(stats: readonly GroupStats[]): string {
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
  return markdownTable(headers, body, textThenNumbers(headers.length, 3));
}

/**
 * Paired comparisons, one row per (pair, task, protocol, metric): the difference in points with
 * its paired-bootstrap interval, the p-value, its Holm adjustment, and for accuracy McNemar's
 * exact test on the seed-majority predictions. `✓` marks a difference that holds after Holm's
 * adjustment.
 */
export function pairedComparisonTable(rows: readonly PairedComparison[]): string {
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
  const fmtP = (p: number) => (p < 0.001 ? p.toExponential(1) : p.toFixed(3));
  const body = rows.map((r) => [
    r.a,
    r.b,
    r.task,
    r.protocol,
    METRIC_LABEL[r.metric],
    formatSigned(100 * r.diff),
    `[${formatSigned(100 * r.interval.lo)}, ${formatSigned(100 * r.interval.hi)}]`,
    fmtP(r.p),
    fmtP(r.pHolm),
    r.holds ? "✓" : "",
    r.mcnemar
      ? `${r.mcnemar.onlyA}/${r.mcnemar.onlyB}, ${fmtP(r.mcnemar.p)} (${fmtP(r.mcnemar.pHolm)})`
      : "",
  ]);
  return markdownTable(headers, body, textThenNumbers(headers.length, 5));
}

/**
 * Calibration per (variant, task, protocol): the fitted temperatures, ECE (15 bins, top label)
 * and Brier score on test before → after temperature scaling, accuracy (unchanged by scaling)
 * and AUROC before → after (unchanged for two classes).
 */
export function calibrationTable(stats: readonly GroupStats[]): string {
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
  return markdownTable(headers, body, textThenNumbers(headers.length, 3));
}

/** Per-class precision, recall and F1 (means over seeds), support, and balanced accuracy. */
export function perClassTable(stats: readonly GroupStats[]): string {
  const headers = ["Variant", "Task", "Protocol", "Class", "Precision", "Recall", "F1", "Support"];
  const body: (string | number)[][] = [];
  for (const s of stats) {
    s.perClass.forEach((c, k) =>
      body.push([
        s.variant,
        s.task,
        s.protocol,
        TASKS[s.task].classNames[k],
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
  return markdownTable(headers, body, textThenNumbers(headers.length, 4));
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
 * class. `testLabels` holds each task's test labels.
 */
export function absentClassesNote(
  testLabels: ReadonlyMap<TaskName, ArrayLike<number>>,
): string | null {
  const parts: string[] = [];
  for (const task of TASK_NAMES) {
    const labels = testLabels.get(task);
    if (!labels) continue;
    const seen = new Set(Array.from(labels));
    const absent = TASKS[task].classNames.filter((_, k) => !seen.has(k));
    if (absent.length > 0) parts.push(`${task} lacks ${absent.map((c) => `"${c}"`).join(", ")}`);
  }
  return parts.length === 0 ? null : "Macro-F1 averages every class of a task, so a class " +
    `absent from the test split counts as F1 = 0 in it: the test split of ${parts.join("; ")}.`;
}

/**
 * The note under a calibration table when a temperature fit was clamped at an end of
 * {@linkcode TEMPERATURE_RANGE} rather than fitted; null when none was.
 */
export function clampedTemperatureNote(stats: readonly GroupStats[]): string | null {
  const [tMin, tMax] = TEMPERATURE_RANGE;
  const at = (t: number, bound: number) => Math.abs(t - bound) <= 1e-9 * bound;
  const low = stats.filter((s) => s.calibration.temperatures.some((t) => at(t, tMin)));
  const high = stats.filter((s) => s.calibration.temperatures.some((t) => at(t, tMax)));
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
}

/**
 * A run's `table.md`: its title and preface, the table beside the paper (or the summary of every
 * variant) with its notes, the baselines, then the test-set uncertainty, paired comparisons,
 * calibration and per-class tables.
 */
export function runTableMarkdown(input: RunTableInput): string {
  const { preface, comparison, summary, tableNotes, baselines, uncertainty } = input;
  let table = `# ${input.title}\n\n${preface.map((l) => `${l}\n\n`).join("")}` +
    (comparison.length > 0 ? `${comparisonTable(comparison)}\n` : `${summaryTable(summary)}\n`) +
    tableNotes.map((l) => `\n${l}\n`).join("").replace(/^\n/, "");
  if (baselines.length > 0) {
    table += `\n## Baselines (test split)\n\n${
      baselineTable(baselines, summary, input.mainVariant)
    }\n`;
  }
  return table + (uncertainty.groups.length > 0 ? `\n${uncertaintyMarkdown(uncertainty)}` : "");
}
