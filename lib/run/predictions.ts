/**
 * Per-meme predictions of a cell: for each checkpoint-selection protocol, the val and test logits
 * at the epoch that protocol selected, with the memes' names and true classes. One file per cell,
 * `predictions/<key>.safetensors` in the run directory, written before the cell's result so a
 * finished cell always has its predictions.
 *
 * File layout (safetensors, readable with `safetensors.numpy.load_file`):
 *
 * | tensor | dtype | shape | meaning |
 * |---|---|---|---|
 * | `val.labels`, `test.labels` | I32 | [n] | true class of each meme |
 * | `reference.val`, `reference.test` | F32 | [n, C] | logits at the `reference` protocol's epoch |
 * | `clean.val`, `clean.test` | F32 | [n, C] | logits at the `clean` protocol's epoch |
 *
 * and `__metadata__`: `format` (`memesense-predictions/1`), `key`, `variant`, `task`, `seed`,
 * `classNames` (JSON), `epochs` (JSON `{reference, clean}`, 1-based) and `val.names`,
 * `test.names` (JSON arrays of image file names, row order). Logits are stored rather than
 * probabilities: probabilities follow exactly ({@linkcode splitProbabilities}), and calibration
 * needs the logits.
 *
 * @module
 */
import { argmax, softmax64 } from "../metrics/mod.ts";
import type { SplitLogits } from "../train/mod.ts";
import {
  decodeSafetensors,
  encodeSafetensors,
  ensureDir,
  type SafeTensor,
  writeFileAtomic,
} from "../util/mod.ts";
import { type Protocol, PROTOCOLS } from "./cells.ts";
import { resumeCommandOf } from "./record.ts";
import { predictionsPath, runPath } from "./run_dir.ts";

/** The splits whose predictions a cell keeps (train predictions are not kept). */
export const PREDICTION_SPLITS = ["val", "test"] as const;
/** A split with saved predictions. */
export type PredictionSplit = typeof PREDICTION_SPLITS[number];

/** The format tag in a predictions file's metadata. */
export const PREDICTIONS_FORMAT = "memesense-predictions/1";

/** The memes of one split and their true classes, aligned with the logits' rows. */
export interface PredictionRows {
  /** Image file names (unique meme identifiers), row order. */
  readonly names: readonly string[];
  /** True classes, `0 … C−1`. */
  readonly labels: Int32Array;
}

/** Everything saved for one cell. */
export interface CellPredictions {
  /** The cell key (`<variant>__<task>__seed<seed>`). */
  readonly key: string;
  /** The head variant's name. */
  readonly variant: string;
  /** The task trained. */
  readonly task: string;
  /** The training seed. */
  readonly seed: number;
  /** Class names in class order (`C = classNames.length`). */
  readonly classNames: readonly string[];
  /** The epoch (1-based) each protocol selected. */
  readonly epochs: Readonly<Record<Protocol, number>>;
  /** Memes and true classes per split. */
  readonly rows: Readonly<Record<PredictionSplit, PredictionRows>>;
  /** Logits per protocol and split, row-major `n × C`. */
  readonly logits: Readonly<Record<Protocol, Readonly<SplitLogits>>>;
}

/** Thrown for an unreadable or inconsistent predictions file; the message names file and field. */
export class PredictionsError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "PredictionsError";
  }
}

/** Checks shapes, classes and finiteness; `where` prefixes the message (a file or function). */
function checkPredictions(p: CellPredictions, where: string): void {
  const fail = (msg: string): never => {
    throw new PredictionsError(`${where}: ${msg}`);
  };
  const C = p.classNames.length;
  if (C < 2) fail(`classNames has ${C} entries, expected at least 2`);
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(p.task)) fail(`task "${p.task}" is not a task name`);
  for (const split of PREDICTION_SPLITS) {
    const { names, labels } = p.rows[split];
    const n = names.length;
    if (labels.length !== n) fail(`${split}.labels has ${labels.length} rows, ${split}.names ${n}`);
    for (let i = 0; i < n; i++) {
      if (!(labels[i] >= 0 && labels[i] < C)) {
        fail(`${split}.labels row ${i} (${names[i]}) is ${labels[i]}, outside [0, ${C})`);
      }
    }
    for (const protocol of PROTOCOLS) {
      const x = p.logits[protocol][split];
      if (x.length !== n * C) {
        fail(`${protocol}.${split} has ${x.length} values, expected ${n} rows × ${C} classes`);
      }
      for (let i = 0; i < x.length; i++) {
        if (!Number.isFinite(x[i])) {
          const row = Math.floor(i / C);
          fail(`${protocol}.${split} row ${row} (${names[row]}), class ${i % C} is ${x[i]}`);
        }
      }
    }
  }
  for (const protocol of PROTOCOLS) {
    const e = p.epochs[protocol];
    if (!Number.isInteger(e) || e < 1) fail(`epochs.${protocol} is ${e}, expected an epoch ≥ 1`);
  }
}

/** Serialises a cell's predictions (validated first). */
export function encodeCellPredictions(p: CellPredictions): Uint8Array {
  checkPredictions(p, "encodeCellPredictions");
  const C = p.classNames.length;
  const tensors: Record<string, SafeTensor> = {};
  for (const split of PREDICTION_SPLITS) {
    const labels = p.rows[split].labels;
    tensors[`${split}.labels`] = { dtype: "I32", shape: [labels.length], data: labels };
  }
  for (const protocol of PROTOCOLS) {
    for (const split of PREDICTION_SPLITS) {
      const data = p.logits[protocol][split];
      tensors[`${protocol}.${split}`] = { dtype: "F32", shape: [data.length / C, C], data };
    }
  }
  return encodeSafetensors(tensors, {
    format: PREDICTIONS_FORMAT,
    key: p.key,
    variant: p.variant,
    task: p.task,
    seed: String(p.seed),
    classNames: JSON.stringify(p.classNames),
    epochs: JSON.stringify(p.epochs),
    "val.names": JSON.stringify(p.rows.val.names),
    "test.names": JSON.stringify(p.rows.test.names),
  });
}

/** Decodes a predictions file's bytes; `file` names it in errors. */
export function decodeCellPredictions(bytes: Uint8Array, file: string): CellPredictions {
  const fail = (msg: string): never => {
    throw new PredictionsError(`${file}: ${msg}`);
  };
  let decoded;
  try {
    decoded = decodeSafetensors(bytes, file);
  } catch (e) {
    throw new PredictionsError((e as Error).message);
  }
  const { tensors, metadata } = decoded;
  if (metadata.format !== PREDICTIONS_FORMAT) {
    fail(`metadata format is "${metadata.format ?? ""}", expected "${PREDICTIONS_FORMAT}"`);
  }
  const json = <T>(field: string): T => {
    if (metadata[field] === undefined) fail(`metadata field "${field}" is missing`);
    try {
      return JSON.parse(metadata[field]) as T;
    } catch {
      return fail(`metadata field "${field}" is not valid JSON`);
    }
  };
  const tensor = <D extends "F32" | "I32">(name: string, dtype: D) => {
    const t = tensors[name];
    if (!t) fail(`tensor "${name}" is missing`);
    if (t.dtype !== dtype) fail(`tensor "${name}" is ${t.dtype}, expected ${dtype}`);
    return t.data as D extends "F32" ? Float32Array : Int32Array;
  };
  const names = (split: PredictionSplit) => {
    const v = json<unknown>(`${split}.names`);
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
      fail(`metadata field "${split}.names" must be a JSON array of strings`);
    }
    return v as string[];
  };
  const seed = Number(metadata.seed);
  if (!Number.isInteger(seed)) fail(`metadata field "seed" is "${metadata.seed}", not an integer`);
  const p: CellPredictions = {
    key: metadata.key ?? fail(`metadata field "key" is missing`),
    variant: metadata.variant ?? fail(`metadata field "variant" is missing`),
    task: metadata.task ?? fail(`metadata field "task" is missing`),
    seed,
    classNames: json<string[]>("classNames"),
    epochs: json<Record<Protocol, number>>("epochs"),
    rows: {
      val: { names: names("val"), labels: tensor("val.labels", "I32") },
      test: { names: names("test"), labels: tensor("test.labels", "I32") },
    },
    logits: {
      reference: { val: tensor("reference.val", "F32"), test: tensor("reference.test", "F32") },
      clean: { val: tensor("clean.val", "F32"), test: tensor("clean.test", "F32") },
    },
  };
  checkPredictions(p, file);
  return p;
}

/** Writes a cell's predictions atomically to `predictions/<key>.safetensors` in `runDir`. */
export async function writeCellPredictions(runDir: string, p: CellPredictions): Promise<string> {
  await ensureDir(runPath(runDir, "predictions"));
  const path = predictionsPath(runDir, p.key);
  await writeFileAtomic(path, encodeCellPredictions(p));
  return path;
}

/** Reads one predictions file. */
export async function readCellPredictions(path: string): Promise<CellPredictions> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new PredictionsError(`${path}: cannot read predictions (${(e as Error).message})`);
  }
  return decodeCellPredictions(bytes, path);
}

/** Which cells {@linkcode loadRunPredictions} reads. */
export interface PredictionsFilter {
  /** Only this task's cells. */
  readonly task?: string;
  /** Only this variant's cells. */
  readonly variant?: string;
}

/**
 * Reads every predictions file of a run directory (`predictions/*.safetensors`), optionally only
 * one task's or one variant's, sorted by cell key. A run without predictions gives `[]`; a
 * damaged file throws a {@linkcode PredictionsError} naming it, what is wrong and the command
 * that trains its cell again.
 */
export async function loadRunPredictions(
  runDir: string,
  filter: PredictionsFilter = {},
): Promise<CellPredictions[]> {
  const out: CellPredictions[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(runPath(runDir, "predictions"))];
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
  for (const e of entries) {
    if (!e.isFile || !e.name.endsWith(".safetensors")) continue;
    let p: CellPredictions;
    try {
      p = await readCellPredictions(`${runPath(runDir, "predictions")}/${e.name}`);
    } catch (err) {
      if (!(err instanceof PredictionsError)) throw err;
      // The cell that owns the file is incomplete: say what trains it again.
      throw new PredictionsError(
        `${err.message}; the cell is incomplete: to train it again: ${await resumeCommandOf(
          runDir,
        )}`,
      );
    }
    if (filter.task !== undefined && p.task !== filter.task) continue;
    if (filter.variant !== undefined && p.variant !== filter.variant) continue;
    out.push(p);
  }
  return out.sort((a, b) => a.key.localeCompare(b.key));
}

/** Class probabilities (softmax in float64) of one protocol's split, row-major `n × C`. */
export function splitProbabilities(
  p: CellPredictions,
  protocol: Protocol,
  split: PredictionSplit,
): Float64Array {
  return softmax64(p.logits[protocol][split], p.classNames.length);
}

/**
 * Predictions as CSV rows, one per (cell, protocol, split, meme): `variant, task, seed,
 * protocol, epoch, split, meme, true_class, predicted_class`, then `p_<class>` per class. With
 * cells of several tasks the probability columns are the union of class names (empty where a
 * task lacks the class).
 */
export function predictionsCsv(cells: readonly CellPredictions[]): string {
  const classCols: string[] = [];
  for (const c of cells) {
    for (const k of c.classNames) if (!classCols.includes(k)) classCols.push(k);
  }
  const quote = (s: string) => /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  const lines = [
    [
      "variant",
      "task",
      "seed",
      "protocol",
      "epoch",
      "split",
      "meme",
      "true_class",
      "predicted_class",
      ...classCols.map((k) => `p_${k}`),
    ].map(quote).join(","),
  ];
  for (const c of cells) {
    const C = c.classNames.length;
    for (const protocol of PROTOCOLS) {
      for (const split of PREDICTION_SPLITS) {
        const probs = splitProbabilities(c, protocol, split);
        // The predicted class as every metric computes it: argmax of the logits.
        const predicted = argmax(c.logits[protocol][split], C);
        const { names, labels } = c.rows[split];
        for (let i = 0; i < names.length; i++) {
          const row = probs.subarray(i * C, (i + 1) * C);
          const cols = classCols.map((name) => {
            const k = c.classNames.indexOf(name);
            return k < 0 ? "" : String(row[k]);
          });
          lines.push(
            [
              quote(c.variant),
              c.task,
              c.seed,
              protocol,
              c.epochs[protocol],
              split,
              quote(names[i]),
              quote(c.classNames[labels[i]]),
              quote(c.classNames[predicted[i]]),
              ...cols,
            ].join(","),
          );
        }
      }
    }
  }
  return lines.join("\n") + "\n";
}
