/**
 * Experiments: cells (variant × task × seed), their parallel and resumable execution, aggregation
 * over seeds, the comparison with the paper, baselines, and result directories.
 *
 * @module
 */
export * from "./aggregate.ts";
export * from "./baselines.ts";
export * from "./cells.ts";
export * from "./predictions.ts";
export * from "./uncertainty.ts";
export * from "./paper.ts";
export * from "./run_dir.ts";
export * from "./variants.ts";
export * from "./task_data.ts";
export * from "./tables.ts";
export * from "./runner.ts";
export * from "./shard.ts";
export * from "./lock.ts";
export * from "./run_record.ts";
export * from "./submit.ts";
export * from "./report.ts";
export * from "./error_analysis.ts";
export * from "./cli.ts";
export * from "./experiment.ts";
export * from "./inputs.ts";
export * from "./sources.ts";
export * from "./partial.ts";
export { BACKEND_FLAG, EXTRACTION_FLAGS, type ExtractionFlags, WORKERS_FLAG } from "./cli.ts";
export {
  type FeatureSample,
  loadNotebookContext,
  type NotebookContext,
  type NotebookContextOptions,
} from "./notebook.ts";
