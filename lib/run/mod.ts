/**
 * Runs: the run directory and its layout ({@linkcode RUN_LAYOUT}), its record (`config.json`,
 * {@linkcode RunRecord}), the cells (variant × task × seed) and their training in parallel
 * workers, each cell's per-meme predictions and TensorBoard event file, the settings that differ
 * between cells, the integrity of every file a run owns, locks and shards, the inputs a run
 * trains on, and a run read back: listed, resumed, its status.
 *
 * ```ts
 * import { resultsRootSetting } from "../config/mod.ts";
 * import { completeCells, listRuns, loadRunPredictions } from "./mod.ts";
 * const [latest] = (await listRuns(resultsRootSetting().value)).filter((run) => run.finished);
 * const results = await completeCells(latest.dir, latest.meta); // every seed, or an error
 * const predictions = await loadRunPredictions(latest.dir, { task: "hate" });
 * console.log(latest.meta.title, results.length, predictions[0]?.rows.test.names.length);
 * ```
 *
 * @module
 */
export {
  type Cell,
  type CellGrid,
  cellKey,
  type CellResult,
  gridCells,
  type Protocol,
  PROTOCOLS,
  selectedTestMetrics,
} from "./cells.ts";
export {
  DEFAULT_DEPTHS,
  DEFAULT_RATIOS,
  gridVariants,
  NAMED_ABLATIONS,
  REFERENCE_VARIANT,
  type SettingValue,
  settingValues,
  sweepVariants,
  type Variant,
  type VariedSetting,
  variedSettings,
} from "./variants.ts";
export {
  type DatasetSource,
  type ExperimentInputs,
  loadRunInputs,
  prepareInputs,
  type PrepareOptions,
  recordedDataset,
  type RecordedInputs,
  StoreNotFoundError,
  type TaskPrompts,
} from "./inputs.ts";
export { checkTaskSplits, type TaskData, taskData } from "./task_data.ts";
export {
  encodeTransferPredictions,
  recordedTransferTarget,
  transferCellPredictions,
  type TransferTarget,
  transferTargetId,
  type TransferTest,
  transferTest,
} from "./transfer.ts";
export {
  cellPath,
  createRunDir,
  type CreateRunDirOptions,
  headFolder,
  predictionsFile,
  RUN_FILES,
  RUN_LAYOUT,
  type RunFile,
  type RunFileKind,
  type RunLayoutEntry,
  runPath,
  tensorboardFolder,
  transferPredictionsFile,
  writeRunFile,
} from "./run_dir.ts";
export {
  readRecordJson,
  readRunRecord,
  type RecordedDataset,
  type RecordedTransfer,
  type RecordedTransferTarget,
  resumeCommand,
  type RunRecord,
  RunRecordError,
} from "./record.ts";
export { listRuns, type RunInfo } from "./listing.ts";
export { type OpenRun, openRunDir, type OpenRunOptions } from "./open.ts";
export { describeResume, resolveResume, ResumeError, type ResumeTarget } from "./resume.ts";
export { type OwnedFile, ownedFile, writeOwnedFile } from "./owned_files.ts";
export {
  type CellCheck,
  type CellCondition,
  checkCells,
  checkRunHeads,
  completeCells,
  loadCellResults,
  readRunMetrics,
  RunIntegrityError,
  runOfHeads,
  type StoredCell,
} from "./integrity.ts";
export {
  claimAggregation,
  listRunLocks,
  type LockInfo,
  lockRunDir,
  type RunLock,
  RunLockedError,
} from "./lock.ts";
export { cellsInKeyOrder, shardCells, shardOf } from "./shard_cells.ts";
export { runCells, type RunCellsOptions } from "./runner.ts";
export {
  type CellPredictions,
  loadRunPredictions,
  PREDICTION_SPLITS,
  type PredictionRows,
  predictionsCsv,
  PredictionsError,
  type PredictionsFilter,
  type PredictionSplit,
  readCellPredictions,
  splitProbabilities,
} from "./predictions.ts";
export { type CellState, type CellStatus, type RunStatus, runStatus } from "./status.ts";
