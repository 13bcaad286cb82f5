/**
 * Analysis of runs: aggregation over seeds and the comparison with the paper's numbers, baselines,
 * test-set uncertainty and paired comparisons, error analysis, the rules for partial data, the
 * tables, the result files for pandas (`metrics.csv`, `metrics_long.csv`, `metrics_summary.csv`)
 * and the report, and the writing of a run's outputs once its cells are in; runs compared, pair
 * by pair, into a folder of their own.
 *
 * ```ts
 * import { resultsRootSetting } from "../config/mod.ts";
 * import { completeCells, listRuns, REFERENCE_VARIANT } from "../run/mod.ts";
 * import { compareWithPaper, comparisonTable, loadPaperResults, summarise } from "./mod.ts";
 * const [latest] = (await listRuns(resultsRootSetting().value)).filter((run) => run.finished);
 * const tasks = latest.meta.dataset.description.tasks; // the run's dataset's, in its order
 * const rows = summarise(await completeCells(latest.dir), tasks.map((t) => t.name)); // over seeds
 * const paper = await loadPaperResults();
 * console.log(comparisonTable(compareWithPaper(rows, paper, REFERENCE_VARIANT.name), tasks));
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
} from "./partial.ts";
export { type BaselineResult, zeroShotLogits } from "./baselines.ts";
export {
  ablationPairs,
  analyseRunPredictions,
  type BootstrapOptions,
  type CalibrationMetrics,
  type CellCalibration,
  cellCalibration,
  type ComparisonPair,
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
  baselineTable,
  calibrationTable,
  clampedTemperatureNote,
  COMPARISON_TABLE_NOTE,
  comparisonTable,
  comparisonTableData,
  intervalTable,
  pairedComparisonTable,
  summaryTable,
} from "./run_tables.ts";
export {
  LONG_METRICS,
  type LongMetric,
  type LongRow,
  metricsCsv,
  metricsLongCsv,
  metricsLongRows,
  metricsSummaryCsv,
  metricsSummaryRows,
  type RunMetricsInput,
  type SummaryFileRow,
} from "./metrics_files.ts";
export {
  aggregateRun,
  NO_UNCERTAINTY,
  type OutputTimings,
  type RunOutputs,
  type RunOutputsInput,
  writeRunOutputs,
} from "./outputs.ts";
export {
  analyseTransfer,
  type TransferInput,
  transferMarkdown,
  type TransferResults,
  type TransferRow,
  transferTableData,
  type TransferTargetSummary,
} from "./transfer.ts";
export {
  compareRuns,
  type CompareRunsOptions,
  comparisonReport,
  type RunComparison,
  RunComparisonError,
  runComparisonText,
  type RunPairSettings,
  runsAndSettingsText,
  type SettingDifference,
  writeComparison,
} from "./compare.ts";
