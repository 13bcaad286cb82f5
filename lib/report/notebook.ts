/**
 * Figures and tables in Deno Jupyter notebooks. `display(figure)` shows an interactive plotly
 * plot in JupyterLab and Jupyter Notebook with nothing extra installed, offline, and in VS Code;
 * where scripts do not run (GitHub's preview, an untrusted notebook) the figure's data shows as
 * small tables. `displayMarkdown(text)` renders Markdown, tables included.
 *
 * ```ts
 * import { display, displayMarkdown, lineChart, markdownTable } from "./mod.ts";
 * await display(lineChart({ title: "loss", series: [{ name: "train", x: [1, 2], y: [0.7, 0.5] }] }));
 * await displayMarkdown(markdownTable(["epoch", "loss"], [[1, 0.7], [2, 0.5]]));
 * ```
 *
 * How a figure reaches each viewer (a `display_data` output's MIME bundle; each frontend draws
 * the richest type it has a renderer for):
 *
 * - `application/vnd.plotly.v1+json`, the figure itself: VS Code and JupyterLab with plotly's own
 *   extension (jupyterlab-plotly, which `pip install plotly` brings) draw this, and JupyterLab
 *   then shows nothing else of the bundle;
 * - `text/html`: the figure's data tables and a script that replaces them by the plot, drawn with
 *   the page's plotly.js. Plain JupyterLab, Jupyter Notebook and an nbconvert HTML export show
 *   this; GitHub and untrusted notebooks show it without running the script, i.e. the tables;
 * - `text/plain`: the title and the same tables as text.
 *
 * plotly.js itself comes once per kernel session, in an HTML output of its own just before the
 * session's first figure (every frontend runs it, plotly's extension or not); see
 * `_notebook_html.ts` for how a figure finds it after a page reload. A figure redrawn in place
 * (`displayId` and `update`) is HTML only while it changes — plotly's JupyterLab extension ignores
 * updates of its own type — and takes the plotly type again with its last update (`final`).
 *
 * @module
 */

import { type Figure, figureTitle } from "./plotly.ts";
import { plotlySource } from "./html.ts";
import { escapeHtml } from "./table.ts";
import { figureTablesHtml, figureTablesText, plainLabel } from "./_figure_tables.ts";
import {
  CARRIER_ID,
  FIGURE_ID,
  figureHtml,
  plotlyCarrierHtml,
  plotlyVersionOf,
} from "./_notebook_html.ts";

/** A Jupyter MIME bundle: MIME type → content. */
export type MimeBundle = Record<string, unknown>;

/** The MIME type of a plotly figure, as VS Code and plotly's JupyterLab extension draw it. */
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

/** The part of `Deno.jupyter` this module uses (the namespace exists only under `deno jupyter`). */
interface JupyterApi {
  display(
    bundle: MimeBundle,
    options?: { raw?: boolean; update?: boolean; display_id?: string },
  ): Promise<void>;
  broadcast(msgType: string, content: Record<string, unknown>): Promise<void>;
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
   * place, e.g. training curves refreshed every epoch. Such a figure is drawn by its HTML output
   * (with `Plotly.react`, keeping zoom and the legend's state) until its `final` update.
   */
  readonly displayId?: string;
  /** Replace the output named `displayId` instead of adding a new one. */
  readonly update?: boolean;
  /**
   * The last update of a figure shown with `displayId`: it carries the plotly JSON again, as
   * every figure not redrawn does, for VS Code and plotly's JupyterLab extension (which draw it
   * themselves, also from a saved notebook) and for scripts that read figures from notebooks.
   */
  readonly final?: boolean;
}

/** Random per kernel session: keeps figures of two notebooks open in one page apart. */
const SESSION = crypto.randomUUID().slice(0, 8);
let figureCounter = 0;

/**
 * Builds the MIME bundle of a figure without displaying it: `application/vnd.plotly.v1+json`
 * (except while a figure with a `displayId` is being updated), `text/html` (data tables, replaced
 * by the plot where the page has plotly.js) and `text/plain` (title and tables). `plotlyVersion`
 * names the copy of plotly.js a figure looks for after a page reload (see `_notebook_html.ts`).
 */
export function figureBundle(
  figure: Figure,
  options: DisplayOptions = {},
  plotlyVersion = "unknown",
): MimeBundle {
  const title = plainLabel(figureTitle(figure)) || "figure";
  const id = `${FIGURE_ID}${SESSION}-${figureCounter++}`;
  const fallback = `<p><strong>${escapeHtml(title)}</strong></p>\n${figureTablesHtml(figure)}`;
  // A figure with a display id keeps its key with its final state too, so that the last redraw
  // reuses the plot; the plotly type is left out while it is being redrawn.
  const liveKey = options.displayId === undefined ? undefined : `${SESSION}:${options.displayId}`;
  const bundle: MimeBundle = {};
  if (liveKey === undefined || options.final) bundle[PLOTLY_MIME] = figure;
  bundle["text/html"] = figureHtml(id, figure, fallback, plotlyVersion, liveKey);
  bundle["text/plain"] = `${title}\n\n${figureTablesText(figure)}`;
  return bundle;
}

/**
 * What an output of an executed notebook is, from its MIME bundle: a figure {@linkcode display}
 * showed (the plotly type or the figure's HTML), the output that brought plotly.js to the page,
 * or something else.
 */
export function notebookOutputKind(data: Readonly<Record<string, unknown>>): NotebookOutputKind {
  if (PLOTLY_MIME in data) return "figure";
  const html = data["text/html"];
  const text = Array.isArray(html) ? html.join("") : typeof html === "string" ? html : "";
  if (text.startsWith(`<div id="${FIGURE_ID}`)) return "figure";
  if (text.startsWith(`<script id="${CARRIER_ID}`)) return "plotly.js";
  return "other";
}

/** What {@linkcode notebookOutputKind} tells apart. */
export type NotebookOutputKind = "figure" | "plotly.js" | "other";

let carrierSent: Promise<string> | undefined;

/**
 * Outputs larger than this are followed by {@linkcode drainIoPub}: the write buffer's limit in
 * the kernel's ZeroMQ is 128 KiB, and a margin keeps clear of it.
 */
const LARGE_OUTPUT_BYTES = 64 * 1024;
/** Pause before each status message of {@linkcode drainIoPub}, and bytes each one stands for. */
const DRAIN_PAUSE_MS = 20;
const DRAIN_BYTES_PER_SEND = 100 * 1024;

/**
 * Shows an output; a large one is then pushed out of the kernel before anything follows it. The
 * Deno kernel's IOPub socket (a pure-Rust ZeroMQ) silently drops a message sent while a
 * subscriber's write buffer still holds more than 128 KiB of an earlier one, and only a later
 * send moves that buffer on. plotly.js is a 4.9 MB message: followed at once by the figure and
 * the cell's "idle" status, those were lost whenever Jupyter's server read slowly (a busy
 * machine), and JupyterLab showed the kernel busy and the cells queued for good.
 */
async function sendOutput(
  jupyter: JupyterApi,
  bundle: MimeBundle,
  options: { raw?: boolean; update?: boolean; display_id?: string } = { raw: true },
): Promise<void> {
  await jupyter.display(bundle, options);
  const bytes = JSON.stringify(bundle).length;
  if (bytes > LARGE_OUTPUT_BYTES) {
    await drainIoPub(jupyter, Math.ceil(bytes / DRAIN_BYTES_PER_SEND));
  }
}

/**
 * Sends `sends` "busy" status messages, paced: each moves the kernel's write buffer on, and any
 * of them may be dropped harmlessly (a cell is running: the kernel is busy).
 */
async function drainIoPub(jupyter: JupyterApi, sends: number): Promise<void> {
  for (let i = 0; i < Math.max(sends, 5); i++) {
    await new Promise((resolve) => setTimeout(resolve, DRAIN_PAUSE_MS));
    await jupyter.broadcast("status", { execution_state: "busy" });
  }
}

/**
 * Sends plotly.js to the page once per kernel session, as an HTML output of its own (every
 * frontend renders it, whatever renders the figures), and resolves to its version.
 */
function sendPlotly(jupyter: JupyterApi): Promise<string> {
  carrierSent ??= (async () => {
    const source = await plotlySource();
    const version = plotlyVersionOf(source);
    await sendOutput(jupyter, {
      "text/html": plotlyCarrierHtml(`${CARRIER_ID}${SESSION}`, source, version),
      "text/plain": `(plotly.js ${version}, loaded for the interactive figures of this session)`,
    });
    return version;
  })().catch((e) => {
    carrierSent = undefined;
    throw e;
  });
  return carrierSent;
}

/**
 * Shows a figure in a Deno Jupyter notebook (as a `display_data` output); the session's first
 * figure is preceded by an output carrying plotly.js. Outside Jupyter it does nothing;
 * {@linkcode figureBundle} builds the same bundle without showing it.
 *
 * It resolves to `undefined`, which the kernel does not echo, so `await display(fig)` may end a
 * cell without an empty result under the figure.
 */
export async function display(figure: Figure, options: DisplayOptions = {}): Promise<void> {
  const jupyter = jupyterApi();
  if (!jupyter) return;
  const version = await sendPlotly(jupyter);
  await sendOutput(jupyter, figureBundle(figure, options, version), {
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
  await sendOutput(jupyter, { "text/markdown": markdown, "text/plain": markdown });
}

/**
 * Shows trusted HTML — e.g. the cards of `memeCardsHtml` — in a Deno Jupyter notebook, with
 * `text` as its plain-text form (`text/plain`, for frontends that do not render HTML). Outside
 * Jupyter it prints `text`. Escape any data you put in the HTML.
 */
export async function displayHtml(html: string, text: string): Promise<void> {
  const jupyter = jupyterApi();
  if (!jupyter) {
    console.log(text);
    return;
  }
  await sendOutput(jupyter, { "text/html": html, "text/plain": text });
}
