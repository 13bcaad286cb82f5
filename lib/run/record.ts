/**
 * A run's record: `config.json`, written once when the run directory is created and sealed, holds
 * every setting a later shard, resume, status or `deno task aggregate` needs. {@linkcode RunRecord}
 * is its type, end to end: what is written, what {@linkcode readRunRecord} gives back, and what
 * `listRuns` lists. Fields added by later versions are optional, so older records still read.
 *
 * @module
 */
import { dirname } from "node:path";
import type { BackendName, MemeSenseConfig, Resolved } from "../config/mod.ts";
import {
  type DatasetDescription,
  type DatasetIdentity,
  datasetPreset,
  type Split,
} from "../data/mod.ts";
import type { ClipModelShape } from "../clip/mod.ts";
import { openSealedJson } from "../util/mod.ts";
import type { CellGrid } from "./cells.ts";
import { runPath } from "./run_dir.ts";
import type { Variant } from "./variants.ts";

/**
 * The data a run was trained on, as its record holds it: enough to load exactly the same memes
 * again, and to tell when the files changed since.
 */
export interface RecordedDataset {
  /** The description as named: a preset's name, or the absolute path of its JSON file. */
  readonly ref: string;
  /**
   * The description as loaded, every default filled in (its `use` the splits chosen, its
   * `encoding` the one the files were read with): a description file may change or move later.
   */
  readonly description: DatasetDescription;
  /** `--data` as resolved: the dataset's folder, or (one annotation file, PrideMM) that file. */
  readonly data: string;
  /** The dataset's folder. */
  readonly root: string;
  /** Annotation files not under the folder, by their path in the description. */
  readonly files: Readonly<Record<string, string>>;
  /**
   * The identity of what was read (description and file hashes, content hash); absent in runs
   * recorded before datasets were described, whose `sha256` is their CSV's.
   */
  readonly identity?: DatasetIdentity;
  /** Runs recorded before datasets were described: the PrideMM CSV. */
  readonly csv?: string;
  /** Runs recorded before datasets were described: the CSV's SHA-256. */
  readonly sha256?: string;
}

/**
 * One target of a transfer run: the dataset and task the source task's heads are tested on,
 * how its classes read as the source's, and where its features are.
 */
export interface RecordedTransferTarget {
  /** The target's name in the run (`harmeme-harmful`): its folder under `transfer/`. */
  readonly id: string;
  /** The target's data. */
  readonly dataset: RecordedDataset;
  /** Its images folder. */
  readonly images: string;
  /** The target's task. */
  readonly task: string;
  /** For each class of the target task, the source task's class it is. */
  readonly targetToSource: readonly number[];
  /** Where that map comes from (`--map`, or a description's `transfer` field). */
  readonly classMapFrom: string;
  /** Key of the target's feature store. */
  readonly featureStore: string;
  /** The target's feature store's folder. */
  readonly featureStoreDir: string;
  /** Test memes of the target task. */
  readonly testMemes: number;
  /** Of those, memes left out because their image is missing or unreadable. */
  readonly excludedWithoutImage: number;
  /** A finished within-dataset run on the target, shown beside (given, or found at the start). */
  readonly within?: string;
}

/** What makes a run a transfer run: its cells' heads tested on other datasets' test splits. */
export interface RecordedTransfer {
  /** The targets, in the order given. */
  readonly targets: readonly RecordedTransferTarget[];
}

/** The settings a run directory's `config.json` records. */
export interface RunRecord extends CellGrid {
  /** Run name (the directory suffix). */
  readonly name: string;
  /** The title of the tables and report. */
  readonly title: string;
  /** When the run was created (ISO 8601). */
  readonly createdAt: string;
  /** The code's commit (`abc1234`, `-dirty` with uncommitted changes, or `unknown`). */
  readonly gitCommit: string;
  /** The base config every variant starts from. */
  readonly config: MemeSenseConfig;
  /** Tasks trained (the dataset's task names). */
  readonly tasks: readonly string[];
  /** Seeds of every (variant, task). */
  readonly seeds: readonly number[];
  /** Head variants; the first is the main one. */
  readonly variants: readonly Variant[];
  /** The script that ran it (`reproduce`, `ablate`, `demo`; absent in older runs). */
  readonly script?: string;
  /** The training backend asked for (absent in older runs). */
  readonly backend?: BackendName | "auto";
  /** The CLIP model whose features were trained on. */
  readonly clipModel: string;
  /**
   * Its architecture as its ONNX graphs gave it when the run started; null where it could not
   * be read (absent in runs recorded before it was).
   */
  readonly clipShape?: ClipModelShape | null;
  /** Key of the feature store the cells were trained on. */
  readonly featureStore: string;
  /** The feature store's folder (absent in runs recorded before it was). */
  readonly featureStoreDir?: string;
  /** The cache root the store is in (absent in runs recorded before it was). */
  readonly cache?: string;
  /** The data: its description, where it was read, its identity. */
  readonly dataset: RecordedDataset;
  /** Absolute image directory (null in runs recorded before it was). */
  readonly images: string | null;
  /** Whether the tables compare the main variant with the paper. */
  readonly compareWithPaper: boolean;
  /** Whether zero-shot and linear-probe baselines are run. */
  readonly baselines: boolean;
  /** Whether the main variant's first-seed heads are saved (absent in older runs). */
  readonly saveHeads?: boolean;
  /** Whether `predictions.csv` is written with the tables (absent in older runs). */
  readonly predictionsCsv?: boolean;
  /** Whether the report shows the gallery of confident errors. */
  readonly gallery?: boolean;
  /** Memes per split left out because their image is missing or unreadable. */
  readonly excludedWithoutImage?: Readonly<Record<Split, number>>;
  /** The bootstrap of the report's intervals (absent in runs recorded before it was). */
  readonly bootstrap?: {
    /** Resamples. */
    readonly replicates: number;
    /** Seed of the resampling. */
    readonly seed: number;
  };
  /** For a transfer run, its targets (absent otherwise). */
  readonly transfer?: RecordedTransfer;
  /** The script's flags as given and defaulted (absent for runs started from code). */
  readonly flags?: Readonly<Record<string, unknown>>;
  /**
   * Each setting as it was resolved when the run started: its value and whether it came from a
   * flag, the environment or the default (absent in runs recorded before it was).
   */
  readonly settings?: Readonly<Record<string, Resolved<unknown>>>;
}

/** Thrown when a directory is not a run directory or its record is unusable. */
export class RunRecordError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "RunRecordError";
  }
}

/** The fields a record must hold to be used at all. */
const REQUIRED = ["name", "config", "tasks", "seeds", "variants", "dataset"] as const;

/**
 * Reads `<runDir>/config.json` as written, every field, its seal checked but its fields not:
 * for comparing two runs' settings leaf by leaf. Throws {@linkcode RunRecordError} naming the
 * file when the directory has none or it is damaged. Everything else reads a record with
 * {@linkcode readRunRecord}.
 */
export async function readRecordJson(runDir: string): Promise<Record<string, unknown>> {
  const path = runPath(runDir, "config");
  const lost = "the run's settings are lost with it: restore the file from a copy, or start a " +
    "new run";
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    const cells = await Deno.stat(runPath(runDir, "cells")).then(() => true, () => false);
    throw new RunRecordError(
      cells
        ? `${path} is missing; ${lost}`
        : `${runDir} is not a run directory (no readable config.json)`,
    );
  }
  const opened = await openSealedJson(text);
  if (!opened.value) throw new RunRecordError(`${path} is damaged: ${opened.problem}; ${lost}`);
  return opened.value;
}

/**
 * Reads `<runDir>/config.json` as a {@linkcode RunRecord}: its seal checked, the fields every
 * reader needs present (`title` defaults to the name, `images` to null). Throws
 * {@linkcode RunRecordError} naming the file and what is wrong: not a run directory, missing,
 * damaged, or from a version too old to use.
 */
export async function readRunRecord(runDir: string): Promise<RunRecord> {
  const path = runPath(runDir, "config");
  const record = await readRecordJson(runDir) as unknown as RunRecord;
  for (const field of REQUIRED) {
    if (record[field] === undefined) {
      throw new RunRecordError(`${path}: no "${field}" (a run from an older version?)`);
    }
  }
  return {
    ...record,
    title: record.title ?? record.name,
    images: record.images ?? null,
    dataset: withDescription(record.dataset),
  };
}

/**
 * A run's dataset as recorded; a run recorded before datasets were described named only
 * PrideMM's CSV and its SHA-256: it was the `pridemm` preset with that CSV.
 */
function withDescription(dataset: RecordedDataset): RecordedDataset {
  if (dataset.description !== undefined) return dataset;
  const csv = dataset.csv!;
  return {
    ...dataset,
    ref: "pridemm",
    description: datasetPreset("pridemm"),
    data: csv,
    root: dirname(csv),
    files: { "PrideMM.csv": csv },
  };
}

/**
 * The command that repairs a run: `deno task <script> --resume <run-dir>` (the demo:
 * `deno task demo --resume latest`). The script is the one the run recorded, else the one its
 * name suggests.
 */
export function resumeCommand(
  runDir: string,
  record: { readonly name?: unknown; readonly script?: unknown } = {},
): string {
  const name = typeof record.name === "string" ? record.name : "";
  const script = typeof record.script === "string"
    ? record.script
    : name.startsWith("ablate")
    ? "ablate"
    : name.startsWith("demo")
    ? "demo"
    : "reproduce";
  return script === "demo"
    ? "deno task demo --resume latest"
    : `deno task ${script} --resume ${runDir}`;
}

/**
 * {@linkcode resumeCommand} for a run whose record may itself be damaged: the name and script are
 * read from `config.json` when it parses at all, else the command is the default script's. For
 * the messages about a run's other files, which must name their remedy whatever the record's
 * state.
 */
export async function resumeCommandOf(runDir: string): Promise<string> {
  let record: unknown = null;
  try {
    record = JSON.parse(await Deno.readTextFile(runPath(runDir, "config")));
  } catch { /* the command is still the script's */ }
  return resumeCommand(runDir, typeof record === "object" && record !== null ? record : {});
}
