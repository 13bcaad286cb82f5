/**
 * Figures and tables in Deno Jupyter notebooks. `display(figure)` emits a MIME bundle whose
 * `application/vnd.plotly.v1+json` entry JupyterLab (with plotly's renderer) and VS Code draw as
 * an interactive plot, with an HTML and a plain-text fallback for every other viewer;
 * `displayMarkdown(text)` renders Markdown, tables included.
 *
 * ```ts
 * import { display, displayMarkdown, lineChart, markdownTable } from "./mod.ts";
 * await display(lineChart({ title: "loss", series: [{ name: "train", x: [1, 2], y: [0.7, 0.5] }] }));
 * await displayMarkdown(markdownTable(["epoch", "loss"], [[1, 0.7], [2, 0.5]]));
 * ```
 *
 * @module
 */

import { type Figure, figureTitle } from "./plotly.ts";
import { escapeScript, plotlySource, scriptSafeJson } from "./html.ts";
import { escapeHtml, htmlTable } from "./table.ts";

/** A Jupyter MIME bundle: MIME type → content. */
export type MimeBundle = Record<string, unknown>;

/** The part of `Deno.jupyter` this module uses (the namespace exists only under `deno jupyter`). */
interface JupyterApi {
  display(
    bundle: MimeBundle,
    options?: { raw?: boolean; update?: boolean; display_id?: string },
  ): Promise<void>;
}

/** `Deno.jupyter` when running inside the Deno Jupyter kernel, else `undefined`. */
function jupyterApi(): JupyterApi | undefined {
  try {
    // Reading Deno.jupyter outside the kernel throws ("only available in `deno jupyter`").
    return (Deno as unknown as { jupyter?: JupyterApi }).jupyter;
  } catch {
    return undefined;
  }
}

/** Whether this code runs inside the Deno Jupyter kernel. */
export function inJupyter(): boolean {
  return jupyterApi() !== undefined;
}

/** Options for {@linkcode display} and {@linkcode figureBundle}. */
export interface DisplayOptions {
  /**
   * Names the output so that a later call with `update: true` and the same id redraws it in
   * place, e.g. training curves refreshed every epoch.
   */
  readonly displayId?: string;
  /** Replace the output named `displayId` instead of adding a new one. */
  readonly update?: boolean;
  /**
   * Embed plotly.js (about 4.8 MB) in the HTML fallback so that viewers without a plotly
   * renderer (an nbconvert HTML export, GitHub's preview) draw the interactive figure offline.
   * Off by default: the HTML fallback is then a title and a data table, and it upgrades itself
   * to a live plot only where the page already has `window.Plotly`.
   */
  readonly inlinePlotly?: boolean;
}

const MAX_FALLBACK_ROWS = 12;

/** A readable summary of each trace: its name and the first values. */
function traceSummary(figure: Figure): { headers: string[]; rows: string[][] } {
  const show = (values: unknown) => {
    if (!Array.isArray(values)) return "";
    const flat = values.flat();
    const head = flat.slice(0, MAX_FALLBACK_ROWS).map((v) =>
      typeof v === "number" ? String(Number(v.toPrecision(4))) : String(v)
    );
    return head.join(", ") + (flat.length > MAX_FALLBACK_ROWS ? `, … (${flat.length})` : "");
  };
  return {
    headers: ["trace", "type", "x", "y / z"],
    rows: figure.data.map((t, i) => [
      t.name ?? `trace ${i + 1}`,
      t.type,
      show(t.x),
      show(t.z ?? t.y),
    ]),
  };
}

let fallbackCounter = 0;

/**
 * Builds the MIME bundle for a figure without displaying it: `application/vnd.plotly.v1+json`
 * (the figure), `text/html` (a title and data table, upgraded to a live plot where `Plotly` is
 * loaded — or carrying plotly.js itself with `inlinePlotly`), and `text/plain`.
 */
export async function figureBundle(
  figure: Figure,
  options: DisplayOptions = {},
): Promise<MimeBundle> {
  const title = figureTitle(figure) || "figure";
  const summary = traceSummary(figure);
  const id = `memesense-figure-${Date.now().toString(36)}-${fallbackCounter++}`;
  const plotly = options.inlinePlotly
    ? `<script>${escapeScript(await plotlySource())}</script>`
    : "";
  const html = `<div id="${id}" class="memesense-figure">
<p><strong>${escapeHtml(title)}</strong></p>
${htmlTable(summary.headers, summary.rows)}
</div>${plotly}
<script>(function () {
  if (typeof Plotly === "undefined") return;
  var fig = ${scriptSafeJson(figure)};
  var el = document.getElementById(${JSON.stringify(id)});
  el.innerHTML = "";
  Plotly.newPlot(el, fig.data, fig.layout, { responsive: true, displaylogo: false });
})();</script>`;
  const plain = [
    title,
    ...summary.rows.map((r) => `  ${r[0]} (${r[1]}): ${r[3]}`),
  ].join("\n");
  return {
    "application/vnd.plotly.v1+json": figure,
    "text/html": html,
    "text/plain": plain,
  };
}

/**
 * Shows a figure in a Deno Jupyter notebook (as a `display_data` output). Outside Jupyter it
 * does nothing; {@linkcode figureBundle} builds the same bundle without showing it.
 *
 * It resolves to `undefined`, which the kernel does not echo, so `await display(fig)` may end a
 * cell without an empty result under the figure.
 */
export async function display(figure: Figure, options: DisplayOptions = {}): Promise<void> {
  const jupyter = jupyterApi();
  if (!jupyter) return;
  await jupyter.display(await figureBundle(figure, options), {
    raw: true,
    ...(options.displayId ? { display_id: options.displayId } : {}),
    ...(options.update ? { update: true } : {}),
  });
}

/**
 * Shows Markdown — a {@linkcode markdownTable}, prose, a code block — rendered in a Deno
 * Jupyter notebook (a `display_data` output with `text/markdown` and the same text as
 * `text/plain`), anywhere in a cell. Outside Jupyter it prints the text. Like
 * {@linkcode display} it resolves to `undefined`, so it may end a cell.
 *
 * ```ts
 * import { displayMarkdown, markdownTable } from "./mod.ts";
 * await displayMarkdown(markdownTable(["task", "AUROC"], [["hate", "84.12"]], ["left", "right"]));
 * ```
 */
export async function displayMarkdown(markdown: string): Promise<void> {
  const jupyter = jupyterApi();
  if (!jupyter) {
    console.log(markdown);
    return;
  }
  await jupyter.display({ "text/markdown": markdown, "text/plain": markdown }, { raw: true });
}
