/**
 * The tables an experiment writes: the per-task comparison with the paper (`table.md`), the
 * summary of every variant, the per-cell CSV (`metrics.csv`) and the baselines.
 *
 * @module
 */
import { TASKS } from "../config/mod.ts";
import { type Align, formatMeanStd, formatSigned, markdownTable } from "../report/mod.ts";
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
