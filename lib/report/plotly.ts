/**
 * Plotly figures as plain data (`{ data, layout }`, the JSON plotly.js and Jupyter's
 * `application/vnd.plotly.v1+json` take): the typed subset of plotly's traces and layout the
 * suite's figures use. The builders are in charts.ts (generic charts) and figures.ts (the
 * evaluation's figures).
 *
 * @module
 */

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

/** Where a legend or a title sits: a position and which of its sides is there. */
export interface Placement {
  /** Position, in `xref` units. */
  x?: number;
  /** Position, in `yref` units. */
  y?: number;
  /** `"container"` places it relative to the whole figure, `"paper"` to the plot area. */
  xref?: "container" | "paper";
  /** `"container"` places it relative to the whole figure, `"paper"` to the plot area. */
  yref?: "container" | "paper";
  /** Which of its sides sits at `x`. */
  xanchor?: "auto" | "left" | "center" | "right";
  /** Which of its sides sits at `y`. */
  yanchor?: "auto" | "top" | "middle" | "bottom";
}

/** The legend's placement and look. */
export interface Legend extends Placement {
  /** `"h"` lays entries out in rows. */
  orientation?: "h" | "v";
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
export interface Title extends Placement {
  /** Title text. */
  text: string;
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

/** The figure's title text, or `""`. */
export function figureTitle(figure: Figure): string {
  return figure.layout.title?.text ?? "";
}
