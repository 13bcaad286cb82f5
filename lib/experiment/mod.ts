/**
 * Experiments: an experiment run end to end (its record, cells, outputs), submitted to Slurm or
 * run here, and the glue of scripts (their flags, how they end) and notebooks (their inputs).
 *
 * ```ts
 * import { makeConfig } from "../config/mod.ts";
 * import { prepareInputs, REFERENCE_VARIANT } from "../run/mod.ts";
 * import { datasetFromFlags, printOutcome, runExperiment } from "./mod.ts";
 * // The generated memes (a described dataset: `synthetic`), or any other: `harmeme`, a .json.
 * const { dataset, source } = await datasetFromFlags({ dataset: "synthetic" });
 * const config = makeConfig({ clip: { model: "tiny" }, train: { epochs: 2 } });
 * const inputs = await prepareInputs({ dataset, source, model: "tiny", offline: true });
 * const outcome = await runExperiment({
 *   name: "example",
 *   title: "An example",
 *   tasks: ["hate"],
 *   seeds: [1],
 *   variants: [REFERENCE_VARIANT],
 *   baseConfig: config,
 *   inputs,
 *   outRoot: await Deno.makeTempDir(),
 * });
 * printOutcome(outcome); // the table, and where the run's files are
 * ```
 *
 * @module
 */
export {
  BACKEND_FLAG,
  CACHE_FLAG,
  COMMON_FLAGS,
  type CommonFlags,
  csvEncoding,
  DATASET_FLAGS,
  type DatasetFlags,
  EXTRACTION_FLAGS,
  type ExtractionFlags,
  NO_GALLERY_FLAG,
  OFFLINE_FLAG,
  OUTPUT_FLAGS,
  type OutputFlags,
  parseSeeds,
  parseSplits,
  parseTasks,
  RESULTS_FLAG,
  RESUME_FLAG,
  scriptFlags,
  WORKERS_FLAG,
} from "./script_flags.ts";
export {
  asModelError,
  callerDir,
  type DatasetFlagValues,
  datasetFromFlags,
  type DatasetFromFlagsOptions,
  describedDataset,
  type PreparedInputs,
  prepareFromFlags,
  type PrepareFromFlagsOptions,
  type ScriptDataset,
  SetupError,
} from "./prepare.ts";
export {
  givenFlagNames,
  restoreRecordedFlags,
  resumeFromFlags,
  resumeHelp,
} from "./resume_flags.ts";
export { printOutcome } from "./print_outcome.ts";
export {
  parseNamedPairs,
  parseTaskRef,
  type PreparedTransfer,
  prepareTransfer,
  resumeTransferFlags,
  type TaskRef,
  type TransferFlagValues,
} from "./transfer.ts";
export {
  type ExperimentOutcome,
  type ExperimentSpec,
  type PhaseTimings,
  runExperiment,
} from "./experiment.ts";
export { EXIT, EXIT_CODES, type ExitCode, exitCodeOf, runMain } from "./exit.ts";
export {
  type FeatureSample,
  loadNotebookContext,
  type NotebookContext,
  type NotebookContextOptions,
  notebookSetUp,
} from "./notebook_context.ts";
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
