/**
 * Loading a dataset from its {@linkcode DatasetDescription}: the annotation files are read,
 * every row validated (image name, text, split, each task's label), carved splits drawn, and the
 * result carries its identity (a hash of the description and of the files' bytes) so that
 * features and runs can say exactly which data they used.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { isAbsolute, join, resolve } from "node:path";
import { UsageError } from "../config/mod.ts";
import { Rng } from "../util/mod.ts";
import { decodeCsvBytes } from "./_csv.ts";
import { type FieldGetter, fieldGetter, readRecords } from "./_records.ts";
import {
  type CarvedSplit,
  checkUse,
  type DatasetDescription,
  describe,
  type FieldSplit,
  isCarved,
  type Split,
  SPLITS,
  type TaskDescription,
} from "./description.ts";
import { DataError } from "./data_error.ts";
import { normaliseText } from "./meme_text.ts";

/** One meme of a loaded dataset, with where it came from. */
export interface DatasetMeme {
  /** 0-based position in {@linkcode Dataset.memes}. */
  readonly index: number;
  /** The annotation file the row is in (as errors name it). */
  readonly file: string;
  /** 1-based line on which the row starts in that file. */
  readonly line: number;
  /** The image's name relative to the images folder (`img_1.png`, `img/42953.png`); unique. */
  readonly name: string;
  /** The image file's path. */
  readonly image: string;
  /** The meme's text, or `null` when it has none (see {@linkcode normaliseText}). */
  readonly text: string | null;
  /** The split the meme is used in. */
  readonly split: Split;
  /** Class index per task name; `null` where the task does not use the row. */
  readonly labels: Readonly<Record<string, number | null>>;
}

/** How a carved split was drawn: enough to say, and to redo, exactly what a run used. */
export interface CarveRecord {
  /** The split the rows were taken from. */
  readonly from: string;
  /** The seed of the draw. */
  readonly seed: number;
  /** The task whose classes kept their proportions. */
  readonly stratify: string;
  /** Rows of `from` before the draw. */
  readonly available: number;
  /** Rows taken. */
  readonly count: number;
  /** Per stratum (a class of `stratify`, or `null` for rows without its label): rows there, rows taken. */
  readonly strata: readonly {
    readonly label: number | null;
    readonly available: number;
    readonly taken: number;
  }[];
}

/** One of the three splits as loaded. */
export interface DatasetSplit {
  /** The description's split used in this role. */
  readonly name: string;
  /** The annotation file its rows are in. */
  readonly file: string;
  /** Memes in the split. */
  readonly memes: number;
  /** `false` for a file without labels, loaded with `allowUnlabelled` (its labels are `null`). */
  readonly labelled: boolean;
  /** For a carved split: how it was drawn. */
  readonly carved?: CarveRecord;
}

/** What identifies the data a dataset was loaded from. */
export interface DatasetIdentity {
  /** SHA-256 of the normalised description (titles and notes left out; the splits in use in). */
  readonly description: string;
  /** SHA-256 of each annotation file read, by its path in the description. */
  readonly files: readonly { readonly file: string; readonly sha256: string }[];
  /** SHA-256 over both: equal hashes, equal memes, texts, splits and labels. */
  readonly hash: string;
  /**
   * SHA-256 of the data as loaded, whatever the files' names, format or bytes: each task's name,
   * classes, prompt names and rows, and each meme's name, split, labels and text, in order
   * ({@linkcode contentHash}). Equal for a renamed copy; different for one edited row.
   */
  readonly content: string;
}

/** Rows a task did not use because of its `ifMissing: skip` or `ifOutside: ignore`. */
export interface TaskDrops {
  /** Rows the task uses that had no label (`ifMissing: skip`). */
  readonly skipped: number;
  /** Rows outside the task's rows that had a label anyway (`ifOutside: ignore`). */
  readonly ignored: number;
}

/** A loaded, validated dataset. */
export interface Dataset {
  /**
   * The description it was loaded with: its `use` as chosen at load time, its `encoding` the one
   * the files were decoded with.
   */
  readonly description: DatasetDescription;
  /** The dataset's folder. */
  readonly root: string;
  /** The images folder (a split with its own folder has its memes' paths under that one). */
  readonly imageDir: string;
  /** The tasks, in the description's order. */
  readonly tasks: readonly TaskDescription[];
  /** Every meme of the three splits, file by file in file order. */
  readonly memes: readonly DatasetMeme[];
  /** The three splits. */
  readonly splits: Readonly<Record<Split, DatasetSplit>>;
  /** Rows each task left out by its description's choice, counted (never silently). */
  readonly drops: Readonly<Record<string, TaskDrops>>;
  /** Description and file hashes. */
  readonly identity: DatasetIdentity;
}

/** Options of {@linkcode loadDataset}. */
export interface LoadDatasetOptions {
  /** Where an annotation file is, by its path in the description, when not under the root. */
  readonly files?: Readonly<Record<string, string>>;
  /** The images folder; default `<root>/<image.dir>`. */
  readonly imageDir?: string;
  /** The files' text encoding; default the description's. */
  readonly encoding?: string;
  /** Splits for train, val or test other than the description's `use`. */
  readonly use?: Readonly<Partial<Record<Split, string>>>;
  /** Load a split whose file has no labels (its labels are `null`) instead of refusing it. */
  readonly allowUnlabelled?: boolean;
}

/** An annotation file's text, for {@linkcode parseDataset}. */
export interface AnnotationText {
  /** Its path in the description. */
  readonly file: string;
  /** How errors name it (a path, or `archive.zip!inner.csv`). */
  readonly path: string;
  /** The decoded text. */
  readonly text: string;
  /** SHA-256 of its bytes. */
  readonly sha256: string;
}

/**
 * Loads the dataset `desc` describes from `root`. Throws {@linkcode DataError} naming file, line
 * and field for a missing or unreadable annotation file and for any row that does not validate
 * (image name, duplicate, text, split, a label value the description does not map, a label where
 * the task has none, a split file without labels), and `UsageError` for a split choice the
 * description does not have.
 *
 * ```ts ignore
 * import { datasetPreset, loadDataset } from "./mod.ts";
 * const ds = await loadDataset(datasetPreset("harmeme"), "data/harmeme");
 * console.log(ds.splits.test.memes, ds.identity.hash);
 * ```
 */
export async function loadDataset(
  desc: DatasetDescription,
  root: string,
  opts: LoadDatasetOptions = {},
): Promise<Dataset> {
  const absoluteRoot = resolve(root);
  const use = chooseSplits(desc, opts.use);
  const texts: AnnotationText[] = [];
  for (const { file, splits } of filesInUse(desc, use)) {
    const override = opts.files?.[file];
    const path = override === undefined ? join(absoluteRoot, file) : resolve(override);
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(path);
    } catch (e) {
      const why = e instanceof Deno.errors.NotFound
        ? "not found"
        : e instanceof Deno.errors.IsADirectory
        ? "is a folder"
        : (e as Error).message;
      throw new DataError(
        path,
        `annotation file ${why} (${desc.title}'s ${plural("split", splits.length)} ${
          splits.join(", ")
        })`,
      );
    }
    const tabular = desc.format === "csv" || desc.format === "tsv";
    const text = decodeCsvBytes(bytes, path, opts.encoding ?? desc.encoding, {
      delimiter: tabular && desc.columns === undefined
        ? (desc.format === "csv" ? "," : "\t")
        : null,
      hint: 'name its encoding ("encoding" in the dataset description, or --csv-encoding; e.g. ' +
        "windows-1252)",
    });
    texts.push({ file, path, text, sha256: createHash("sha256").update(bytes).digest("hex") });
  }
  return parseDataset(desc, texts, {
    root: absoluteRoot,
    imageDir: opts.imageDir ?? join(absoluteRoot, desc.image.dir),
    use,
    allowUnlabelled: opts.allowUnlabelled,
    encoding: opts.encoding,
  });
}

/** Options of {@linkcode parseDataset}. */
export interface ParseDatasetOptions {
  /** The dataset's folder. */
  readonly root: string;
  /** The images folder. */
  readonly imageDir: string;
  /** Splits for train, val or test other than the description's `use`. */
  readonly use?: Readonly<Partial<Record<Split, string>>>;
  /** See {@linkcode LoadDatasetOptions.allowUnlabelled}. */
  readonly allowUnlabelled?: boolean;
  /** The encoding the texts were decoded with, when not the description's. */
  readonly encoding?: string;
}

/**
 * Validates annotation texts already in memory (see {@linkcode loadDataset}): `texts` holds every
 * file {@linkcode filesInUse} lists.
 */
export function parseDataset(
  desc: DatasetDescription,
  texts: readonly AnnotationText[],
  opts: ParseDatasetOptions,
): Dataset {
  const use = chooseSplits(desc, opts.use);
  const roleOf = new Map<string, Split>(SPLITS.map((role) => [use[role], role]));
  const wanted = new Set<string>();
  for (const role of SPLITS) {
    const source = desc.splits[use[role]];
    wanted.add(isCarved(source) ? source.from : use[role]);
  }
  const drops = Object.fromEntries(desc.tasks.map((t) => [t.name, { skipped: 0, ignored: 0 }]));
  const firstSeen = new Map<string, { path: string; line: number }>();
  const rows: Row[] = [];
  const unlabelled = new Set<string>();
  const fileOfSplit = new Map<string, string>();
  for (const { file, splits } of filesInUse(desc, use)) {
    const source = texts.find((t) => t.file === file);
    if (source === undefined) throw new Error(`parseDataset: no text given for ${file}`);
    for (const s of splits) fileOfSplit.set(s, source.path);
    const fileRows = parseFile(desc, source, {
      wanted,
      firstSeen,
      drops,
      imageDir: (split) => {
        const own = (desc.splits[split] as FieldSplit).images;
        return own === undefined ? opts.imageDir : join(opts.root, own);
      },
      allowUnlabelled: opts.allowUnlabelled === true,
      evaluatedAs: (split) =>
        SPLITS.filter((r) =>
          (isCarved(desc.splits[use[r]]) ? (desc.splits[use[r]] as CarvedSplit).from : use[r]) ===
            split
        ),
    });
    if (fileRows.unlabelled) { for (const s of splits) unlabelled.add(s); }
    rows.push(...fileRows.rows);
  }

  const carves = new Map<string, CarveRecord>();
  for (const role of SPLITS) {
    const source = desc.splits[use[role]];
    if (isCarved(source)) {
      carves.set(use[role], carve(rows, use[role], source, fileOfSplit.get(source.from)!));
    }
  }

  const memes: DatasetMeme[] = [];
  const counts = { train: 0, val: 0, test: 0 };
  for (const row of rows) {
    const role = roleOf.get(row.split);
    if (role === undefined) continue;
    counts[role]++;
    memes.push(Object.freeze({
      index: memes.length,
      file: row.path,
      line: row.line,
      name: row.name,
      image: row.image,
      text: row.text,
      split: role,
      labels: row.labels,
    }));
  }
  const splits = {} as Record<Split, DatasetSplit>;
  for (const role of SPLITS) {
    const name = use[role];
    const source = desc.splits[name];
    const base = isCarved(source) ? source.from : name;
    const carved = carves.get(name);
    splits[role] = Object.freeze({
      name,
      file: fileOfSplit.get(base)!,
      memes: counts[role],
      labelled: !unlabelled.has(base),
      ...(carved === undefined ? {} : { carved }),
    });
  }
  const description: DatasetDescription = Object.freeze({
    ...desc,
    encoding: opts.encoding ?? desc.encoding,
    use: Object.freeze(use),
  });
  const frozenMemes = Object.freeze(memes);
  return Object.freeze({
    description,
    root: opts.root,
    imageDir: opts.imageDir,
    tasks: desc.tasks,
    memes: frozenMemes,
    splits: Object.freeze(splits),
    drops: Object.freeze(drops),
    identity: datasetIdentity(
      description,
      filesInUse(desc, use).map(({ file }) => ({
        file,
        sha256: texts.find((t) => t.file === file)!.sha256,
      })),
      contentHash(desc.tasks, frozenMemes),
    ),
  });
}

/**
 * The annotation files a choice of splits reads, in the order of the first split (train, val,
 * test) that needs each, with the description's splits each one serves.
 */
export function filesInUse(
  desc: DatasetDescription,
  use: Readonly<Record<Split, string>> = desc.use,
): { file: string; splits: string[] }[] {
  const files: { file: string; splits: string[] }[] = [];
  for (const role of SPLITS) {
    const source = desc.splits[use[role]];
    const name = isCarved(source) ? source.from : use[role];
    const file = (desc.splits[name] as FieldSplit).file;
    const entry = files.find((f) => f.file === file);
    if (entry === undefined) files.push({ file, splits: [name] });
    else if (!entry.splits.includes(name)) entry.splits.push(name);
  }
  return files;
}

/**
 * The splits for train, val and test: the description's `use`, with `override`'s choices.
 * Throws `UsageError` for a split the description does not have or one split in two roles.
 */
export function chooseSplits(
  desc: DatasetDescription,
  override: Readonly<Partial<Record<Split, string>>> = {},
): Record<Split, string> {
  const use = { ...desc.use };
  const names = Object.keys(desc.splits);
  for (const role of SPLITS) {
    const chosen = override[role];
    if (chosen === undefined) continue;
    if (!Object.hasOwn(desc.splits, chosen)) {
      throw new UsageError(
        `${desc.name}: no split "${chosen}" for ${role} (its splits: ${names.join(", ")})`,
      );
    }
    use[role] = chosen;
  }
  checkUse(use, (detail) => {
    throw new UsageError(`${desc.name}: ${detail}`);
  });
  return use;
}

/**
 * The identity of a description with its splits chosen, the hashes of its files and the hash of
 * the content they gave ({@linkcode contentHash}).
 */
export function datasetIdentity(
  desc: DatasetDescription,
  files: readonly { file: string; sha256: string }[],
  content: string,
): DatasetIdentity {
  const description = sha256Text(canonicalJson(withoutProse(desc)));
  const hash = sha256Text(canonicalJson({ format: IDENTITY_FORMAT, description, files }));
  return Object.freeze({
    description,
    files: Object.freeze(files.map((f) => Object.freeze({ ...f }))),
    hash,
    content,
  });
}

/** Version of what {@linkcode datasetIdentity} hashes; part of every hash. */
const IDENTITY_FORMAT = "memesense-dataset/1";

/** Version of what {@linkcode contentHash} hashes; part of every content hash. */
const CONTENT_FORMAT = "memesense-content/1";

/**
 * SHA-256 of a dataset's content as loaded: each task's name, classes, prompt names and rows, and
 * each meme's name, split (train, val or test), label per task and text, in dataset order. It
 * does not see file names, formats, column order, quoting or line ends: the same annotations in
 * any file give the same hash, and any edited label, text, name or split another.
 */
export function contentHash(
  tasks: readonly TaskDescription[],
  memes: readonly Pick<DatasetMeme, "name" | "split" | "labels" | "text">[],
): string {
  const hash = createHash("sha256");
  hash.update(canonicalJson({
    format: CONTENT_FORMAT,
    tasks: tasks.map((t) => ({
      name: t.name,
      classes: t.classes,
      prompts: t.prompts,
      rows: t.rows,
    })),
  }));
  for (const m of memes) {
    hash.update("\n");
    hash.update(JSON.stringify([m.name, m.split, tasks.map((t) => m.labels[t.name]), m.text]));
  }
  return hash.digest("hex");
}

/**
 * The description without what does not change the data: titles, notes and the class maps to
 * other datasets' tasks.
 */
function withoutProse(desc: DatasetDescription): unknown {
  const { title: _title, about: _about, ...rest } = desc;
  return {
    ...rest,
    tasks: desc.tasks.map(({ title: _t, about: _a, transfer: _m, ...task }) => task),
  };
}

function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

function sha256Text(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** The examples of `task` in `split`: the memes it uses, in dataset order, with their labels. */
export interface DatasetTaskView {
  /** The memes, in dataset order. */
  readonly memes: DatasetMeme[];
  /** `labels[i]` is the class index of `memes[i]`. */
  readonly labels: Int32Array;
}

/**
 * The task of a description (a loaded dataset's: `ds.description`) named `name`. Throws
 * `UsageError` listing the tasks it has when it has none of that name.
 */
export function datasetTask(desc: DatasetDescription, name: string): TaskDescription {
  const task = desc.tasks.find((t) => t.name === name);
  if (task === undefined) {
    throw new UsageError(
      `${desc.name} has no task "${name}" (its tasks: ${desc.tasks.map((t) => t.name).join(", ")})`,
    );
  }
  return task;
}

/**
 * The memes of `split` that `task` uses (for a task with rows, those rows only) and their labels.
 * Throws `UsageError` for a task the dataset does not have.
 */
export function datasetTaskView(ds: Dataset, task: string, split: Split): DatasetTaskView {
  datasetTask(ds.description, task);
  const memes = ds.memes.filter((m) => m.split === split && m.labels[task] !== null);
  return { memes, labels: Int32Array.from(memes, (m) => m.labels[task] as number) };
}

// ---------------------------------------------------------------------------------------------

interface Row {
  readonly path: string;
  readonly line: number;
  readonly name: string;
  readonly image: string;
  readonly text: string | null;
  split: string;
  readonly labels: Readonly<Record<string, number | null>>;
}

interface FileContext {
  readonly wanted: ReadonlySet<string>;
  readonly firstSeen: Map<string, { path: string; line: number }>;
  readonly drops: Record<string, { skipped: number; ignored: number }>;
  /** The images folder of a split of the description. */
  readonly imageDir: (split: string) => string;
  readonly allowUnlabelled: boolean;
  /** The roles a split of the description serves (directly or carved). */
  readonly evaluatedAs: (split: string) => Split[];
}

/** Parses and validates one annotation file's rows of the wanted splits. */
function parseFile(
  desc: DatasetDescription,
  source: AnnotationText,
  ctx: FileContext,
): { rows: Row[]; unlabelled: boolean } {
  const { path } = source;
  const table = readRecords(source.text, path, desc);
  const tabular = table.columns !== null;
  const fileSplits = Object.entries(desc.splits)
    .filter(([, s]) => !isCarved(s) && s.file === source.file) as [string, FieldSplit][];
  const splitField = "field" in fileSplits[0][1] ? fileSplits[0][1].field : undefined;
  const splitOfValue = new Map(fileSplits.map(([name, s]) => [s.value, name]));

  // Columns first (CSV, TSV): the fields the description reads, in this order.
  const used = [desc.image.field, ...desc.tasks.map((t) => t.field)];
  if (splitField !== undefined) used.push(splitField);
  used.push(desc.text);
  const distinctUsed = [...new Set(used)];
  const getters = new Map<string, FieldGetter | null>(
    distinctUsed.map((f) => [f, fieldGetter(f, table)]),
  );
  const taskGetters = desc.tasks.map((t) => getters.get(t.field)!);
  let unlabelled: boolean;
  if (tabular) {
    unlabelled = taskGetters.every((g) => g === null);
    for (const field of distinctUsed) {
      if (getters.get(field) !== null) continue;
      if (unlabelled && desc.tasks.some((t) => t.field === field)) continue;
      throw new DataError(
        path,
        `missing column (the header must contain ${distinctUsed.join(", ")})`,
        { line: 1, field },
      );
    }
  } else {
    unlabelled = taskGetters.every((g) =>
      table.records.every((r) => {
        const v = g!(r.value);
        return v === undefined || v === null;
      })
    );
  }
  if (table.records.length === 0) {
    throw new DataError(
      path,
      tabular ? "no data rows after the header" : "no JSON objects in the file",
      { line: 1 },
    );
  }
  if (unlabelled) {
    const roles = fileSplits.flatMap(([name]) => ctx.wanted.has(name) ? ctx.evaluatedAs(name) : []);
    if (!ctx.allowUnlabelled && roles.length > 0) {
      const fields = [...new Set(desc.tasks.map((t) => t.field))];
      const others = Object.keys(desc.splits).filter((s) => !fileSplits.some(([n]) => n === s));
      throw new DataError(
        path,
        `no labels (${tabular ? "no column" : "no row has"} ${
          fields.map((f) => `"${f}"`).join(" or ")
        }): split ${fileSplits.map(([n]) => n).join(", ")} cannot be used as the ${
          roles.join(" and ")
        } split, which needs labels` +
          (others.length > 0
            ? `; choose a labelled split instead (splits: ${others.join(", ")})`
            : ""),
        { field: fields[0] },
      );
    }
  }

  const imageGet = getters.get(desc.image.field)!;
  const textGet = getters.get(desc.text)!;
  const splitGet = splitField === undefined ? null : getters.get(splitField)!;
  const width = table.columns?.length ?? 0;
  const imageDirs = new Map(fileSplits.map(([name]) => [name, ctx.imageDir(name)]));
  const rows: Row[] = [];
  for (const record of table.records) {
    const { line, value } = record;
    const at = (field: string) => ({ line, field });
    if (tabular && (value as readonly string[]).length !== width) {
      const n = (value as readonly string[]).length;
      throw new DataError(path, `the row has ${n} fields but the header has ${width}`, {
        line,
        // name the first column without a value, if the row is short
        field: table.columns![n],
      });
    }
    const name = imageName(desc, imageGet(value), path, at(desc.image.field));
    const first = ctx.firstSeen.get(name);
    if (first !== undefined) {
      throw new DataError(
        path,
        `duplicate name "${name}" (first on line ${first.line}${
          first.path === path ? "" : ` of ${first.path}`
        })`,
        at(desc.image.field),
      );
    }
    ctx.firstSeen.set(name, { path, line });

    let split = fileSplits[0][0];
    if (splitGet !== null) {
      const raw = splitGet(value);
      const found = splitOfValue.get(typeof raw === "string" ? raw.trim() : showRaw(raw));
      if (found === undefined) {
        throw new DataError(
          path,
          `unknown split ${describe(raw)} (expected ${[...splitOfValue.keys()].join(", ")})`,
          at(splitField!),
        );
      }
      split = found;
    }
    if (!ctx.wanted.has(split)) continue;
    const imageDir = imageDirs.get(split)!;

    const text = memeText(textGet(value), path, at(desc.text));
    const labels: Record<string, number | null> = {};
    desc.tasks.forEach((task, t) => {
      labels[task.name] = unlabelled
        ? null
        : label(task, taskGetters[t]!(value), labels, path, line, ctx.drops[task.name]);
    });
    rows.push({
      path,
      line,
      name,
      image: join(imageDir, name),
      text,
      split,
      labels: Object.freeze(labels),
    });
  }
  return { rows, unlabelled };
}

function imageName(
  desc: DatasetDescription,
  raw: unknown,
  path: string,
  at: { line: number; field: string },
): string {
  if (raw === undefined || raw === null) {
    throw new DataError(path, "missing image name", at);
  }
  if (typeof raw !== "string" && typeof raw !== "number") {
    throw new DataError(path, `expected an image name, got ${describe(raw)}`, at);
  }
  const base = String(raw).trim();
  const name = base + desc.image.suffix;
  const segments = name.split("/");
  const bad = base === "" || name.includes("\\") || isAbsolute(name) ||
    segments.some((s) => s === "" || s === "." || s === "..") ||
    (!desc.image.folders && segments.length > 1);
  if (bad) {
    throw new DataError(
      path,
      desc.image.folders
        ? `expected an image path inside the images folder (such as img/1.png), got ${
          describe(raw)
        }`
        : `expected an image file name without folders (such as img_1.png), got ${describe(raw)}`,
      at,
    );
  }
  return name;
}

function memeText(
  raw: unknown,
  path: string,
  at: { line: number; field: string },
): string | null {
  if (typeof raw === "string") return normaliseText(raw);
  if (raw === null) return null;
  if (raw === undefined) {
    throw new DataError(
      path,
      "missing field (the meme's text; write null for a meme without text)",
      at,
    );
  }
  if (typeof raw === "number") return String(raw);
  throw new DataError(path, `expected the meme's text, got ${describe(raw)}`, at);
}

/** A raw JSON or CSV value as a label key: text trimmed, numbers and booleans as JSON. */
function showRaw(raw: unknown): string {
  if (typeof raw === "string") return raw.trim();
  return JSON.stringify(raw) ?? "";
}

/** The class index of one row for one task, by the task's rules (see {@linkcode TaskDescription}). */
function label(
  task: TaskDescription,
  raw: unknown,
  labels: Readonly<Record<string, number | null>>,
  path: string,
  line: number,
  drops: { skipped: number; ignored: number },
): number | null {
  const at = { line, field: task.field };
  const missing = raw === undefined || raw === null ||
    (typeof raw === "string" && task.missing.includes(raw.trim()));
  if (task.rows !== undefined) {
    const { rows } = task;
    const parent = labels[rows.task];
    const inside = parent !== null && rows.classes.includes(parent);
    if (!inside) {
      if (missing) return null;
      if (task.ifOutside === "ignore") {
        drops.ignored++;
        return null;
      }
      const shown = task.missing.find((m) => m.trim() !== "") ?? "no value";
      throw new DataError(
        path,
        `expected ${shown} where ${
          condition(task, labels, false)
        } (only ${rows.noun}s have a ${task.name}), got ${describe(raw)}`,
        at,
      );
    }
    if (missing) {
      if (task.ifMissing === "skip") {
        drops.skipped++;
        return null;
      }
      throw new DataError(
        path,
        `${article(rows.noun)} ${rows.noun} (${
          condition(task, labels, true)
        }) needs a ${task.name} ${expectation(task)}, got ${describe(raw)}`,
        at,
      );
    }
  } else if (missing && task.ifMissing === "skip") {
    drops.skipped++;
    return null;
  }
  return classify(task, raw, path, at);
}

function classify(
  task: TaskDescription,
  raw: unknown,
  path: string,
  at: { line: number; field: string },
): number {
  if (task.values === "index") {
    const text = typeof raw === "string"
      ? raw.trim()
      : typeof raw === "number"
      ? String(raw)
      : null;
    if (text === null || !/^[0-9]+$/.test(text) || Number(text) >= task.classes.length) {
      throw new DataError(
        path,
        `expected an integer label ${expectation(task)}, got ${describe(raw)}`,
        at,
      );
    }
    return Number(text);
  }
  const key = raw === undefined || raw === null || typeof raw === "object"
    ? undefined
    : showRaw(raw);
  if (key === undefined || !Object.hasOwn(task.values, key)) {
    throw new DataError(
      path,
      `unmapped value ${describe(raw)} (the description maps ${
        Object.keys(task.values).map((v) => `"${v}"`).join(", ")
      })`,
      at,
    );
  }
  return task.values[key];
}

function expectation(task: TaskDescription): string {
  return task.values === "index"
    ? `0–${task.classes.length - 1}`
    : `(one of ${Object.keys(task.values).map((v) => `"${v}"`).join(", ")})`;
}

/** `hate = 1` (inside the task's rows) or `hate = 0` (outside), by class index. */
function condition(
  task: TaskDescription,
  labels: Readonly<Record<string, number | null>>,
  inside: boolean,
): string {
  const { rows } = task;
  if (rows === undefined) return "";
  if (inside) return `${rows.task} = ${rows.classes.join(" or ")}`;
  const parent = labels[rows.task];
  return parent === null ? `${rows.task} has no label` : `${rows.task} = ${parent}`;
}

function article(noun: string): string {
  return /^[aeiou]/i.test(noun) ? "an" : "a";
}

function plural(word: string, n: number): string {
  return n === 1 ? word : `${word}s`;
}

/**
 * Moves a stratified, seeded draw of `source.from`'s rows into split `name`: per stratum (a
 * class of the stratify task, or no label), rows are shuffled with the seed and the first ones
 * taken; the count is shared out by largest remainder, so every class keeps its proportion to
 * within one row.
 */
function carve(
  rows: Row[],
  name: string,
  source: CarvedSplit,
  file: string,
): CarveRecord {
  const pool = rows.filter((r) => r.split === source.from);
  const available = pool.length;
  const count = source.count ?? Math.round((source.fraction ?? 0) * available);
  if (count < 1 || count >= available) {
    throw new DataError(
      file,
      `split ${name} cannot take ${count} of split ${source.from}'s ${available} rows (it needs ` +
        "at least one, and leaves at least one)",
    );
  }
  const byLabel = new Map<number | null, Row[]>();
  for (const row of pool) {
    const key = row.labels[source.stratify];
    const list = byLabel.get(key) ?? [];
    list.push(row);
    byLabel.set(key, list);
  }
  // Strata in a fixed order: classes ascending, then rows without a label.
  const keys = [...byLabel.keys()].sort((a, b) =>
    a === null ? 1 : b === null ? -1 : (a as number) - (b as number)
  );
  const quotas = keys.map((k) => (count * byLabel.get(k)!.length) / available);
  const taken = quotas.map(Math.floor);
  let left = count - taken.reduce((a, b) => a + b, 0);
  const order = keys.map((_, i) => i).sort((a, b) =>
    (quotas[b] - taken[b]) - (quotas[a] - taken[a]) || a - b
  );
  for (const i of order) {
    if (left === 0) break;
    taken[i]++;
    left--;
  }
  const rng = new Rng(source.seed);
  keys.forEach((k, i) => {
    const stratum = byLabel.get(k)!;
    const perm = rng.permutation(stratum.length);
    for (let j = 0; j < taken[i]; j++) stratum[perm[j]].split = name;
  });
  return Object.freeze({
    from: source.from,
    seed: source.seed,
    stratify: source.stratify,
    available,
    count,
    strata: Object.freeze(
      keys.map((label, i) =>
        Object.freeze({ label, available: byLabel.get(label)!.length, taken: taken[i] })
      ),
    ),
  });
}
