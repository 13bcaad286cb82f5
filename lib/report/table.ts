/**
 * Result tables as Markdown (GitHub-flavoured, aligned for reading as plain text) and HTML, and
 * the number formats the suite prints: percentages and mean ± std over seeds.
 *
 * @module
 */

import type { MeanStd } from "../metrics/mod.ts";

/** Column alignment. */
export type Align = "left" | "right" | "center";

/** A table cell: text, or a number printed with `String()`. */
export type TableCell = string | number;

/** A table as data. */
export interface TableData {
  /** Column headers. */
  headers: string[];
  /** Rows of cells, each as long as `headers`. */
  rows: TableCell[][];
  /** Per-column alignment; numbers read best right-aligned. */
  align?: Align[];
}

/** Escapes `&`, `<`, `>`, `"` and `'` for HTML text and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

function checkShape(
  headers: readonly string[],
  rows: readonly (readonly TableCell[])[],
  what: string,
) {
  rows.forEach((row, i) => {
    if (row.length !== headers.length) {
      throw new Error(`${what}: row ${i} has ${row.length} cells for ${headers.length} headers`);
    }
  });
}

/** Display width of a cell, counting each code point once (so `±` and `–` pad correctly). */
function width(text: string): number {
  return [...text].length;
}

function pad(text: string, size: number, align: Align): string {
  const gap = size - width(text);
  if (gap <= 0) return text;
  if (align === "right") return " ".repeat(gap) + text;
  if (align === "center") {
    const left = Math.floor(gap / 2);
    return " ".repeat(left) + text + " ".repeat(gap - left);
  }
  return text + " ".repeat(gap);
}

/**
 * A GitHub-flavoured Markdown table with padded columns, so it reads as plain text too.
 * `|` inside a cell is escaped and newlines become spaces.
 *
 * ```ts
 * markdownTable(["task", "acc"], [["hate", "76.06 ± 0.84"]], ["left", "right"]);
 * // | task |          acc |
 * // | :--- | -----------: |
 * // | hate | 76.06 ± 0.84 |
 * ```
 */
export function markdownTable(
  headers: readonly string[],
  rows: readonly (readonly TableCell[])[],
  align: readonly Align[] = [],
): string {
  checkShape(headers, rows, "markdownTable");
  const clean = (cell: TableCell) => String(cell).replaceAll("|", "\\|").replace(/\r?\n/g, " ");
  const head = headers.map(clean);
  const body = rows.map((row) => row.map(clean));
  const aligns = headers.map((_, c) => align[c] ?? "left");
  const widths = head.map((h, c) => Math.max(3, width(h), ...body.map((row) => width(row[c]))));
  const rule = aligns.map((a, c) => {
    const dashes = "-".repeat(widths[c] - 1);
    if (a === "right") return dashes + ":";
    if (a === "center") return ":" + "-".repeat(widths[c] - 2) + ":";
    return ":" + dashes;
  });
  const line = (cells: string[]) =>
    "| " + cells.map((cell, c) => pad(cell, widths[c], aligns[c])).join(" | ") + " |";
  return [line(head), "| " + rule.join(" | ") + " |", ...body.map(line)].join("\n") + "\n";
}

/** Options for {@linkcode htmlTable}. */
export interface HtmlTableOptions {
  /** A caption above the table. */
  readonly caption?: string;
  /** Extra CSS class on the `<table>`. */
  readonly className?: string;
}

/**
 * A cell's text as HTML: escaped, its first line as it is and any further lines (after `\n`)
 * smaller and muted beneath it, e.g. an interval under its mean. Markdown tables print the same
 * cell on one line.
 */
function cellHtml(cell: TableCell): string {
  const [first, ...rest] = String(cell).split(/\r?\n/);
  return escapeHtml(first) +
    rest.map((line) => `<br><span class="cell-note">${escapeHtml(line)}</span>`).join("");
}

/**
 * An HTML `<table>`; every header and cell is escaped. A `\n` in a header breaks the line; in a
 * cell, the lines after the first are set smaller beneath it.
 */
export function htmlTable(
  headers: readonly string[],
  rows: readonly (readonly TableCell[])[],
  align: readonly Align[] = [],
  options: HtmlTableOptions = {},
): string {
  checkShape(headers, rows, "htmlTable");
  const style = (c: number) => {
    const a = align[c];
    return a && a !== "left" ? ` style="text-align:${a}"` : "";
  };
  const cls = options.className ? ` class="${escapeHtml(options.className)}"` : "";
  const caption = options.caption ? `<caption>${escapeHtml(options.caption)}</caption>` : "";
  const head = headers.map((h, c) =>
    `<th${style(c)}>${h.split(/\r?\n/).map(escapeHtml).join("<br>")}</th>`
  ).join("");
  const body = rows.map((row) =>
    `<tr>${row.map((cell, c) => `<td${style(c)}>${cellHtml(cell)}</td>`).join("")}</tr>`
  ).join("\n");
  return `<table${cls}>${caption}<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table>`;
}

function splitRow(line: string): string[] {
  let text = line.trim();
  if (text.startsWith("|")) text = text.slice(1);
  if (text.endsWith("|") && !text.endsWith("\\|")) text = text.slice(0, -1);
  return text.split(/(?<!\\)\|/).map((cell) => cell.trim().replaceAll("\\|", "|"));
}

/**
 * Parses a GitHub-flavoured Markdown table (as {@linkcode markdownTable} writes it) back into
 * headers, rows and alignment. Throws when the second line is not a `| --- |` rule.
 */
export function parseMarkdownTable(markdown: string): TableData {
  const lines = markdown.split(/\r?\n/).filter((l) => l.trim() !== "");
  if (lines.length < 2) throw new Error("parseMarkdownTable: needs a header and a rule line");
  const headers = splitRow(lines[0]);
  const rule = splitRow(lines[1]);
  if (rule.length !== headers.length || !rule.every((r) => /^:?-+:?$/.test(r))) {
    throw new Error(`parseMarkdownTable: line 2 is not a rule: ${lines[1]}`);
  }
  const align: Align[] = rule.map((r) =>
    r.startsWith(":") && r.endsWith(":") ? "center" : r.endsWith(":") ? "right" : "left"
  );
  const rows = lines.slice(2).map((line, i) => {
    const cells = splitRow(line);
    if (cells.length !== headers.length) {
      throw new Error(
        `parseMarkdownTable: row ${i} has ${cells.length} cells for ${headers.length} headers`,
      );
    }
    return cells;
  });
  return { headers, rows, align };
}

/** The text printed for a missing or undefined number. */
export const MISSING = "–";

/**
 * A fraction as percentage points without the `%` sign, as the paper's tables print them:
 * `formatPct(0.76056) === "76.06"`. NaN → `"–"`.
 */
export function formatPct(x: number, digits = 2): string {
  return Number.isFinite(x) ? (x * 100).toFixed(digits) : MISSING;
}

/**
 * A count with thousands separators, as the suite prints counts in text and tables:
 * `formatCount(3675136) === "3,675,136"`.
 */
export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

/** Options for {@linkcode formatMeanStd}. */
export interface FormatMeanStdOptions {
  /** Decimal places (default 2). */
  readonly digits?: number;
  /** Multiplier applied first (default 100: fractions printed as percentage points). */
  readonly scale?: number;
  /** Append the 95% CI half-width: `76.06 ± 0.84 (CI ± 2.09)`. */
  readonly ci?: boolean;
}

/**
 * `mean ± std` of metric fractions in percentage points, e.g. `76.06 ± 0.84`; only the mean when
 * there is one value; `"–"` when there are none.
 */
export function formatMeanStd(
  value: Pick<MeanStd, "mean" | "std"> & Partial<MeanStd>,
  options: FormatMeanStdOptions = {},
): string {
  const digits = options.digits ?? 2;
  const scale = options.scale ?? 100;
  if (!Number.isFinite(value.mean)) return MISSING;
  const mean = (value.mean * scale).toFixed(digits);
  if (!Number.isFinite(value.std)) return mean;
  let text = `${mean} ± ${(value.std * scale).toFixed(digits)}`;
  if (options.ci && value.ci95 !== undefined && Number.isFinite(value.ci95)) {
    text += ` (CI ± ${(value.ci95 * scale).toFixed(digits)})`;
  }
  return text;
}

/**
 * A difference with its sign, e.g. against the paper: `formatSigned(0.52) === "+0.52"`,
 * `formatSigned(-1.2) === "-1.20"`. No scaling: pass percentage points.
 */
export function formatSigned(x: number, digits = 2): string {
  if (!Number.isFinite(x)) return MISSING;
  const text = Math.abs(x).toFixed(digits);
  if (Number(text) === 0) return (0).toFixed(digits);
  return (x > 0 ? "+" : "-") + text;
}
