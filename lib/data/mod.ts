/**
 * The PrideMM data layer: load and validate `PrideMM.csv`, split and per-task views, text
 * normalisation as MemeCLIP does it, image paths and presence checks, class-count summaries, and
 * the dataset download (`deno task fetch-data`).
 *
 * ```ts
 * import { pridemmCsvSetting } from "../config/mod.ts";
 * import { formatSummary, loadPrideMM, summary, taskView } from "./mod.ts";
 * const ds = await loadPrideMM(pridemmCsvSetting().value!);
 * const { memes, labels } = taskView(ds, "target", "train"); // hateful memes only
 * console.log(formatSummary(summary(ds)));
 * ```
 *
 * @module
 */
export { DataError, type DataErrorLocation } from "./errors.ts";
export {
  imagePath,
  type LoadOptions,
  loadPrideMM,
  type Meme,
  type PrideMM,
  PRIDEMM_COLUMNS,
  type Split,
  SPLITS,
  type TaskView,
  taskView,
} from "./pridemm.ts";
export { textForClip } from "./text.ts";
export {
  type DatasetSummary,
  formatSummary,
  type SplitOrTotal,
  summary,
  type TaskSummary,
} from "./summary.ts";
export {
  FetchError,
  type FetchFailure,
  type FetchOptions,
  fetchPrideMM,
  type FetchResult,
  manualInstructions,
  PRIDEMM_URL,
} from "./fetch.ts";
// Types of other modules that appear in this module's signatures.
export type { TaskName } from "../config/mod.ts";
