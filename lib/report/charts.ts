/**
 * Generic charts as plotly figures: bars, lines with error bars, annotated heatmaps,
 * histograms, and the colours they draw with.
 *
 * Builders return JSON-ready objects: typed arrays are copied to plain arrays, and NaN becomes
 * `null` on serialisation, which plotly draws as a gap.
 *
 * @module
 */

import type { Annotation, Figure, Layout, Trace } from "./plotly.ts";
import {
  axis,
  baseLayout,
  integerTicks,
  plain,
  type VerticalLine,
  verticalLines,
  wrapLabel,
} from "./_layout.ts";

export type { VerticalLine };

/**
 * Okabe–Ito colours: distinguishable with the common colour-vision deficiencies and in greyscale
 * print by lightness.
 */
export const PALETTE: readonly string[] = [
  "#0072B2",
  "#E69F00",
  "#009E73",
  "#D55E00",
  "#CC79A7",
  "#56B4E9",
  "#F0E442",
  "#000000",
];

/** The sequential colour scale of heatmaps, white to deep blue. */
export const BLUES: [number, string][] = [
  [0, "#f7fbff"],
  [0.25, "#c6dbef"],
  [0.5, "#6baed6"],
  [0.75, "#2171b5"],
  [1, "#08306b"],
];

/** One series of a bar chart. */
export interface BarSeries {
  /** Legend name. */
  readonly name: string;
  /** One value per category. */
  readonly values: ArrayLike<number>;
  /** Symmetric error bars (e.g. std over seeds), one per category. */
  readonly errors?: ArrayLike<number>;
  /** Colour; defaults to the palette in order. */
  readonly color?: string;
  /** Text shown on each bar (e.g. formatted values). */
  readonly text?: readonly string[];
}

/** Options for {@linkcode barChart}. */
export interface BarChartOptions {
  /** Figure title. */
  readonly title: string;
  /** Category labels along the x axis. */
  readonly categories: readonly string[];
  /** One or more series; several are grouped side by side. */
  readonly series: readonly BarSeries[];
  /** x-axis title. */
  readonly xTitle?: string;
  /** y-axis title. */
  readonly yTitle?: string;
  /** Fixed y range. */
  readonly yRange?: [number, number];
  /** `"group"` (default) or `"stack"`. */
  readonly barmode?: "group" | "stack";
  /** Height in pixels (default 420). */
  readonly height?: number;
}

/** A bar chart: categories on x, one bar per series, optional error bars and bar labels. */
export function barChart(options: BarChartOptions): Figure {
  const categories = options.categories.map((c) => wrapLabel(c));
  const data: Trace[] = options.series.map((s, i) => ({
    type: "bar",
    name: s.name,
    x: categories,
    y: plain(s.values),
    marker: { color: s.color ?? PALETTE[i % PALETTE.length] },
    ...(s.errors ? { error_y: { type: "data", array: plain(s.errors), visible: true } } : {}),
    ...(s.text ? { text: [...s.text], textposition: "outside", cliponaxis: false } : {}),
  }));
  return {
    data,
    layout: {
      ...baseLayout(options.title, options.height ?? 420),
      barmode: options.barmode ?? "group",
      showlegend: options.series.length > 1,
      xaxis: axis(options.xTitle, { type: "category", tickangle: 0 }),
      yaxis: axis(options.yTitle, options.yRange ? { range: options.yRange } : {}),
    },
  };
}

/** One line of a line chart. */
export interface LineSeries {
  /** Legend name. */
  readonly name: string;
  /** x values. */
  readonly x: readonly (number | string)[] | ArrayLike<number>;
  /** y values. */
  readonly y: ArrayLike<number>;
  /** Symmetric error bars, one per point. */
  readonly errors?: ArrayLike<number>;
  /** Colour; defaults to the palette in order. */
  readonly color?: string;
  /** Line dash: `"solid"` (default), `"dot"`, `"dash"`. */
  readonly dash?: "solid" | "dot" | "dash" | "dashdot";
  /** `"lines+markers"` (default), `"lines"` or `"markers"`. */
  readonly mode?: "lines" | "markers" | "lines+markers";
  /** Put the line on a secondary axis (`"y2"`), e.g. loss beside accuracy. */
  readonly yaxis?: "y" | "y2";
}

/** Options for {@linkcode lineChart}. */
export interface LineChartOptions {
  /** Figure title. */
  readonly title: string;
  /** Lines. */
  readonly series: readonly LineSeries[];
  /** x-axis title. */
  readonly xTitle?: string;
  /** y-axis title. */
  readonly yTitle?: string;
  /** Secondary y-axis title (used by series with `yaxis: "y2"`). */
  readonly y2Title?: string;
  /** Fixed y range. */
  readonly yRange?: [number, number];
  /** Treat x as categories (e.g. ablation settings) rather than numbers. */
  readonly categoricalX?: boolean;
  /** Labelled vertical reference lines across the plot, e.g. a threshold. */
  readonly verticalLines?: readonly VerticalLine[];
  /** Height in pixels (default 420). */
  readonly height?: number;
}

/**
 * A line chart with optional error bars (e.g. a metric ± std over seeds against a setting). When
 * every x is a whole number (mapping depth, epochs) the ticks fall on whole numbers only.
 */
export function lineChart(options: LineChartOptions): Figure {
  const data: Trace[] = options.series.map((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    return {
      type: "scatter",
      mode: s.mode ?? "lines+markers",
      name: s.name,
      x: Array.from(s.x as ArrayLike<number | string>),
      y: plain(s.y),
      line: { color, dash: s.dash ?? "solid", width: 2 },
      marker: { color, size: 6 },
      ...(s.errors
        ? { error_y: { type: "data", array: plain(s.errors), visible: true, thickness: 1.2 } }
        : {}),
      ...(s.yaxis === "y2" ? { yaxis: "y2" } : {}),
    };
  });
  const xs = options.series.flatMap((s) => Array.from(s.x as ArrayLike<number | string>));
  const wholeNumbers = xs.length > 0 &&
    xs.every((x) => typeof x === "number" && Number.isInteger(x));
  const layout: Layout = {
    ...baseLayout(options.title, options.height ?? 420),
    xaxis: axis(
      options.xTitle,
      options.categoricalX
        ? { type: "category" }
        : wholeNumbers
        ? integerTicks(xs as number[])
        : {},
    ),
    yaxis: axis(options.yTitle, options.yRange ? { range: options.yRange } : {}),
  };
  if (options.series.some((s) => s.yaxis === "y2")) {
    layout.yaxis2 = axis(options.y2Title, { overlaying: "y", side: "right", showgrid: false });
  }
  if (options.verticalLines?.length) Object.assign(layout, verticalLines(options.verticalLines));
  return { data, layout };
}

/** Options for {@linkcode heatmap}. */
export interface HeatmapOptions {
  /** Figure title. */
  readonly title: string;
  /** Cell values `z[row][column]`; NaN draws an empty cell. */
  readonly z: readonly (readonly number[])[];
  /** Column labels. */
  readonly x: readonly (string | number)[];
  /** Row labels. */
  readonly y: readonly (string | number)[];
  /** x-axis title. */
  readonly xTitle?: string;
  /** y-axis title. */
  readonly yTitle?: string;
  /** Colour range; defaults to the finite min and max of `z`. */
  readonly zmin?: number;
  /** Colour range; defaults to the finite min and max of `z`. */
  readonly zmax?: number;
  /** Colour scale; defaults to {@linkcode BLUES} (dark = high). */
  readonly colorscale?: string | [number, string][];
  /** Colour bar title. */
  readonly colorbarTitle?: string;
  /**
   * Cell labels: `true` (default) writes each value with `format`, a matrix gives the text of
   * each cell, `false` writes none.
   */
  readonly annotate?: boolean | readonly (readonly string[])[];
  /** Formats a value for its cell label (default: 3 significant digits). */
  readonly format?: (value: number) => string;
  /**
   * Label of a cell without a value (NaN), drawn on a grey background so that it cannot be taken
   * for the low end of the colour scale (default "not run").
   */
  readonly missingText?: string;
  /** Draw the first row at the top (default true, as a table reads). */
  readonly firstRowOnTop?: boolean;
  /** Height in pixels (default: grows with the rows, at least 360). */
  readonly height?: number;
}

/**
 * A heatmap with a value written in each cell, in white on dark cells and black on light ones.
 * Rows and columns are categorical, e.g. residual ratio × mapping depth.
 */
export function heatmap(options: HeatmapOptions): Figure {
  const finite = options.z.flat().filter(Number.isFinite);
  const zmin = options.zmin ?? (finite.length ? Math.min(...finite) : 0);
  const zmax = options.zmax ?? (finite.length ? Math.max(...finite) : 1);
  const format = options.format ?? ((v: number) => String(Number(v.toPrecision(3))));
  const x = options.x.map(String);
  const y = options.y.map(String);
  const annotations: Annotation[] = [];
  const annotate = options.annotate ?? true;
  if (annotate !== false) {
    options.z.forEach((row, r) =>
      row.forEach((value, c) => {
        const missing = !Number.isFinite(value);
        const text = annotate === true
          ? (missing ? (options.missingText ?? "not run") : format(value))
          : annotate[r]?.[c] ?? "";
        if (text === "") return;
        const t = zmax > zmin ? (value - zmin) / (zmax - zmin) : 0;
        if (missing) {
          annotations.push({
            x: c,
            y: r,
            text,
            showarrow: false,
            font: { color: "#555555", size: 11, style: "italic" },
          });
          return;
        }
        // Positions by index: on a category axis a label such as "2" would otherwise be read
        // as the number 2, i.e. the third category.
        annotations.push({
          x: c,
          y: r,
          text,
          showarrow: false,
          font: { color: Number.isFinite(t) && t > 0.55 ? "#ffffff" : "#111111", size: 12 },
        });
      })
    );
  }
  const base = baseLayout(options.title, options.height ?? Math.max(360, 120 + 48 * y.length));
  return {
    data: [{
      type: "heatmap",
      // NaN → null: plotly leaves the cell transparent, showing the grey plot background.
      z: options.z.map((row) => row.map((v) => (Number.isFinite(v) ? v : null))),
      x,
      y,
      zmin,
      zmax,
      colorscale: options.colorscale ?? BLUES,
      colorbar: options.colorbarTitle ? { title: { text: options.colorbarTitle } } : {},
      hovertemplate: "%{y} × %{x}: %{z}<extra></extra>",
    }],
    layout: {
      ...base,
      plot_bgcolor: "#d9d9d9",
      xaxis: axis(options.xTitle, { type: "category", showgrid: false, zeroline: false }),
      yaxis: axis(options.yTitle, {
        type: "category",
        showgrid: false,
        zeroline: false,
        ...(options.firstRowOnTop ?? true ? { autorange: "reversed" } : {}),
      }),
      annotations,
    },
  };
}

/** One distribution of a histogram. */
export interface HistogramSeries {
  /** Legend name. */
  readonly name: string;
  /** Raw values to bin. */
  readonly values: ArrayLike<number>;
  /** Colour; defaults to the palette in order. */
  readonly color?: string;
}

/** Options for {@linkcode histogram}. */
export interface HistogramOptions {
  /** Figure title. */
  readonly title: string;
  /** Distributions, overlaid with transparency. */
  readonly series: readonly HistogramSeries[];
  /** x-axis title. */
  readonly xTitle?: string;
  /** y-axis title (default "count", or "probability" when normalised). */
  readonly yTitle?: string;
  /** Approximate number of bins (plotly picks the edges). */
  readonly nbins?: number;
  /** Normalise each series to probabilities, so splits of different sizes compare. */
  readonly normalize?: boolean;
  /** Vertical reference lines, e.g. CLIP's 77-token limit. */
  readonly markers?: readonly VerticalLine[];
  /** Height in pixels (default 400). */
  readonly height?: number;
}

/** A histogram of one or more overlaid distributions. */
export function histogram(options: HistogramOptions): Figure {
  const data: Trace[] = options.series.map((s, i) => ({
    type: "histogram",
    name: s.name,
    x: plain(s.values),
    opacity: options.series.length > 1 ? 0.6 : 0.9,
    marker: { color: s.color ?? PALETTE[i % PALETTE.length] },
    ...(options.nbins ? { nbinsx: options.nbins } : {}),
    ...(options.normalize ? { histnorm: "probability" } : {}),
  }));
  const markers = options.markers ?? [];
  return {
    data,
    layout: {
      ...baseLayout(options.title, options.height ?? 400),
      barmode: "overlay",
      showlegend: options.series.length > 1,
      xaxis: axis(options.xTitle),
      yaxis: axis(options.yTitle ?? (options.normalize ? "probability" : "count")),
      ...verticalLines(markers),
    },
  };
}
