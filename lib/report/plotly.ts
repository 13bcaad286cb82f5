/**
 * Plotly figures as plain data (`{ data, layout }`, the JSON plotly.js and Jupyter's
 * `application/vnd.plotly.v1+json` take), and builders for the charts the suite draws: bars,
 * lines with error bars, annotated heatmaps, confusion matrices, training curves, ROC and
 * precision–recall curves, reliability diagrams, histograms.
 *
 * Builders return JSON-ready objects: typed arrays are copied to plain arrays, and NaN becomes
 * `null` on serialisation, which plotly draws as a gap.
 *
 * @module
 */

import type { Metrics } from "../metrics/mod.ts";

// The trace and layout types below are written out, attribute by attribute, for exactly what
// the suite's figures use (here, in notebooks/ and in experiments/), with no catch-all: a
// misspelt or unknown attribute is a type error. `@types/plotly.js` type-checks under Deno, but
// its types are not part of this module's documented API (`deno doc --lint` reports every
// public type that refers to them), so it is kept as a check only: tests/report_test.ts asserts
// at type level that every attribute named here exists in `@types/plotly.js` with a compatible
// type. A figure needing a new attribute adds it here, where that check covers it.

/** A colour: CSS hex (`"#0072B2"`), `rgb()`/`rgba()` or a CSS name. */
export type Color = string;

/** Line dash style. */
export type Dash = "solid" | "dot" | "dash" | "dashdot";

/** A font. */
export interface Font {
  /** CSS font family list. */
  family?: string;
  /** Size in pixels. */
  size?: number;
  /** Colour. */
  color?: Color;
  /** `"italic"` for labels that are not values (e.g. "not run"). */
  style?: "normal" | "italic";
}

/** A line: a trace's line, a bar's outline or a shape's stroke. */
export interface Line {
  /** Colour. */
  color?: Color;
  /** Width in pixels. */
  width?: number;
  /** Dash style. */
  dash?: Dash;
  /** `"vh"` draws steps (vertical, then horizontal), as a precision–recall curve holds. */
  shape?: "linear" | "vh" | "hv";
}

/** Markers of a scatter trace, or the fill of bars and histograms. */
export interface Marker {
  /** Colour. */
  color?: Color;
  /** Size in pixels. */
  size?: number;
  /** Symbol, e.g. `"diamond"`. */
  symbol?: "circle" | "diamond" | "square" | "x";
  /** Opacity 0–1. */
  opacity?: number;
  /** Outline. */
  line?: Line;
}

/** Symmetric error bars given per point. */
export interface ErrorBars {
  /** Always `"data"`: the half-widths are given in `array`. */
  type: "data";
  /** Half-width per point. */
  array: number[];
  /** Whether the bars are drawn. */
  visible: boolean;
  /** Stroke width in pixels. */
  thickness?: number;
}

/** The trace types the suite draws. */
export type TraceType = "bar" | "scatter" | "heatmap" | "histogram";

/** An x axis a trace, shape or annotation refers to. */
export type XRef = "x" | "x2";

/** A y axis a trace, shape or annotation refers to. */
export type YRef = "y" | "y2";

/** A continuous colour scale: `[position 0–1, colour]` stops, or a plotly scale name. */
export type Colorscale = string | [number, string][];

/** One plotly trace, with the attributes the suite's figures set. */
export interface Trace {
  /** Trace type. */
  type: TraceType;
  /** Legend name. */
  name?: string;
  /** x values (categories or numbers; `null` is a gap). */
  x?: (number | string | null)[];
  /** y values (categories or numbers; `null` is a gap). */
  y?: (number | string | null)[];
  /** Heatmap cell values, `z[row][column]` (`null` is an empty cell). */
  z?: (number | null)[][];
  /** Scatter drawing mode. */
  mode?: "lines" | "markers" | "lines+markers";
  /** Scatter line. */
  line?: Line;
  /** Markers, or the fill of bars. */
  marker?: Marker;
  /** Vertical error bars. */
  error_y?: ErrorBars;
  /** Text on each bar. */
  text?: string[];
  /** Where bar text goes. */
  textposition?: "inside" | "outside" | "auto" | "none";
  /** `false` lets bar text extend past the plot area. */
  cliponaxis?: boolean;
  /** The x axis the trace is drawn on (default `"x"`). */
  xaxis?: XRef;
  /** The y axis the trace is drawn on (default `"y"`). */
  yaxis?: YRef;
  /** Traces of one group toggle together from the legend. */
  legendgroup?: string;
  /** Whether the trace has a legend entry. */
  showlegend?: boolean;
  /** Hover label template (`%{x}`, `%{y:.2f}`, `%{customdata[0]}`, `<extra>…</extra>`). */
  hovertemplate?: string;
  /** Hover content when no template is given; `"skip"` shows none. */
  hoverinfo?: "skip" | "name" | "none";
  /** Extra per-point values a hover template refers to. */
  customdata?: number[][];
  /** Bar widths, in x units. */
  width?: number[];
  /** Trace opacity 0–1. */
  opacity?: number;
  /** Approximate number of histogram bins. */
  nbinsx?: number;
  /** Fixed histogram bins: edges from `start` to `end`, `size` wide (default: plotly picks). */
  xbins?: {
    /** First edge. */
    start: number;
    /** Last edge. */
    end: number;
    /** Bin width. */
    size: number;
  };
  /** Histogram normalisation. */
  histnorm?: "" | "percent" | "probability";
  /** Heatmap colour range. */
  zmin?: number;
  /** Heatmap colour range. */
  zmax?: number;
  /** Heatmap colour scale. */
  colorscale?: Colorscale;
  /** Heatmap colour bar. */
  colorbar?: {
    /** Colour bar title. */
    title?: {
      /** Title text. */
      text: string;
    };
  };
}

/** A plotly axis (`xaxis`, `yaxis2`, …). */
export interface Axis {
  /** Axis title. */
  title?: {
    /** Title text. */
    text: string;
  };
  /** Axis type (default: inferred from the data). */
  type?: "linear" | "log" | "category";
  /** Fixed range `[min, max]` (for a log axis, in powers of ten). */
  range?: [number, number];
  /** `"reversed"` draws the first category at the top of a y axis. */
  autorange?: boolean | "reversed";
  /** `"tozero"` extends the range to include 0. */
  rangemode?: "normal" | "tozero";
  /** Tick label format, d3-format (e.g. `".0%"`, `"d"`). */
  tickformat?: string;
  /** `"linear"` places ticks from `tick0` every `dtick`. */
  tickmode?: "auto" | "linear";
  /** First tick. */
  tick0?: number;
  /** Tick step (for a log axis, in powers of ten). */
  dtick?: number;
  /** Tick label angle in degrees. */
  tickangle?: number;
  /** Exponent style of tick labels. */
  exponentformat?: "none" | "e" | "E" | "power" | "SI" | "B";
  /** Grow the margins to fit tick labels and the title. */
  automargin?: boolean;
  /** Grid colour. */
  gridcolor?: Color;
  /** Whether grid lines are drawn. */
  showgrid?: boolean;
  /** Whether the zero line is drawn. */
  zeroline?: boolean;
  /** Zero-line colour. */
  zerolinecolor?: Color;
  /** Share of the figure the axis spans, `[start, end]` in 0–1. */
  domain?: [number, number];
  /** The crossing axis it is drawn against. */
  anchor?: XRef | YRef;
  /** Draw on top of that axis (a secondary axis). */
  overlaying?: XRef | YRef;
  /** Side of the plot the axis is on. */
  side?: "left" | "right" | "top" | "bottom";
  /** Keep the scale equal to that axis' (square plots). */
  scaleanchor?: XRef | YRef;
  /** How an equal scale is kept: `"domain"` shrinks the plot area rather than the range. */
  constrain?: "range" | "domain";
}

/** A text label placed on the plot. */
export interface Annotation {
  /** Label text (plotly accepts `<br>`, `<b>`). */
  text: string;
  /** Position (by category index on a category axis). */
  x: number | string;
  /** Position (by category index on a category axis). */
  y: number | string;
  /** What `x` refers to (default the x axis). */
  xref?: XRef | "paper";
  /** What `y` refers to (default the y axis). */
  yref?: YRef | "paper";
  /** Which side of the label sits at `x`. */
  xanchor?: "auto" | "left" | "center" | "right";
  /** Which side of the label sits at `y`. */
  yanchor?: "auto" | "top" | "middle" | "bottom";
  /** Whether an arrow points at the position. */
  showarrow?: boolean;
  /** Label font. */
  font?: Font;
}

/** A line drawn on the plot, e.g. a marked epoch or a chance level. */
export interface Shape {
  /** Shape type. */
  type: "line" | "rect";
  /** What `x0`, `x1` refer to. */
  xref?: XRef | "paper";
  /** What `y0`, `y1` refer to: a y axis' values, its domain (0–1 of its height), or the paper. */
  yref?: YRef | "paper" | "y domain" | "y2 domain";
  /** Start. */
  x0: number;
  /** End. */
  x1: number;
  /** Start. */
  y0: number;
  /** End. */
  y1: number;
  /** Stroke. */
  line?: Line;
}

/** The legend's placement and look. */
export interface Legend {
  /** `"h"` lays entries out in rows. */
  orientation?: "h" | "v";
  /** Position, in `xref` units. */
  x?: number;
  /** Position, in `yref` units. */
  y?: number;
  /** `"container"` places it relative to the whole figure, `"paper"` to the plot area. */
  xref?: "container" | "paper";
  /** `"container"` places it relative to the whole figure, `"paper"` to the plot area. */
  yref?: "container" | "paper";
  /** Which side of the legend sits at `x`. */
  xanchor?: "auto" | "left" | "center" | "right";
  /** Which side of the legend sits at `y`. */
  yanchor?: "auto" | "top" | "middle" | "bottom";
  /** Background colour. */
  bgcolor?: Color;
  /** Border colour. */
  bordercolor?: Color;
  /** Border width in pixels. */
  borderwidth?: number;
  /** Entry font. */
  font?: Font;
}

/** Margins in pixels. */
export interface Margin {
  /** Top. */
  t?: number;
  /** Right. */
  r?: number;
  /** Bottom. */
  b?: number;
  /** Left. */
  l?: number;
}

/** The figure title. */
export interface Title {
  /** Title text. */
  text: string;
  /** Position, in `xref` units. */
  x?: number;
  /** Position, in `yref` units. */
  y?: number;
  /** `"container"` places it relative to the whole figure. */
  xref?: "container" | "paper";
  /** `"container"` places it relative to the whole figure. */
  yref?: "container" | "paper";
  /** Which side of the title sits at `x`. */
  xanchor?: "auto" | "left" | "center" | "right";
  /** Which side of the title sits at `y`. */
  yanchor?: "auto" | "top" | "middle" | "bottom";
  /** Padding around the title, in pixels. */
  pad?: Margin;
  /** Title font. */
  font?: Font;
}

/** Plotly layout, with the attributes the suite's figures set. */
export interface Layout {
  /** Figure title. */
  title?: Title;
  /** Width in pixels; omitted → fills its container. */
  width?: number;
  /** Height in pixels. */
  height?: number;
  /** Default font. */
  font?: Font;
  /** Margins around the plot area. */
  margin?: Margin;
  /** Colour around the plot area. */
  paper_bgcolor?: Color;
  /** Colour of the plot area (shows through empty heatmap cells). */
  plot_bgcolor?: Color;
  /** Whether the legend is shown. */
  showlegend?: boolean;
  /** Legend placement. */
  legend?: Legend;
  /** Which points a hover label shows. */
  hovermode?: "closest" | "x" | "y" | false;
  /** How bars of several traces share a category. */
  barmode?: "group" | "stack" | "overlay";
  /** Gap between bars of adjacent categories, 0–1. */
  bargap?: number;
  /** First x axis. */
  xaxis?: Axis;
  /** First y axis. */
  yaxis?: Axis;
  /** Second x axis (a second panel). */
  xaxis2?: Axis;
  /** Second y axis (a second panel or a secondary scale). */
  yaxis2?: Axis;
  /** Text labels. */
  annotations?: Annotation[];
  /** Lines drawn on the plot. */
  shapes?: Shape[];
}

/** A complete plotly figure. */
export interface Figure {
  /** Traces. */
  data: Trace[];
  /** Layout. */
  layout: Layout;
}

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

/** Copies numbers to a plain array (typed arrays serialise to objects, not arrays). */
function plain(values: ArrayLike<number>): number[] {
  return Array.from(values);
}

/**
 * Height in pixels of the band at the top of a figure kept free for plotly's toolbar (which a
 * report shows on hover, and always on touch screens): titles start below it, so the toolbar
 * never covers them.
 */
const TOOLBAR_BAND = 30;

/** The shared look: font, margins, title at the top left under the toolbar, legend above the plot. */
function baseLayout(title: string, height: number): Layout {
  return {
    title: {
      text: title,
      x: 0,
      xref: "container",
      xanchor: "left",
      y: 1,
      yref: "container",
      yanchor: "top",
      pad: { t: TOOLBAR_BAND, l: 12 },
      font: { size: 15 },
    },
    height,
    font: { family: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", size: 13 },
    margin: { t: TOOLBAR_BAND + 60, r: 24, b: 56, l: 64 },
    paper_bgcolor: "#ffffff",
    plot_bgcolor: "#ffffff",
    legend: { orientation: "h", x: 0, y: 1.02, xanchor: "left", yanchor: "bottom" },
    hovermode: "closest",
  };
}

function axis(text: string | undefined, extra: Partial<Axis> = {}): Axis {
  return {
    ...(text ? { title: { text } } : {}),
    automargin: true,
    gridcolor: "#e5e5e5",
    zerolinecolor: "#bdbdbd",
    ...extra,
  };
}

/**
 * Breaks a long category label into lines of about `width` characters at spaces (`<br>`), so that
 * labels sit horizontally under their bars instead of slanting.
 */
export function wrapLabel(text: string, width = 14): string {
  const lines: string[] = [];
  for (const word of text.split(" ")) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last].length + 1 + word.length <= width) lines[last] += ` ${word}`;
    else lines.push(word);
  }
  return lines.join("<br>");
}

/**
 * Axis attributes for whole-number values (epochs, mapping depth): ticks on integers only,
 * printed without decimals, at most about eight of them.
 */
function integerTicks(values: readonly number[]): Partial<Axis> {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return { tickformat: "d" };
  const lo = Math.min(...finite);
  const span = Math.max(...finite) - lo;
  return {
    tickmode: "linear",
    tick0: lo,
    dtick: Math.max(1, Math.ceil(span / 8)),
    tickformat: "d",
  };
}

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
  data.push({
    type: "scatter",
    mode: "lines",
    name: "chance",
    x: [0, 1],
    y: [0, 1],
    line: { color: "#9e9e9e", dash: "dash", width: 1 },
    hoverinfo: "skip",
  });
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
    {
      type: "scatter",
      mode: "lines",
      name: "calibrated",
      x: [0, 1],
      y: [0, 1],
      line: { color: "#9e9e9e", dash: "dash", width: 1 },
      hoverinfo: "skip",
    },
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
  readonly markers?: readonly { readonly x: number; readonly label: string }[];
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
      shapes: markers.map((m) => ({
        type: "line",
        xref: "x",
        yref: "paper",
        x0: m.x,
        x1: m.x,
        y0: 0,
        y1: 1,
        line: { color: "#D55E00", dash: "dash", width: 1.5 },
      })),
      annotations: markers.map((m) => ({
        x: m.x,
        y: 1,
        xref: "x",
        yref: "paper",
        text: m.label,
        showarrow: false,
        xanchor: "left",
        yanchor: "top",
        font: { color: "#D55E00", size: 11 },
      })),
    },
  };
}

/** The figure's title text, or `""`. */
export function figureTitle(figure: Figure): string {
  return figure.layout.title?.text ?? "";
}
