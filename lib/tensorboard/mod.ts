/**
 * TensorBoard event files, written without TensorFlow: the scalars and hparams that PyTorch
 * Lightning's TensorBoard logger gives MemeCLIP's users, so that `tensorboard --logdir results/`
 * shows every cell's curves and compares cells by their settings. A file is a sequence of TFRecord
 * records (length, masked CRC-32C, data, masked CRC-32C), each an `Event` protocol buffer: first
 * `file_version: "brain.Event:2"`, then `simple_value` scalars and the hparams plugin's session
 * summaries. Files are built in memory and written atomically; {@linkcode readEventFile} checks
 * every record.
 *
 * ```ts
 * import { cellEvents, EventFileWriter, parseEventFile } from "./mod.ts";
 * const writer = new EventFileWriter("results/demo/tensorboard/memeclip__hate__seed42", {
 *   wallTime: 1_700_000_000,
 *   host: "lab",
 * });
 * writer.addHparams({ hparams: { ratio: 0.2, task: "hate" }, startTime: 1_700_000_000 });
 * writer.addScalar({ tag: "train/loss", step: 1, value: 0.69, wallTime: 1_700_000_004 });
 * const content = parseEventFile(writer.bytes(), writer.path);
 * console.log(writer.path); // …/events.out.tfevents.1700000000.lab
 * console.log(content.scalars[0].tag, content.sessions[0].hparams.ratio); // "train/loss" 0.2
 * // writer.close() writes the file; a cell's whole history at once: writeCellEvents(dir, cell)
 * const events = cellEvents({
 *   variant: "memeclip",
 *   task: "hate",
 *   seed: 42,
 *   startTime: 1_700_000_000,
 *   epochs: [{
 *     epoch: 1,
 *     trainLoss: 0.69,
 *     seconds: 3,
 *     val: { accuracy: 0.7, macroF1: 0.68, auroc: 0.75 },
 *     test: { accuracy: 0.72, macroF1: 0.7, auroc: 0.77 },
 *   }],
 * });
 * console.log(events.scalars.map((s) => s.tag)); // ["train/loss", "val/accuracy", …]
 * ```
 *
 * @module
 */
export {
  type EventFileContent,
  EventFileError,
  type HparamsSession,
  type HparamValue,
  parseEventFile,
  readEventFile,
  type ScalarEvent,
  type SessionStatus,
} from "./events.ts";
export { eventFileName, type EventFileOptions, EventFileWriter } from "./writer.ts";
export {
  type CellEpoch,
  type CellEvents,
  cellEvents,
  type CellHistory,
  type CellSplitMetrics,
  writeCellEvents,
} from "./cell.ts";
