/**
 * The shared look of the suite's figures: base layout (font, margins, title under the toolbar,
 * legend above the plot), axes, whole-number ticks, wrapped category labels.
 *
 * @module
 */

import type { Annotation, Axis, Layout, Shape } from "./plotly.ts";

/** Copies numbers to a plain array (typed arrays serialise to objects, not arrays). */
export function plain(values: ArrayLike<number>): number[] {
  return Array.from(values);
}

/**
 * Height in pixels of the band at the top of a figure kept free for plotly's toolbar (which a
 * report shows on hover, and always on touch screens): titles start below it, so the toolbar
 * never covers them.
 */
export const TOOLBAR_BAND = 30;

/** The shared look: font, margins, title at the top left under the toolbar, legend above the plot. */
export function baseLayout(title: string, height: number): Layout {
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

export function axis(text: string | undefined, extra: Partial<Axis> = {}): Axis {
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
export function integerTicks(values: readonly number[]): Partial<Axis> {
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

/** A labelled vertical line across the plot at `x`, e.g. a limit or a threshold. */
export interface VerticalLine {
  /** Where it stands on the x axis. */
  readonly x: number;
  /** Its label, written at the top right of the line. */
  readonly label: string;
}

/** The shapes and annotations that draw `lines` as dashed vertical lines, labelled at the top. */
export function verticalLines(
  lines: readonly VerticalLine[],
): { shapes: Shape[]; annotations: Annotation[] } {
  return {
    shapes: lines.map((m) => ({
      type: "line",
      xref: "x",
      yref: "paper",
      x0: m.x,
      x1: m.x,
      y0: 0,
      y1: 1,
      line: { color: "#D55E00", dash: "dash", width: 1.5 },
    })),
    annotations: lines.map((m) => ({
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
  };
}
