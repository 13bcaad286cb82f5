/**
 * Experiments: cells (variant × task × seed), their parallel and resumable execution, aggregation
 * over seeds, the comparison with the paper, baselines, and result directories.
 *
 * ```ts
 * import {
 *   compareWithPaper,
 *   comparisonTable,
 *   listRuns,
 *   loadCellResults,
 *   loadPaperResults,
 *   REFERENCE_VARIANT,
 *   summarise,
 * } from "./mod.ts";
 * const [latest] = (await listRuns()).filter((run) => run.finished); // the newest finished run
 * const rows = summarise(await loadCellResults(latest.dir)); // mean ± std over seeds
 * const paper = await loadPaperResults();
 * console.log(comparisonTable(compareWithPaper(rows, paper, REFERENCE_VARIANT.name)));
 * ```
 *
 * @module
 */
export {
  compareWithPaper,
  type ComparisonRow,
  summarise,
  SUMMARY_METRICS,
  type SummaryMetric,
  type SummaryRow,
} from "./aggregate.ts";
export { type BaselineResult, zeroShotLogits } from "./baselines.ts";
export { type Cell, type CellResult } from "./cells.ts";
// The checkpoint protocols, one dimension of every cell's results.
export { type Protocol, PROTOCOLS } from "../train/mod.ts";
export {
  asModelError,
  BACKEND_FLAG,
  CACHE_FLAG,
  COMMON_FLAGS,
  type CommonFlags,
  csvEncoding,
  EXTRACTION_FLAGS,
  type ExtractionFlags,
  givenFlagNames,
  parseSeeds,
  parseTasks,
  prepareFromFlags,
  printOutcome,
  restoreRecordedFlags,
  RESUME_MAY_DIFFER,
  resumeFromFlags,
  resumeHelp,
  scriptFlags,
  SetupError,
  WORKERS_FLAG,
} from "./cli.ts";
export {
  type ExperimentOutcome,
  type ExperimentSpec,
  type PhaseTimings,
  runExperiment,
} from "./experiment.ts";
export {
  type ExperimentInputs,
  loadRunInputs,
  prepareInputs,
  type PrepareOptions,
  type RecordedInputs,
  StoreNotFoundError,
  type TaskPrompts,
} from "./inputs.ts";
export { loadPaperResults, type PaperFigures, type PaperResults } from "./paper.ts";
export { checkPartialData, notComparableReason, PartialDataError } from "./partial.ts";
export {
  type CellPredictions,
  loadRunPredictions,
  PREDICTION_SPLITS,
  type PredictionRows,
  predictionsCsv,
  PredictionsError,
  type PredictionsFilter,
  type PredictionSplit,
} from "./predictions.ts";
export {
  type CellState,
  type CellStatus,
  completeCells,
  describeResume,
  reportRun,
  resolveResume,
  type ResumeTarget,
  type RunStatus,
  runStatus,
} from "./run_record.ts";
export {
  cellPath,
  checkOutputs,
  listRuns,
  type OutputsCheck,
  readRunConfig,
  readRunRecord,
  RESULTS_ROOT,
  resumeCommand,
  ResumeError,
  RUN_FILES,
  RUN_LAYOUT,
  type RunFile,
  type RunFileKind,
  type RunInfo,
  type RunLayoutEntry,
  runPath,
  type RunRecord,
} from "./run_dir.ts";
export {
  type CellCheck,
  type CellCondition,
  checkCells,
  checkRunHeads,
  loadCellResults,
  type OwnedFile,
  RunIntegrityError,
  runOfHeads,
  type StoredCell,
} from "./run_integrity.ts";
export { EXIT, EXIT_CODES, type ExitCode, exitCodeOf, runMain } from "./exit.ts";
export {
  type FeatureSample,
  loadNotebookContext,
  type NotebookContext,
  type NotebookContextOptions,
} from "./notebook.ts";
export {
  type InputSources,
  prepareFromEnvironment,
  resolveInputSources,
  type ResolveInputSourcesOptions,
} from "./sources.ts";
export {
  CLUSTER_FLAGS,
  type ClusterFlags,
  executeExperiment,
  ExecutionError,
  executionFromFlags,
  type ExecutionSettings,
  submitExtraction,
  type SubmitExtractionSpec,
} from "./submit.ts";
export { comparisonTable, pairedComparisonTable } from "./tables.ts";
export { type TaskData, taskData } from "./task_data.ts";
export {
  ablationPairs,
  analyseRunPredictions,
  type BootstrapOptions,
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
  DEFAULT_DEPTHS,
  DEFAULT_RATIOS,
  gridVariants,
  NAMED_ABLATIONS,
  REFERENCE_VARIANT,
  sweepVariants,
  type Variant,
} from "./variants.ts";
