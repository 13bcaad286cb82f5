/**
 * Self-contained HTML reports: one file with plotly.js inlined, the figures as JSON, tables and
 * text — it opens offline, from an e-mail attachment or a CI artifact, with nothing to fetch.
 *
 * @module
 */

import { writeFileAtomic } from "../util/mod.ts";
import { type Figure, figureTitle } from "./plotly.ts";
import { escapeHtml, htmlTable, parseMarkdownTable, type TableData } from "./table.ts";
import { MEME_CARD_CSS, PAGE_COLOURS } from "./_page_style.ts";

let plotlyCache: Promise<string> | undefined;

/**
 * The source of plotly.js (`plotly.js-dist-min`, pinned in deno.json), loaded once per process.
 * Throws an error saying how to install it when the package is missing.
 */
export function plotlySource(): Promise<string> {
  // A text import of the package file: importing plotly.js as a module fails outside a browser
  // (`window is not defined`). Dynamic, so that only a process that writes a report loads 4.8 MB.
  plotlyCache ??= import("plotly.js-dist-min/plotly.min.js", { with: { type: "text" } })
    .then((m) => m.default as string)
    .catch((e) => {
      plotlyCache = undefined;
      throw new Error(
        `cannot load plotly.js (npm package plotly.js-dist-min): ${(e as Error).message}. ` +
          "Run `deno install --frozen` in the repository to fetch the pinned npm packages.",
      );
    });
  return plotlyCache;
}

/**
 * Makes JavaScript source safe inside an HTML `<script>` element: `</script` would end the
 * element early, and `<!--` followed by `<script` would keep the real end tag from closing it.
 * Both are rewritten with `\x3C` for `<`, which means `<` in string literals, template literals
 * and regular expressions (also with the `u` flag); elsewhere they can only occur in comments.
 */
export function escapeScript(source: string): string {
  return source.replace(/<(\/script|!--)/gi, "\\x3C$1");
}

/**
 * JSON that can sit inside `<script type="application/json">`: `<`, `>` and `&` are written as
 * `\u003c`… escapes, which `JSON.parse` reads back unchanged.
 */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replaceAll("<", "\\u003c")
    .replaceAll(">", "\\u003e")
    .replaceAll("&", "\\u0026")
    .replaceAll("\u2028", "\\u2028")
    .replaceAll("\u2029", "\\u2029");
}

/** One section of a report: a heading followed by any of text, tables, trusted HTML, figures. */
export interface ReportSection {
  /** Section heading (escaped). */
  heading: string;
  /** Plain text (escaped); blank lines separate paragraphs. */
  text?: string;
  /** A GitHub-flavoured Markdown table (e.g. the run's `table.md`), rendered as an HTML table. */
  markdownTable?: string;
  /** A table as data. */
  table?: TableData;
  /** More tables as data, after `table`. */
  tables?: readonly TableData[];
  /** Plain text (escaped) after the tables: notes on their numbers. */
  footnote?: string;
  /** Trusted HTML inserted as it is, after text and tables. Escape any data you put in it. */
  html?: string;
  /** Plotly figures, drawn after everything else in the section. */
  figures?: Figure[];
  /**
   * Figures per row on a wide screen: 2 (default; one on narrow screens), 1 for figures that
   * need the width, such as two-panel training curves, or 3 for small square ones (curves).
   */
  figureColumns?: 1 | 2 | 3;
}

/** A report. */
export interface Report {
  /** Page title and main heading (escaped). */
  title: string;
  /** A line under the title (escaped). */
  subtitle?: string;
  /** Key facts shown under the title: git commit, backend, model, date, … (escaped). */
  meta?: Record<string, string | number>;
  /** Sections in order. */
  sections: ReportSection[];
}

const STYLE = `
:root { color-scheme: light; ${PAGE_COLOURS} }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif; }
main { max-width: 1480px; margin: 0 auto; padding: 32px 28px 64px; }
header { border-bottom: 2px solid var(--line); padding-bottom: 16px; margin-bottom: 8px; }
h1 { font-size: 28px; margin: 0 0 4px; letter-spacing: -0.01em; }
h2 { font-size: 20px; margin: 40px 0 12px; padding-top: 8px; border-top: 1px solid var(--line); }
.subtitle { color: var(--muted); margin: 0 0 12px; font-size: 16px; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 12px 0 0;
  font-size: 13px; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  overflow-wrap: anywhere; }
nav.toc { font-size: 14px; margin: 16px 0 0; display: flex; flex-wrap: wrap; gap: 4px 16px; }
nav.toc a { color: var(--accent); text-decoration: none; }
nav.toc a:hover { text-decoration: underline; }
p { margin: 0 0 10px; max-width: 80ch; }
.table-wrap { overflow-x: auto; margin: 12px 0 16px; }
table { border-collapse: collapse; font-size: 14px; font-variant-numeric: tabular-nums; }
caption { text-align: left; color: var(--muted); padding: 0 0 6px; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: left;
  white-space: nowrap; vertical-align: top; }
td .cell-note { color: var(--muted); font-size: 12px; }
.footnote p { color: var(--muted); font-size: 13px; }
thead th { border-bottom: 2px solid var(--fg); font-weight: 600; }
tbody tr:nth-child(even) { background: var(--stripe); }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(520px, 100%), 1fr)); gap: 20px;
  margin: 16px 0; }
.figures.one-column { grid-template-columns: 1fr; }
.figures.three-columns { grid-template-columns: repeat(auto-fill, minmax(min(380px, 100%), 1fr)); }
details.gallery { margin: 12px 0; border: 1px solid var(--line); border-radius: 6px;
  padding: 8px 14px; }
details.gallery > summary { cursor: pointer; font-weight: 600; color: #8a4b00; }
details.gallery h3 { font-size: 17px; margin: 20px 0 4px; }
details.gallery h4 { font-size: 14px; margin: 14px 0 8px; color: var(--muted); }
.gallery-note { color: var(--muted); font-size: 13px; }
${MEME_CARD_CSS}
.figure { border: 1px solid var(--line); border-radius: 6px; padding: 6px; min-width: 0; }
.no-plotly { color: #b00020; font-weight: 600; }
footer { margin-top: 48px; color: var(--muted); font-size: 12px; }
@media (max-width: 600px) { main { padding: 16px 12px 32px; } h1 { font-size: 22px; } }
@media print { main { max-width: none; padding: 0; } .figure { break-inside: avoid; } }
`;

const RENDER = `(function () {
  var figures = JSON.parse(document.getElementById("report-figures").textContent);
  if (typeof Plotly === "undefined") {
    document.querySelectorAll(".figure").forEach(function (el) {
      el.innerHTML = '<p class="no-plotly">plotly.js failed to load: figure not drawn.</p>';
    });
    return;
  }
  // A short toolbar (save, zoom, pan, reset): it sits in the band above each title.
  var config = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["select2d",
    "lasso2d", "zoomIn2d", "zoomOut2d", "autoScale2d", "toggleSpikelines", "hoverClosestCartesian",
    "hoverCompareCartesian"] };
  Promise.all(figures.map(function (f, i) {
    return Plotly.newPlot("figure-" + i, f.data, f.layout, config);
  })).then(function () {
    document.documentElement.setAttribute("data-rendered", String(figures.length));
  });
})();`;

function slug(text: string, used: Set<string>): string {
  const base = text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "section";
  let id = base;
  for (let i = 2; used.has(id); i++) id = `${base}-${i}`;
  used.add(id);
  return id;
}

function paragraphs(text: string): string {
  return text.split(/\n\s*\n/).map((p) => p.trim()).filter((p) => p !== "")
    .map((p) => `<p>${escapeHtml(p).replace(/\n/g, "<br>")}</p>`).join("\n");
}

function tableHtml(table: TableData): string {
  return `<div class="table-wrap">${htmlTable(table.headers, table.rows, table.align)}</div>`;
}

/**
 * Renders a report with the given plotly.js source inlined (synchronous; see
 * {@linkcode renderReport} for the usual entry point). Every figure is drawn with
 * `Plotly.newPlot`; when all are drawn the `<html>` element gets `data-rendered="<count>"`.
 */
export function renderReportHtml(report: Report, plotlyJs: string): string {
  const figures: Figure[] = [];
  const used = new Set<string>();
  const ids = report.sections.map((s) => slug(s.heading, used));
  const sections = report.sections.map((section, index) => {
    const parts = [`<h2 id="${ids[index]}">${escapeHtml(section.heading)}</h2>`];
    if (section.text) parts.push(paragraphs(section.text));
    if (section.markdownTable) parts.push(tableHtml(parseMarkdownTable(section.markdownTable)));
    if (section.table) parts.push(tableHtml(section.table));
    for (const table of section.tables ?? []) parts.push(tableHtml(table));
    if (section.footnote) parts.push(`<div class="footnote">${paragraphs(section.footnote)}</div>`);
    if (section.html) parts.push(section.html);
    if (section.figures?.length) {
      const divs = section.figures.map((figure) => {
        const i = figures.push(figure) - 1;
        const height = typeof figure.layout.height === "number" ? figure.layout.height : 450;
        return `<div class="figure" id="figure-${i}" role="img" aria-label="${
          escapeHtml(figureTitle(figure))
        }" style="min-height:${height + 12}px"></div>`;
      });
      const cls = section.figureColumns === 1
        ? "figures one-column"
        : section.figureColumns === 3
        ? "figures three-columns"
        : "figures";
      parts.push(`<div class="${cls}">\n${divs.join("\n")}\n</div>`);
    }
    return `<section>\n${parts.join("\n")}\n</section>`;
  });
  const meta = Object.entries(report.meta ?? {});
  const metaHtml = meta.length
    ? `<dl class="meta">${
      meta.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(String(v))}</dd>`).join("")
    }</dl>`
    : "";
  const toc = report.sections.length >= 3
    ? `<nav class="toc">${
      report.sections.map((s, i) => `<a href="#${ids[i]}">${escapeHtml(s.heading)}</a>`).join("")
    }</nav>`
    : "";
  const subtitle = report.subtitle ? `<p class="subtitle">${escapeHtml(report.subtitle)}</p>` : "";
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(report.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<header>
<h1>${escapeHtml(report.title)}</h1>
${subtitle}
${metaHtml}
${toc}
</header>
${sections.join("\n")}
<footer>Self-contained report: plotly.js is embedded, nothing is loaded from the network.</footer>
</main>
<script type="application/json" id="report-figures">${scriptSafeJson(figures)}</script>
<script>${escapeScript(plotlyJs)}</script>
<script>${RENDER}</script>
</body>
</html>
`;
}

/**
 * A bare page holding one figure at a fixed size and nothing else, with plotly.js inlined: the
 * input for a PNG of a single figure (see `screenshotFigure`).
 */
export function figurePageHtml(
  figure: Figure,
  plotlyJs: string,
  size: { width: number; height: number },
): string {
  const sized: Figure = {
    data: figure.data,
    layout: { ...figure.layout, width: size.width, height: size.height },
  };
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(figureTitle(figure) || "figure")}</title>
<style>body { margin: 0; background: #ffffff; }</style></head>
<body>
<div class="figure" id="figure-0"></div>
<script type="application/json" id="report-figures">${scriptSafeJson([sized])}</script>
<script>${escapeScript(plotlyJs)}</script>
<script>${
    RENDER.replace("{ responsive: true, displaylogo: false }", "{ staticPlot: true }")
  }</script>
</body>
</html>
`;
}

/** Renders a report to one self-contained HTML page, with plotly.js read from its package. */
export async function renderReport(report: Report): Promise<string> {
  return renderReportHtml(report, await plotlySource());
}

/** Renders a report and writes it to `path` atomically. */
export async function writeReport(path: string, report: Report): Promise<void> {
  await writeFileAtomic(path, await renderReport(report));
}
