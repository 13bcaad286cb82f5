/**
 * Experiments: an experiment run end to end (its record, cells, outputs), submitted to Slurm or
 * run here, and the glue of scripts (their flags, how they end) and notebooks (their inputs).
 *
 * ```ts
 * import { resultsRootSetting } from "../config/mod.ts";
 * import { completeCells, listRuns, REFERENCE_VARIANT } from "../run/mod.ts";
 * import { compareWithPaper, comparisonTable, loadPaperResults, summarise } from "./mod.ts";
 * const [latest] = (await listRuns(resultsRootSetting().value)).filter((run) => run.finished);
 * const rows = summarise(await completeCells(latest.dir)); // mean ± std over seeds
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
  RESULTS_FLAG,
  RESUME_MAY_DIFFER,
  resumeFromFlags,
  resumeHelp,
  scriptFlags,
  SetupError,
  WORKERS_FLAG,
} from "./cli.ts";
export {
  type ExperimentOutcome,
  experimentRecord,
  type ExperimentSpec,
  type PhaseTimings,
  runExperiment,
} from "./experiment.ts";
export {
  type OutputTimings,
  reportRun,
  type RunOutputs,
  type RunOutputsInput,
  writeRunOutputs,
} from "./outputs.ts";
export { loadPaperResults, type PaperFigures, type PaperResults } from "./paper.ts";
export { checkPartialData, notComparableReason, PartialDataError } from "./partial.ts";
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
