/**
 * The tables an experiment writes: the per-task comparison with the paper (`table.md`), the
 * summary of every variant, the per-cell CSV (`metrics.csv`) and the baselines.
 *
 * @module
 */
import { TASK_NAMES, TASKS } from "../config/mod.ts";
import type { MeanStd } from "../metrics/mod.ts";
import {
  type Align,
  type Cell,
  formatMeanStd,
  formatPct,
  formatSigned,
  markdownTable,
  MISSING,
  SIGMOID_AUROC_NAME,
  type TableData,
} from "../report/mod.ts";
import type { BaselineResult } from "./baselines.ts";
import type { ComparisonRow, SummaryRow } from "./aggregate.ts";
import { type CellResult, PROTOCOLS, reportedMetrics } from "./cells.ts";

/** Left-aligned text columns, then right-aligned numbers. */
function textThenNumbers(columns: number, textColumns: number): Align[] {
  return Array.from({ length: columns }, (_, i) => (i < textColumns ? "left" : "right"));
}

const PROTOCOL_LABEL = {
  reference: "reference (test-selected)",
  clean: "clean (val-selected)",
} as const;

/** How to read {@linkcode comparisonTable}: the notation of its cells, in the words it prints. */
export const COMPARISON_TABLE_NOTE =
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
  const body: Cell[][] = [];
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

/** One CSV row per (cell, protocol) with the selected epoch and its test metrics. */
export function metricsCsv(results: readonly CellResult[]): string {
  const header =
    "variant,task,seed,protocol,epoch,n,accuracy,auroc,auroc_reference,macro_f1,seconds,backend";
  const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
  const lines = results.flatMap((r) =>
    PROTOCOLS.map((p) => {
      const m = reportedMetrics(r, p);
      const epoch = p === "reference" ? r.reference.epoch : r.clean.epoch;
      return [
        quote(r.variant),
        r.task,
        r.seed,
        p,
        epoch,
        m.n,
        m.accuracy,
        m.auroc,
        m.aurocReference,
        m.macroF1,
        r.seconds.toFixed(2),
        r.backend,
      ].join(",");
    })
  );
  return [header, ...lines].join("\n") + "\n";
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
