/**
 * A meme dataset described as data: where its annotations are and in which format, how a row
 * names its image and its text, its splits, and its classification tasks (label field, how raw
 * values map to classes, class and prompt names, which rows a task uses). A description is read
 * from JSON and validated field by field; every mistake is one line naming the file and the JSON
 * path, e.g. `mami.json: field "tasks[0].values": expected "index" or an object …`.
 *
 * @module
 */
import { DataError } from "./data_error.ts";

/** A split as the pipeline uses it: train on one, select on one, test on one. */
export type Split = "train" | "val" | "test";

/** The three splits in order. */
export const SPLITS: readonly Split[] = Object.freeze(["train", "val", "test"]);

/** How the annotation files are written. */
export type AnnotationFormat = "csv" | "tsv" | "jsonl" | "json";

/** The annotation formats: CSV, TSV, JSON lines (one object per line), a JSON array of objects. */
export const ANNOTATION_FORMATS: readonly AnnotationFormat[] = Object.freeze([
  "csv",
  "tsv",
  "jsonl",
  "json",
]);

/** How a row names its image. */
export interface ImageSpec {
  /** The field holding the image's name or path relative to {@linkcode ImageSpec.dir}. */
  readonly field: string;
  /** The images folder, relative to the dataset's root (`""`: the root itself). */
  readonly dir: string;
  /** Appended to the field's value, for rows that name their image by id (`.png`). */
  readonly suffix: string;
  /** Whether the name may contain folders (`img/42953.png`); `false` for a flat folder. */
  readonly folders: boolean;
}

/** A split holding every row of one annotation file. */
export interface FileSplit {
  /** The annotation file, relative to the dataset's root. */
  readonly file: string;
  /** This split's images folder, relative to the root, when not {@linkcode ImageSpec.dir}. */
  readonly images?: string;
}

/** A split holding the rows of a file whose `field` holds `value` (PrideMM's `split` column). */
export interface FieldSplit {
  /** The annotation file, relative to the dataset's root. */
  readonly file: string;
  /** The field naming each row's split. */
  readonly field: string;
  /** The field's value for this split's rows. */
  readonly value: string;
  /** This split's images folder, relative to the root, when not {@linkcode ImageSpec.dir}. */
  readonly images?: string;
}

/**
 * A split carved out of another one, e.g. a val split taken from train: stratified on a task's
 * classes, the same rows for the same seed; the rows leave the split they come from.
 */
export interface CarvedSplit {
  /** The split the rows are taken from (a file or field split). */
  readonly from: string;
  /** How many rows to take: exactly one of `count` and `fraction` is set. */
  readonly count?: number;
  /** The share of `from`'s rows to take, in (0, 1), rounded to the nearest row. */
  readonly fraction?: number;
  /** The seed of the draw. */
  readonly seed: number;
  /** The task whose classes keep their proportions (rows without its label form one stratum). */
  readonly stratify: string;
}

/** Where a split's rows come from. */
export type SplitSource = FileSplit | FieldSplit | CarvedSplit;

/** Which rows a task uses: those whose label for `task` is one of `classes`. */
export interface TaskRows {
  /** An earlier task of the description. */
  readonly task: string;
  /** Class indices of that task. */
  readonly classes: readonly number[];
  /** What one such row is, in the singular, for messages and listings (`hateful meme`). */
  readonly noun: string;
}

/** One classification task of a dataset. */
export interface TaskDescription {
  /** Task name, unique in the dataset (`hate`, `harmful`). */
  readonly name: string;
  /** Human-readable title for tables and figures. */
  readonly title: string;
  /** The field holding the label (JSON formats: `labels[0]`, `a.b` reach inside values). */
  readonly field: string;
  /**
   * How a raw value becomes a class index: `"index"` when the value is the index itself (an
   * integer 0 … classes − 1), else a map from raw value (trimmed; JSON numbers and booleans by
   * their JSON text) to class index. Several raw values may map to one class.
   */
  readonly values: "index" | Readonly<Record<string, number>>;
  /** Class names in label order, as tables show them. */
  readonly classes: readonly string[];
  /**
   * The names the classifier's prompts are built from (`a photo of a {name}.`), in label order;
   * they set the classifier's initialisation. Default: the class names.
   */
  readonly prompts: readonly string[];
  /** Raw values meaning "no label" (besides an absent field and JSON `null`), e.g. `NA`. */
  readonly missing: readonly string[];
  /** Which rows the task uses; absent: every row. */
  readonly rows?: TaskRows;
  /** A row the task uses that has no label: `refuse` (an error, the default) or `skip` it (counted). */
  readonly ifMissing: "refuse" | "skip";
  /** A row outside {@linkcode TaskRows} that has a label: `refuse` (default) or `ignore` it (counted). */
  readonly ifOutside: "refuse" | "ignore";
  /** Free text: where the labels come from, how they were binarised. */
  readonly about?: string;
  /**
   * Which class of another dataset's task each class of this one is, for cross-dataset
   * evaluation: keyed `<dataset>:<task>` (e.g. `pridemm:hate`), one class index of that task per
   * class of this one, in this task's class order. Several classes may name one class there
   * (`[0, 1, 1]`: two harmful levels are both "harmful"). Not part of the data's identity.
   */
  readonly transfer?: Readonly<Record<string, readonly number[]>>;
}

/** A validated dataset description, every default filled in. */
export interface DatasetDescription {
  /** Short name (lower case, digits, `-`, `_`), e.g. `harmeme`. */
  readonly name: string;
  /** Display title, e.g. `HarMeme (Harm-C)`. */
  readonly title: string;
  /** Format of every annotation file. */
  readonly format: AnnotationFormat;
  /** Text encoding of the annotation files (a WHATWG label); default `utf-8`. */
  readonly encoding: string;
  /** CSV/TSV only: the column names of files without a header line; absent: the first line. */
  readonly columns?: readonly string[];
  /** CSV/TSV: whether `"` quotes fields (default: CSV yes, TSV no; always false for JSON). */
  readonly quoting: boolean;
  /** How a row names its image. */
  readonly image: ImageSpec;
  /** The field holding the meme's text; `None`, blank or JSON `null` mean no text. */
  readonly text: string;
  /** The dataset's splits by name. */
  readonly splits: Readonly<Record<string, SplitSource>>;
  /** Which split trains, which selects, which tests (default: the splits named so). */
  readonly use: Readonly<Record<Split, string>>;
  /** The classification tasks, in display order. */
  readonly tasks: readonly TaskDescription[];
  /** Free text: where the dataset comes from, what to know about it. */
  readonly about?: string;
}

/** A description as written in JSON: what {@linkcode DatasetDescription} fills in may be left out. */
export interface DatasetDescriptionInput {
  /** See {@linkcode DatasetDescription.name}. */
  name: string;
  /** See {@linkcode DatasetDescription.title}; default: the name. */
  title?: string;
  /** See {@linkcode DatasetDescription.format}. */
  format: AnnotationFormat;
  /** See {@linkcode DatasetDescription.encoding}. */
  encoding?: string;
  /** See {@linkcode DatasetDescription.columns}. */
  columns?: string[];
  /** See {@linkcode DatasetDescription.quoting}. */
  quoting?: boolean;
  /** See {@linkcode ImageSpec}; `field` is required. */
  image: { field: string; dir?: string; suffix?: string; folders?: boolean };
  /** See {@linkcode DatasetDescription.text}. */
  text: string;
  /** See {@linkcode DatasetDescription.splits}. */
  splits: Record<string, SplitSource>;
  /** See {@linkcode DatasetDescription.use}. */
  use?: Partial<Record<Split, string>>;
  /** See {@linkcode TaskDescription}; `name`, `field`, `values` and `classes` are required. */
  tasks: {
    name: string;
    title?: string;
    field: string;
    values: "index" | Record<string, number>;
    classes: readonly string[];
    prompts?: readonly string[];
    missing?: string[];
    rows?: { task: string; classes: number[]; noun?: string };
    ifMissing?: "refuse" | "skip";
    ifOutside?: "refuse" | "ignore";
    about?: string;
    transfer?: Record<string, number[]>;
  }[];
  /** See {@linkcode DatasetDescription.about}. */
  about?: string;
}

/** Whether a split source carves its rows out of another split. */
export function isCarved(source: SplitSource): source is CarvedSplit {
  return "from" in source;
}

/**
 * Validates a parsed JSON value as a dataset description and fills in its defaults. `file` names
 * the description in errors. Throws {@linkcode DataError} whose `field` is the JSON path at fault
 * (`tasks[1].classes[0]`) for an unknown field, a missing one, a wrong type or an inconsistency
 * (a task mapping to a class it does not have, a split carved from an unknown split, …).
 */
export function parseDatasetDescription(json: unknown, file: string): DatasetDescription {
  const v: Validator = new Validator(file);
  const top = v.object(json, "", [
    "name",
    "title",
    "format",
    "encoding",
    "columns",
    "quoting",
    "image",
    "text",
    "splits",
    "use",
    "tasks",
    "about",
  ]);
  const name = v.string(top.name, "name", { pattern: NAME_PATTERN, what: NAME_WHAT });
  const title = top.title === undefined ? name : v.string(top.title, "title");
  const format = v.choice(top.format, "format", ANNOTATION_FORMATS);
  const encoding = top.encoding === undefined ? "utf-8" : v.string(top.encoding, "encoding");
  try {
    new TextDecoder(encoding);
  } catch {
    v.fail("encoding", `unknown text encoding "${encoding}" (use a WHATWG label such as utf-8)`);
  }
  const tabular = format === "csv" || format === "tsv";
  if (!tabular) {
    // `quoting: false` is what a JSON description's defaults say: it reads back as written.
    if (top.columns !== undefined) v.fail("columns", `only for csv and tsv files, not ${format}`);
    if (top.quoting !== undefined && top.quoting !== false) {
      v.fail("quoting", `only for csv and tsv files, not ${format}`);
    }
  }
  const columns = top.columns === undefined
    ? undefined
    : v.strings(top.columns, "columns", { unique: true });
  const quoting = top.quoting === undefined ? format === "csv" : v.boolean(top.quoting, "quoting");
  if (!tabular && quoting) v.fail("quoting", `only for csv and tsv files, not ${format}`);

  const imageRaw = v.object(top.image, "image", ["field", "dir", "suffix", "folders"]);
  const image: ImageSpec = {
    field: v.field(imageRaw.field, "image.field", format),
    dir: imageRaw.dir === undefined ? "" : v.relativePath(imageRaw.dir, "image.dir", true),
    suffix: imageRaw.suffix === undefined ? "" : v.string(imageRaw.suffix, "image.suffix", {
      pattern: /^[^/\\]*$/,
      what: "a file name ending without / or \\",
    }),
    folders: imageRaw.folders === undefined ? true : v.boolean(imageRaw.folders, "image.folders"),
  };
  const text = v.field(top.text, "text", format);

  const splitsRaw = v.object(top.splits, "splits", null);
  const splitNames = Object.keys(splitsRaw);
  if (splitNames.length === 0) v.fail("splits", "expected at least one split");
  const splits: Record<string, SplitSource> = {};
  for (const splitName of splitNames) {
    const at = `splits.${splitName}`;
    v.string(splitName, at, { pattern: NAME_PATTERN, what: `a split name: ${NAME_WHAT}` });
    const raw = splitsRaw[splitName];
    const keys = v.object(raw, at, [
      "file",
      "field",
      "value",
      "images",
      "from",
      "count",
      "fraction",
      "seed",
      "stratify",
    ]);
    if (keys.from !== undefined) {
      for (const k of ["file", "field", "value", "images"]) {
        if (keys[k] !== undefined) v.fail(`${at}.${k}`, "a carved split (with from) names no file");
      }
      if ((keys.count === undefined) === (keys.fraction === undefined)) {
        v.fail(at, "a carved split needs exactly one of count and fraction");
      }
      splits[splitName] = {
        from: v.string(keys.from, `${at}.from`),
        ...(keys.count === undefined
          ? { fraction: v.number(keys.fraction, `${at}.fraction`, { min: 0, max: 1, open: true }) }
          : { count: v.integer(keys.count, `${at}.count`, 1) }),
        seed: v.integer(keys.seed, `${at}.seed`, 0),
        stratify: v.string(keys.stratify, `${at}.stratify`),
      };
    } else {
      for (const k of ["count", "fraction", "seed", "stratify"]) {
        if (keys[k] !== undefined) v.fail(`${at}.${k}`, "only a carved split (with from) has it");
      }
      const fileName = v.relativePath(keys.file, `${at}.file`, false);
      if ((keys.field === undefined) !== (keys.value === undefined)) {
        v.fail(at, "a split chosen by a field needs both field and value");
      }
      const images = keys.images === undefined
        ? {}
        : { images: v.relativePath(keys.images, `${at}.images`, true) };
      splits[splitName] = keys.field === undefined ? { file: fileName, ...images } : {
        file: fileName,
        field: v.field(keys.field, `${at}.field`, format),
        value: v.string(keys.value, `${at}.value`),
        ...images,
      };
    }
  }
  // A file is either one split's, or shared by splits chosen by the same field and distinct values.
  const byFile = new Map<string, string[]>();
  for (const [splitName, source] of Object.entries(splits)) {
    if (isCarved(source)) continue;
    const list = byFile.get(source.file) ?? [];
    const first = list.length > 0 ? splits[list[0]] as FileSplit | FieldSplit : undefined;
    if (first !== undefined) {
      const at = `splits.${splitName}`;
      if (!("field" in first) || !("field" in source)) {
        v.fail(`${at}.file`, `"${source.file}" is already split ${list[0]}'s whole file`);
      }
      const f = first as FieldSplit, s = source as FieldSplit;
      if (f.field !== s.field) {
        v.fail(`${at}.field`, `"${source.file}" is split by "${f.field}" in split ${list[0]}`);
      }
      const same = list.find((n) => (splits[n] as FieldSplit).value === s.value);
      if (same !== undefined) v.fail(`${at}.value`, `"${s.value}" already selects split ${same}`);
    }
    list.push(splitName);
    byFile.set(source.file, list);
  }

  const tasksRaw = v.array(top.tasks, "tasks");
  if (tasksRaw.length === 0) v.fail("tasks", "expected at least one task");
  const tasks: TaskDescription[] = [];
  tasksRaw.forEach((raw, i) => {
    const at = `tasks[${i}]`;
    const t = v.object(raw, at, [
      "name",
      "title",
      "field",
      "values",
      "classes",
      "prompts",
      "missing",
      "rows",
      "ifMissing",
      "ifOutside",
      "about",
      "transfer",
    ]);
    const taskName = v.string(t.name, `${at}.name`, { pattern: NAME_PATTERN, what: NAME_WHAT });
    if (tasks.some((o) => o.name === taskName)) v.fail(`${at}.name`, `task "${taskName}" twice`);
    const classes = v.strings(t.classes, `${at}.classes`, { unique: true, nonEmpty: true });
    if (classes.length < 2) v.fail(`${at}.classes`, "expected at least 2 classes");
    const prompts = t.prompts === undefined
      ? classes
      : v.strings(t.prompts, `${at}.prompts`, { unique: true, nonEmpty: true });
    if (prompts.length !== classes.length) {
      v.fail(`${at}.prompts`, `expected ${classes.length} prompt names, one per class`);
    }
    let values: TaskDescription["values"];
    if (t.values === "index") {
      values = "index";
    } else {
      const map = v.object(t.values, `${at}.values`, null, 'either "index" or an object');
      const entries = Object.entries(map);
      if (entries.length === 0) v.fail(`${at}.values`, "expected at least one raw value");
      const trimmed = new Set<string>();
      for (const [rawValue, c] of entries) {
        const key = `${at}.values.${rawValue}`;
        if (rawValue.trim() !== rawValue || rawValue === "") {
          v.fail(key, "raw values are compared trimmed: write them without surrounding spaces");
        }
        if (trimmed.has(rawValue)) v.fail(key, "mapped twice");
        trimmed.add(rawValue);
        v.integer(c, key, 0, classes.length - 1, `a class index 0–${classes.length - 1}`);
      }
      const mapped = new Set(entries.map(([, c]) => c));
      classes.forEach((cls, c) => {
        if (!mapped.has(c)) v.fail(`${at}.values`, `no raw value maps to class ${c} (${cls})`);
      });
      values = Object.freeze(Object.fromEntries(entries)) as Record<string, number>;
    }
    const missing = t.missing === undefined ? [] : v.strings(t.missing, `${at}.missing`, {
      unique: true,
    });
    if (typeof values === "object") {
      for (const m of missing) {
        if (Object.hasOwn(values, m.trim())) {
          v.fail(`${at}.missing`, `"${m}" is also a mapped value`);
        }
      }
    }
    let rows: TaskRows | undefined;
    if (t.rows !== undefined) {
      const r = v.object(t.rows, `${at}.rows`, ["task", "classes", "noun"]);
      const parentName = v.string(r.task, `${at}.rows.task`);
      const parent = tasks.find((o) => o.name === parentName);
      if (parent === undefined) {
        v.fail(
          `${at}.rows.task`,
          `"${parentName}" is not an earlier task (earlier: ${
            tasks.map((o) => o.name).join(", ") || "none"
          })`,
        );
      }
      const rowClasses = v.array(r.classes, `${at}.rows.classes`).map((c, k) =>
        v.integer(c, `${at}.rows.classes[${k}]`, 0, parent.classes.length - 1)
      );
      if (rowClasses.length === 0 || rowClasses.length >= parent.classes.length) {
        v.fail(
          `${at}.rows.classes`,
          `expected 1 to ${parent.classes.length - 1} of ${parentName}'s classes`,
        );
      }
      rows = Object.freeze({
        task: parentName,
        classes: Object.freeze([...new Set(rowClasses)].sort((a, b) => a - b)),
        noun: r.noun === undefined ? "row" : v.string(r.noun, `${at}.rows.noun`),
      });
    }
    // The default, `refuse`, reads back as written on any task.
    if (t.ifOutside !== undefined && t.ifOutside !== "refuse" && rows === undefined) {
      v.fail(`${at}.ifOutside`, "only a task with rows has rows outside them");
    }
    let transfer: Record<string, readonly number[]> | undefined;
    if (t.transfer !== undefined) {
      transfer = {};
      for (const [other, raw] of Object.entries(v.object(t.transfer, `${at}.transfer`, null))) {
        const key = `${at}.transfer.${other}`;
        v.string(other, key, { pattern: TASK_REF_PATTERN, what: "a task of a dataset: name:task" });
        const list = v.array(raw, key).map((c, k) => v.integer(c, `${key}[${k}]`, 0));
        if (list.length !== classes.length) {
          v.fail(key, `expected ${classes.length} class indices, one per class of ${taskName}`);
        }
        transfer[other] = Object.freeze(list);
      }
    }
    tasks.push(Object.freeze({
      name: taskName,
      title: t.title === undefined ? taskName : v.string(t.title, `${at}.title`),
      field: v.field(t.field, `${at}.field`, format),
      values,
      classes,
      prompts,
      missing,
      ...(rows === undefined ? {} : { rows }),
      ifMissing: t.ifMissing === undefined
        ? "refuse"
        : v.choice(t.ifMissing, `${at}.ifMissing`, ["refuse", "skip"] as const),
      ifOutside: t.ifOutside === undefined
        ? "refuse"
        : v.choice(t.ifOutside, `${at}.ifOutside`, ["refuse", "ignore"] as const),
      ...(t.about === undefined ? {} : { about: v.string(t.about, `${at}.about`) }),
      ...(transfer === undefined ? {} : { transfer: Object.freeze(transfer) }),
    }));
  });

  for (const [splitName, source] of Object.entries(splits)) {
    if (!isCarved(source)) continue;
    const at = `splits.${splitName}`;
    const from = splits[source.from];
    if (from === undefined || source.from === splitName) {
      v.fail(`${at}.from`, `unknown split "${source.from}" (splits: ${splitNames.join(", ")})`);
    }
    if (isCarved(from)) v.fail(`${at}.from`, `"${source.from}" is itself carved`);
    if (!tasks.some((t) => t.name === source.stratify)) {
      v.fail(
        `${at}.stratify`,
        `unknown task "${source.stratify}" (tasks: ${tasks.map((t) => t.name).join(", ")})`,
      );
    }
  }

  const useRaw = top.use === undefined ? {} : v.object(top.use, "use", SPLITS);
  const use = {} as Record<Split, string>;
  for (const role of SPLITS) {
    const chosen = useRaw[role] === undefined ? role : v.string(useRaw[role], `use.${role}`);
    if (!Object.hasOwn(splits, chosen)) {
      v.fail(
        useRaw[role] === undefined ? "use" : `use.${role}`,
        `no split "${chosen}" for ${role} (splits: ${splitNames.join(", ")})`,
      );
    }
    use[role] = chosen;
  }
  checkUse(use, (detail) => v.fail("use", detail));

  return deepFreeze({
    name,
    title,
    format,
    encoding,
    ...(columns === undefined ? {} : { columns }),
    quoting,
    image,
    text,
    splits,
    use,
    tasks,
    ...(top.about === undefined ? {} : { about: v.string(top.about, "about") }),
  });
}

/**
 * Checks a choice of splits for train, val and test: three different splits. `fail` reports.
 */
export function checkUse(
  use: Readonly<Record<Split, string>>,
  fail: (detail: string) => never,
): void {
  for (const [i, a] of SPLITS.entries()) {
    for (const b of SPLITS.slice(i + 1)) {
      if (use[a] === use[b]) fail(`${a} and ${b} are both split "${use[a]}"`);
    }
  }
}

/**
 * Reads and validates a description file (JSON). Throws {@linkcode DataError} for a missing
 * file, JSON that does not parse (with its line) or a description that does not validate.
 */
export async function readDatasetDescription(path: string): Promise<DatasetDescription> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new DataError(path, "dataset description not found");
    }
    throw new DataError(path, `cannot read the dataset description: ${(e as Error).message}`);
  }
  return parseDatasetDescription(parseJsonText(text, path), path);
}

/** `JSON.parse` whose syntax errors are {@linkcode DataError}s with the line of the fault. */
export function parseJsonText(text: string, file: string, firstLine = 1): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message;
    const position = /position (\d+)/.exec(message);
    const line = position === null
      ? undefined
      : firstLine + countNewlines(text, Number(position[1]));
    throw new DataError(
      file,
      `not valid JSON: ${message.replace(/ \(line \d+ column \d+\)$/, "")}`,
      {
        line,
      },
    );
  }
}

function countNewlines(text: string, end: number): number {
  let n = 0;
  for (let i = 0; i < end && i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

const NAME_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;
const NAME_WHAT = "lower-case letters, digits, - and _ (e.g. harmeme-p)";
/** A task of a dataset, `<dataset>:<task>`, as a transfer map names it. */
const TASK_REF_PATTERN = /^[a-z0-9][a-z0-9_-]*:[a-z0-9][a-z0-9_-]*$/;

/** JSON-format field references: a key, then `[n]` or `.key` steps. */
const JSON_FIELD = /^[^[\].]+(\[\d+\]|\.[^[\].]+)*$/;

/** The path steps of a JSON-format field reference (`labels[1]` → `["labels", 1]`). */
export function fieldSteps(field: string): (string | number)[] {
  const steps: (string | number)[] = [];
  for (const m of field.matchAll(/\[(\d+)\]|\.?([^[\].]+)/g)) {
    steps.push(m[1] !== undefined ? Number(m[1]) : m[2]);
  }
  return steps;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** Field-by-field checks that fail with the description file and the JSON path. */
class Validator {
  constructor(readonly file: string) {}

  fail(path: string, detail: string): never {
    throw new DataError(this.file, detail, path === "" ? {} : { field: path });
  }

  object(
    value: unknown,
    path: string,
    allowed: readonly string[] | null,
    what = "an object",
  ): Record<string, unknown> {
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      this.fail(path, `expected ${what}, got ${describe(value)}`);
    }
    const record = value as Record<string, unknown>;
    if (allowed !== null) {
      for (const key of Object.keys(record)) {
        if (!allowed.includes(key)) {
          this.fail(
            path === "" ? key : `${path}.${key}`,
            `unknown field (allowed here: ${allowed.join(", ")})`,
          );
        }
      }
    }
    return record;
  }

  array(value: unknown, path: string): unknown[] {
    if (!Array.isArray(value)) this.fail(path, `expected an array, got ${describe(value)}`);
    return value;
  }

  string(
    value: unknown,
    path: string,
    opts: { pattern?: RegExp; what?: string } = {},
  ): string {
    if (typeof value !== "string") this.fail(path, `expected a string, got ${describe(value)}`);
    if (opts.pattern !== undefined && !opts.pattern.test(value)) {
      this.fail(path, `expected ${opts.what ?? `text matching ${opts.pattern}`}, got "${value}"`);
    }
    return value;
  }

  strings(
    value: unknown,
    path: string,
    opts: { unique?: boolean; nonEmpty?: boolean } = {},
  ): readonly string[] {
    const list = this.array(value, path).map((s, i) => {
      const text = this.string(s, `${path}[${i}]`);
      if (opts.nonEmpty && text.trim() === "") {
        this.fail(`${path}[${i}]`, "expected a non-blank name");
      }
      return text;
    });
    if (opts.unique) {
      list.forEach((s, i) => {
        if (list.indexOf(s) !== i) this.fail(`${path}[${i}]`, `"${s}" appears twice`);
      });
    }
    return Object.freeze(list);
  }

  boolean(value: unknown, path: string): boolean {
    if (typeof value !== "boolean") {
      this.fail(path, `expected true or false, got ${describe(value)}`);
    }
    return value;
  }

  number(
    value: unknown,
    path: string,
    range: { min: number; max: number; open: boolean },
  ): number {
    if (
      typeof value !== "number" || !Number.isFinite(value) ||
      (range.open
        ? value <= range.min || value >= range.max
        : value < range.min || value > range.max)
    ) {
      const [lo, hi] = range.open ? ["(", ")"] : ["[", "]"];
      this.fail(
        path,
        `expected a number in ${lo}${range.min}, ${range.max}${hi}, got ${describe(value)}`,
      );
    }
    return value;
  }

  integer(value: unknown, path: string, min: number, max = Infinity, what?: string): number {
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
      this.fail(
        path,
        `expected ${
          what ?? (max === Infinity ? `an integer ≥ ${min}` : `an integer ${min}–${max}`)
        }, got ${describe(value)}`,
      );
    }
    return value;
  }

  choice<C extends string>(value: unknown, path: string, choices: readonly C[]): C {
    if (typeof value !== "string" || !(choices as readonly string[]).includes(value)) {
      this.fail(path, `expected one of ${choices.join(", ")}, got ${describe(value)}`);
    }
    return value as C;
  }

  field(value: unknown, path: string, format: AnnotationFormat): string {
    const name = this.string(value, path);
    if (name.trim() === "") this.fail(path, "expected a field name, got a blank one");
    if ((format === "jsonl" || format === "json") && !JSON_FIELD.test(name)) {
      this.fail(path, `expected a field such as text, labels[0] or meta.label, got "${name}"`);
    }
    return name;
  }

  relativePath(value: unknown, path: string, allowEmpty: boolean): string {
    const p = this.string(value, path);
    if (
      (p === "" && !allowEmpty) || p.startsWith("/") || p.includes("\\") ||
      p.split("/").some((s) => s === ".." || (s === "" && p !== ""))
    ) {
      this.fail(path, `expected a path relative to the dataset's folder, got "${p}"`);
    }
    return p;
  }
}

/** A JSON value as messages show it: strings quoted, others as JSON. */
export function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "string") return `"${value}"`;
  return JSON.stringify(value) ?? String(value);
}
