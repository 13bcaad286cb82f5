/**
 * A figure's data as small tables: what a notebook shows where its plot cannot be drawn (GitHub's
 * preview, an untrusted notebook, a text-only viewer). Values are exact — a number is written as
 * JavaScript prints it, which reads back to the same double — and every table keeps its row and
 * column headers: x values and trace names for lines and bars, both axes' categories for heatmaps.
 *
 * @module
 */
import type { Figure, Trace } from "./plotly.ts";
import { escapeHtml, formatCount, markdownTable } from "./table.ts";

/** One table of a figure's data. */
export interface FigureTable {
  /** What the values are (an axis or colour-bar title), or `""`. */
  readonly caption: string;
  /** Column headers; the first heads the column of row headers. */
  readonly headers: readonly string[];
  /** Rows; each row's first cell is its header (an x value, a category, a trace name). */
  readonly rows: readonly (readonly string[])[];
  /** Rows left out of a long table, said under it; 0 when every row is shown. */
  readonly omittedRows: number;
}

/** Rows a table shows at most; a longer one shows its first rows, then its last. */
export const MAX_TABLE_ROWS = 12;

/** A plotly label as plain text: `<br>` becomes a space, other tags (`<b>`, `<sup>`) go. */
export function plainLabel(text: string): string {
  return text.replace(/<br\s*\/?>/gi, " ").replace(/<[^>]*>/g, "").replace(/\s+/g, " ").trim();
}

/**
 * A value as the table shows it: numbers exactly (whole numbers from 1,000 on with thousands
 * separators), `null` (a gap) as `–`, labels as plain text.
 */
export function exactValue(value: unknown): string {
  if (value === null || value === undefined) return "–";
  if (typeof value === "number") {
    if (Number.isInteger(value) && Math.abs(value) >= 1_000) return formatCount(value);
    return String(value);
  }
  return plainLabel(String(value));
}

type AxisKey = "xaxis" | "xaxis2" | "yaxis" | "yaxis2";

function axisTitle(figure: Figure, ref: string | undefined, letter: "x" | "y"): string {
  const key = `${letter}axis${ref && ref !== letter ? ref.slice(1) : ""}` as AxisKey;
  return plainLabel(figure.layout[key]?.title?.text ?? "");
}

function traceName(trace: Trace, index: number): string {
  return plainLabel(trace.name ?? "") || `trace ${index + 1}`;
}

/** Keeps the first rows and the last one of a long table. */
function shorten(rows: string[][], maxRows: number): { rows: string[][]; omittedRows: number } {
  if (rows.length <= maxRows) return { rows, omittedRows: 0 };
  const head = rows.slice(0, maxRows - 2);
  const omitted = rows.length - head.length - 1;
  const gap = rows[0].map((_, c) => (c === 0 ? "…" : ""));
  return { rows: [...head, gap, rows[rows.length - 1]], omittedRows: omitted };
}

function heatmapTable(figure: Figure, trace: Trace, maxRows: number): FigureTable {
  const z = trace.z ?? [];
  const columns = (trace.x ?? z[0]?.map((_, c) => c) ?? []).map(exactValue);
  const rowLabels = (trace.y ?? z.map((_, r) => r)).map(exactValue);
  const xTitle = axisTitle(figure, trace.xaxis, "x");
  const yTitle = axisTitle(figure, trace.yaxis, "y");
  const corner = xTitle || yTitle ? `${yTitle || "rows"} \\ ${xTitle || "columns"}` : "";
  // Per-cell numbers beside the colour value (a confusion matrix's counts): "12 (0.8)".
  const extra = trace.customdata;
  const rows = z.map((row, r) => [
    rowLabels[r] ?? exactValue(r),
    ...row.map((v, c) => {
      const more = extra?.[r]?.[c];
      return typeof more === "number" ? `${exactValue(more)} (${exactValue(v)})` : exactValue(v);
    }),
  ]);
  const caption = plainLabel(trace.name ?? trace.colorbar?.title?.text ?? "");
  return { caption, headers: [corner, ...columns], ...shorten(rows, maxRows) };
}

function histogramTable(traces: readonly [Trace, number][]): FigureTable {
  const rows = traces.map(([trace, i]) => {
    const values = (trace.x ?? trace.y ?? []).filter((v): v is number => typeof v === "number")
      .sort((a, b) => a - b);
    const n = values.length;
    const mean = n ? values.reduce((a, b) => a + b, 0) / n : null;
    const median = n
      ? (n % 2 ? values[(n - 1) / 2] : (values[n / 2 - 1] + values[n / 2]) / 2)
      : null;
    return [
      traceName(trace, i),
      exactValue(n),
      exactValue(n ? values[0] : null),
      exactValue(median),
      exactValue(n ? values[n - 1] : null),
      exactValue(mean),
    ];
  });
  return {
    caption: "distribution of the values plotly bins",
    headers: ["", "values", "min", "median", "max", "mean"],
    rows,
    omittedRows: 0,
  };
}

/**
 * Lines and bars that share their x values (and axes) in one table: a row per x value, a column
 * per trace, and a `±` column beside each trace with error bars.
 */
function seriesTable(figure: Figure, traces: readonly [Trace, number][], maxRows: number) {
  const [first] = traces[0];
  const n = Math.max(...traces.map(([t]) => (t.x ?? t.y ?? []).length));
  const xs = first.x ?? Array.from({ length: n }, (_, i) => i);
  // Categories head their rows by themselves; numbers need to say what they are.
  const numeric = xs.every((x) => typeof x === "number");
  const headers = [axisTitle(figure, first.xaxis, "x") || (numeric ? "x" : "")];
  for (const [trace, i] of traces) {
    headers.push(traceName(trace, i));
    if (trace.error_y?.visible) headers.push("±");
  }
  const rows = xs.map((x, r) => {
    const row = [exactValue(x)];
    for (const [trace] of traces) {
      row.push(exactValue(trace.y?.[r]));
      if (trace.error_y?.visible) row.push(exactValue(trace.error_y.array[r]));
    }
    return row;
  });
  const yTitle = axisTitle(figure, first.yaxis, "y");
  return {
    // The y axis' title, unless the one column already says it.
    caption: traces.length === 1 && yTitle === headers[1] ? "" : yTitle,
    headers,
    ...shorten(rows, maxRows),
  };
}

/** A guide drawn as a trace (a chance diagonal, a marked epoch): two points and no hover values. */
function isGuide(trace: Trace): boolean {
  return (trace.hoverinfo === "skip" || trace.hoverinfo === "name") &&
    (trace.x ?? []).length <= 2;
}

/**
 * The tables of a figure's data: one per heatmap, one for all histograms, and one per group of
 * lines and bars with the same x values on the same axes. Guides (two-point traces without hover
 * values, such as a chance diagonal) are left out; {@linkcode figureGuides} names them.
 */
export function figureTables(figure: Figure, maxRows = MAX_TABLE_ROWS): FigureTable[] {
  const tables: FigureTable[] = [];
  const histograms: [Trace, number][] = [];
  const groups = new Map<string, [Trace, number][]>();
  figure.data.forEach((trace, i) => {
    if (trace.type === "heatmap") tables.push(heatmapTable(figure, trace, maxRows));
    else if (trace.type === "histogram") histograms.push([trace, i]);
    else if (!isGuide(trace)) {
      const key = JSON.stringify([trace.x ?? (trace.y ?? []).length, trace.xaxis, trace.yaxis]);
      groups.set(key, [...(groups.get(key) ?? []), [trace, i]]);
    }
  });
  for (const traces of groups.values()) tables.push(seriesTable(figure, traces, maxRows));
  if (histograms.length > 0) tables.push(histogramTable(histograms));
  return tables;
}

/** Names of the figure's guides (see {@linkcode figureTables}), e.g. `chance`. */
export function figureGuides(figure: Figure): string[] {
  return figure.data.flatMap((t, i) => (isGuide(t) ? [traceName(t, i)] : []));
}

function omittedNote(table: FigureTable): string {
  return table.omittedRows > 0
    ? `${table.omittedRows} more rows, ${table.rows.length - 1 + table.omittedRows} in all`
    : "";
}

/** The tables as HTML: a caption, `<th>` column and row headers, then a line per guide. */
export function figureTablesHtml(figure: Figure, maxRows = MAX_TABLE_ROWS): string {
  const tables = figureTables(figure, maxRows).map((table) => {
    const caption = table.caption ? `<caption>${escapeHtml(table.caption)}</caption>` : "";
    const head = table.headers.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join("");
    const body = table.rows.map(([header, ...cells]) =>
      `<tr><th scope="row">${escapeHtml(header)}</th>${
        cells.map((c) => `<td>${escapeHtml(c)}</td>`).join("")
      }</tr>`
    ).join("\n");
    const note = omittedNote(table);
    return `<table>${caption}<thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>` +
      (note ? `\n<p>(${escapeHtml(note)}.)</p>` : "");
  });
  const guides = figureGuides(figure);
  if (guides.length > 0) tables.push(`<p>Also drawn: ${escapeHtml(guides.join("; "))}.</p>`);
  return tables.join("\n");
}

/** The tables as plain text: each caption over a Markdown table padded to read as text. */
export function figureTablesText(figure: Figure, maxRows = MAX_TABLE_ROWS): string {
  const tables = figureTables(figure, maxRows).map((table) => {
    const note = omittedNote(table);
    return [
      ...(table.caption ? [table.caption] : []),
      markdownTable(table.headers, table.rows, table.headers.map((_, c) => c ? "right" : "left")),
      ...(note ? [`(${note}.)`] : []),
    ].join("\n");
  });
  const guides = figureGuides(figure);
  if (guides.length > 0) tables.push(`Also drawn: ${guides.join("; ")}.`);
  return tables.join("\n\n");
}
