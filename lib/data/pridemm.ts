/**
 * The PrideMM annotations: loading and validating `PrideMM.csv`, splits, per-task views and image
 * paths.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { dirname, join, resolve } from "node:path";
import { imagesBeside } from "../config/mod.ts";
import { parseCsv } from "./_csv.ts";
import { type Dataset, type DatasetMeme, loadDataset, parseDataset } from "./dataset.ts";
import { type Split, SPLITS } from "./description.ts";
import { datasetPreset, type PrideMMTask } from "./presets.ts";

export { type Split, SPLITS };

/** The columns PrideMM.csv must have (in any order; extra columns are ignored). */
export const PRIDEMM_COLUMNS: readonly string[] = Object.freeze([
  "name",
  "hate",
  "target",
  "stance",
  "humour",
  "split",
  "text",
]);

/** One annotated meme (one CSV row). */
export interface Meme {
  /** 0-based position among the CSV's data rows. */
  readonly index: number;
  /** 1-based line of the row in the CSV (the header is line 1). */
  readonly line: number;
  /** Image file name, e.g. `img_1.png`; unique within the dataset. */
  readonly name: string;
  /** The meme's text (OCR), or `null` when it has none; see `normaliseText`. */
  readonly text: string | null;
  /** The split the meme belongs to. */
  readonly split: Split;
  /** 0 = no hate, 1 = hate. */
  readonly hate: number;
  /** Target of hate, 0–3 (undirected, individual, community, organisation); `null` where hate = 0. */
  readonly target: number | null;
  /** 0 = neutral, 1 = support, 2 = oppose. */
  readonly stance: number;
  /** 0 = no humour, 1 = humour. */
  readonly humour: number;
}

/** A loaded, validated PrideMM annotation file. */
export interface PrideMM {
  /** Absolute path of the CSV (or `archive.zip!inner.csv` for a CSV read from an archive). */
  readonly csvPath: string;
  /** Directory holding the meme images. */
  readonly imageDir: string;
  /** Every meme, in CSV order. */
  readonly memes: readonly Meme[];
  /** The same memes as the generic loader gives them (the `pridemm` preset). */
  readonly dataset: Dataset;
}

/** Options for {@linkcode loadPrideMM}. */
export interface LoadOptions {
  /** Directory with the images; default `<directory of the CSV>/Images`. */
  readonly imageDir?: string;
  /**
   * The CSV's text encoding (a WHATWG label); default `utf-8`, decoded strictly: invalid bytes
   * are an error naming line and field.
   */
  readonly encoding?: string;
}

/**
 * Reads and validates a PrideMM CSV: the generic loader with the `pridemm` preset
 * ({@linkcode datasetPreset}), the CSV in place of the preset's `PrideMM.csv`. Throws
 * `DataError` naming file, line and field for bytes that are not text in the expected
 * encoding, an empty file, a missing column, a short row, a label that is not an integer in
 * range, a target inconsistent with hate, an unknown split or a duplicate name.
 */
export async function loadPrideMM(csvPath: string, opts: LoadOptions = {}): Promise<PrideMM> {
  const absolute = resolve(csvPath);
  const dataset = await loadDataset(datasetPreset("pridemm"), dirname(absolute), {
    files: { [PRIDEMM_CSV]: absolute },
    imageDir: opts.imageDir ?? imagesBeside(absolute),
    encoding: opts.encoding,
  });
  return fromDataset(dataset, absolute);
}

/** Validates PrideMM CSV text already in memory (see {@linkcode loadPrideMM}). */
export function parsePrideMM(text: string, csvPath: string, imageDir: string): PrideMM {
  const dataset = parseDataset(datasetPreset("pridemm"), [{
    file: PRIDEMM_CSV,
    path: csvPath,
    text,
    sha256: createHash("sha256").update(text).digest("hex"),
  }], { root: dirname(csvPath), imageDir });
  return fromDataset(dataset, csvPath);
}

/**
 * Whether CSV text has a header with every one of {@linkcode PRIDEMM_COLUMNS} (in any order);
 * false for an empty or malformed CSV. `file` names it in the parser's errors, which are caught.
 */
export function hasPrideMMColumns(text: string, file: string): boolean {
  let header: readonly string[];
  try {
    header = parseCsv(text, file).header;
  } catch {
    return false; // an empty or malformed CSV is simply not PrideMM's annotation file
  }
  return PRIDEMM_COLUMNS.every((c) => header.includes(c));
}

/**
 * The content hash (`DatasetIdentity.content`) of PrideMM's released annotations as MemeCLIP
 * reads them: the `PrideMM.csv` of the authors' release with its own split, loaded with the
 * `pridemm` preset's tasks and prompt names. Only data with this hash is compared with the
 * paper's numbers.
 */
export const PRIDEMM_RELEASE_CONTENT =
  "dd1493b53109a0199b9324fcc196255e34eb8fd820ff59f6f5ab962f4788b56c";

/**
 * Whether a loaded dataset is PrideMM's released annotations with their split, recognised by
 * content ({@linkcode PRIDEMM_RELEASE_CONTENT}) whatever the file is called: a renamed copy is,
 * a copy with one edited row is not.
 */
export function isPrideMMRelease(ds: Dataset): boolean {
  return ds.identity.content === PRIDEMM_RELEASE_CONTENT;
}

/** The preset's name for the annotation file. */
const PRIDEMM_CSV = "PrideMM.csv";

/** PrideMM's memes as the suite's `Meme` records (one field per task). */
function fromDataset(dataset: Dataset, csvPath: string): PrideMM {
  const label = (m: DatasetMeme, task: PrideMMTask) => m.labels[task];
  const memes = dataset.memes.map((m): Meme =>
    Object.freeze({
      index: m.index,
      line: m.line,
      name: m.name,
      text: m.text,
      split: m.split,
      hate: label(m, "hate")!,
      target: label(m, "target"),
      stance: label(m, "stance")!,
      humour: label(m, "humour")!,
    })
  );
  return Object.freeze({
    csvPath,
    imageDir: dataset.imageDir,
    memes: Object.freeze(memes),
    dataset,
  });
}

/** The memes of one split, in CSV order. */
export function memesOfSplit(ds: PrideMM, split: Split): Meme[] {
  return ds.memes.filter((m) => m.split === split);
}

/** The memes of one split that carry a label for `task`, with those labels. */
export interface TaskView {
  /** Memes in CSV order (for `target`: hateful memes only). */
  readonly memes: Meme[];
  /** `labels[i]` is the class index of `memes[i]`. */
  readonly labels: Int32Array;
}

/**
 * The examples of `task` in `split`, as the reference builds them: the split's rows in CSV order,
 * and for `target` only the rows with hate = 1 (the others have no target).
 */
export function taskView(ds: PrideMM, task: PrideMMTask, split: Split): TaskView {
  const memes = memesOfSplit(ds, split).filter((m) => task !== "target" || m.hate === 1);
  return { memes, labels: Int32Array.from(memes, (m) => m[task] as number) };
}

/** The path of a meme's image file. */
export function imagePath(ds: PrideMM, meme: Meme): string {
  return join(ds.imageDir, meme.name);
}
