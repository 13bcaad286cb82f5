// How notebooks show figures: the MIME bundle each frontend picks from, and the data tables shown
// where the plot cannot be drawn. The browser side is tested in notebooks_browser_test.ts.
import assert from "node:assert/strict";
import {
  barChart,
  confusionMatrixFigure,
  type Figure,
  heatmap,
  histogram,
  lineChart,
  notebookOutputKind,
  PLOTLY_MIME,
  trainingCurvesFigure,
} from "../lib/report/mod.ts";
import { figureBundle } from "../lib/report/notebook.ts";
import {
  exactValue,
  figureTables,
  figureTablesHtml,
  figureTablesText,
  plainLabel,
} from "../lib/report/_figure_tables.ts";
import { plotlyCarrierHtml, plotlyVersionOf } from "../lib/report/_notebook_html.ts";
import { plotlySource } from "../lib/report/html.ts";
import { firstSentence, setUpFailureLine } from "../lib/experiment/_setup_failure.ts";
import type { Metrics } from "../lib/metrics/mod.ts";

const VOID = new Set(["br", "hr", "img", "input", "col", "meta", "link", "wbr"]);

/** Script bodies skipped, every non-void element must close in order. */
function unbalancedTags(html: string): string[] {
  const body = html.replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, "<script></script>");
  const stack: string[] = [];
  const problems: string[] = [];
  for (const m of body.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?>/g)) {
    const name = m[2].toLowerCase();
    if (VOID.has(name)) continue;
    if (!m[1]) stack.push(name);
    else if (stack.pop() !== name) problems.push(`unexpected </${name}> at ${m.index}`);
  }
  return [...problems, ...stack.map((s) => `unclosed <${s}>`)];
}

/** The parameters bar chart of notebook 00: wrapped category labels, six-digit counts. */
const PARAMETERS = barChart({
  title: "Trainable parameters per stage (hate head: 3,675,136 in all)",
  categories: ["image projection", "text projection", "pre-output"],
  series: [{ name: "parameters", values: [787_456, 787_456, 1_049_600], text: ["787,456"] }],
  yTitle: "parameters",
});

Deno.test("values in figure tables are exact; labels are plain text", () => {
  assert.equal(exactValue(787_456), "787,456");
  assert.equal(exactValue(999), "999");
  assert.equal(exactValue(2_048), "2,048");
  assert.equal(exactValue(0.1 + 0.2), "0.30000000000000004");
  assert.equal(exactValue(-1.5e-7), "-1.5e-7");
  assert.equal(exactValue(null), "–");
  assert.equal(exactValue("image<br>projection"), "image projection");
  assert.equal(plainLabel("<b>AUROC</b><br />(val)"), "AUROC (val)");
});

Deno.test("a bar chart's table: a row per category, exact counts, no <br>", () => {
  assert.deepEqual(figureTables(PARAMETERS), [{
    caption: "",
    headers: ["", "parameters"],
    rows: [
      ["image projection", "787,456"],
      ["text projection", "787,456"],
      ["pre-output", "1,049,600"],
    ],
    omittedRows: 0,
  }]);
  const html = figureTablesHtml(PARAMETERS);
  assert.doesNotMatch(html, /&lt;br|<br/);
  assert.match(html, /<th scope="row">image projection<\/th><td>787,456<\/td>/);
  assert.doesNotMatch(html, /<caption>/); // the column says what the values are
});

Deno.test("a heatmap's table keeps both axes; a confusion matrix shows count (share)", () => {
  const confusion = confusionMatrixFigure([[12, 3], [0, 5]], ["Neutral", "Support"], "test");
  assert.deepEqual(figureTables(confusion), [{
    caption: "count (share of the true class)",
    headers: ["True class \\ Predicted class", "Neutral", "Support"],
    rows: [["Neutral", "12 (0.8)", "3 (0.2)"], ["Support", "0 (0)", "5 (1)"]],
    omittedRows: 0,
  }]);
  const grid = heatmap({
    title: "AUROC",
    z: [[0.812345, NaN], [0.7, 0.75]],
    x: [1, 2],
    y: [0, 0.2],
    xTitle: "depth",
    yTitle: "ratio α",
    colorbarTitle: "AUROC",
  });
  assert.deepEqual(figureTables(grid), [{
    caption: "AUROC",
    headers: ["ratio α \\ depth", "1", "2"],
    rows: [["0", "0.812345", "–"], ["0.2", "0.7", "0.75"]],
    omittedRows: 0,
  }]);
});

Deno.test("training curves: a table per panel, a row per epoch, guides named once", () => {
  const metrics = (a: number): Metrics =>
    ({ accuracy: a, auroc: a, macroF1: a, aurocReference: a, loss: 1 - a }) as Metrics;
  const curves = [1, 2, 3].map((epoch) => ({
    epoch,
    trainLoss: 1 / epoch,
    val: metrics(0.5 + epoch / 10),
    test: metrics(0.4 + epoch / 10),
  }));
  const figure = trainingCurvesFigure(curves, {
    title: "Stance: training curves",
    marks: [{ epoch: 3, label: "reference" }],
  });
  const tables = figureTables(figure);
  assert.deepEqual(tables.map((t) => t.caption), ["cross-entropy", "metric (%)"]);
  assert.deepEqual(tables[0].headers, ["epoch", "train loss", "val loss", "test loss"]);
  assert.deepEqual(tables[0].rows[2], ["3", String(1 / 3), String(1 - 0.8), String(1 - 0.7)]);
  assert.deepEqual(tables[1].headers.slice(0, 3), ["epoch", "accuracy", "test accuracy"]);
  assert.equal(tables[1].rows.length, 3);
  assert.match(figureTablesText(figure), /Also drawn: reference: epoch 3\.$/);
  // Before the first epoch the tables are there, empty.
  assert.deepEqual(figureTables(trainingCurvesFigure([]))[0].rows, []);
});

Deno.test("long series show their first rows and the last; histograms a summary", () => {
  const x = Array.from({ length: 30 }, (_, i) => i);
  const line = lineChart({ title: "t", series: [{ name: "y", x, y: x.map((v) => v * 2) }] });
  const [table] = figureTables(line);
  assert.equal(table.rows.length, 12);
  assert.deepEqual(table.rows.slice(9), [["9", "18"], ["…", ""], ["29", "58"]]);
  assert.equal(table.omittedRows, 19);
  assert.match(figureTablesHtml(line), /\(19 more rows, 30 in all\.\)/);
  const hist = histogram({
    title: "tokens",
    series: [{ name: "train", values: [3, 1, 2, 10] }, { name: "test", values: [5] }],
  });
  assert.deepEqual(figureTables(hist), [{
    caption: "distribution of the values plotly bins",
    headers: ["", "values", "min", "median", "max", "mean"],
    rows: [["train", "4", "1", "2.5", "10", "4"], ["test", "1", "5", "5", "5", "5"]],
    omittedRows: 0,
  }]);
});

Deno.test("a figure's bundle: plotly JSON, HTML that draws itself over its tables, text", () => {
  const bundle = figureBundle(PARAMETERS, {}, "4.1.2");
  assert.deepEqual(Object.keys(bundle), [PLOTLY_MIME, "text/html", "text/plain"]);
  assert.equal(bundle[PLOTLY_MIME], PARAMETERS);
  const html = bundle["text/html"] as string;
  assert.match(html, /^<div id="memesense-figure-[0-9a-f]{8}-\d+" class="memesense-figure">/);
  assert.match(html, /<p><strong>Trainable parameters per stage/);
  assert.match(html, /<th scope="row">pre-output<\/th><td>1,049,600<\/td>/);
  assert.match(html, /window\.memesenseFigures\.draw\("memesense-figure-/);
  assert.doesNotMatch(html, /https?:\/\//); // loads nothing
  assert.deepEqual(unbalancedTags(html), []);
  // The figure's JSON in the script reads back as the figure.
  const json = /\.draw\("[^"]+", (\{.*\})\);<\/script>$/s.exec(html)?.[1];
  assert.deepEqual(JSON.parse(json!), JSON.parse(JSON.stringify(PARAMETERS)));
  assert.equal(
    bundle["text/plain"],
    "Trainable parameters per stage (hate head: 3,675,136 in all)\n\n" +
      "|                  | parameters |\n| :--------------- | ---------: |\n" +
      "| image projection |    787,456 |\n| text projection  |    787,456 |\n" +
      "| pre-output       |  1,049,600 |\n",
  );
  assert.equal(notebookOutputKind(bundle), "figure");
  assert.equal(notebookOutputKind({ "text/html": bundle["text/html"] }), "figure");
  assert.equal(notebookOutputKind({ "text/markdown": "| a |" }), "other");
});

Deno.test("a figure redrawn in place is HTML only until its final update", () => {
  const figure: Figure = trainingCurvesFigure([]);
  const live = figureBundle(figure, { displayId: "curves" });
  assert.deepEqual(Object.keys(live), ["text/html", "text/plain"]);
  assert.match(live["text/html"] as string, /, "[0-9a-f]{8}:curves"\);<\/script>$/);
  const update = figureBundle(figure, { displayId: "curves", update: true });
  assert.deepEqual(Object.keys(update), ["text/html", "text/plain"]);
  const final = figureBundle(figure, { displayId: "curves", update: true, final: true });
  assert.deepEqual(Object.keys(final), [PLOTLY_MIME, "text/html", "text/plain"]);
  // The final state redraws the same plot, then frontends with their own renderer take over.
  assert.match(final["text/html"] as string, /, "[0-9a-f]{8}:curves"\);<\/script>$/);
});

Deno.test("plotly.js' output: the package's source, with RequireJS' define hidden", async () => {
  const source = await plotlySource();
  assert.equal(plotlyVersionOf(source), "4.1.2");
  assert.equal(plotlyVersionOf("no header"), "unknown");
  const html = plotlyCarrierHtml("memesense-plotly-x", source, "4.1.2");
  assert.ok(html.length > source.length && html.length < source.length + 10_000);
  assert.ok(
    html.startsWith(
      '<script id="memesense-plotly-x">if (!(window.Plotly && window.Plotly.react)) ' +
        "(function (define, module, exports) {\n/**\n* plotly.js v4.1.2",
    ),
  );
  assert.match(html, /"plotly\.js 4\.1\.2"/); // the key of the copy kept for a page reload
  assert.equal(notebookOutputKind({ "text/html": html, "text/plain": "" }), "plotly.js");
  // plotly.js runs with RequireJS' `define` (Jupyter Notebook has it) hidden by the wrapper's
  // parameters; that it then defines window.Plotly is checked in a real Jupyter Notebook
  // (notebooks_browser_test.ts).
  assert.ok(html.includes(source.slice(-200)));
  assert.match(html, /\n\}\)\.call\(window\);<\/script>\n<script>/);
});

Deno.test("after a failed set-up, later cells get one line naming it", () => {
  const cause =
    "cannot load the CLIP tokenizer of X (cache /c): fetch failed. Without network: set " +
    "MEMESENSE_OFFLINE=1.";
  assert.equal(
    firstSentence(cause),
    "cannot load the CLIP tokenizer of X (cache /c): fetch failed.",
  );
  assert.equal(firstSentence("no full stop"), "no full stop");
  assert.equal(
    setUpFailureLine(cause, "the first code cell", new ReferenceError("inputs is not defined")),
    "set-up failed in the first code cell: cannot load the CLIP tokenizer of X (cache /c): fetch " +
      "failed. Fix it and run that cell again (here: inputs is not defined).",
  );
});
