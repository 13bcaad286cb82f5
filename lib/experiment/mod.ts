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
  BACKEND_FLAG,
  COMMON_FLAGS,
  type CommonFlags,
  csvEncoding,
  explainSetupError,
  EXTRACTION_FLAGS,
  type ExtractionFlags,
  parseSeeds,
  parseTasks,
  prepareFromFlags,
  printOutcome,
  resumeFromFlags,
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
  prepareInputs,
  type PrepareOptions,
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
  describeResume,
  reportRun,
  resolveResume,
  ResumeError,
  type ResumeTarget,
  type RunStatus,
  runStatus,
} from "./run_record.ts";
export {
  cellPath,
  listRuns,
  loadCellResults,
  readRunConfig,
  RESULTS_ROOT,
  RUN_FILES,
  type RunFile,
  type RunInfo,
  runPath,
  type RunRecord,
} from "./run_dir.ts";
export {
  type FeatureSample,
  loadNotebookContext,
  type NotebookContext,
  type NotebookContextOptions,
  notebookSetUp,
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
// Types of other modules that appear in this module's signatures.
export type {
  BACKEND_CHOICES,
  BackendName,
  ChoiceFlag,
  CLASSIFIER_INITS,
  CLASSIFIER_KINDS,
  ClassifierInit,
  ClassifierKind,
  ClipConfig,
  CONFIG_FLAGS,
  ConfigFlags,
  ConfigOverrides,
  DataSource,
  DefaultedChoiceFlag,
  DefaultedFlag,
  EnvReader,
  FlagSpec,
  FlagType,
  FlagTypes,
  FlagValue,
  Fusion,
  FUSIONS,
  HeadConfig,
  IMAGE_MODES,
  ImageMode,
  MemeSenseConfig,
  MODALITIES,
  Modality,
  MODEL_FLAG,
  ParsedFlags,
  Preprocess,
  PREPROCESS_MODES,
  RunSettings,
  TaskName,
  TrainConfig,
  TypedFlag,
  UsageError,
} from "../config/mod.ts";
export type {
  BOOTSTRAP_METRICS,
  BootstrapMetric,
  BootstrapReplicates,
  ClassScores,
  Interval,
  McNemarResult,
  MeanStd,
  Metrics,
  ReliabilityBin,
  Resamples,
} from "../metrics/mod.ts";
export type {
  EpochRecord,
  SplitData,
  SplitLogits,
  TrainOptions,
  TrainWarning,
} from "../train/mod.ts";
export type { Meme, PrideMM, Split } from "../data/mod.ts";
export type { FeatureTable } from "../features/mod.ts";
export type { Shard } from "../util/mod.ts";
export type { SlurmOptions, SlurmSubmission } from "../cluster/mod.ts";
