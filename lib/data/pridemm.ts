/**
 * The PrideMM annotations: loading and validating `PrideMM.csv`, splits, per-task views and image
 * paths.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { imagesBeside, type TaskName, TASKS } from "../config/mod.ts";
import { decodeCsvBytes, parseCsv } from "./_csv.ts";
import { DataError } from "./errors.ts";
import { normaliseText } from "./text.ts";

/** A dataset split, spelled as in PrideMM.csv's `split` column. */
export type Split = "train" | "val" | "test";

/** The three splits in order. */
export const SPLITS: readonly Split[] = Object.freeze(["train", "val", "test"]);

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
  /** The meme's text (OCR), or `null` when it has none; see {@linkcode normaliseText}. */
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
 * Reads and validates a PrideMM CSV. Throws {@linkcode DataError} naming file, line and field for
 * bytes that are not text in the expected encoding, an empty file, a missing column, a short row, a label that is not an integer in range, a target
 * inconsistent with hate, an unknown split or a duplicate name.
 */
export async function loadPrideMM(csvPath: string, opts: LoadOptions = {}): Promise<PrideMM> {
  const absolute = resolve(csvPath);
  const text = decodeCsvBytes(await Deno.readFile(absolute), absolute, opts.encoding);
  return parsePrideMM(text, absolute, opts.imageDir ?? imagesBeside(absolute));
}

/** Validates PrideMM CSV text already in memory (see {@linkcode loadPrideMM}). */
export function parsePrideMM(text: string, csvPath: string, imageDir: string): PrideMM {
  const { header, rows } = parseCsv(text, csvPath);
  for (const column of PRIDEMM_COLUMNS) {
    if (!header.includes(column)) {
      throw new DataError(
        csvPath,
        `missing column (the header must contain ${PRIDEMM_COLUMNS.join(", ")})`,
        { line: 1, field: column },
      );
    }
  }
  if (rows.length === 0) {
    throw new DataError(csvPath, "no data rows after the header", { line: 1 });
  }
  const col = Object.fromEntries(PRIDEMM_COLUMNS.map((c) => [c, header.indexOf(c)]));
  const firstLineOf = new Map<string, number>();
  const memes: Meme[] = rows.map(({ line, fields }, index) => {
    const at = (field: string) => ({ line, field });
    if (fields.length !== header.length) {
      throw new DataError(
        csvPath,
        `the row has ${fields.length} fields but the header has ${header.length}`,
        // name the first column without a value, if the row is short
        { line, field: header[fields.length] },
      );
    }
    const cell = (column: string): string => fields[col[column]];
    const label = (column: string, classes: number): number => {
      const raw = cell(column).trim();
      if (!/^[0-9]+$/.test(raw) || Number(raw) >= classes) {
        throw new DataError(
          csvPath,
          `expected an integer label 0–${classes - 1}, got "${cell(column)}"`,
          at(column),
        );
      }
      return Number(raw);
    };

    const name = cell("name").trim();
    if (name === "" || /[/\\]/.test(name) || name === "." || name === "..") {
      throw new DataError(
        csvPath,
        `expected an image file name such as img_1.png, got "${cell("name")}"`,
        at("name"),
      );
    }
    const first = firstLineOf.get(name);
    if (first !== undefined) {
      throw new DataError(csvPath, `duplicate name "${name}" (first on line ${first})`, at("name"));
    }
    firstLineOf.set(name, line);

    const split = cell("split").trim();
    if (!(SPLITS as readonly string[]).includes(split)) {
      throw new DataError(
        csvPath,
        `unknown split "${cell("split")}" (expected ${SPLITS.join(", ")})`,
        at("split"),
      );
    }

    const hate = label("hate", TASKS.hate.classNames.length);
    // PrideMM annotates the target only for hateful memes; the others hold NA. Enforcing both
    // directions catches shifted columns and half-edited rows early.
    const rawTarget = cell("target").trim();
    let target: number | null = null;
    if (hate === 1) {
      if (rawTarget === "NA" || rawTarget === "") {
        throw new DataError(
          csvPath,
          `a hateful meme (hate = 1) needs a target 0–3, got "${rawTarget}"`,
          at("target"),
        );
      }
      target = label("target", TASKS.target.classNames.length);
    } else if (rawTarget !== "NA" && rawTarget !== "") {
      throw new DataError(
        csvPath,
        `expected NA where hate = 0 (only hateful memes have a target), got "${rawTarget}"`,
        at("target"),
      );
    }

    return Object.freeze({
      index,
      line,
      name,
      text: normaliseText(cell("text")),
      split: split as Split,
      hate,
      target,
      stance: label("stance", TASKS.stance.classNames.length),
      humour: label("humour", TASKS.humour.classNames.length),
    });
  });
  return Object.freeze({ csvPath, imageDir, memes: Object.freeze(memes) });
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
export function taskView(ds: PrideMM, task: TaskName, split: Split): TaskView {
  const memes = memesOfSplit(ds, split).filter((m) => !TASKS[task].hatefulOnly || m.hate === 1);
  return { memes, labels: Int32Array.from(memes, (m) => m[task] as number) };
}

/** The path of a meme's image file. */
export function imagePath(ds: PrideMM, meme: Meme): string {
  return join(ds.imageDir, meme.name);
}
