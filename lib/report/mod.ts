/**
 * Reporting: plotly figures as data, self-contained HTML reports (plotly.js inlined, no
 * network), Markdown/HTML tables and number formats, figures in Deno Jupyter notebooks, and PNG
 * screenshots with headless Chromium. (Run folders under `results/`: lib/run.)
 *
 * ```ts
 * import { barChart, markdownTable, writeReport } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
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
export {
  barChart,
  type BarChartOptions,
  type BarSeries,
  heatmap,
  type HeatmapOptions,
  histogram,
  type HistogramOptions,
  type HistogramSeries,
  lineChart,
  type LineChartOptions,
  type LineSeries,
  PALETTE,
  type VerticalLine,
} from "./charts.ts";
export {
  confusionMatrixFigure,
  type EpochCurve,
  precisionRecallFigure,
  type PrecisionRecallSeries,
  type ReliabilityBinData,
  reliabilityDiagram,
  rocFigure,
  type RocSeries,
  SIGMOID_AUROC_NAME,
  trainingCurvesFigure,
  type TrainingCurvesOptions,
} from "./figures.ts";
export { type Figure, figureTitle, type Layout, type Trace } from "./plotly.ts";
// The plotly.js attributes a figure may carry.
export type {
  Annotation,
  Axis,
  Color,
  Colorscale,
  Dash,
  ErrorBars,
  Font,
  Legend,
  Line,
  Margin,
  Marker,
  Placement,
  Shape,
  Title,
  TraceType,
  XRef,
  YRef,
} from "./plotly.ts";
export {
  type Align,
  escapeHtml,
  formatCount,
  formatMeanStd,
  type FormatMeanStdOptions,
  formatPct,
  formatSigned,
  markdownTable,
  MISSING,
  type TableCell,
  type TableData,
} from "./table.ts";
export { type Report, type ReportSection, writeReport } from "./html.ts";
export {
  EXCERPT_CHARS,
  type MemeCard,
  memeCardHtml,
  type MemeCardLine,
  memeCardsHtml,
  memeGridHtml,
  textExcerpt,
  THUMBNAIL_SIDE,
  thumbnailDataUri,
} from "./cards.ts";
export {
  display,
  displayHtml,
  displayMarkdown,
  type DisplayOptions,
  inJupyter,
  type NotebookOutputKind,
  notebookOutputKind,
  PLOTLY_MIME,
} from "./notebook.ts";
export { screenshotFigure, type ScreenshotFigureOptions } from "./screenshot.ts";
