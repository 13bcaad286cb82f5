/**
 * The result files a run writes for pandas and spreadsheets, every number a fraction (or the
 * unit {@linkcode LONG_METRICS} gives it) and every varied setting a column of its own:
 *
 * - `metrics.csv`, wide: one row per cell and protocol, the test metrics at the selected epoch,
 *   calibration (ECE, Brier, the val-fitted temperature, ECE and Brier after scaling) and
 *   balanced accuracy beside accuracy, AUROC and macro-F1;
 * - `metrics_long.csv`, long (tidy): one row per run × variant × task × protocol × seed × split ×
 *   metric (× class for the per-class metrics), `value` the one number;
 * - `metrics_summary.csv`: one row per variant × task × protocol × split × metric (× class) with
 *   the mean, std, minimum and maximum over seeds, the Student-t 95 % interval of the mean over
 *   seeds and, for test accuracy, macro-F1 and AUROC, the 95 % stratified bootstrap interval over
 *   the test memes.
 *
 * The metrics at the selected epochs come from the cells' records (as in `table.md`); balanced
 * accuracy, calibration and the per-class scores from their saved per-meme predictions.
 *
 * @module
 */
import {
  argmax,
  balancedAccuracy,
  BOOTSTRAP_METRICS,
  brierScore,
  expectedCalibrationError,
  type MeanStd,
  meanStd,
  type Metrics,
  perClassScores,
} from "../metrics/mod.ts";
import {
  type CellPredictions,
  type CellResult,
  type PredictionSplit,
  type Protocol,
  PROTOCOLS,
  type SettingValue,
  settingValues,
  type VariedSetting,
} from "../run/mod.ts";
import { cellCalibration, type GroupStats } from "../analysis/mod.ts";

/** One metric of the long format: its name, unit, the splits it has, and what it is. */
export interface LongMetric {
  /** The `metric` column's value. */
  readonly name: string;
  /** `fraction` (0–1), `count`, `nats`, `Brier (0–2)` or `temperature`. */
  readonly unit: string;
  /** The splits it is given for. */
  readonly splits: readonly PredictionSplit[];
  /** Whether it is given per class (the `class` column holds the class name), else per task. */
  readonly perClass: boolean;
  /** What it is. */
  readonly description: string;
}

/** Every metric of `metrics_long.csv`, in the order each cell's rows give them. */
export const LONG_METRICS: readonly LongMetric[] = [
  {
    name: "n",
    unit: "count",
    splits: ["val", "test"],
    perClass: false,
    description: "memes scored",
  },
  {
    name: "accuracy",
    unit: "fraction",
    splits: ["val", "test"],
    perClass: false,
    description: "share of memes whose argmax class is the true class",
  },
  {
    name: "balanced_accuracy",
    unit: "fraction",
    splits: ["val", "test"],
    perClass: false,
    description: "mean recall over the classes present (scikit-learn's balanced_accuracy_score)",
  },
  {
    name: "macro_f1",
    unit: "fraction",
    splits: ["val", "test"],
    perClass: false,
    description: "F1 averaged over every class of the task (an absent class counts 0)",
  },
  {
    name: "auroc",
    unit: "fraction",
    splits: ["val", "test"],
    perClass: false,
    description: "one-vs-rest macro AUROC of the softmax (scikit-learn's)",
  },
  {
    name: "auroc_reference",
    unit: "fraction",
    splits: ["val", "test"],
    perClass: false,
    description: "AUROC as MemeCLIP computes it: torchmetrics on float32 sigmoid(logits)",
  },
  {
    name: "loss",
    unit: "nats",
    splits: ["val", "test"],
    perClass: false,
    description: "mean cross-entropy",
  },
  {
    name: "ece",
    unit: "fraction",
    splits: ["val", "test"],
    perClass: false,
    description: "expected calibration error of the top label, 15 equal-width bins",
  },
  {
    name: "brier",
    unit: "Brier (0–2)",
    splits: ["val", "test"],
    perClass: false,
    description: "multi-class Brier score, mean over memes of Σ_k (p_k − 1[y = k])²",
  },
  {
    name: "temperature",
    unit: "temperature",
    splits: ["test"],
    perClass: false,
    description: "the temperature fitted on the val logits and applied to the test logits",
  },
  {
    name: "ece_scaled",
    unit: "fraction",
    splits: ["test"],
    perClass: false,
    description: "ECE of the test logits divided by the temperature",
  },
  {
    name: "brier_scaled",
    unit: "Brier (0–2)",
    splits: ["test"],
    perClass: false,
    description: "Brier score of the test logits divided by the temperature",
  },
  {
    name: "auroc_scaled",
    unit: "fraction",
    splits: ["test"],
    perClass: false,
    description: "AUROC of the test logits divided by the temperature (can move for 3+ classes)",
  },
  {
    name: "precision",
    unit: "fraction",
    splits: ["val", "test"],
    perClass: true,
    description: "of the memes predicted as the class, the share truly of it (0 if none)",
  },
  {
    name: "recall",
    unit: "fraction",
    splits: ["val", "test"],
    perClass: true,
    description: "of the memes truly of the class, the share predicted as it",
  },
  {
    name: "f1",
    unit: "fraction",
    splits: ["val", "test"],
    perClass: true,
    description: "F1 of the class (0 when precision and recall are 0)",
  },
  {
    name: "support",
    unit: "count",
    splits: ["val", "test"],
    perClass: true,
    description: "memes truly of the class",
  },
];

/** One row of `metrics_long.csv`. */
export interface LongRow {
  /** The run's folder name (`20261207-090618-demo`). */
  readonly run: string;
  /** Head variant name. */
  readonly variant: string;
  /** The varied settings' values, by column name. */
  readonly settings: Readonly<Record<string, SettingValue>>;
  /** The task. */
  readonly task: string;
  /** Training seed. */
  readonly seed: number;
  /** Checkpoint-selection protocol. */
  readonly protocol: Protocol;
  /** The epoch (1-based) the protocol selected. */
  readonly epoch: number;
  /** The split scored. */
  readonly split: PredictionSplit;
  /** A name of {@linkcode LONG_METRICS}. */
  readonly metric: string;
  /** The class name for per-class metrics, else `""`. */
  readonly className: string;
  /** The number, in the metric's unit. */
  readonly value: number;
}

/** A run's cells, as the result files need them. */
export interface RunMetricsInput {
  /** The run's folder name, the `run` column. */
  readonly run: string;
  /** Every cell's record (its metrics at the selected epochs). */
  readonly results: readonly CellResult[];
  /** Every cell's per-meme predictions (balanced accuracy, calibration, per-class scores). */
  readonly predictions: readonly CellPredictions[];
  /** The settings that differ between the cells: a column each. */
  readonly settings: readonly VariedSetting[];
}

/** The record's metrics of a split at the epoch a protocol selected. */
function selectedMetrics(r: CellResult, protocol: Protocol, split: PredictionSplit): Metrics {
  if (protocol === "clean") return r.clean[split];
  if (split === "test") return r.reference.test;
  const epoch = r.curves.find((e) => e.epoch === r.reference.epoch);
  if (!epoch) {
    throw new Error(`${r.key}: reference epoch ${r.reference.epoch} is not in its curves`);
  }
  return epoch.val;
}

/**
 * The long-format rows of a run's cells: per cell (in the order given), protocol and split, the
 * metrics of {@linkcode LONG_METRICS} in their order. Throws naming the cell when its
 * predictions are missing.
 */
export function metricsLongRows(input: RunMetricsInput): LongRow[] {
  const byKey = new Map(input.predictions.map((p) => [p.key, p]));
  const rows: LongRow[] = [];
  for (const r of input.results) {
    const p = byKey.get(r.key);
    if (!p) throw new Error(`metricsLongRows: no predictions for cell ${r.key}`);
    const C = p.classNames.length;
    const settings = settingValues(r.config, input.settings);
    for (const protocol of PROTOCOLS) {
      const epoch = protocol === "reference" ? r.reference.epoch : r.clean.epoch;
      const calibration = cellCalibration(p, protocol);
      for (const split of ["val", "test"] as const) {
        const row = (metric: string, value: number, className = "") =>
          rows.push({
            run: input.run,
            variant: r.variant,
            settings,
            task: r.task,
            seed: r.seed,
            protocol,
            epoch,
            split,
            metric,
            className,
            value,
          });
        const m = selectedMetrics(r, protocol, split);
        const logits = p.logits[protocol][split];
        const labels = p.rows[split].labels;
        const predicted = argmax(logits, C);
        row("n", m.n);
        row("accuracy", m.accuracy);
        row("balanced_accuracy", balancedAccuracy(predicted, labels, C));
        row("macro_f1", m.macroF1);
        row("auroc", m.auroc);
        row("auroc_reference", m.aurocReference);
        if (m.loss !== undefined) row("loss", m.loss);
        if (split === "test") {
          row("ece", calibration.before.ece);
          row("brier", calibration.before.brier);
          row("temperature", calibration.temperature);
          row("ece_scaled", calibration.after.ece);
          row("brier_scaled", calibration.after.brier);
          row("auroc_scaled", calibration.after.auroc);
        } else {
          row("ece", expectedCalibrationError(logits, labels, C));
          row("brier", brierScore(logits, labels, C));
        }
        const perClass = perClassScores(predicted, labels, C);
        for (const metric of ["precision", "recall", "f1", "support"] as const) {
          perClass.forEach((s, k) => row(metric, s[metric], p.classNames[k]));
        }
      }
    }
  }
  return rows;
}

/** A CSV field: quoted when it holds a comma, quote or line break. */
function field(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/**
 * A measured number as CSV: the shortest text that reads back as the same double, with a decimal
 * point even when whole (`1.0`), so that pandas reads every such column as float64 (an AUROC of
 * exactly 1 in every row would otherwise make an integer column); NaN as an empty field.
 */
function num(x: number): string {
  if (!Number.isFinite(x)) return "";
  return Number.isInteger(x) && Math.abs(x) < 1e21 ? x.toFixed(1) : String(x);
}

/** A count as CSV (an integer column). */
function count(x: number): string {
  return Number.isFinite(x) ? String(x) : "";
}

function settingText(setting: VariedSetting, value: SettingValue | undefined): string {
  if (value === undefined) return "";
  if (setting.type === "number" && typeof value === "number") return num(value);
  return field(String(value));
}

function csv(header: readonly string[], lines: readonly string[]): string {
  return [header.map(field).join(","), ...lines].join("\n") + "\n";
}

/** The setting columns of rows from one or more runs: the given settings' names, in order. */
function settingNames(settings: readonly VariedSetting[]): string[] {
  return settings.map((s) => s.name);
}

/**
 * `metrics_long.csv`: `run, variant, <settings…>, task, seed, protocol, epoch, split, metric,
 * class, value`, one line per row. Rows from several runs (a comparison) pass together, with the
 * settings that differ across all of them.
 */
export function metricsLongCsv(
  rows: readonly LongRow[],
  settings: readonly VariedSetting[],
): string {
  const names = settingNames(settings);
  const header = [
    "run",
    "variant",
    ...names,
    "task",
    "seed",
    "protocol",
    "epoch",
    "split",
    "metric",
    "class",
    "value",
  ];
  return csv(
    header,
    rows.map((r) =>
      [
        field(r.run),
        field(r.variant),
        ...settings.map((s) => settingText(s, r.settings[s.name])),
        r.task,
        r.seed,
        r.protocol,
        r.epoch,
        r.split,
        r.metric,
        field(r.className),
        num(r.value),
      ].join(",")
    ),
  );
}

/** The columns of `metrics.csv` after the setting columns and before `seconds` and `backend`. */
const WIDE_METRICS = [
  "accuracy",
  "auroc",
  "auroc_reference",
  "macro_f1",
  "balanced_accuracy",
  "ece",
  "brier",
  "temperature",
  "ece_scaled",
  "brier_scaled",
] as const;

/**
 * `metrics.csv`: one row per cell and protocol — `variant, <settings…>, task, seed, protocol,
 * epoch, n`, the test metrics at the selected epoch (`accuracy, auroc, auroc_reference, macro_f1,
 * balanced_accuracy, ece, brier, temperature, ece_scaled, brier_scaled`, fractions but the Brier
 * scores and the temperature), then the cell's training `seconds` and `backend`. `long` is the
 * run's {@linkcode metricsLongRows}, when already computed.
 */
export function metricsCsv(
  input: RunMetricsInput,
  long: readonly LongRow[] = metricsLongRows(input),
): string {
  const names = settingNames(input.settings);
  const test = new Map<string, number>();
  for (const r of long) {
    if (r.split !== "test" || r.className !== "") continue;
    test.set([r.variant, r.task, r.seed, r.protocol, r.metric].join("\0"), r.value);
  }
  const value = (r: CellResult, protocol: Protocol, metric: string) =>
    test.get([r.variant, r.task, r.seed, protocol, metric].join("\0")) ?? NaN;
  const header = [
    "variant",
    ...names,
    "task",
    "seed",
    "protocol",
    "epoch",
    "n",
    ...WIDE_METRICS,
    "seconds",
    "backend",
  ];
  const lines = input.results.flatMap((r) => {
    const settings = settingValues(r.config, input.settings);
    return PROTOCOLS.map((p) =>
      [
        field(r.variant),
        ...input.settings.map((s) => settingText(s, settings[s.name])),
        r.task,
        r.seed,
        p,
        p === "reference" ? r.reference.epoch : r.clean.epoch,
        count(value(r, p, "n")),
        ...WIDE_METRICS.map((m) => num(value(r, p, m))),
        r.seconds.toFixed(2),
        field(r.backend),
      ].join(",")
    );
  });
  return csv(header, lines);
}

/** One row of `metrics_summary.csv`: a metric over the seeds of a (variant, task, protocol). */
export interface SummaryFileRow {
  /** The run's folder name. */
  readonly run: string;
  /** Head variant name. */
  readonly variant: string;
  /** The varied settings' values. */
  readonly settings: Readonly<Record<string, SettingValue>>;
  /** The task. */
  readonly task: string;
  /** Checkpoint-selection protocol. */
  readonly protocol: Protocol;
  /** The split scored. */
  readonly split: PredictionSplit;
  /** A name of {@linkcode LONG_METRICS}. */
  readonly metric: string;
  /** The class name for per-class metrics, else `""`. */
  readonly className: string;
  /** Mean, sample std (NaN for one seed) and Student-t 95 % half-width over seeds. */
  readonly stats: MeanStd;
  /** The smallest and largest value over seeds. */
  readonly min: number;
  /** The largest value over seeds. */
  readonly max: number;
  /** The mean selected epoch over seeds. */
  readonly meanEpoch: number;
  /** The 95 % stratified bootstrap interval over test memes (test accuracy, macro-F1, AUROC). */
  readonly bootstrap?: { readonly lo: number; readonly hi: number };
}

const BOOTSTRAP_NAME: Readonly<Record<string, (typeof BOOTSTRAP_METRICS)[number]>> = {
  accuracy: "accuracy",
  macro_f1: "macroF1",
  auroc: "auroc",
};

/**
 * The summary of long-format rows over seeds, one row per (run, variant, task, protocol, split,
 * metric, class) in the rows' order, with the bootstrap intervals of `groups` (a run's
 * uncertainty) where they exist.
 */
export function metricsSummaryRows(
  rows: readonly LongRow[],
  groups: readonly GroupStats[] = [],
): SummaryFileRow[] {
  const bucket = new Map<string, LongRow[]>();
  for (const r of rows) {
    const key = [r.run, r.variant, r.task, r.protocol, r.split, r.metric, r.className].join("\0");
    const list = bucket.get(key);
    if (list) list.push(r);
    else bucket.set(key, [r]);
  }
  return [...bucket.values()].map((list) => {
    const sorted = [...list].sort((a, b) => a.seed - b.seed);
    const values = sorted.map((r) => r.value);
    const finite = values.every(Number.isFinite);
    const first = sorted[0];
    const g = groups.find((s) =>
      s.variant === first.variant && s.task === first.task && s.protocol === first.protocol
    );
    const boot = BOOTSTRAP_NAME[first.metric];
    const interval = g && boot && first.split === "test" && first.className === ""
      ? g.interval[boot]
      : undefined;
    return {
      run: first.run,
      variant: first.variant,
      settings: first.settings,
      task: first.task,
      protocol: first.protocol,
      split: first.split,
      metric: first.metric,
      className: first.className,
      stats: finite ? meanStd(values) : { mean: NaN, std: NaN, ci95: NaN, n: values.length },
      min: finite ? Math.min(...values) : NaN,
      max: finite ? Math.max(...values) : NaN,
      meanEpoch: sorted.reduce((a, r) => a + r.epoch, 0) / sorted.length,
      bootstrap: interval ? { lo: interval.lo, hi: interval.hi } : undefined,
    };
  });
}

/**
 * `metrics_summary.csv`: `run, variant, <settings…>, task, protocol, split, metric, class, seeds,
 * mean, std, min, max, seed_ci_low, seed_ci_high, bootstrap_low, bootstrap_high, mean_epoch`.
 * `std` and the seed interval are empty for one seed, the bootstrap interval but for test
 * accuracy, macro-F1 and AUROC.
 */
export function metricsSummaryCsv(
  rows: readonly SummaryFileRow[],
  settings: readonly VariedSetting[],
): string {
  const names = settingNames(settings);
  const header = [
    "run",
    "variant",
    ...names,
    "task",
    "protocol",
    "split",
    "metric",
    "class",
    "seeds",
    "mean",
    "std",
    "min",
    "max",
    "seed_ci_low",
    "seed_ci_high",
    "bootstrap_low",
    "bootstrap_high",
    "mean_epoch",
  ];
  return csv(
    header,
    rows.map((r) =>
      [
        field(r.run),
        field(r.variant),
        ...settings.map((s) => settingText(s, r.settings[s.name])),
        r.task,
        r.protocol,
        r.split,
        r.metric,
        field(r.className),
        count(r.stats.n),
        num(r.stats.mean),
        num(r.stats.std),
        num(r.min),
        num(r.max),
        num(r.stats.mean - r.stats.ci95),
        num(r.stats.mean + r.stats.ci95),
        num(r.bootstrap?.lo ?? NaN),
        num(r.bootstrap?.hi ?? NaN),
        num(r.meanEpoch),
      ].join(",")
    ),
  );
}
