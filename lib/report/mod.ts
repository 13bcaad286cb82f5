/**
 * Reporting: plotly figures as data, self-contained HTML reports (plotly.js inlined, no
 * network), Markdown/HTML tables and number formats, figures in Deno Jupyter notebooks, run
 * folders under `results/`, and PNG screenshots with headless Chromium.
 *
 * ```ts
 * import { barChart, createRunDir, markdownTable, writeReport } from "./mod.ts";
 * const dir = await createRunDir("results", "demo"); // results/20260127-101500-demo
 * const table = markdownTable(["task", "accuracy"], [["hate", "76.06 ± 0.84"]], ["left", "right"]);
 * await writeReport(`${dir}/report.html`, {
 *   title: "Demo",
 *   sections: [{
 *     heading: "Results",
 *     markdownTable: table,
 *     figures: [barChart({ title: "Accuracy", categories: ["hate"], series: [{ name: "acc", values: [0.76] }] })],
 *   }],
 * });
 * ```
 *
 * @module
 */
export * from "./plotly.ts";
export * from "./table.ts";
export * from "./html.ts";
export * from "./notebook.ts";
export * from "./results.ts";
export * from "./screenshot.ts";
