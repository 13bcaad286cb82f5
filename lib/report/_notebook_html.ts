/**
 * The HTML a notebook figure is shown with, and the scripts that draw it in the browser.
 *
 * JupyterLab and Jupyter Notebook draw `text/html` outputs and run their scripts when the output
 * is trusted: produced in the running session, or saved in a notebook the user trusts. plotly.js
 * (4.8 MB) reaches the page once per kernel session, in an output of its own before the first
 * figure (see {@linkcode plotlyCarrierHtml}); every figure then draws itself with the page's
 * `Plotly`. Where the scripts do not run (GitHub's preview, an untrusted notebook) the figure's
 * data tables show instead.
 *
 * The scripts share one small runtime, `window.memesenseFigures`, carried by every figure and by
 * plotly.js' output, so that whichever output runs first sets it up:
 *
 * - a figure whose page has no `Plotly` yet waits for it: plotly.js' output may render later (a
 *   notebook reopened with its outputs), or the page was reloaded while the kernel kept running,
 *   so that the kernel will not send plotly.js again. For that case plotly.js' output keeps a copy
 *   in the browser's IndexedDB (one version, replaced by the next), and a figure waiting for
 *   `Plotly` loads it from there. A figure still without `Plotly` after a few seconds says so
 *   above its tables;
 * - a figure with a display id (live training curves) keeps its drawn plot across updates of its
 *   output: the update replaces the output's HTML, and the new script moves the existing plot back
 *   in and redraws it with `Plotly.react`, which changes only what changed, within the same task
 *   (no flicker, no plot rebuilt per epoch).
 *
 * @module
 */
import type { Figure } from "./plotly.ts";
import { escapeScript, scriptSafeJson } from "./html.ts";
import { escapeHtml } from "./table.ts";

/** The id prefix of a figure's element, which starts its HTML output. */
export const FIGURE_ID = "memesense-figure-";

/** The id prefix of the script carrying plotly.js, which starts its output. */
export const CARRIER_ID = "memesense-plotly-";

/** Bumped when the runtime changes, so that a newer one replaces an older one in the page. */
const RUNTIME_VERSION = 1;

/** Seconds a figure waits for plotly.js before it says that it cannot draw. */
const WAIT_SECONDS = 5;

/** The browser runtime: ES2017, no dependencies, a few kilobytes. */
function runtime(plotlyVersion: string): string {
  return `(function (w) {
var M = w.memesenseFigures;
if (M && M.runtime >= ${RUNTIME_VERSION}) return;
M = w.memesenseFigures = Object.assign(M || {}, { runtime: ${RUNTIME_VERSION} });
M.live = M.live || {};
M.waiting = M.waiting || [];
var KEY = ${JSON.stringify(`plotly.js ${plotlyVersion}`)};
var CONFIG = { responsive: true, displaylogo: false };
function ready() { return !!(w.Plotly && w.Plotly.react); }
function store(mode, use) {
  return new Promise(function (resolve) {
    try {
      var open = w.indexedDB.open("memesense", 1);
      open.onupgradeneeded = function () { open.result.createObjectStore("scripts"); };
      open.onerror = open.onblocked = function () { resolve(undefined); };
      open.onsuccess = function () {
        var db = open.result;
        try {
          var tx = db.transaction("scripts", mode), request = use(tx.objectStore("scripts"));
          tx.oncomplete = function () { db.close(); resolve(request && request.result); };
          tx.onerror = tx.onabort = function () { db.close(); resolve(undefined); };
        } catch (e) { db.close(); resolve(undefined); }
      };
    } catch (e) { resolve(undefined); }
  });
}
function flush() {
  if (!ready()) return;
  M.waiting.splice(0).forEach(function (draw) { draw(w.Plotly); });
}
function run(source) {
  var script = document.createElement("script");
  script.textContent = source;
  document.head.appendChild(script);
  script.remove();
}
M.loaded = function (source) {
  flush();
  if (source) store("readwrite", function (s) { s.clear(); return s.put(source, KEY); });
};
M.whenReady = function (draw) {
  if (ready()) return draw(w.Plotly);
  M.waiting.push(draw);
  M.restoring = M.restoring || store("readonly", function (s) { return s.get(KEY); })
    .then(function (source) { if (source && !ready()) run(source); flush(); });
};
M.draw = function (id, figure, liveKey) {
  var tries = 0;
  (function find() {
    var box = document.getElementById(id);
    if (!box) { if (++tries < 200) setTimeout(find, 50); return; }
    var warn = setTimeout(function () {
      if (ready() || box.querySelector(".memesense-no-plotly")) return;
      var note = document.createElement("p");
      note.className = "memesense-no-plotly";
      note.textContent = "Not drawn: plotly.js is not loaded in this page (it comes with the " +
        "first figure of a kernel session). Restart the kernel and run the notebook again.";
      box.insertBefore(note, box.firstChild);
    }, ${WAIT_SECONDS * 1000});
    M.whenReady(function (Plotly) {
      clearTimeout(warn);
      var graph = liveKey && M.live[liveKey];
      if (!graph || graph.isConnected) {
        graph = document.createElement("div");
        graph.className = "memesense-plot";
      }
      box.replaceChildren(graph);
      if (liveKey) M.live[liveKey] = graph;
      Plotly.react(graph, figure.data, figure.layout, CONFIG);
    });
  })();
};
})(window);`;
}

/**
 * The HTML of a figure: its data tables (shown until the plot replaces them, and wherever scripts
 * do not run) and the script that draws it. `liveKey` names a figure redrawn in place.
 */
export function figureHtml(
  id: string,
  figure: Figure,
  fallback: string,
  plotlyVersion: string,
  liveKey?: string,
): string {
  const args = [
    JSON.stringify(id),
    scriptSafeJson(figure),
    ...(liveKey ? [JSON.stringify(liveKey)] : []),
  ];
  return `<div id="${escapeHtml(id)}" class="memesense-figure">
${fallback}
</div>
<script>${runtime(plotlyVersion)}
window.memesenseFigures.draw(${args.join(", ")});</script>`;
}

/**
 * The output that brings plotly.js to the page: its source in a script that runs it (with
 * `define`, `module` and `exports` hidden, so that a page with RequireJS, as Jupyter Notebook
 * has, still gets `window.Plotly`) unless `Plotly` is already there, then the runtime, which
 * wakes the figures waiting for it and keeps a copy of the script for a page reload.
 */
export function plotlyCarrierHtml(id: string, plotlySource: string, plotlyVersion: string): string {
  return `<script id="${
    escapeHtml(id)
  }">if (!(window.Plotly && window.Plotly.react)) (function (define, module, exports) {
${escapeScript(plotlySource)}
}).call(window);</script>
<script>${runtime(plotlyVersion)}
window.memesenseFigures.loaded(document.getElementById(${
    JSON.stringify(id)
  }).textContent);</script>`;
}

/** The version in plotly.js' header comment (`plotly.js v4.1.2`), or `unknown`. */
export function plotlyVersionOf(source: string): string {
  return /plotly\.js v(\d+\.\d+\.\d+)/.exec(source.slice(0, 500))?.[1] ?? "unknown";
}
