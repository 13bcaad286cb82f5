/**
 * The tables an experiment writes: the per-task comparison with the paper (`table.md`), the
 * summary of every variant, the per-cell CSV (`metrics.csv`) and the baselines.
 *
 * @module
 */
import { TASK_NAMES, TASKS } from "../config/mod.ts";
import {
  type Align,
  formatMeanStd,
  formatPct,
  formatSigned,
  markdownTable,
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

/**
 * The results table beside the paper: for each task and protocol, accuracy / AUROC / macro-F1 as
 * mean ± std over seeds (95% CI in brackets), MemeCLIP's own sigmoid AUROC, the paper's number,
 * and the difference in points.
 */
export function comparisonTable(rows: readonly ComparisonRow[]): string {
  const headers = [
    "Task",
    "Protocol",
    "Seeds",
    "Accuracy",
    "AUROC",
    "Macro-F1",
    "AUROC (sigmoid, as ref.)",
    "Paper Acc / AUROC / F1",
    "Δ Acc",
    "Δ AUROC",
    "Δ F1",
  ];
  const body = rows.map((r) => [
    TASKS[r.task].title,
    PROTOCOL_LABEL[r.protocol],
    r.n,
    formatMeanStd(r.ours.accuracy, { ci: true }),
    formatMeanStd(r.ours.auroc, { ci: true }),
    formatMeanStd(r.ours.macroF1, { ci: true }),
    formatMeanStd(r.oursAurocReference),
    `${r.paper.accuracy.toFixed(2)} / ${r.paper.auroc.toFixed(2)} / ${r.paper.macroF1.toFixed(2)}`,
    formatSigned(r.diff.accuracy),
    formatSigned(r.diff.auroc),
    formatSigned(r.diff.macroF1),
  ]);
  return markdownTable(headers, body, textThenNumbers(headers.length, 2));
}

/** Every (variant, task, protocol) summarised: the ablation table. */
export function summaryTable(rows: readonly SummaryRow[]): string {
  const headers = [
    "Variant",
    "Task",
    "Protocol",
    "Seeds",
    "Accuracy",
    "AUROC",
    "Macro-F1",
    "AUROC (sigmoid, as reference)",
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
  return markdownTable(headers, body, textThenNumbers(headers.length, 3));
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
