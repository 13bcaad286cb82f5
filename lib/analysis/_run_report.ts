/**
 * The self-contained HTML report of a run: the table beside the paper, baselines,
 * training curves, confusion matrices, and — for ablations — ratio × depth heatmaps and sweep
 * plots with error bars over seeds.
 *
 * @module
 */
import type { TaskDescription } from "../data/mod.ts";
import {
  barChart,
  confusionMatrixFigure,
  type Figure,
  heatmap,
  lineChart,
  MISSING,
  precisionRecallFigure,
  reliabilityDiagram,
  type Report,
  type ReportSection,
  rocFigure,
  SIGMOID_AUROC_NAME,
  type TableData,
  trainingCurvesFigure,
} from "../report/mod.ts";
import type { ComparisonRow, SummaryMetric, SummaryRow } from "./aggregate.ts";
import type { CellResult, Protocol, Variant } from "../run/mod.ts";
import type { BaselineResult } from "./baselines.ts";
import {
  baselineTable,
  COMPARISON_TABLE_NOTE,
  comparisonTableData,
  summaryTableData,
} from "./run_tables.ts";
import { galleryHtml, type RunAnalysis } from "./_error_analysis.ts";
import type { PairedComparison } from "./uncertainty.ts";

/** Everything a run's report shows. */
export interface RunReportInput {
  /** Report title. */
  readonly title: string;
  /** The dataset's tasks: their order, titles and class names. */
  readonly tasks: readonly TaskDescription[];
  /** A line under the title. */
  readonly subtitle?: string;
  /** Facts shown under the title (commit, backend, model, …). */
  readonly meta: Record<string, string | number>;
  /** Every finished cell. */
  readonly results: readonly CellResult[];
  /** Cells summarised over seeds. */
  readonly summary: readonly SummaryRow[];
  /** Paired comparisons against the reference point: heatmap cells mark those that hold. */
  readonly pairedComparisons?: readonly PairedComparison[];
  /** The reference head beside the paper (reproduce). */
  readonly comparison?: readonly ComparisonRow[];
  /** Zero-shot and linear-probe results, when run. */
  readonly baselines?: readonly BaselineResult[];
  /** The variants run, with sweep coordinates (ablate). */
  readonly variants?: readonly Variant[];
  /** The variant whose curves and confusion matrices are shown (default: the first). */
  readonly mainVariant?: string;
  /** Extra notes shown at the end (e.g. excluded memes). */
  readonly notes?: string;
  /** Per-class curves, calibration, slices and the error gallery (from per-meme predictions). */
  readonly analysis?: RunAnalysis;
  /** A transfer run's section, shown after the main table. */
  readonly transfer?: ReportSection;
}

const PROTOCOL_NOTE =
  "Two checkpoint protocols are reported. reference: what MemeCLIP's code does — its validation " +
  "loader is built from the test split, so the epoch with the best test AUROC is kept and its " +
  "test metrics reported; this selects on the test set and flatters every number. clean: the " +
  "epoch with the best val AUROC is kept and test is reported once.\n\n" +
  "AUROC is the one-vs-rest macro AUROC of the softmax probabilities (scikit-learn's). MemeCLIP " +
  "feeds sigmoid(logits) to torchmetrics instead; at scale 30 float32 sigmoid saturates to 1.0 " +
  `and ties many scores, so that variant is shown separately as '${SIGMOID_AUROC_NAME}'.`;

/** Builds a run's report (render it with `writeReport` from `lib/report`). */
export function runReport(input: RunReportInput): Report {
  const sections: ReportSection[] = [];
  const main = input.mainVariant ?? input.results[0]?.variant;
  if (input.comparison && input.comparison.length > 0) {
    sections.push({
      heading: "Results beside the paper",
      text: COMPARISON_TABLE_NOTE,
      table: comparisonTableData(input.comparison, input.tasks),
      figures: (["accuracy", "auroc", "macroF1"] as const).map((m) =>
        paperBars(input.comparison!, m, input.tasks)
      ),
    });
  }
  if (input.transfer) sections.push(input.transfer);
  if (input.baselines && input.baselines.length > 0) {
    sections.push({
      heading: "Baselines",
      markdownTable: baselineTable(input.baselines, input.summary, main, input.tasks),
    });
  }
  const tasks = input.tasks.filter((t) =>
    input.results.some((r) => r.task === t.name) || input.summary.some((r) => r.task === t.name)
  );
  const mainCells = input.results.filter((r) => r.variant === main);
  if (mainCells.length > 0) {
    sections.push({
      heading: `Training curves (${main})`,
      text:
        "First seed of each task. Validation solid, test dotted; metrics in percent. Vertical " +
        "lines mark the epoch each protocol selected.",
      figures: tasks.flatMap((task) => {
        const cell = mainCells.filter((r) => r.task === task.name)
          .sort((a, b) => a.seed - b.seed)[0];
        if (!cell) return [];
        return [trainingCurvesFigure(cell.curves, {
          title: `${task.title}: seed ${cell.seed}`,
          marks: [
            { epoch: cell.reference.epoch, label: "reference" },
            { epoch: cell.clean.epoch, label: "clean" },
          ],
          showSigmoidAuroc: true,
        })];
      }),
    });
    sections.push({
      heading: `Confusion matrices (${main}, clean protocol)`,
      text: "Test-split counts summed over seeds.",
      figures: tasks.flatMap((task) => {
        const cells = mainCells.filter((r) => r.task === task.name);
        if (cells.length === 0) return [];
        const sum = summedConfusion(cells.map((c) => c.clean.test.confusion));
        return [confusionMatrixFigure(sum, task.classes, task.title)];
      }),
    });
  }
  if (input.analysis && input.analysis.tasks.length > 0) {
    sections.push(...analysisSections(input.analysis));
  }
  const swept = (input.variants ?? []).filter((v) => v.coords);
  if (swept.length > 1) {
    sections.push(ablationSection(input.summary, swept, tasks, input.pairedComparisons ?? []));
  }
  sections.push({ heading: "All variants", table: summaryTableData(input.summary) });
  sections.push({
    heading: "How to read this",
    text: PROTOCOL_NOTE + (input.notes ? `\n\n${input.notes}` : ""),
  });
  return { title: input.title, subtitle: input.subtitle, meta: input.meta, sections };
}

function paperBars(
  rows: readonly ComparisonRow[],
  metric: "accuracy" | "auroc" | "macroF1",
  datasetTasks: readonly TaskDescription[],
): Figure {
  const tasks = datasetTasks.filter((t) => rows.some((r) => r.task === t.name));
  const pick = (p: Protocol) =>
    tasks.map((t) => rows.find((r) => r.task === t.name && r.protocol === p));
  const ours = (p: Protocol) => ({
    name: `ours, ${p}`,
    values: pick(p).map((r) => (r ? 100 * r.ours[metric].mean : NaN)),
    errors: pick(p).map((
      r,
    ) => (r && Number.isFinite(r.ours[metric].std) ? 100 * r.ours[metric].std : 0)),
  });
  const label = { accuracy: "Accuracy", auroc: "AUROC", macroF1: "Macro-F1" }[metric];
  return barChart({
    title: `${label}: ours (mean ± std over seeds) vs the paper`,
    categories: tasks.map((t) => t.title),
    series: [ours("reference"), ours("clean"), {
      name: "paper",
      values: tasks.map((t) => rows.find((r) => r.task === t.name)!.paper[metric]),
    }],
    yTitle: `${label} (%)`,
  });
}

/** A fraction in percent with its interval on a second line: `76.1` / `[72.0, 80.2]`. */
function withInterval(value: number, lo: number, hi: number): string {
  if (!Number.isFinite(value)) return MISSING;
  const pct = (x: number) => (100 * x).toFixed(1);
  return Number.isFinite(lo) ? `${pct(value)}\n[${pct(lo)}, ${pct(hi)}]` : pct(value);
}

function analysisSections(analysis: RunAnalysis): ReportSection[] {
  const where = `${analysis.variant}, ${analysis.protocol} protocol, test split`;
  const figures: Figure[] = [];
  for (const t of analysis.tasks) {
    const title = t.title;
    figures.push(rocFigure(
      `${title}: ROC, one-vs-rest`,
      t.curves.map((c) => ({
        name: c.className,
        fpr: c.curves.roc.fpr,
        tpr: c.curves.roc.tpr,
        auc: c.auroc,
      })),
    ));
    figures.push(precisionRecallFigure(
      `${title}: precision–recall`,
      t.curves.map((c) => ({
        name: c.className,
        recall: [0, ...c.curves.pr.recall],
        precision: [c.curves.pr.precision[0] ?? 1, ...c.curves.pr.precision],
        averagePrecision: c.averagePrecision,
        prevalence: c.prevalence,
      })),
    ));
    if (t.reliability) {
      figures.push(reliabilityDiagram(
        `${title}: reliability (ECE ${(100 * t.reliability.ece).toFixed(1)})`,
        t.reliability.bins,
      ));
    }
  }
  const sections: ReportSection[] = [{
    heading: `Per-class curves and calibration (${where})`,
    text:
      "Every seed's test predictions pooled (a row per meme and seed), so the curves describe " +
      "single models. ROC and precision–recall curves are one-vs-rest per class (two-class tasks: " +
      "the positive class); the legend gives the AUROC or the average precision (AP) in percent, " +
      "and dotted lines the precision of a random ranking. The reliability diagram bins the " +
      "confidence of the predicted class into 15 equal-width bins: bars under the diagonal mean " +
      "over-confidence; ECE is the count-weighted mean gap, in points.",
    figures,
    figureColumns: 3,
  }];
  const rows: string[][] = [];
  for (const t of analysis.tasks) {
    for (const s of t.slices) {
      const m = s.metrics;
      rows.push([
        t.title,
        s.slice,
        String(s.n),
        withInterval(m.accuracy.value, m.accuracy.interval.lo, m.accuracy.interval.hi),
        withInterval(m.macroF1.value, m.macroF1.interval.lo, m.macroF1.interval.hi),
        withInterval(m.auroc.value, m.auroc.interval.lo, m.auroc.interval.hi),
      ]);
    }
  }
  const table: TableData = {
    headers: ["Task", "Slice", "Memes", "Accuracy", "Macro-F1", "AUROC"],
    rows,
    align: ["left", "left", "right", "right", "right", "right"],
  };
  sections.push({
    heading: `Slices (${where})`,
    text: "Metrics in percent on subsets of the test memes (mean over seeds), with the 95% " +
      "stratified bootstrap interval in square brackets under each: the slice's memes resampled " +
      "within each class, every seed scored on each resample, 2,000 resamples. Small slices " +
      "have wide intervals. Macro-F1 and AUROC are not defined (–) on a slice of one class, " +
      "such as the hateful memes of one target: there accuracy is the recall of 'hateful'.",
    table,
  });
  const galleries = analysis.tasks.flatMap((t) => (t.gallery ? [t.gallery] : []));
  if (galleries.length > 0) {
    sections.push({
      heading: `Most confident errors (${where})`,
      text: "Per task the test memes the model got wrong with the most confidence, by their " +
        "probabilities averaged over seeds. Collapsed by default; run with --no-gallery to leave " +
        "it out of the report.",
      html: galleryHtml(galleries, analysis.protocol),
    });
  }
  return sections;
}

/** Element-wise sum of confusion matrices of equal shape. */
export function summedConfusion(matrices: readonly (readonly (readonly number[])[])[]): number[][] {
  const out = matrices[0].map((row) => row.map(() => 0));
  for (const m of matrices) m.forEach((row, i) => row.forEach((v, j) => (out[i][j] += v)));
  return out;
}

const METRIC_LABEL: Record<SummaryMetric, string> = {
  accuracy: "accuracy",
  auroc: "AUROC",
  macroF1: "macro-F1",
  aurocReference: SIGMOID_AUROC_NAME,
};

function ablationSection(
  summary: readonly SummaryRow[],
  variants: readonly Variant[],
  tasks: readonly TaskDescription[],
  paired: readonly PairedComparison[],
): ReportSection {
  const ratios = [...new Set(variants.map((v) => v.coords!.ratio!))].sort((a, b) => a - b);
  const depths = [...new Set(variants.map((v) => v.coords!.depth!))].sort((a, b) => a - b);
  const figures: Figure[] = [];
  const cell = (task: string, ratio: number, depth: number, metric: SummaryMetric) => {
    const v = variants.find((x) => x.coords!.ratio === ratio && x.coords!.depth === depth);
    const s = v &&
      summary.find((r) => r.variant === v.name && r.task === task && r.protocol === "clean");
    return s ? s.metrics[metric] : undefined;
  };
  for (const { name: task, title } of tasks) {
    for (const metric of ["auroc", "accuracy", "macroF1"] as const) {
      const z = depths.map((d) => ratios.map((r) => 100 * (cell(task, r, d, metric)?.mean ?? NaN)));
      // ▲ / ▼: better / worse than the reference point, holding after Holm's adjustment.
      const text = depths.map((d, i) =>
        ratios.map((r, j) => {
          if (!Number.isFinite(z[i][j])) return "not run";
          const v = variants.find((x) => x.coords!.ratio === r && x.coords!.depth === d)!;
          const c = paired.find((p) =>
            p.a === v.name && p.task === task && p.protocol === "clean" && p.metric === metric
          );
          const mark = c?.holds ? (c.diff > 0 ? " ▲" : " ▼") : "";
          return `${z[i][j].toFixed(1)}${mark}`;
        })
      );
      if (
        ratios.length > 1 && depths.length > 1 &&
        z.flat().filter(Number.isFinite).length > ratios.length + depths.length - 1
      ) {
        figures.push(heatmap({
          title: `${title}: test ${METRIC_LABEL[metric]} (%)`,
          z,
          x: ratios,
          y: depths,
          xTitle: "residual ratio α",
          yTitle: "mapping depth",
          annotate: text,
        }));
      }
    }
    const refDepth = depths.includes(1) ? 1 : depths[0];
    const refRatio = ratios.includes(0.2) ? 0.2 : ratios[0];
    const metricSeries = (
      metric: SummaryMetric,
      xs: number[],
      at: (x: number) => ReturnType<typeof cell>,
    ) => ({
      name: METRIC_LABEL[metric],
      x: xs,
      y: xs.map((x) => 100 * (at(x)?.mean ?? NaN)),
      errors: xs.map((x) => 100 * (at(x)?.std ?? 0) || 0),
      mode: "lines+markers" as const,
    });
    if (ratios.length > 1) {
      figures.push(lineChart({
        title: `${title}: ratio sweep (depth ${refDepth})`,
        series: (["auroc", "accuracy", "macroF1"] as const).map((m) =>
          metricSeries(m, ratios, (r) => cell(task, r, refDepth, m))
        ),
        xTitle: "residual ratio α",
        yTitle: "test metric (%)",
      }));
    }
    if (depths.length > 1) {
      figures.push(lineChart({
        title: `${title}: depth sweep (α = ${refRatio})`,
        series: (["auroc", "accuracy", "macroF1"] as const).map((m) =>
          metricSeries(m, depths, (d) => cell(task, refRatio, d, m))
        ),
        xTitle: "mapping depth",
        yTitle: "test metric (%)",
      }));
    }
  }
  return {
    heading: "Residual ratio × mapping depth",
    text: "Clean protocol (val-selected epoch), test metrics in percent, mean over seeds; error " +
      "bars are one std. Grey heatmap cells were not run. ▲ / ▼: better / worse than the " +
      "reference point by a paired bootstrap test over the test memes that holds after Holm's " +
      "adjustment across the comparisons of the table (see table.md).",
    figures,
  };
}
