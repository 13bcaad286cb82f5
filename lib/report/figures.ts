/**
 * The evaluation's figures: confusion matrices, training curves, ROC and precision–recall
 * curves, reliability diagrams.
 *
 * @module
 */

import type { Metrics } from "../metrics/mod.ts";
import type { Axis, Dash, Figure, Layout, Shape, Trace } from "./plotly.ts";
import { axis, baseLayout, integerTicks, TOOLBAR_BAND } from "./_layout.ts";
import { heatmap, PALETTE } from "./charts.ts";

/**
 * A confusion matrix `[true][predicted]` as a heatmap: each cell shows its count and its share
 * of the true class (recall along the diagonal), coloured by that share so that classes of
 * different sizes compare fairly.
 */
export function confusionMatrixFigure(
  confusion: readonly (readonly number[])[],
  classNames: readonly string[],
  title: string,
): Figure {
  if (confusion.length !== classNames.length) {
    throw new Error(
      `confusionMatrixFigure: ${confusion.length} rows for ${classNames.length} class names`,
    );
  }
  const shares = confusion.map((row) => {
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((v) => (total > 0 ? v / total : NaN));
  });
  const text = confusion.map((row, r) =>
    row.map((v, c) => {
      const share = shares[r][c];
      return Number.isFinite(share) ? `${v}<br>${(share * 100).toFixed(1)}%` : String(v);
    })
  );
  const figure = heatmap({
    title,
    z: shares,
    x: classNames,
    y: classNames,
    xTitle: "Predicted class",
    yTitle: "True class",
    zmin: 0,
    zmax: 1,
    colorbarTitle: "share of true class",
    annotate: text,
    height: Math.max(380, 160 + 64 * classNames.length),
  });
  // The name says what a cell holds, for the figure's data table: count, then colour value.
  figure.data[0].name = "count (share of the true class)";
  figure.data[0].customdata = confusion.map((row) => [...row]);
  figure.data[0].hovertemplate =
    "true %{y}, predicted %{x}: %{customdata} (%{z:.1%})<extra></extra>";
  return figure;
}

/** One epoch of training: mean training loss and the metrics of both evaluation splits. */
export interface EpochCurve {
  /** Epoch number (1-based as the trainer reports it). */
  epoch: number;
  /** Mean training cross-entropy over the epoch. */
  trainLoss: number;
  /** Validation-split metrics after this epoch. */
  val: Metrics;
  /** Test-split metrics after this epoch. */
  test: Metrics;
}

/** Options for {@linkcode trainingCurvesFigure}. */
export interface TrainingCurvesOptions {
  /** Figure title (default "Training curves"). */
  readonly title?: string;
  /**
   * Epochs to mark with a vertical line and label, e.g. the epoch each checkpoint protocol
   * selected: `[{ epoch: 7, label: "reference" }, { epoch: 5, label: "clean" }]`.
   */
  readonly marks?: readonly { readonly epoch: number; readonly label: string }[];
  /** Also draw MemeCLIP's own AUROC, computed on sigmoid(logits) (default false). */
  readonly showSigmoidAuroc?: boolean;
  /** Height in pixels (default 500). */
  readonly height?: number;
}

/** Legend name of MemeCLIP's AUROC variant (torchmetrics on sigmoid(logits)) in figures. */
export const SIGMOID_AUROC_NAME = "sigmoid AUROC (MemeCLIP's)";

/**
 * Training curves in two panels: losses (train, and val/test cross-entropy where recorded) on
 * the left; accuracy, AUROC and macro-F1 in percent on the right, validation solid and test
 * dotted (say so beside the figure). One legend entry per quantity (it toggles both splits),
 * below the panels.
 */
export function trainingCurvesFigure(
  curves: readonly EpochCurve[],
  options: TrainingCurvesOptions = {},
): Figure {
  const epochs = curves.map((c) => c.epoch);
  const data: Trace[] = [];
  const line = (
    name: string,
    y: number[],
    color: string,
    dash: Dash,
    panel: 1 | 2,
    legendgroup: string,
    showlegend: boolean,
  ): Trace => ({
    type: "scatter",
    mode: "lines+markers",
    name,
    x: epochs,
    y,
    line: { color, dash, width: 2 },
    marker: { color, size: 5 },
    legendgroup,
    showlegend,
    ...(panel === 2 ? { xaxis: "x2", yaxis: "y2" } : {}),
  });
  data.push(
    line("train loss", curves.map((c) => c.trainLoss), "#000000", "solid", 1, "train", true),
  );
  if (curves.some((c) => c.val.loss !== undefined)) {
    const y = curves.map((c) => c.val.loss ?? NaN);
    data.push(line("val loss", y, "#000000", "dash", 1, "val-loss", true));
  }
  if (curves.some((c) => c.test.loss !== undefined)) {
    const y = curves.map((c) => c.test.loss ?? NaN);
    data.push(line("test loss", y, "#000000", "dot", 1, "test-loss", true));
  }
  const metrics: [keyof Metrics, string, string][] = [
    ["accuracy", "accuracy", PALETTE[0]],
    ["auroc", "AUROC", PALETTE[1]],
    ["macroF1", "macro-F1", PALETTE[2]],
  ];
  if (options.showSigmoidAuroc) metrics.push(["aurocReference", SIGMOID_AUROC_NAME, PALETTE[3]]);
  const percent = (c: Metrics, key: keyof Metrics) => 100 * (c[key] as number);
  for (const [key, label, color] of metrics) {
    // The legend names the metric once; val (solid) and test (dotted) toggle together.
    data.push(line(label, curves.map((c) => percent(c.val, key)), color, "solid", 2, key, true));
    data.push(
      line(`test ${label}`, curves.map((c) => percent(c.test, key)), color, "dot", 2, key, false),
    );
    data[data.length - 2].hovertemplate = `val ${label}: %{y:.2f}<extra>epoch %{x}</extra>`;
    data[data.length - 1].hovertemplate = `test ${label}: %{y:.2f}<extra>epoch %{x}</extra>`;
  }
  // Marked epochs: a dashed line across both panels, named in the legend (a trace on the
  // metric panel) so that labels never overlap the curves or each other when two protocols
  // pick nearby epochs.
  const markColors = ["#555555", "#CC79A7", "#56B4E9", "#D55E00"];
  const shapes: Shape[] = [];
  (options.marks ?? []).forEach((mark, i) => {
    const color = markColors[i % markColors.length];
    for (const [xref, yref] of [["x", "y domain"], ["x2", "y2 domain"]] as const) {
      shapes.push({
        type: "line",
        xref,
        yref,
        x0: mark.epoch,
        x1: mark.epoch,
        y0: 0,
        y1: 1,
        line: { color, dash: "dash", width: 1.5 },
      });
    }
    data.push({
      type: "scatter",
      mode: "lines",
      name: `${mark.label}: epoch ${mark.epoch}`,
      x: [mark.epoch, mark.epoch],
      y: [0, 100],
      xaxis: "x2",
      yaxis: "y2",
      line: { color, dash: "dash", width: 1.5 },
      hoverinfo: "name",
      legendgroup: `mark-${i}`,
    });
  });
  // Fixed x ranges: autorange would also stretch to fit legend-free extras.
  const first = Math.min(...epochs);
  const last = Math.max(...epochs);
  const xRange: [number, number] = epochs.length ? [first - 0.3, last + 0.3] : [0, 1];
  const ticks = { ...integerTicks(epochs), tickangle: 0 };
  const base = baseLayout(options.title ?? "Training curves", options.height ?? 500);
  return {
    data,
    layout: {
      ...base,
      // Title and toolbar above; the legend goes under the panels, where it has the full width
      // (the bottom margin holds the epoch ticks, the axis titles and two or three legend rows).
      margin: { t: TOOLBAR_BAND + 40, r: 24, b: 130, l: 64 },
      legend: {
        orientation: "h",
        x: 0,
        y: 0,
        xref: "container",
        yref: "container",
        xanchor: "left",
        yanchor: "bottom",
        font: { size: 12 },
      },
      // Panels 0–0.4 and 0.56–1: the gap holds the right panel's tick labels and axis title.
      xaxis: axis("epoch", { domain: [0, 0.4], range: xRange, ...ticks }),
      yaxis: axis("cross-entropy", { rangemode: "tozero" }),
      xaxis2: axis("epoch", { domain: [0.56, 1], anchor: "y2", range: xRange, ...ticks }),
      // Up to 102: a curve at 100 stays visible above the frame.
      yaxis2: axis("metric (%)", { anchor: "x2", range: [0, 102] }),
      shapes,
    },
  };
}

/** One class's ROC curve for {@linkcode rocFigure}. */
export interface RocSeries {
  /** Legend name, e.g. the class. */
  readonly name: string;
  /** False-positive rates, in curve order. */
  readonly fpr: readonly number[];
  /** True-positive rates, in curve order. */
  readonly tpr: readonly number[];
  /** Area under this curve, shown in the legend. */
  readonly auc?: number;
}

/** Rates on 0–1 axes with equal extent, gridded by tenths. */
function rateAxis(text: string): Axis {
  return axis(text, { range: [-0.01, 1.01], dtick: 0.2, zeroline: false, constrain: "domain" });
}

/** The dashed grey diagonal from (0, 0) to (1, 1): chance for ROC, perfect calibration. */
function diagonal(name: string): Trace {
  return {
    type: "scatter",
    mode: "lines",
    name,
    x: [0, 1],
    y: [0, 1],
    line: { color: "#9e9e9e", dash: "dash", width: 1 },
    hoverinfo: "skip",
  };
}

/**
 * The legend under the plot, below its x-axis title, where it can cover no curve, bar or
 * reference line at any width: entries side by side, wrapping into rows on a narrow figure (the
 * bottom margin grows to hold them). Inside the plot, a legend of four long class names covered
 * curves and chance lines, and over the plot it ran into the title of a narrow figure.
 */
function legendBelow(): Partial<Layout> {
  return {
    margin: { t: TOOLBAR_BAND + 40, r: 24, b: 56, l: 64 },
    // Also for a single curve: its legend entry carries the AUROC or AP.
    showlegend: true,
    legend: {
      orientation: "h",
      x: 0,
      // Below the tick labels and the axis title, whatever the plot's height (plotly widens the
      // bottom margin to hold the legend's rows).
      y: -0.3,
      xanchor: "left",
      yanchor: "top",
      font: { size: 11 },
    },
  };
}

/**
 * ROC curves (one per class, one-vs-rest) with the chance diagonal; the legend gives each
 * curve's AUROC in percent.
 */
export function rocFigure(title: string, series: readonly RocSeries[], height = 420): Figure {
  const data: Trace[] = series.map((s, i) => ({
    type: "scatter",
    mode: "lines",
    name: s.auc === undefined ? s.name : `${s.name} (${(100 * s.auc).toFixed(1)})`,
    x: [...s.fpr],
    y: [...s.tpr],
    line: { color: PALETTE[i % PALETTE.length], width: 2 },
    hovertemplate: `${s.name}: FPR %{x:.3f}, TPR %{y:.3f}<extra></extra>`,
  }));
  data.push(diagonal("chance"));
  return {
    data,
    layout: {
      ...baseLayout(title, height),
      ...legendBelow(),
      xaxis: rateAxis("false-positive rate"),
      yaxis: { ...rateAxis("true-positive rate"), scaleanchor: "x" },
    },
  };
}

/** One class's precision–recall curve for {@linkcode precisionRecallFigure}. */
export interface PrecisionRecallSeries {
  /** Legend name, e.g. the class. */
  readonly name: string;
  /** Recall at each point, non-decreasing. */
  readonly recall: readonly number[];
  /** Precision at each point. */
  readonly precision: readonly number[];
  /** Average precision, shown in the legend. */
  readonly averagePrecision?: number;
  /** Share of positives: drawn as this class's chance level. */
  readonly prevalence?: number;
}

/**
 * Precision–recall curves (one per class, one-vs-rest), drawn as steps — precision holds up to
 * each point's recall, as average precision sums it — with each class's prevalence (the
 * precision of a random ranking) as a dotted line; the legend gives average precision in percent.
 */
export function precisionRecallFigure(
  title: string,
  series: readonly PrecisionRecallSeries[],
  height = 420,
): Figure {
  const data: Trace[] = [];
  const shapes: Shape[] = [];
  series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    const ap = s.averagePrecision;
    data.push({
      type: "scatter",
      mode: "lines",
      name: ap === undefined ? s.name : `${s.name} (AP ${(100 * ap).toFixed(1)})`,
      x: [...s.recall],
      y: [...s.precision],
      line: { color, width: 2, shape: "vh" },
      hovertemplate: `${s.name}: recall %{x:.3f}, precision %{y:.3f}<extra></extra>`,
    });
    if (s.prevalence !== undefined && Number.isFinite(s.prevalence)) {
      shapes.push({
        type: "line",
        xref: "x",
        yref: "y",
        x0: 0,
        x1: 1,
        y0: s.prevalence,
        y1: s.prevalence,
        line: { color, dash: "dot", width: 1 },
      });
    }
  });
  return {
    data,
    layout: {
      ...baseLayout(title, height),
      ...legendBelow(),
      xaxis: rateAxis("recall"),
      yaxis: { ...rateAxis("precision"), scaleanchor: "x" },
      shapes,
    },
  };
}

/** One confidence bin of a reliability diagram. */
export interface ReliabilityBinData {
  /** Lower edge of the bin. */
  readonly lower: number;
  /** Upper edge of the bin. */
  readonly upper: number;
  /** Predictions whose confidence falls in the bin. */
  readonly count: number;
  /** Their mean confidence (NaN when empty). */
  readonly confidence: number;
  /** The share of them that is correct (NaN when empty). */
  readonly accuracy: number;
}

/**
 * A reliability diagram: per confidence bin, the accuracy of the predictions in it (bars) and
 * their mean confidence (markers), against the diagonal of perfect calibration — bars below the
 * diagonal mean over-confidence; underneath, the share of predictions per bin, which says how
 * much each bar weighs. Empty bins draw nothing.
 */
export function reliabilityDiagram(
  title: string,
  bins: readonly ReliabilityBinData[],
  height = 460,
): Figure {
  const used = bins.filter((b) => b.count > 0);
  const total = bins.reduce((a, b) => a + b.count, 0);
  const centre = used.map((b) => (b.lower + b.upper) / 2);
  const width = used.map((b) => b.upper - b.lower);
  const data: Trace[] = [
    {
      type: "bar",
      name: "accuracy",
      x: centre,
      y: used.map((b) => b.accuracy),
      width,
      marker: { color: PALETTE[0], opacity: 0.85, line: { color: "#ffffff", width: 1 } },
      customdata: used.map((b) => [b.lower, b.upper, b.count, b.confidence]),
      hovertemplate: "confidence %{customdata[0]:.2f}–%{customdata[1]:.2f}: " +
        "%{customdata[2]} predictions, accuracy %{y:.3f}, mean confidence " +
        "%{customdata[3]:.3f}<extra></extra>",
    },
    {
      type: "scatter",
      mode: "markers",
      name: "mean confidence",
      x: used.map((b) => b.confidence),
      y: used.map((b) => b.accuracy),
      marker: { color: PALETTE[1], size: 7, symbol: "diamond" },
      hoverinfo: "skip",
    },
    diagonal("calibrated"),
    {
      type: "bar",
      name: "share of predictions",
      x: centre,
      y: used.map((b) => (total > 0 ? b.count / total : 0)),
      width,
      xaxis: "x",
      yaxis: "y2",
      marker: { color: "#9e9e9e" },
      showlegend: false,
      hovertemplate: "%{y:.1%} of predictions<extra></extra>",
    },
  ];
  const lo = Math.min(0, ...bins.map((b) => b.lower));
  return {
    data,
    layout: {
      ...baseLayout(title, height),
      // Under the share panel: inside the plot it covered the bars of a wide spread of
      // confidences, and above it would wrap over the title of a narrow figure.
      ...legendBelow(),
      bargap: 0,
      xaxis: axis("confidence of the predicted class", {
        range: [lo, 1],
        anchor: "y2",
        zeroline: false,
      }),
      yaxis: axis("accuracy", { domain: [0.3, 1], range: [0, 1.02], zeroline: false }),
      yaxis2: axis("share", { domain: [0, 0.2], rangemode: "tozero", tickformat: ".0%" }),
    },
  };
}
