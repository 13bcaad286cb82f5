/**
 * Analysis of runs: aggregation over seeds and the comparison with the paper's numbers, baselines,
 * test-set uncertainty and paired comparisons, error analysis, the rules for partial data, and a
 * transfer run's results on its targets. The tables, the report and the result files that present
 * them are `lib/outputs`.
 *
 * ```ts
 * import { resultsRootSetting } from "../config/mod.ts";
 * import { completeCells, listRuns, REFERENCE_VARIANT } from "../run/mod.ts";
 * import { compareWithPaper, loadPaperResults, summarise } from "./mod.ts";
 * const [latest] = (await listRuns(resultsRootSetting().value)).filter((run) => run.finished);
 * const tasks = latest.meta.dataset.description.tasks; // the run's dataset's, in its order
 * const rows = summarise(await completeCells(latest.dir), tasks.map((t) => t.name)); // over seeds
 * const paper = await loadPaperResults();
 * for (const row of compareWithPaper(rows, paper, REFERENCE_VARIANT.name)) {
 *   console.log(row.task, row.protocol, `AUROC ${row.diff.auroc.toFixed(2)} points from the paper`);
 * }
 * ```
 *
 * @module
 */
export {
  compareWithPaper,
  type ComparisonRow,
  readRunComparison,
  summarise,
  SUMMARY_METRICS,
  type SummaryMetric,
  type SummaryRow,
} from "./aggregate.ts";
export { loadPaperResults, type PaperFigures, type PaperResults } from "./paper.ts";
export {
  checkPartialData,
  clipModelName,
  notComparableReason,
  PartialDataError,
  reproduceTitle,
  usageLine,
} from "./partial.ts";
export { type BaselineResult, runBaselines, zeroShotLogits } from "./baselines.ts";
export {
  analyseRun,
  type AnalyseRunOptions,
  type GalleryCard,
  galleryHtml,
  type NamedClassCurves,
  type RunAnalysis,
  type SliceMetrics,
  type TaskAnalysis,
  type TaskGallery,
  type TaskReliability,
} from "./error_analysis.ts";
export {
  ablationPairs,
  analyseRunPredictions,
  type BootstrapOptions,
  type CalibrationMetrics,
  type CellCalibration,
  cellCalibration,
  type ComparisonPair,
  crossRunPairs,
  type GroupCalibration,
  type GroupStats,
  groupStats,
  type PairedComparison,
  pairedComparisons,
  type RunReplicates,
  runReplicates,
  type RunUncertainty,
  type SeedGroup,
} from "./uncertainty.ts";
export {
  analyseTransfer,
  type TransferInput,
  transferMarkdown,
  transferReportSection,
  type TransferResults,
  type TransferRow,
  transferTableData,
  type TransferTargetSummary,
} from "./transfer.ts";
