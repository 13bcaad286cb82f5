/**
 * A run's outputs as a researcher reads them: the tables (`table.md`), the report
 * (`report.html`), the result files for pandas (`metrics.csv`, `metrics_long.csv`,
 * `metrics_summary.csv`), their writing once a run's cells are in ({@linkcode aggregateRun}), and
 * runs compared pair by pair into a folder of their own ({@linkcode compareRuns}). The numbers
 * come from `lib/analysis`; this module only presents and writes them.
 *
 * ```ts
 * import { resultsRootSetting } from "../config/mod.ts";
 * import { completeCells, listRuns } from "../run/mod.ts";
 * import { summarise } from "../analysis/mod.ts";
 * import { summaryTable } from "./mod.ts";
 * const [latest] = (await listRuns(resultsRootSetting().value)).filter((run) => run.finished);
 * const tasks = latest.meta.dataset.description.tasks.map((t) => t.name);
 * console.log(summaryTable(summarise(await completeCells(latest.dir), tasks)));
 * ```
 *
 * @module
 */
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
} from "./tables.ts";
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
} from "./write.ts";
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
