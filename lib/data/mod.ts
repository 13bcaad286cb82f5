/**
 * The data layer: meme datasets described as data (a validated JSON description: annotation
 * format, image and text fields, splits, tasks with their label mappings, class and prompt names)
 * and loaded by one generic loader; presets for PrideMM, HarMeme and FHM; PrideMM's own loader
 * (the generic one with the `pridemm` preset), split and per-task views, text normalisation as
 * MemeCLIP does it, image paths and their presence, and class-count summaries. (The PrideMM
 * download, `deno task fetch-data`: lib/fetch.)
 *
 * ```ts
 * import { pridemmCsvSetting } from "../config/mod.ts";
 * import { formatSummary, loadPrideMM, summary, taskView } from "./mod.ts";
 * const ds = await loadPrideMM(pridemmCsvSetting().value!);
 * const { memes, labels } = taskView(ds, "target", "train"); // hateful memes only
 * console.log(formatSummary(summary(ds.dataset)), memes.length, labels);
 * ```
 *
 * Any dataset, from a preset's name or a description file:
 *
 * ```ts
 * import { datasetTaskView, loadDataset, resolveDatasetDescription } from "./mod.ts";
 * const desc = await resolveDatasetDescription("harmeme"); // or "docs/datasets/mami.json"
 * const ds = await loadDataset(desc, "data/harmeme");
 * const { memes, labels } = datasetTaskView(ds, "target", "test"); // harmful memes only
 * console.log(ds.tasks[2].prompts, ds.splits.test.memes, memes.length, labels, ds.identity.hash);
 * ```
 *
 * @module
 */
export { DataError, type DataErrorLocation } from "./data_error.ts";
export {
  ANNOTATION_FORMATS,
  type AnnotationFormat,
  type CarvedSplit,
  type DatasetDescription,
  type DatasetDescriptionInput,
  type FieldSplit,
  type FileSplit,
  type ImageSpec,
  parseDatasetDescription,
  readDatasetDescription,
  type Split,
  SPLITS,
  type SplitSource,
  type TaskDescription,
  type TaskRows,
} from "./description.ts";
export {
  type AnnotationText,
  type CarveRecord,
  chooseSplits,
  contentHash,
  type Dataset,
  type DatasetIdentity,
  type DatasetMeme,
  type DatasetSplit,
  datasetTask,
  type DatasetTaskView,
  datasetTaskView,
  filesInUse,
  loadDataset,
  type LoadDatasetOptions,
  parseDataset,
  type ParseDatasetOptions,
  type TaskDrops,
} from "./dataset.ts";
export {
  datasetPreset,
  isPresetName,
  PRESET_NAMES,
  type PresetName,
  PRIDEMM_TASKS,
  type PrideMMTask,
  resolveDatasetDescription,
} from "./presets.ts";
export {
  annotationFiles,
  type DatasetLocation,
  defaultLocation,
  locateDataset,
} from "./location.ts";
export { type ClassMap, classMap, type TaskOfDataset, taskRef } from "./transfer.ts";
export {
  type DatasetListing,
  describeDatasets,
  type DescribeOptions,
  type FileListing,
  formatDatasetListings,
} from "./describe.ts";
export {
  hasPrideMMColumns,
  imagePath,
  isPrideMMRelease,
  type LoadOptions,
  loadPrideMM,
  type Meme,
  parsePrideMM,
  type PrideMM,
  PRIDEMM_COLUMNS,
  PRIDEMM_RELEASE_CONTENT,
  type TaskView,
  taskView,
} from "./pridemm.ts";
export { checkImages, type ImageCheck, missingImagesReport } from "./_images.ts";
export { textForClip } from "./meme_text.ts";
export {
  type DatasetSummary,
  formatSummary,
  type SplitOrTotal,
  summary,
  type TaskSummary,
} from "./summary.ts";
