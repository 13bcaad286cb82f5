import assert from "node:assert/strict";
import {
  type Axis,
  barChart,
  confusionMatrixFigure,
  display,
  displayHtml,
  displayMarkdown,
  EXCERPT_CHARS,
  type Figure,
  formatCount,
  formatMeanStd,
  formatPct,
  formatSigned,
  heatmap,
  histogram,
  lineChart,
  markdownTable,
  memeCardHtml,
  memeCardsHtml,
  memeGridHtml,
  precisionRecallFigure,
  reliabilityDiagram,
  rocFigure,
  screenshotFigure,
  SIGMOID_AUROC_NAME,
  textExcerpt,
  trainingCurvesFigure,
  writeReport,
} from "../lib/report/mod.ts";
import { BLUES } from "../lib/report/charts.ts";
import { escapeScript, plotlySource, renderReport, renderReportHtml } from "../lib/report/html.ts";
import { chromiumSetting } from "../lib/config/mod.ts";
import { checkLayout, renderedDom, screenshotHtml } from "../lib/report/screenshot.ts";
import { htmlTable, parseMarkdownTable } from "../lib/report/table.ts";
import { inJupyter } from "../lib/report/notebook.ts";
import { createRunDir, runTimestamp, writeRunFile } from "../lib/run/run_dir.ts";
import { evaluateLogits, meanStd } from "../lib/metrics/mod.ts";
import type {
  Annotation,
  Font,
  Layout,
  Legend,
  Line,
  Margin,
  Marker,
  Shape,
  Title,
  Trace,
} from "../lib/report/plotly.ts";
import type * as Plotly from "plotly.js-types";

// The hand-written plotly types against @types/plotly.js, checked when this file type-checks:
// every attribute they name exists there (a misspelt name in them fails here) and every value
// they allow is one plotly's types accept.
type Only<Ours, Theirs> = Exclude<keyof Ours, keyof Theirs>;
type None<T extends never> = T;
export type PlotlyAttributesKnown = [
  // `nbinsx` is plotly's histogram bin count, which @types/plotly.js 3.0.14 leaves out.
  None<Exclude<Only<Trace, Plotly.PlotData>, "nbinsx">>,
  None<Only<Layout, Plotly.Layout>>,
  None<Only<Axis, Plotly.LayoutAxis>>,
  None<Only<Annotation, Plotly.Annotations>>,
  None<Only<Shape, Plotly.Shape>>,
  None<Only<Legend, Plotly.Legend>>,
  None<Only<Margin, Plotly.Margin>>,
  None<Only<Font, Plotly.Font>>,
  None<Only<Marker, Plotly.PlotMarker>>,
  None<Only<Line, Plotly.ScatterLine>>,
  None<Only<Title, NonNullable<Exclude<Plotly.Layout["title"], string>>>>,
  None<Only<NonNullable<Trace["xbins"]>, Plotly.PlotData["xbins"]>>,
  None<Only<NonNullable<Trace["colorbar"]>, Plotly.ColorBar>>,
];
type Accepts<Theirs, Ours extends Theirs> = Ours;
export type PlotlyValuesAccepted = [
  Accepts<Partial<Plotly.PlotData>, Trace>,
  Accepts<Partial<Plotly.Layout>, Layout>,
];

const VOID = new Set(["meta", "link", "br", "hr", "img", "input", "col", "area", "base", "wbr"]);

/**
 * A small well-formedness check: script and style bodies are skipped (as the HTML parser does),
 * then every non-void element must close in order. Returns the open/close mismatches.
 */
function unbalancedTags(html: string): string[] {
  const body = html
    .replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, "<script></script>")
    .replace(/<style\b[^>]*>[\s\S]*?<\/style>/gi, "<style></style>")
    .replace(/<!DOCTYPE[^>]*>/i, "");
  const stack: string[] = [];
  const problems: string[] = [];
  for (const m of body.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?(\/?)>/g)) {
    const [, closing, rawName] = m;
    const name = rawName.toLowerCase();
    if (VOID.has(name)) continue;
    if (!closing) stack.push(name);
    else if (stack.pop() !== name) problems.push(`unexpected </${name}> at ${m.index}`);
  }
  return [...problems, ...stack.map((s) => `unclosed <${s}>`)];
}

/** The figures JSON embedded in a report, parsed back. */
function embeddedFigures(html: string): Figure[] {
  const m = html.match(
    /<script type="application\/json" id="report-figures">([\s\S]*?)<\/script>/,
  );
  assert.ok(m, "report has no figures block");
  return JSON.parse(m[1]);
}

function sampleCurves() {
  const logits = new Float32Array([2, 0, 0, 2, 1, 0, 0, 1]);
  const labels = new Int32Array([0, 1, 1, 1]);
  const m = evaluateLogits(logits, labels, 2);
  return [1, 2, 3].map((epoch) => ({ epoch, trainLoss: 1 / epoch, val: m, test: m }));
}

const HOSTILE = `</script><script>alert("x")</script> & <b>`;

Deno.test("renderReport: one self-contained page with plotly inlined and the figures as JSON", async () => {
  const plotly = await plotlySource();
  assert.ok(plotly.length > 1_000_000, "plotly.min.js looks truncated");
  assert.match(plotly.slice(0, 200), /plotly\.js v4\.1\.2/);
  const figure = barChart({
    title: HOSTILE,
    categories: ["hate", "stance"],
    series: [{ name: "acc", values: new Float64Array([0.76, 0.62]), errors: [0.01, 0.02] }],
  });
  const html = await renderReport({
    title: `Report ${HOSTILE}`,
    subtitle: "synthetic",
    meta: { commit: "abc1234", backend: "wasm" },
    sections: [
      { heading: "Table", markdownTable: markdownTable(["task", "acc"], [["hate", "76.06"]]) },
      { heading: "Figures", text: `one\n\ntwo ${HOSTILE}`, figures: [figure] },
    ],
  });
  // plotly is embedded whole (modulo the script-safe escape) and nothing is fetched.
  assert.ok(html.includes(escapeScript(plotly)));
  assert.doesNotMatch(html, /<script[^>]+src=/i);
  assert.doesNotMatch(html, /<link[^>]+href=/i);
  // Exactly three script elements: the figure JSON, plotly, the renderer. The hostile title
  // did not open or close any.
  assert.equal(html.match(/<script\b/gi)?.length, 3);
  assert.equal(html.match(/<\/script>/gi)?.length, 3);
  assert.deepEqual(unbalancedTags(html), []);
  // The figure JSON reads back exactly as given (typed arrays became plain arrays).
  const figures = embeddedFigures(html);
  assert.deepEqual(figures, [JSON.parse(JSON.stringify(figure))]);
  assert.equal(figures[0].layout.title?.text, HOSTILE);
  assert.deepEqual(figures[0].data[0].y, [0.76, 0.62]);
  assert.ok(html.includes(`<div class="figure" id="figure-0"`));
  // Text is escaped.
  assert.ok(html.includes("<title>Report &lt;/script&gt;&lt;script&gt;alert"));
  assert.ok(html.includes("<p>two &lt;/script&gt;"));
  assert.ok(html.includes("<dt>commit</dt><dd>abc1234</dd>"));
  // The Markdown table became an HTML table.
  assert.ok(html.includes("<th>task</th><th>acc</th>"));
  assert.ok(html.includes("<td>hate</td><td>76.06</td>"));
});

Deno.test("renderReportHtml: figures numbered across sections; table of contents from 3 sections", () => {
  const fig = (title: string) =>
    lineChart({ title, series: [{ name: "a", x: [1, 2], y: [1, 2] }] });
  const html = renderReportHtml({
    title: "T",
    sections: [
      { heading: "Results", figures: [fig("a"), fig("b")] },
      { heading: "Results", table: { headers: ["x"], rows: [[1]], align: ["right"] } },
      { heading: "Curves", figures: [fig("c")], figureColumns: 1 },
    ],
  }, "/* plotly */");
  assert.deepEqual(embeddedFigures(html).map((f) => f.layout.title?.text), ["a", "b", "c"]);
  assert.ok(html.includes('id="figure-2"'));
  // Repeated headings get distinct anchors.
  assert.ok(html.includes('<a href="#results">Results</a><a href="#results-2">Results</a>'));
  assert.ok(html.includes('<div class="figures one-column">'));
  assert.ok(html.includes('<td style="text-align:right">1</td>'));
  assert.deepEqual(unbalancedTags(html), []);
});

Deno.test("escapeScript keeps the code's meaning and closes no element early", () => {
  const source = 'var a = "</script>"; var b = /<!--x/u; var c = `</SCRIPT >${1}`;';
  const safe = escapeScript(source);
  assert.doesNotMatch(safe, /<\/script/i);
  assert.doesNotMatch(safe, /<!--/);
  // Evaluating the escaped code gives the same strings and the same regular expression match.
  const run = (code: string) =>
    new Function(`${code}; return [a, b.test("<!--x"), b.test("x"), c];`)();
  assert.deepEqual(run(safe), ["</script>", true, false, "</SCRIPT >1"]);
  assert.deepEqual(run(safe), run(source));
});

Deno.test("writeReport writes atomically and leaves no temporary file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeReport(`${dir}/report.html`, {
      title: "R",
      sections: [{ heading: "h", text: "t" }],
    });
    const names = [...Deno.readDirSync(dir)].map((e) => e.name);
    assert.deepEqual(names, ["report.html"]);
    assert.match(await Deno.readTextFile(`${dir}/report.html`), /^<!DOCTYPE html>/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("createRunDir never reuses a folder: -2, -3 suffixes and concurrent callers", async () => {
  const root = await Deno.makeTempDir();
  try {
    const now = new Date(Date.UTC(2026, 0, 27, 9, 5, 3));
    assert.equal(runTimestamp(now), "20260127-090503");
    const first = await createRunDir(`${root}/results`, "reproduce", { now });
    const second = await createRunDir(`${root}/results`, "reproduce", { now });
    const third = await createRunDir(`${root}/results/`, "reproduce", { now });
    assert.equal(first, `${root}/results/20260127-090503-reproduce`);
    assert.equal(second, `${first}-2`);
    assert.equal(third, `${first}-3`);
    // Eight concurrent callers in the same second get eight distinct folders.
    const many = await Promise.all(
      Array.from({ length: 8 }, () => createRunDir(`${root}/results`, "ablate", { now })),
    );
    assert.equal(new Set(many).size, 8);
    for (const dir of many) assert.ok((await Deno.stat(dir)).isDirectory);
    await assert.rejects(() => createRunDir(root, "../escape"), /run name "\.\.\/escape"/);
    await assert.rejects(() => createRunDir(root, ""), /run name ""/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("writeRunFile: atomic text, bytes and JSON, subfolders, no escaping the run folder", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.equal(await writeRunFile(dir, "table.md", "| a |\n"), `${dir}/table.md`);
    await writeRunFile(dir, "curves/hate-seed1.json", { epochs: [1, 2] });
    await writeRunFile(dir, "raw.bin", new Uint8Array([1, 2, 3]));
    await writeRunFile(dir, "table.md", "| b |\n"); // overwrite inside a run is allowed
    assert.equal(await Deno.readTextFile(`${dir}/table.md`), "| b |\n");
    assert.deepEqual(JSON.parse(await Deno.readTextFile(`${dir}/curves/hate-seed1.json`)), {
      epochs: [1, 2],
    });
    assert.deepEqual([...await Deno.readFile(`${dir}/raw.bin`)], [1, 2, 3]);
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(names, ["curves", "raw.bin", "table.md"]);
    await assert.rejects(() => writeRunFile(dir, "../x.txt", "x"), /relative path inside/);
    await assert.rejects(() => writeRunFile(dir, "/etc/x", "x"), /relative path inside/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("markdownTable: padded, aligned, escaped; parseMarkdownTable reads it back", () => {
  const md = markdownTable(
    ["Task", "Acc", "Δ"],
    [["hate", "76.06 ± 0.84", "+0.52"], ["a|b", 5, "-1.20"]],
    ["left", "right", "center"],
  );
  assert.equal(
    md,
    [
      "| Task |          Acc |   Δ   |",
      "| :--- | -----------: | :---: |",
      "| hate | 76.06 ± 0.84 | +0.52 |",
      "| a\\|b |            5 | -1.20 |",
      "",
    ].join("\n"),
  );
  assert.deepEqual(parseMarkdownTable(md), {
    headers: ["Task", "Acc", "Δ"],
    rows: [["hate", "76.06 ± 0.84", "+0.52"], ["a|b", "5", "-1.20"]],
    align: ["left", "right", "center"],
  });
  assert.throws(() => markdownTable(["a", "b"], [["x"]]), /row 0 has 1 cells for 2 headers/);
  assert.throws(() => parseMarkdownTable("| a |\n| b |\n"), /line 2 is not a rule/);
});

Deno.test("htmlTable escapes every cell and header", () => {
  const html = htmlTable(["<th>", "n"], [["<b>x</b> & y", 3]], ["left", "right"], {
    caption: "a < b",
  });
  assert.equal(
    html,
    '<table><caption>a &lt; b</caption><thead><tr><th>&lt;th&gt;</th><th style="text-align:right">n</th></tr></thead>\n' +
      '<tbody>\n<tr><td>&lt;b&gt;x&lt;/b&gt; &amp; y</td><td style="text-align:right">3</td></tr>\n</tbody></table>',
  );
});

Deno.test("a line break in a header or cell: two lines in HTML, one in Markdown", () => {
  const html = htmlTable(["AUROC\n(sigmoid)"], [["76.06 ± 0.84\n(CI ± 2.09)"]]);
  assert.match(html, /<th>AUROC<br>\(sigmoid\)<\/th>/);
  assert.match(html, /<td>76.06 ± 0.84<br><span class="cell-note">\(CI ± 2.09\)<\/span><\/td>/);
  const md = markdownTable(["AUROC\n(sigmoid)"], [["76.06 ± 0.84\n(CI ± 2.09)"]]);
  assert.match(md, /\| 76\.06 ± 0\.84 \(CI ± 2\.09\) \|/);
});

Deno.test("number formats: percentage points, mean ± std, signed differences", () => {
  assert.equal(formatPct(0.76056), "76.06");
  assert.equal(formatPct(0.5, 1), "50.0");
  assert.equal(formatPct(NaN), "–");
  // [0.75, 0.77]: mean 0.76, sample std 0.01414 → 76.00 ± 1.41; CI t(0.975,1)=12.706 → 12.71·1.414/√2.
  const s = meanStd([0.75, 0.77]);
  assert.equal(formatMeanStd(s), "76.00 ± 1.41");
  assert.equal(formatMeanStd(s, { ci: true }), "76.00 ± 1.41 (CI ± 12.71)");
  assert.equal(formatMeanStd(s, { digits: 1, scale: 1 }), "0.8 ± 0.0");
  assert.equal(formatMeanStd(meanStd([0.7606])), "76.06");
  assert.equal(formatMeanStd(meanStd([])), "–");
  assert.equal(formatSigned(0.52), "+0.52");
  assert.equal(formatSigned(-1.2), "-1.20");
  assert.equal(formatSigned(-0.001), "0.00");
  assert.equal(formatSigned(NaN), "–");
  assert.equal(formatCount(3_675_136), "3,675,136");
  assert.equal(formatCount(999), "999");
  assert.equal(formatCount(-1234), "-1,234");
});

Deno.test("confusionMatrixFigure: counts and row shares, [true][pred] layout", () => {
  const fig = confusionMatrixFigure([[8, 2], [0, 0]], ["Benign", "Harmful"], "cm");
  const trace = fig.data[0];
  assert.equal(trace.type, "heatmap");
  assert.deepEqual(trace.z, [[0.8, 0.2], [null, null]]); // an empty true class has no shares
  assert.deepEqual(trace.x, ["Benign", "Harmful"]);
  assert.deepEqual(trace.customdata, [[8, 2], [0, 0]]);
  const texts = fig.layout.annotations!.map((a) => [a.x, a.y, a.text]);
  assert.deepEqual(texts, [[0, 0, "8<br>80.0%"], [1, 0, "2<br>20.0%"], [0, 1, "0"], [1, 1, "0"]]);
  // Dark cell, white text; light cell, dark text.
  const colors = fig.layout.annotations!.map((a) => (a.font as { color: string }).color);
  assert.deepEqual(colors.slice(0, 2), ["#ffffff", "#111111"]);
  assert.equal(fig.layout.yaxis?.autorange, "reversed");
  assert.throws(() => confusionMatrixFigure([[1]], ["a", "b"], "x"), /1 rows for 2 class names/);
});

Deno.test("heatmap: labels placed by index, NaN cells empty, formatted values", () => {
  const fig = heatmap({
    title: "ratio × depth",
    z: [[0.81, NaN], [0.83, 0.84]],
    x: [1, 2],
    y: [0.2, 0.4],
    format: (v) => (v * 100).toFixed(1),
  });
  assert.deepEqual(fig.data[0].x, ["1", "2"]);
  assert.deepEqual(fig.data[0].z, [[0.81, null], [0.83, 0.84]]);
  assert.equal(fig.data[0].zmin, 0.81);
  assert.equal(fig.data[0].zmax, 0.84);
  assert.deepEqual(fig.layout.annotations!.map((a) => [a.x, a.y, a.text]), [
    [0, 0, "81.0"],
    [1, 0, "not run"],
    [0, 1, "83.0"],
    [1, 1, "84.0"],
  ]);
  // A cell that was not run shows the grey background, not the low end of the colour scale.
  assert.equal(fig.layout.plot_bgcolor, "#d9d9d9");
  assert.notEqual(BLUES[0][1], "#d9d9d9");
});

Deno.test("trainingCurvesFigure: loss panel, metric panel, marked epochs", () => {
  const curves = sampleCurves();
  const fig = trainingCurvesFigure(curves, { marks: [{ epoch: 2, label: "clean" }] });
  const names = fig.data.map((t) => t.name);
  assert.deepEqual(names, [
    "train loss",
    "val loss",
    "test loss",
    "accuracy",
    "test accuracy",
    "AUROC",
    "test AUROC",
    "macro-F1",
    "test macro-F1",
    "clean: epoch 2",
  ]);
  // One legend entry per metric: the test twin is grouped with it and hidden from the legend.
  assert.deepEqual(
    fig.data.filter((t) => t.showlegend === false).map((t) => t.name),
    ["test accuracy", "test AUROC", "test macro-F1"],
  );
  assert.deepEqual(fig.data[0].y, [1, 0.5, 1 / 3]);
  // Metrics in percent, as in the tables: accuracy of sampleCurves' logits is 0.75.
  assert.deepEqual(fig.data[3].y, [75, 75, 75]);
  assert.equal(fig.data[3].xaxis, "x2");
  assert.deepEqual((fig.layout.yaxis2 as Axis).range, [0, 102]);
  assert.deepEqual(fig.layout.xaxis?.range, [0.7, 3.3]);
  // Epoch ticks: whole numbers, horizontal.
  assert.equal(fig.layout.xaxis?.dtick, 1);
  assert.equal(fig.layout.xaxis?.tickformat, "d");
  assert.equal(fig.layout.xaxis?.tickangle, 0);
  // The mark crosses both panels.
  assert.deepEqual(
    (fig.layout.shapes as { x0: number; xref: string }[]).map((s) => [s.xref, s.x0]),
    [
      ["x", 2],
      ["x2", 2],
    ],
  );
  const withSigmoid = trainingCurvesFigure(curves, { showSigmoidAuroc: true });
  assert.ok(withSigmoid.data.some((t) => t.name === SIGMOID_AUROC_NAME));
  assert.ok(!withSigmoid.data.some((t) => /reference/.test(t.name ?? "")));
});

Deno.test("lineChart, barChart, histogram: plain arrays, error bars, secondary axis", () => {
  const line = lineChart({
    title: "sweep",
    series: [
      { name: "auroc", x: new Float32Array([0, 0.5]), y: [0.8, 0.85], errors: [0.01, 0.02] },
      { name: "loss", x: [0, 0.5], y: [0.6, 0.5], yaxis: "y2" },
    ],
    y2Title: "loss",
  });
  assert.deepEqual(line.data[0].x, [0, 0.5]);
  assert.deepEqual((line.data[0].error_y as { array: number[] }).array, [0.01, 0.02]);
  assert.equal(line.data[1].yaxis, "y2");
  assert.equal((line.layout.yaxis2 as { overlaying: string }).overlaying, "y");
  const bars = barChart({
    title: "counts",
    categories: ["a", "b"],
    series: [{ name: "train", values: new Int32Array([3, 4]), text: ["3", "4"] }],
  });
  assert.deepEqual(bars.data[0].y, [3, 4]);
  assert.equal(bars.layout.showlegend, false);
  const hist = histogram({
    title: "tokens",
    series: [{ name: "train", values: [1, 2, 3] }, { name: "test", values: [2] }],
    normalize: true,
    markers: [{ x: 77, label: "77-token limit" }],
  });
  assert.equal(hist.data[1].histnorm, "probability");
  assert.equal(hist.layout.yaxis?.title?.text, "probability");
  assert.equal(hist.layout.annotations![0].text, "77-token limit");
  // A line chart's vertical lines are the histogram's markers: dashed, labelled at the top.
  const marked = lineChart({
    title: "threshold",
    series: [{ name: "gap", x: [0.2, 0.8], y: [1e-3, 1e-9] }],
    verticalLines: [{ x: 0.578, label: "cos = 0.578" }],
  });
  assert.deepEqual(marked.layout.shapes, [{
    type: "line",
    xref: "x",
    yref: "paper",
    x0: 0.578,
    x1: 0.578,
    y0: 0,
    y1: 1,
    line: { color: "#D55E00", dash: "dash", width: 1.5 },
  }]);
  assert.equal(marked.layout.annotations![0].text, "cos = 0.578");
  assert.equal(marked.layout.annotations![0].x, 0.578);
  const markedHist = histogram({
    title: "t",
    series: [{ name: "n", values: [1] }],
    markers: [{ x: 0.578, label: "cos = 0.578" }],
  });
  assert.deepEqual(markedHist.layout.shapes, marked.layout.shapes);
  assert.deepEqual(markedHist.layout.annotations, marked.layout.annotations);
  assert.ok(!("shapes" in line.layout) && !("annotations" in line.layout), "none unless asked");
  // Everything survives JSON (what the report and Jupyter receive) unchanged.
  for (const f of [line, bars, hist, marked]) {
    assert.deepEqual(JSON.parse(JSON.stringify(f)), f);
  }
});

Deno.test("meme cards: labelled values, escaped text, a placeholder without a thumbnail", () => {
  const card = {
    name: "m<1>.png",
    thumbnail: "data:image/jpeg;base64,AAAA",
    text: textExcerpt("  a <b>bold</b>\n claim  "),
    lines: [
      { label: "true", value: "Benign Meme", note: "81.0%" },
      { label: "predicted", value: "Harmful & Meme" },
    ],
  };
  assert.equal(
    memeCardHtml(card),
    '<figure class="meme-card"><img src="data:image/jpeg;base64,AAAA" alt="m&lt;1&gt;.png" ' +
      'loading="lazy"><figcaption><p class="verdict">true <b>Benign Meme</b> (81.0%)<br>' +
      "predicted <b>Harmful &amp; Meme</b></p>" +
      '<p class="meme-text">a &lt;b&gt;bold&lt;/b&gt; claim</p>' +
      '<p class="meme-name">m&lt;1&gt;.png</p></figcaption></figure>',
  );
  const bare = memeCardHtml({ name: "x.png", thumbnail: null, text: null, lines: [] });
  assert.ok(bare.includes('<div class="no-thumb">image unavailable</div>'));
  assert.ok(bare.includes('<p class="meme-text none">(no text)</p>'));
  assert.equal(memeGridHtml([card, card]).split('<figure class="meme-card">').length, 3);
  // Standalone (a notebook output): the cards' style sheet and the page's colours come along.
  const standalone = memeCardsHtml([card]);
  assert.match(standalone, /^<style>\.meme-grid \{ display: grid;/);
  assert.ok(standalone.includes("--muted: #5b6670;"));
  assert.ok(standalone.includes(memeGridHtml([card])));
  assert.equal(textExcerpt(null), null);
  assert.equal(textExcerpt(" \n "), null);
  assert.equal(textExcerpt("x".repeat(200))!.length, EXCERPT_CHARS);
  assert.ok(textExcerpt("x".repeat(200))!.endsWith("…"));
  assert.equal(textExcerpt("abcdef", 4), "abc…");
});

Deno.test("outside Jupyter display shows nothing and displayMarkdown prints the text", async () => {
  assert.equal(inJupyter(), false);
  const printed: unknown[][] = [];
  const table = markdownTable(["task", "AUROC"], [["hate", "84.12"]], ["left", "right"]);
  const log = console.log;
  console.log = (...args: unknown[]) => printed.push(args);
  try {
    const fig = barChart({ title: "t", categories: ["a"], series: [{ name: "n", values: [1] }] });
    assert.equal(await display(fig), undefined);
    assert.deepEqual(printed, []);
    assert.equal(await displayMarkdown(table), undefined);
    assert.equal(await displayHtml("<b>cards</b>", "cards"), undefined);
  } finally {
    console.log = log;
  }
  assert.deepEqual(printed, [[table], ["cards"]]);
  assert.match(table, /^\| task \| AUROC \|\n\| :--- \| ----: \|\n\| hate \| 84\.12 \|/);
});

const chromium = (await chromiumSetting()).value;

Deno.test({
  name: "screenshotHtml renders a report to a PNG of the requested size; plotly draws offline",
  ignore: chromium === null,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      await writeReport(`${dir}/r.html`, {
        title: "Screenshot",
        sections: [{ heading: "Curves", figures: [trainingCurvesFigure(sampleCurves())] }],
      });
      await screenshotHtml(`${dir}/r.html`, `${dir}/r.png`, { width: 640, height: 480 });
      const png = await Deno.readFile(`${dir}/r.png`);
      assert.deepEqual([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);
      const view = new DataView(png.buffer, png.byteOffset);
      assert.equal(view.getUint32(16), 640); // IHDR width
      assert.equal(view.getUint32(20), 480); // IHDR height
      assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["r.html", "r.png"]);
      // The inlined plotly.js really ran offline and drew the figure.
      const dom = await renderedDom(`${dir}/r.html`);
      assert.match(dom, /<html lang="en" data-rendered="1">/);
      assert.match(dom, /class="main-svg"/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
Deno.test({
  name: "screenshotFigure draws one figure alone at twice the pixel density",
  ignore: chromium === null,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const fig = confusionMatrixFigure([[5, 1], [2, 7]], ["Benign", "Harmful"], "cm");
      await screenshotFigure(fig, `${dir}/cm.png`, { width: 400, height: 300 });
      const png = await Deno.readFile(`${dir}/cm.png`);
      const view = new DataView(png.buffer, png.byteOffset);
      assert.deepEqual([view.getUint32(16), view.getUint32(20)], [800, 600]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "checkLayout finds an element past a phone's viewport and a legend over bars, a line and a shape",
  ignore: chromium === null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const bars = barChart({
        title: "legend over bars",
        categories: ["a", "b", "c"],
        series: [{ name: "one", values: [90, 95, 99] }, { name: "two", values: [91, 96, 98] }],
      });
      // The legend in the middle of the plot, over the bars.
      bars.layout = { ...bars.layout, legend: { x: 0.3, y: 0.5, bgcolor: "#ffffff" } };
      const pr = precisionRecallFigure("a chance line under the legend", [
        { name: "class", recall: [0, 0.5, 1], precision: [1, 0.9, 0.5], prevalence: 0.5 },
      ]);
      pr.layout = { ...pr.layout, legend: { x: 0.05, y: 0.55, yanchor: "top" } };
      await writeReport(`${dir}/bad.html`, {
        title: "Layout",
        sections: [
          { heading: "Wide", html: '<div style="width: 800px">a block wider than a phone</div>' },
          { heading: "Figures", figures: [bars, pr] },
        ],
      });
      const bad = await checkLayout(`${dir}/bad.html`, { width: 390 });
      assert.equal(bad.width, 390);
      assert.equal(bad.figures, 2);
      assert.ok(bad.scrollWidth > 390, String(bad.scrollWidth));
      assert.equal(bad.overflowing.length, 1, bad.overflowing.join("\n"));
      assert.match(bad.overflowing[0], /^div "a block wider than a phone" \d+–\d+ px$/);
      assert.equal(bad.legendOverlaps.length, 2, bad.legendOverlaps.join("\n"));
      assert.match(
        bad.legendOverlaps[0],
        /^figure "legend over bars": legend covers bar \d+ of trace "(one|two)"/,
      );
      assert.match(
        bad.legendOverlaps[1],
        /^figure "a chance line under the legend": legend covers .*line/,
      );
      // The same figures as the suite builds them: legends under the plots, nothing too wide.
      await writeReport(`${dir}/good.html`, {
        title: "Layout",
        sections: [{
          heading: "Figures",
          figures: [
            barChart({
              title: "bars",
              categories: ["a", "b", "c"],
              series: [{ name: "one", values: [90, 95, 99] }, {
                name: "two",
                values: [91, 96, 98],
              }],
            }),
            precisionRecallFigure("pr", [
              { name: "class", recall: [0, 0.5, 1], precision: [1, 0.9, 0.5], prevalence: 0.5 },
            ]),
          ],
        }],
      });
      for (const width of [390, 1400]) {
        const good = await checkLayout(`${dir}/good.html`, {
          width,
          screenshot: `${dir}/good-${width}.png`,
        });
        assert.deepEqual([good.scrollWidth, good.overflowing, good.legendOverlaps], [
          width,
          [],
          [],
        ]);
        const png = await Deno.readFile(`${dir}/good-${width}.png`);
        assert.equal(new DataView(png.buffer, png.byteOffset).getUint32(16), width, "PNG width");
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

if (chromium === null) {
  console.log("screenshotHtml render test skipped: Chromium not installed (apt install chromium)");
}

Deno.test("screenshotHtml without a browser names the install command", async () => {
  const saved = Deno.env.get("MEMESENSE_CHROMIUM");
  Deno.env.set("MEMESENSE_CHROMIUM", "/nonexistent/chromium");
  try {
    await assert.rejects(() => screenshotHtml("x.html", "x.png"), /apt install chromium/);
  } finally {
    if (saved === undefined) Deno.env.delete("MEMESENSE_CHROMIUM");
    else Deno.env.set("MEMESENSE_CHROMIUM", saved);
  }
});

Deno.test("reliability diagram: empty bins draw nothing; shares sum to 1; ROC/PR legends carry the area", () => {
  const bins = [
    { lower: 0, upper: 0.5, count: 0, confidence: NaN, accuracy: NaN },
    { lower: 0.5, upper: 0.75, count: 1, confidence: 0.6, accuracy: 0 },
    { lower: 0.75, upper: 1, count: 3, confidence: 0.9, accuracy: 2 / 3 },
  ];
  const fig = reliabilityDiagram("reliability", bins);
  assert.deepEqual(fig.data[0].x, [0.625, 0.875]);
  assert.deepEqual(fig.data[0].y, [0, 2 / 3]);
  assert.deepEqual(fig.data[3].y, [0.25, 0.75]);
  const roc = rocFigure("roc", [{ name: "Humour", fpr: [0, 0, 1], tpr: [0, 1, 1], auc: 1 }]);
  assert.equal(roc.data[0].name, "Humour (100.0)");
  assert.equal(roc.data[1].name, "chance");
  const pr = precisionRecallFigure("pr", [{
    name: "Humour",
    recall: [0, 0.5, 1],
    precision: [1, 1, 0.5],
    averagePrecision: 0.75,
    prevalence: 0.5,
  }]);
  assert.equal(pr.data[0].name, "Humour (AP 75.0)");
  assert.equal((pr.data[0].line as { shape: string }).shape, "vh");
  assert.equal((pr.layout.shapes as { y0: number }[])[0].y0, 0.5);
});

Deno.test("a single precision–recall curve still shows its legend (it carries the AP)", () => {
  const pr = precisionRecallFigure("pr", [{ name: "Humour", recall: [1], precision: [0.5] }]);
  assert.equal(pr.layout.showlegend, true);
});
