/**
 * The PrideMM data layer: load and validate `PrideMM.csv`, split and per-task views, text
 * normalisation as MemeCLIP does it, image paths and presence checks, class-count summaries, and
 * the dataset download (`deno task fetch-data`).
 *
 * ```ts
 * import { findPrideMMCsv, formatSummary, loadPrideMM, summary, taskView } from "./mod.ts";
 * const ds = await loadPrideMM(findPrideMMCsv()!);
 * const { memes, labels } = taskView(ds, "target", "train"); // hateful memes only
 * console.log(formatSummary(summary(ds)));
 * ```
 *
 * @module
 */
export * from "./errors.ts";
export { decodeCsvBytes } from "./csv.ts";
export * from "./pridemm.ts";
export * from "./text.ts";
export * from "./images.ts";
export * from "./summary.ts";
export * from "./fetch.ts";
export * from "./download.ts";
export * from "./archive.ts";
export * from "./zip.ts";
