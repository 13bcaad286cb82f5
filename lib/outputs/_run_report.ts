/**
 * The self-contained HTML report of a run, headline first: the per-task table (beside the paper
 * where the run is comparable with it, with test-set intervals), the paired tests and, for
 * ablations, the ratio × depth heatmaps, then calibration, per-class detail, training curves,
 * slices and the gallery of confident errors, the baselines, every variant, and how to read it.
 * Every number of `table.md` is in it, and each section says what its numbers are.
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
import { TEMPERATURE_RANGE } from "../metrics/mod.ts";
import {
  type BaselineResult,
  type ComparisonRow,
  galleryHtml,
  type GroupStats,
  type PairedComparison,
  type RunAnalysis,
  type RunUncertainty,
  type SummaryMetric,
  type SummaryRow,
} from "../analysis/mod.ts";
import type { CellResult, Protocol, Variant } from "../run/mod.ts";
import {
  baselineNotes,
  baselineTable,
  calibrationTableData,
  clampedTemperatureNote,
  COMPARISON_TABLE_NOTE,
  comparisonTableData,
  intervalTableData,
  pairedComparisonTableData,
  perClassTableData,
  summaryTableData,
  taskTableData,
  temperatureClamp,
} from "./tables.ts";

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
  /**
   * Test-set intervals, calibration and per-class detail per group, and the paired comparisons
   * against the reference point (heatmap cells mark those that hold).
   */
  readonly uncertainty?: RunUncertainty;
  /** The reference head beside the paper (reproduce, on comparable inputs). */
  readonly comparison?: readonly ComparisonRow[];
  /** Zero-shot and linear-probe results, when run. */
  readonly baselines?: readonly BaselineResult[];
  /** The variants run, with sweep coordinates (ablate). */
  readonly variants?: readonly Variant[];
  /** The variant whose curves and confusion matrices are shown (default: the first). */
  readonly mainVariant?: string;
  /** Lines `table.md` starts with (memes used per split, why there is no paper row). */
  readonly preface?: readonly string[];
  /** Notes under the main table (a class absent from a test split). */
  readonly tableNotes?: readonly string[];
  /** Whether the CLIP model is the tiny test model (random weights): said where it matters. */
  readonly randomClip?: boolean;
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

/** What every kind of number in the report is, and over what it varies. */
function notationNote(seeds: number, replicates: number): string {
  const seedWords = seeds === 1 ? "one seed" : `${seeds} seeds`;
  return [
    "Metrics are in percent (points) unless a column says otherwise; every result is on the test " +
    "split at the epoch the protocol selected.",
    `mean ± std: the mean over the seeds of a variant and task (here ${seedWords}), ± the sample ` +
    "standard deviation over those seeds (ddof = 1): how much training noise moves the number. " +
    "With one seed there is no ±.",
    `[lo, hi]: the 95 % stratified bootstrap interval over the test memes (${
      replicates.toLocaleString("en-US")
    } resamples, each seed's predictions scored on the same resampled memes, then averaged): how ` +
    "much the number would move on another test set of the same size and class mix.",
    "(CI ± x): the half-width of the 95 % Student-t interval of the mean over seeds (seed noise " +
    "only; with 3 seeds t = 4.30, so it is wide). Absent with one seed.",
    "Epoch: the epoch each protocol selected, averaged over seeds (1.0 with one seed means epoch 1; " +
    "9.5 over two seeds means epochs 9 and 10).",
    "Δ: a difference in points — ours minus the paper's, or in the paired tests A minus B. p: the " +
    "two-sided bootstrap p-value of no difference; p (Holm): adjusted across every comparison of " +
    "the protocol's table, ✓ where it holds at 0.05. McNemar: memes only A / only B gets right " +
    "(seed-majority predictions), the exact p and its Holm adjustment.",
    "T: the temperature fitted on val (minimum cross-entropy) that divides the logits; ECE: " +
    "expected calibration error of the top label, 15 equal-width bins, in points; Brier: the " +
    "multi-class Brier score, mean over memes of Σ_k (p_k − 1[y = k])², from 0 (best) to 2; " +
    "before → after: without and with temperature scaling. Balanced accuracy: the mean recall over " +
    "the classes present.",
  ].join("\n\n");
}

/** Builds a run's report (render it with `writeReport` from `lib/report`). */
export function runReport(input: RunReportInput): Report {
  const sections: ReportSection[] = [];
  const main = input.mainVariant ?? input.results[0]?.variant;
  const groups = input.uncertainty?.groups ?? [];
  const mainGroups = groups.filter((g) => g.variant === main);
  const paired = input.uncertainty?.comparisons ?? [];
  const seeds = Math.max(0, ...input.summary.map((r) => r.seeds.length));
  const replicates = input.uncertainty?.bootstrap.replicates ?? 0;
  const tasks = input.tasks.filter((t) =>
    input.results.some((r) => r.task === t.name) || input.summary.some((r) => r.task === t.name)
  );
  const mainCells = input.results.filter((r) => r.variant === main);
  const notation = "Mean ± std over seeds; under it [lo, hi], the 95 % bootstrap interval over " +
    "the test memes, and (CI ± x), the 95 % Student-t interval of the mean over seeds; both are " +
    "explained under 'How to read this'.";

  // 1. The headline: the per-task table of the main variant, both protocols.
  // table.md's preface lines, as sentences.
  const preface = (input.preface ?? []).map((l) => l.charAt(0).toUpperCase() + l.slice(1))
    .join(" ");
  const tableNotes = (input.tableNotes ?? []).join("\n\n");
  if (input.comparison && input.comparison.length > 0) {
    sections.push({
      heading: "Results beside the paper",
      text: [preface, `${COMPARISON_TABLE_NOTE} ${notation}`, tableNotes]
        .filter((t) => t).join("\n\n"),
      table: comparisonTableData(input.comparison, input.tasks, mainGroups),
      figures: (["accuracy", "auroc", "macroF1"] as const).map((m) =>
        paperBars(input.comparison!, m, input.tasks)
      ),
    });
  } else if (main && input.summary.some((r) => r.variant === main)) {
    const several = new Set(input.summary.map((r) => r.variant)).size > 1;
    sections.push({
      heading: several ? `Results per task (${main})` : "Results per task",
      text: [
        preface,
        `Test metrics in percent of ${several ? `the reference point, ${main}` : main}, both ` +
        `checkpoint protocols. ${notation}`,
        tableNotes,
      ].filter((t) => t).join("\n\n"),
      table: taskTableData(
        input.summary.filter((r) => r.variant === main),
        input.tasks,
        mainGroups,
      ),
    });
  }

  // A transfer run's results on its target datasets, beside its own.
  if (input.transfer) sections.push(input.transfer);

  // 2. Paired tests against the reference point, and the ablation's grid.
  if (paired.length > 0) sections.push(pairedSection(paired, input.uncertainty!));
  const swept = (input.variants ?? []).filter((v) => v.coords);
  if (swept.length > 1) sections.push(ablationSection(input.summary, swept, tasks, paired));

  // 3. Calibration; 4. per-class detail; 5. curves; 6. slices and the error gallery.
  if (groups.length > 0) sections.push(calibrationSection(groups, input.analysis));
  if (groups.length > 0 || mainCells.length > 0) {
    sections.push(perClassSection(groups, mainCells, tasks, main));
  }
  if (input.analysis && input.analysis.tasks.length > 0) {
    sections.push(curvesSection(input.analysis));
  }
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
  }
  if (input.analysis && input.analysis.tasks.length > 0) {
    sections.push(...errorSections(input.analysis));
  }

  // 7. Baselines; 8. every variant; 9. how to read it.
  if (input.baselines && input.baselines.length > 0) {
    const notes = baselineNotes(input.baselines, input.tasks, { randomClip: input.randomClip });
    sections.push({
      heading: "Baselines",
      text: [
        "Test split, in percent. Majority class and stratified random are exact expectations " +
        "(no sampling); zero-shot CLIP scores each meme by its image's cosine similarity to " +
        "'a photo of a {class}.'; the linear probe is a logistic regression on the image and " +
        "text features; the head rows are the clean protocol's means over seeds.",
        ...notes,
      ].join("\n\n"),
      markdownTable: baselineTable(input.baselines, input.summary, main, input.tasks),
    });
  }
  sections.push({
    heading: "All variants",
    text: "Every variant, task and protocol: test metrics in percent as mean ± std over seeds, " +
      "the mean selected epoch; then each with its 95 % bootstrap interval over the test memes " +
      "and the number of test memes.",
    table: epochHeader(summaryTableData(input.summary)),
    tables: groups.length > 0 ? [intervalTableData(groups)] : [],
  });
  sections.push({
    heading: "How to read this",
    text: [notationNote(seeds, replicates), PROTOCOL_NOTE, input.notes].filter((t) => t)
      .join("\n\n"),
  });
  return { title: input.title, subtitle: input.subtitle, meta: input.meta, sections };
}

/** The summary table with its epoch column named for what it is: a mean over seeds. */
function epochHeader(table: TableData): TableData {
  return {
    ...table,
    headers: table.headers.map((h) => (h === "Epoch" ? "Epoch\n(mean over seeds)" : h)),
  };
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

/** The paired tests of an ablation: every variant against the reference point. */
function pairedSection(paired: readonly PairedComparison[], u: RunUncertainty): ReportSection {
  const pct = Math.round(u.bootstrap.level * 100);
  const held = paired.filter((c) => c.holds).length;
  const family = paired.length / 2;
  return {
    heading: `Paired tests against ${u.reference ?? paired[0].b}`,
    text: `${held} of ${paired.length} comparisons hold after Holm's adjustment. Each row sets a ` +
      `variant (A) beside the reference point (B) on the same test memes: Δ = A's mean over ` +
      `seeds minus B's, in points; the ${pct}% paired bootstrap interval resamples the same ` +
      `memes for both (${u.bootstrap.replicates.toLocaleString("en-US")} resamples); p is the ` +
      "two-sided bootstrap p-value of no difference, and p (Holm) adjusts it across the " +
      `${family} comparisons of the protocol (variants × tasks × metrics); ✓ marks a difference ` +
      `that holds at ${(1 - u.bootstrap.level).toFixed(2)} after the adjustment. McNemar ` +
      "(accuracy rows): memes only A / only B gets right, using each side's seed-majority " +
      "prediction, with the exact p and, in brackets, its Holm adjustment across the McNemar " +
      "tests of the protocol. A difference that does not hold is not shown to differ — not " +
      "shown to be equal.",
    table: pairedComparisonTableData(paired),
  };
}

/**
 * Calibration: the table of every group (T, ECE and Brier before → after, accuracy, AUROC before
 * → after), a clamped fit said as such in its cells and under the table, and the main variant's
 * reliability diagrams.
 */
function calibrationSection(groups: readonly GroupStats[], analysis?: RunAnalysis): ReportSection {
  const table = calibrationTableData(groups);
  // A temperature at an end of its range was clamped, not fitted: say so in its cells.
  const rows = table.rows.map((row, i) => {
    const clamp = groups[i].calibration.temperatures.map(temperatureClamp).find((c) => c) ?? null;
    if (!clamp) return row;
    const [tMin, tMax] = TEMPERATURE_RANGE;
    const out = [...row];
    out[3] = `${row[3]}\nclamped at ${clamp === "low" ? tMin : tMax}: no fit`;
    out[4] = `${row[4]}\nafter: not a calibration`;
    out[5] = `${row[5]}\nafter: not a calibration`;
    return out;
  });
  const figures: Figure[] = [];
  for (const t of analysis?.tasks ?? []) {
    if (!t.reliability) continue;
    figures.push(reliabilityDiagram(
      `${t.title}: reliability (ECE ${(100 * t.reliability.ece).toFixed(1)})`,
      t.reliability.bins,
    ));
  }
  return {
    heading: "Calibration (test; temperature fitted on val)",
    text: "Per variant, task and protocol, means over seeds: T is the temperature fitted on each " +
      "seed's val predictions (the range over seeds when they differ); ECE (15 equal-width " +
      "confidence bins, top label) in points and the Brier score (0 best, 2 worst) on test, " +
      "before → after dividing the logits by T. Scaling never changes accuracy, nor AUROC for two " +
      "classes; for three or four classes the one-vs-rest AUROC can move. " +
      (analysis
        ? `The reliability diagrams (${analysis.variant}, ${analysis.protocol} protocol, every ` +
          "seed's test predictions pooled, before scaling) plot the accuracy of each confidence " +
          "bin against the diagonal: bars under it mean over-confidence; their ECE, on the pooled " +
          "predictions, equals the table's with one seed."
        : ""),
    table: { ...table, rows },
    footnote: clampedTemperatureNote(groups) ?? undefined,
    figures,
  };
}

/** Per-class detail: the table of every group and the main variant's confusion matrices. */
function perClassSection(
  groups: readonly GroupStats[],
  mainCells: readonly CellResult[],
  tasks: readonly TaskDescription[],
  main: string | undefined,
): ReportSection {
  const figures: Figure[] = [];
  for (const task of tasks) {
    const cells = mainCells.filter((r) => r.task === task.name);
    if (cells.length === 0) continue;
    const sum = summedConfusion(cells.map((c) => c.clean.test.confusion));
    figures.push(confusionMatrixFigure(sum, task.classes, task.title));
  }
  return {
    heading: "Per-class detail (test)",
    text: "Precision, recall and F1 per class in percent, means over seeds, with each class's " +
      "support (its test memes); the balanced-accuracy row gives the mean recall over the " +
      "classes present, and the number of test memes." +
      (figures.length > 0
        ? ` The confusion matrices (${main}, clean protocol) sum the test counts over seeds and ` +
          "give each cell's share of its true class."
        : ""),
    table: groups.length > 0 ? perClassTableData(groups) : undefined,
    figures,
  };
}

/** The height of a ROC or precision–recall figure: a square plot above a legend of every class. */
const CURVE_HEIGHT = 520;

/** The main variant's one-vs-rest ROC and precision–recall curves, a row per task. */
function curvesSection(analysis: RunAnalysis): ReportSection {
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
      CURVE_HEIGHT,
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
      CURVE_HEIGHT,
    ));
  }
  return {
    heading: `ROC and precision–recall curves (${analysis.variant}, ${analysis.protocol} protocol)`,
    text:
      "Every seed's test predictions pooled (a row per meme and seed), so the curves describe " +
      "single models. One-vs-rest per class (two-class tasks: the positive class); the legend " +
      "gives each curve's AUROC or average precision (AP) in percent, and the dotted lines the " +
      "chance level (the diagonal; a class's share of the memes).",
    figures,
  };
}

/** A fraction in percent with its interval on a second line: `76.1` / `[72.0, 80.2]`. */
function withInterval(value: number, lo: number, hi: number): string {
  if (!Number.isFinite(value)) return MISSING;
  const pct = (x: number) => (100 * x).toFixed(1);
  return Number.isFinite(lo) ? `${pct(value)}\n[${pct(lo)}, ${pct(hi)}]` : pct(value);
}

/** Slices of the test memes and the gallery of the most confident errors. */
function errorSections(analysis: RunAnalysis): ReportSection[] {
  const where = `${analysis.variant}, ${analysis.protocol} protocol, test split`;
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
  const sections: ReportSection[] = [{
    heading: `Slices (${where})`,
    text: "Metrics in percent on subsets of the test memes (mean over seeds), with the 95% " +
      "stratified bootstrap interval in square brackets under each: the slice's memes resampled " +
      "within each class, every seed scored on each resample, 2,000 resamples. Small slices " +
      "have wide intervals. Macro-F1 and AUROC are not defined (–) on a slice of one class, " +
      "such as the hateful memes of one target: there accuracy is the recall of 'hateful'.",
    table,
  }];
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
