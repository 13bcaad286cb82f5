import assert from "node:assert/strict";
import { notebookFigures, pickFigure } from "../scripts/notebook_figure.ts";
import { barChart, lineChart } from "../lib/report/mod.ts";

const bars = barChart({
  title: "Class shares",
  categories: ["a"],
  series: [{ name: "n", values: [1] }],
});
const curves = lineChart({
  title: "Training curves",
  series: [{ name: "loss", x: [1], y: [0.5] }],
});
const notebook = {
  cells: [
    { cell_type: "markdown", source: ["# x"] },
    {
      cell_type: "code",
      outputs: [
        { output_type: "stream", name: "stdout", text: ["hi"] },
        { output_type: "display_data", data: { "application/vnd.plotly.v1+json": bars } },
      ],
    },
    {
      cell_type: "code",
      outputs: [{
        output_type: "display_data",
        data: { "application/vnd.plotly.v1+json": curves },
      }],
    },
  ],
};

Deno.test("notebookFigures lists plotly outputs in order", () => {
  assert.deepEqual(notebookFigures(notebook), [bars, curves]);
  assert.throws(() => notebookFigures({ nbformat: 4 }, "x.ipynb"), /x\.ipynb: not a notebook/);
});

Deno.test("pickFigure by title substring or index, naming the choices when none fits", () => {
  const figures = notebookFigures(notebook);
  assert.equal(pickFigure(figures, { title: "TRAINING" }), curves);
  assert.equal(pickFigure(figures, {}), bars);
  assert.equal(pickFigure(figures, { index: 1 }), curves);
  assert.throws(
    () => pickFigure(figures, { title: "heatmap" }, "n.ipynb"),
    /n\.ipynb: no figure title contains "heatmap"; figures:\n {2}0: Class shares\n {2}1: Training curves/,
  );
  assert.throws(
    () => pickFigure(figures, { index: 2 }),
    /figure index 2 out of range \(2 figures\)/,
  );
});
