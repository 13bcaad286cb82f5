/**
 * Datasets as data: descriptions, the generic loader, the presets and the example descriptions,
 * on the fixtures in tests/fixtures/datasets (a few rows each, tiny generated images).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { UsageError } from "../lib/config/mod.ts";
import {
  DataError,
  type Dataset,
  type DatasetDescription,
  type DatasetDescriptionInput,
  datasetPreset,
  datasetTaskView,
  describeDatasets,
  formatDatasetListings,
  loadDataset,
  type LoadDatasetOptions,
  loadPrideMM,
  parseDatasetDescription,
  PRESET_NAMES,
  readDatasetDescription,
  resolveDatasetDescription,
  SPLITS,
  summary,
  TaskView,
  taskView,
} from "../lib/data/mod.ts";
import { PRIDEMM_TASKS } from "../lib/data/mod.ts";
import { REPO_ROOT } from "../lib/util/mod.ts";
import { runScript } from "../scripts/run_script.ts";

const FIXTURES = join(REPO_ROOT, "tests", "fixtures", "datasets");
const fixture = (...parts: string[]) => join(FIXTURES, ...parts);
const MAMI = join(REPO_ROOT, "docs", "datasets", "mami.json");
const MULTIOFF = join(REPO_ROOT, "docs", "datasets", "multioff.json");
const REAL_CSV = Deno.env.get("MEMESENSE_PRIDEMM_CSV") ??
  join(REPO_ROOT, "..", "shared", "data", "PrideMM.csv");
const realCsvPresent = await Deno.stat(REAL_CSV).then((s) => s.isFile, () => false);
if (!realCsvPresent) {
  console.log(`datasets_test: ${REAL_CSV} is absent: the released-PrideMM comparison is skipped`);
}

const names = (memes: readonly { name: string }[]) => memes.map((m) => m.name);
const labelsOf = (ds: Dataset, task: string) => ds.memes.map((m) => m.labels[task]);

async function rejects(
  promise: Promise<unknown>,
  type: typeof DataError | typeof UsageError,
  message: string,
): Promise<DataError | UsageError> {
  const err = await promise.then(() => assert.fail(`no error; expected: ${message}`), (e) => e);
  assert.ok(err instanceof type, `${err}`);
  assert.equal(err.message, message);
  return err;
}

/** A temporary dataset folder with the given files (relative path → text). */
async function tempDataset(files: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "memesense-datasets-" });
  for (const [path, text] of Object.entries(files)) {
    await Deno.mkdir(join(dir, path, ".."), { recursive: true });
    await Deno.writeTextFile(join(dir, path), text);
  }
  return dir;
}

function describeInline(
  overrides: Partial<DatasetDescriptionInput>,
  file = "inline.json",
): DatasetDescription {
  return parseDatasetDescription({ ...TINY, ...overrides }, file);
}

/** A small JSON-lines description the error tests vary. */
const TINY: DatasetDescriptionInput = {
  name: "tiny",
  format: "jsonl",
  image: { field: "img" },
  text: "text",
  splits: {
    train: { file: "train.jsonl" },
    val: { file: "val.jsonl" },
    test: { file: "test.jsonl" },
  },
  tasks: [{
    name: "harmful",
    field: "label",
    values: { "not harmful": 0, "somewhat harmful": 1, "very harmful": 1 },
    classes: ["not harmful", "harmful"],
  }],
};

const line = (img: string, label?: string, text: string | null = "t") =>
  JSON.stringify({ img, ...(label === undefined ? {} : { label }), text });

// ---------------------------------------------------------------------------------------------
// Presets

Deno.test("the presets: names, tasks, class and prompt names", () => {
  assert.deepEqual(PRESET_NAMES, ["pridemm", "harmeme", "harmeme-p", "fhm", "synthetic"]);
  const pridemm = datasetPreset("pridemm");
  // PrideMM's prompt names are its class names, spelled exactly as MemeCLIP does.
  assert.deepEqual(pridemm.tasks.map((t) => t.name), PRIDEMM_TASKS);
  const reference: Record<string, [string, string[]]> = {
    hate: ["Hate speech detection", ["Benign Meme", "Harmful Meme"]],
    target: [
      "Target identification",
      ["No particular target", "Individual", "Community", "Organization"],
    ],
    stance: ["Stance classification", ["Neutral", "Support", "Oppose"]],
    humour: ["Humour recognition", ["No Humour", "Humour"]],
  };
  for (const task of pridemm.tasks) {
    const [title, classes] = reference[task.name];
    assert.deepEqual(task.classes, classes);
    assert.deepEqual(task.prompts, classes);
    assert.equal(task.title, title);
  }
  // The generated set: PrideMM's layout and tasks under its own name.
  const synthetic = datasetPreset("synthetic");
  assert.equal(synthetic.title, "Synthetic memes");
  assert.deepEqual(synthetic.tasks, pridemm.tasks);
  assert.deepEqual(synthetic.splits, pridemm.splits);
  assert.deepEqual(pridemm.tasks[1].rows, { task: "hate", classes: [1], noun: "hateful meme" });
  const harmeme = datasetPreset("harmeme");
  assert.equal(harmeme.title, "HarMeme (Harm-C)");
  assert.deepEqual(
    harmeme.tasks.map((t) => [t.name, t.classes.length, t.prompts]),
    [
      ["harmful", 2, ["not harmful meme", "harmful meme"]],
      ["harm-level", 3, ["not harmful meme", "somewhat harmful meme", "very harmful meme"]],
      ["target", 4, ["Individual", "Organization", "Community", "Society"]],
    ],
  );
  assert.deepEqual(harmeme.tasks[0].values, {
    "not harmful": 0,
    "somewhat harmful": 1,
    "very harmful": 1,
  });
  assert.equal(datasetPreset("harmeme-p").title, "HarMeme (Harm-P)");
  assert.deepEqual(datasetPreset("fhm").use, {
    train: "train",
    val: "dev_seen",
    test: "test_seen",
  });
  assert.throws(
    () => datasetPreset("hateful"),
    (e: Error) =>
      e instanceof UsageError &&
      e.message ===
        'unknown dataset "hateful": expected pridemm, harmeme, harmeme-p, fhm, synthetic',
  );
});

Deno.test("a validated description reads back as itself (presets and examples)", async () => {
  for (const desc of [...PRESET_NAMES.map(datasetPreset), await readDatasetDescription(MAMI)]) {
    const json = JSON.parse(JSON.stringify(desc));
    assert.deepEqual(parseDatasetDescription(json, "again.json"), desc);
  }
});

Deno.test("pridemm preset: the fixture CSV, exactly as loadPrideMM reads it", async () => {
  const csv = join(REPO_ROOT, "tests", "fixtures", "data", "valid.csv");
  const ds = await loadDataset(datasetPreset("pridemm"), fixture("pridemm"), {
    files: { "PrideMM.csv": csv },
  });
  const old = await loadPrideMM(csv);
  assert.equal(ds.memes.length, 7);
  assert.equal(ds.imageDir, fixture("pridemm", "Images"));
  for (const [i, m] of ds.memes.entries()) {
    const o = old.memes[i];
    assert.deepEqual(
      [m.index, m.line, m.name, m.text, m.split, m.labels],
      [o.index, o.line, o.name, o.text, o.split, {
        hate: o.hate,
        target: o.target,
        stance: o.stance,
        humour: o.humour,
      }],
    );
    assert.equal(m.file, csv);
  }
  assert.deepEqual(labelsOf(ds, "target"), [null, 2, 0, null, 3, null, 1]);
  assert.deepEqual(ds.splits.train, { name: "train", file: csv, memes: 4, labelled: true });
});

Deno.test({
  name: "pridemm preset: the released PrideMM.csv row by row as loadPrideMM and the CSV say",
  ignore: !realCsvPresent,
  async fn() {
    const ds = await loadDataset(datasetPreset("pridemm"), join(REAL_CSV, ".."), {
      files: { "PrideMM.csv": REAL_CSV },
    });
    const old = await loadPrideMM(REAL_CSV);
    // An independent reading of the file: csv-parse alone, no suite code.
    const rows = parse(await Deno.readTextFile(REAL_CSV), { columns: true, bom: true }) as Record<
      string,
      string
    >[];
    assert.equal(ds.memes.length, 5063);
    assert.equal(rows.length, 5063);
    assert.deepEqual(
      SPLITS.map((s) => ds.splits[s].memes),
      [4328, 228, 507],
    );
    for (const [i, m] of ds.memes.entries()) {
      const o = old.memes[i], r = rows[i];
      assert.equal(m.name, o.name);
      assert.equal(m.name, r.name.trim());
      assert.equal(m.line, o.line);
      assert.equal(m.split, o.split);
      assert.equal(m.split, r.split.trim());
      assert.equal(m.text, o.text);
      assert.equal(m.text, r.text === "None" || r.text.trim() === "" ? null : r.text);
      for (const task of PRIDEMM_TASKS) {
        assert.equal(m.labels[task], o[task]);
        assert.equal(m.labels[task], r[task].trim() === "NA" ? null : Number(r[task]));
      }
    }
    // The summary the suite prints is unchanged.
    const s = summary(old.dataset);
    assert.deepEqual(s.memes, { train: 4328, val: 228, test: 507, total: 5063 });
    for (const task of PRIDEMM_TASKS) {
      for (const split of SPLITS) {
        const generic = datasetTaskView(ds, task, split);
        const view: TaskView = taskView(old, task, split);
        assert.deepEqual(names(generic.memes), names(view.memes));
        assert.deepEqual([...generic.labels], [...view.labels]);
      }
    }
    // The released file is recognised by its bytes.
    assert.equal(
      ds.identity.files[0].sha256,
      await crypto.subtle.digest("SHA-256", await Deno.readFile(REAL_CSV)).then((d) =>
        Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("")
      ),
    );
  },
});

Deno.test("harmeme preset: the MMF memes layout, its three tasks and the binarisation", async () => {
  const ds = await loadDataset(datasetPreset("harmeme"), fixture("harmeme"));
  assert.deepEqual(SPLITS.map((s) => ds.splits[s].memes), [6, 2, 3]);
  assert.equal(ds.splits.test.file, fixture("harmeme", "annotations", "test.jsonl"));
  assert.deepEqual(names(ds.memes).slice(0, 3), [
    "covid_memes_1.png",
    "covid_memes_2.png",
    "covid_memes_3.png",
  ]);
  assert.equal(ds.memes[0].image, fixture("harmeme", "images", "covid_memes_1.png"));
  // A blank line in train.jsonl: the next row is on line 6.
  assert.deepEqual(ds.memes.map((m) => m.line), [1, 2, 3, 4, 6, 7, 1, 2, 1, 2, 3]);
  // somewhat and very harmful are both harmful
  assert.deepEqual(labelsOf(ds, "harmful"), [0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1]);
  assert.deepEqual(labelsOf(ds, "harm-level"), [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1]);
  // individual 0, organization 1, community 2, society 3; harmful memes only
  assert.deepEqual(labelsOf(ds, "target"), [null, 0, 3, null, 2, 1, null, 1, 0, null, 3]);
  const target = datasetTaskView(ds, "target", "train");
  assert.deepEqual(names(target.memes), [
    "covid_memes_2.png",
    "covid_memes_3.png",
    "covid_memes_5.png",
    "covid_memes_6.png",
  ]);
  assert.deepEqual([...target.labels], [0, 3, 2, 1]);
  // Text: kept as written (the word "null" too); an empty text is no text.
  assert.equal(ds.memes[0].text, "wash your hands\n");
  assert.equal(ds.memes[3].text, "null");
  assert.equal(ds.memes[9].text, null);
  assert.deepEqual(ds.drops, {
    harmful: { skipped: 0, ignored: 0 },
    "harm-level": { skipped: 0, ignored: 0 },
    target: { skipped: 0, ignored: 0 },
  });
  assert.throws(
    () => datasetTaskView(ds, "hate", "train"),
    (e: Error) =>
      e instanceof UsageError &&
      e.message === 'harmeme has no task "hate" (its tasks: harmful, harm-level, target)',
  );
});

Deno.test("harmeme-p preset: Harm-P in the same layout", async () => {
  const ds = await loadDataset(datasetPreset("harmeme-p"), fixture("harmeme-p"));
  assert.deepEqual(SPLITS.map((s) => ds.splits[s].memes), [3, 2, 2]);
  assert.deepEqual(labelsOf(ds, "harmful"), [0, 1, 1, 0, 1, 1, 0]);
  assert.deepEqual(labelsOf(ds, "target"), [null, 0, 2, null, 1, 3, null]);
  assert.notEqual(
    ds.identity.hash,
    (await loadDataset(datasetPreset("harmeme"), fixture("harmeme"))).identity.hash,
  );
});

Deno.test("fhm preset: the test files as released have no labels and are refused", async () => {
  const fhm = datasetPreset("fhm");
  await rejects(
    loadDataset(fhm, fixture("fhm")),
    DataError,
    `${fixture("fhm", "test_seen.jsonl")}: field "label": no labels (no row has "label"): split ` +
      "test_seen cannot be used as the test split, which needs labels; choose a labelled split " +
      "instead (splits: train, dev_seen, dev_unseen, test_unseen, val_from_train)",
  );
  // Allowed explicitly (as a prediction run would), the split loads without labels.
  const unlabelled = await loadDataset(fhm, fixture("fhm"), { allowUnlabelled: true });
  assert.deepEqual(unlabelled.splits.test, {
    name: "test_seen",
    file: fixture("fhm", "test_seen.jsonl"),
    memes: 3,
    labelled: false,
  });
  assert.deepEqual(
    unlabelled.memes.filter((m) => m.split === "test").map((m) => [m.name, m.labels.hateful]),
    [["img/00050.png", null], ["img/00051.png", null], ["img/00052.png", null]],
  );
  assert.equal(unlabelled.memes[0].image, fixture("fhm", "img", "00010.png"));
  assert.equal(datasetTaskView(unlabelled, "hateful", "test").memes.length, 0);
});

Deno.test("fhm preset: splits are selectable; overlapping dev sets are caught", async () => {
  const fhm = datasetPreset("fhm");
  // dev_unseen shares a meme with dev_seen, as FHM's do: both in one run would leak.
  await rejects(
    loadDataset(fhm, fixture("fhm"), { use: { test: "dev_unseen" } }),
    DataError,
    `${fixture("fhm", "dev_unseen.jsonl")}:1: field "img": duplicate name "img/00031.png" ` +
      `(first on line 2 of ${fixture("fhm", "dev_seen.jsonl")})`,
  );
  await rejects(
    loadDataset(fhm, fixture("fhm"), { use: { test: "dev_seen" } }),
    UsageError,
    'fhm: val and test are both split "dev_seen"',
  );
  await rejects(
    loadDataset(fhm, fixture("fhm"), { use: { test: "test" } }),
    UsageError,
    'fhm: no split "test" for test (its splits: train, dev_seen, dev_unseen, test_seen, ' +
      "test_unseen, val_from_train)",
  );
  // The preset's val_from_train takes 500 memes, more than the fixture has.
  await rejects(
    loadDataset(fhm, fixture("fhm"), { use: { val: "val_from_train", test: "dev_seen" } }),
    DataError,
    `${fixture("fhm", "train.jsonl")}: split val_from_train cannot take 500 of split train's 12 ` +
      "rows (it needs at least one, and leaves at least one)",
  );
  const ds = await loadDataset(fhm, fixture("fhm"), {
    use: { val: "dev_unseen", test: "test_unseen" },
    allowUnlabelled: true,
  });
  assert.deepEqual(SPLITS.map((s) => [ds.splits[s].name, ds.splits[s].memes]), [
    ["train", 12],
    ["dev_unseen", 3],
    ["test_unseen", 2],
  ]);
  // The files in role order: train, then val's, then test's.
  assert.deepEqual(ds.identity.files.map((f) => f.file), [
    "train.jsonl",
    "dev_unseen.jsonl",
    "test_unseen.jsonl",
  ]);
  assert.deepEqual(ds.description.use, { train: "train", val: "dev_unseen", test: "test_unseen" });
  assert.deepEqual([...datasetTaskView(ds, "hateful", "val").labels], [1, 0, 0]);
  assert.deepEqual([...datasetTaskView(ds, "hateful", "train").labels].filter((y) => y).length, 4);
});

// ---------------------------------------------------------------------------------------------
// The example descriptions

Deno.test("docs/datasets/mami.json: a TSV with its own header, val carved from training", async () => {
  const mami = await readDatasetDescription(MAMI);
  assert.equal(mami.quoting, false);
  const ds = await loadDataset(mami, fixture("mami"));
  assert.deepEqual(SPLITS.map((s) => ds.splits[s].memes), [9, 1, 3]);
  // 10 % of 10 rows is 1; 6 not misogynous and 4 misogynous: the one row is not misogynous.
  assert.deepEqual(ds.splits.val.carved, {
    from: "training",
    seed: 0,
    stratify: "misogynous",
    available: 10,
    count: 1,
    strata: [{ label: 0, available: 6, taken: 1 }, { label: 1, available: 4, taken: 0 }],
  });
  const val = ds.memes.filter((m) => m.split === "val");
  assert.equal(val[0].labels.misogynous, 0);
  // Quotes are text in a TSV without quoting.
  assert.equal(ds.memes.find((m) => m.name === "4.jpg")!.text, 'she said "no" and meant it');
  // Each split's images in its own folder.
  assert.equal(ds.memes[0].image, fixture("mami", "TRAINING", "1.jpg"));
  assert.equal(ds.memes.at(-1)!.image, fixture("mami", "test", "15003.jpg"));
  assert.deepEqual(labelsOf(ds, "misogynous").slice(-3), [1, 0, 0]);
  // Test texts without the labels joined in: the test split is refused.
  const dir = await tempDataset({
    "TRAINING/training.csv": await Deno.readTextFile(fixture("mami", "TRAINING", "training.csv")),
    "test/test_labelled.tsv": "file_name\tText Transcription\n15001.jpg\ta test meme\n",
  });
  try {
    await rejects(
      loadDataset(mami, dir),
      DataError,
      `${dir}/test/test_labelled.tsv: field "misogynous": no labels (no column "misogynous"): split test ` +
        "cannot be used as the test split, which needs labels; choose a labelled split instead " +
        "(splits: training, val_from_training)",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("docs/datasets/multioff.json: renamed columns and string labels mapped to classes", async () => {
  const multioff = await readDatasetDescription(MULTIOFF);
  const ds = await loadDataset(multioff, fixture("multioff"));
  assert.deepEqual(SPLITS.map((s) => ds.splits[s].memes), [4, 2, 2]);
  assert.deepEqual(labelsOf(ds, "offensive"), [1, 0, 0, 1, 0, 1, 1, 0]);
  assert.deepEqual(ds.memes.slice(0, 3).map((m) => m.text), [
    "Make memes great again",
    "a debate meme",
    "vote, vote, vote",
  ]);
  assert.equal(ds.memes[0].image, fixture("multioff", "Labelled Images", "trump_1.jpg"));
  assert.deepEqual(ds.tasks[0].prompts, ["not offensive meme", "offensive meme"]);
});

Deno.test("resolveDatasetDescription: a preset name or a description file", async () => {
  assert.equal(await resolveDatasetDescription("fhm"), datasetPreset("fhm"));
  assert.equal(
    (await resolveDatasetDescription("docs/datasets/mami.json", REPO_ROOT)).name,
    "mami",
  );
  await rejects(
    resolveDatasetDescription("mami"),
    UsageError,
    'unknown dataset "mami": expected pridemm, harmeme, harmeme-p, fhm, synthetic or a ' +
      "description file (.json)",
  );
  await rejects(
    resolveDatasetDescription("nowhere.json", "/tmp"),
    DataError,
    "/tmp/nowhere.json: dataset description not found",
  );
});

// ---------------------------------------------------------------------------------------------
// Errors: a description that does not validate

const DESCRIPTION_ERRORS: [string, Record<string, unknown>, string][] = [
  [
    "an unknown top-level field",
    { labels: "x" },
    'field "labels": unknown field (allowed here: name, title, format, encoding, columns, quoting, image, text, splits, use, tasks, about)',
  ],
  [
    "an unknown nested field",
    { image: { field: "img", folder: "x" } },
    'field "image.folder": unknown field (allowed here: field, dir, suffix, folders)',
  ],
  ["a wrong type", { text: 3 }, 'field "text": expected a string, got 3'],
  [
    "an unknown format",
    { format: "xml" },
    'field "format": expected one of csv, tsv, jsonl, json, got "xml"',
  ],
  ["columns on JSON", { columns: ["a"] }, 'field "columns": only for csv and tsv files, not jsonl'],
  [
    "a label mapped to a class the task lacks",
    { tasks: [{ ...TINY.tasks[0], values: { a: 0, b: 2 } }] },
    'field "tasks[0].values.b": expected a class index 0–1, got 2',
  ],
  [
    "a class without raw value",
    { tasks: [{ ...TINY.tasks[0], values: { a: 0 } }] },
    'field "tasks[0].values": no raw value maps to class 1 (harmful)',
  ],
  [
    "prompt names that do not match the classes",
    { tasks: [{ ...TINY.tasks[0], prompts: ["only one"] }] },
    'field "tasks[0].prompts": expected 2 prompt names, one per class',
  ],
  [
    "rows of an unknown task",
    { tasks: [{ ...TINY.tasks[0], rows: { task: "hate", classes: [1] } }] },
    'field "tasks[0].rows.task": "hate" is not an earlier task (earlier: none)',
  ],
  [
    "a carved split from an unknown split",
    {
      splits: { ...TINY.splits, dev: { from: "training", count: 3, seed: 0, stratify: "harmful" } },
    },
    'field "splits.dev.from": unknown split "training" (splits: train, val, test, dev)',
  ],
  [
    "a carved split with both count and fraction",
    {
      splits: {
        ...TINY.splits,
        dev: { from: "train", count: 3, fraction: 0.1, seed: 0, stratify: "harmful" },
      },
    },
    'field "splits.dev": a carved split needs exactly one of count and fraction',
  ],
  [
    "use naming no split",
    { use: { test: "dev" } },
    'field "use.test": no split "dev" for test (splits: train, val, test)',
  ],
  [
    "an annotation path leaving the folder",
    { splits: { ...TINY.splits, test: { file: "../test.jsonl" } } },
    `field "splits.test.file": expected a path relative to the dataset's folder, got "../test.jsonl"`,
  ],
];

for (const [what, overrides, message] of DESCRIPTION_ERRORS) {
  Deno.test(`description error: ${what}`, () => {
    assert.throws(
      () => parseDatasetDescription({ ...TINY, ...overrides }, "my.json"),
      (e: Error) => {
        assert.ok(e instanceof DataError, String(e));
        assert.equal(e.message, `my.json: ${message}`);
        return true;
      },
    );
  });
}

Deno.test("description errors in a file: JSON syntax with its line, and a JSON path", async () => {
  const dir = await tempDataset({
    "broken.json": '{\n  "name": "x",\n  "format": "csv",\n}\n',
    "wrong.json": JSON.stringify({ ...TINY, tasks: [{ ...TINY.tasks[0], classes: "a,b" }] }),
  });
  try {
    const broken = await readDatasetDescription(join(dir, "broken.json")).catch((e) => e);
    assert.ok(broken instanceof DataError);
    assert.equal(broken.line, 4);
    assert.match(broken.message, new RegExp(`^${dir}/broken\\.json:4: not valid JSON: `));
    await rejects(
      readDatasetDescription(join(dir, "wrong.json")),
      DataError,
      `${dir}/wrong.json: field "tasks[0].classes": expected an array, got "a,b"`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// ---------------------------------------------------------------------------------------------
// Errors: data that does not validate

Deno.test("data error: an unmapped label value names file, line, field, value and the mapped values", async () => {
  const dir = await tempDataset({
    "train.jsonl": [line("a.png", "not harmful"), line("b.png", "extremely harmful")].join("\n"),
    "val.jsonl": line("c.png", "very harmful"),
    "test.jsonl": line("d.png", "not harmful"),
  });
  try {
    const err = await rejects(
      loadDataset(describeInline({}), dir),
      DataError,
      `${dir}/train.jsonl:2: field "label": unmapped value "extremely harmful" (the description ` +
        'maps "not harmful", "somewhat harmful", "very harmful")',
    ) as DataError;
    assert.deepEqual([err.file, err.line, err.field], [`${dir}/train.jsonl`, 2, "label"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("data error: MultiOFF with a label spelled otherwise", async () => {
  const multioff = await readDatasetDescription(MULTIOFF);
  const dir = await tempDataset({
    "Split Dataset/Training_meme_dataset.csv":
      "image_name,sentence,label\na.jpg,x,offensive\nb.jpg,y,Non-offensive\n",
    "Split Dataset/Validation_meme_dataset.csv": "image_name,sentence,label\nc.jpg,x,offensive\n",
    "Split Dataset/Testing_meme_dataset.csv": "image_name,sentence,label\nd.jpg,x,offensive\n",
  });
  try {
    await rejects(
      loadDataset(multioff, dir),
      DataError,
      `${dir}/Split Dataset/Training_meme_dataset.csv:3: field "label": unmapped value ` +
        '"Non-offensive" (the description maps "Non-offensiv", "offensive")',
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("data error: a missing annotation file names it and its split", async () => {
  const dir = await tempDataset({
    "annotations/train.jsonl": await Deno.readTextFile(
      fixture("harmeme", "annotations", "train.jsonl"),
    ),
    "annotations/test.jsonl": await Deno.readTextFile(
      fixture("harmeme", "annotations", "test.jsonl"),
    ),
  });
  try {
    await rejects(
      loadDataset(datasetPreset("harmeme"), dir),
      DataError,
      `${dir}/annotations/val.jsonl: annotation file not found (HarMeme (Harm-C)'s split val)`,
    );
    await rejects(
      loadDataset(datasetPreset("pridemm"), dir),
      DataError,
      `${dir}/PrideMM.csv: annotation file not found (PrideMM's splits train, val, test)`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("data errors: targets where there is no harm, harm without target, bad rows", async () => {
  const harmeme = datasetPreset("harmeme");
  const cases: [string, string, string][] = [
    [
      '{"id": "a", "image": "a.png", "labels": ["not harmful", "society"], "text": "x"}',
      'field "labels[1]"',
      'expected no value where harmful = 0 (only harmful memes have a target), got "society"',
    ],
    [
      '{"id": "a", "image": "a.png", "labels": ["very harmful"], "text": "x"}',
      'field "labels[1]"',
      'a harmful meme (harmful = 1) needs a target (one of "individual", "organization", ' +
      '"community", "society"), got nothing',
    ],
    [
      '{"id": "a", "image": "../a.png", "labels": ["not harmful"], "text": "x"}',
      'field "image"',
      'expected an image file name without folders (such as img_1.png), got "../a.png"',
    ],
    [
      '{"id": "a", "image": "a.png", "labels": ["not harmful"]}',
      'field "text"',
      "missing field (the meme's text; write null for a meme without text)",
    ],
    [
      '{"id": "a", "image": "a.png", "labels": ["not harmful"], "text": "x"',
      "",
      "not valid JSON: ",
    ],
    ['["a.png"]', "", "expected a JSON object, got an array"],
  ];
  for (const [row, field, message] of cases) {
    const dir = await tempDataset({
      "annotations/train.jsonl":
        `{"id": "z", "image": "z.png", "labels": ["not harmful"], "text": "ok"}\n${row}\n`,
      "annotations/val.jsonl":
        '{"id": "v", "image": "v.png", "labels": ["not harmful"], "text": "v"}',
      "annotations/test.jsonl":
        '{"id": "t", "image": "t.png", "labels": ["not harmful"], "text": "t"}',
    });
    try {
      const err = await loadDataset(harmeme, dir).then(() => assert.fail(row), (e) => e);
      assert.ok(err instanceof DataError, String(err));
      const where = `${dir}/annotations/train.jsonl:2: ${field === "" ? "" : `${field}: `}`;
      assert.ok(
        err.message.startsWith(where + message),
        `${err.message}\n  expected ${where}${message}`,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});

Deno.test("a task's declared leniency is counted, never silent", async () => {
  const lenient = parseDatasetDescription({
    ...structuredClone(TINY),
    tasks: [
      { ...TINY.tasks[0], missing: [""], ifMissing: "skip" },
      {
        name: "target",
        field: "target",
        values: { individual: 0, society: 1 },
        classes: ["individual", "society"],
        rows: { task: "harmful", classes: [1], noun: "harmful meme" },
        ifMissing: "skip",
        ifOutside: "ignore",
      },
    ],
  }, "lenient.json");
  const row = (img: string, label: string, target?: string) =>
    JSON.stringify({ img, label, ...(target === undefined ? {} : { target }), text: "t" });
  const dir = await tempDataset({
    "train.jsonl": [
      row("a.png", "not harmful", "society"), // outside, labelled: ignored
      row("b.png", "very harmful"), // inside, no target: skipped
      row("c.png", ""), // no level: skipped for harmful, outside for target
      row("d.png", "somewhat harmful", "individual"),
    ].join("\n"),
    "val.jsonl": row("e.png", "not harmful"),
    "test.jsonl": row("f.png", "very harmful", "society"),
  });
  try {
    const ds = await loadDataset(lenient, dir);
    assert.deepEqual(labelsOf(ds, "harmful"), [0, 1, null, 1, 0, 1]);
    assert.deepEqual(labelsOf(ds, "target"), [null, null, null, 0, null, 1]);
    assert.deepEqual(ds.drops, {
      harmful: { skipped: 1, ignored: 0 },
      target: { skipped: 1, ignored: 1 },
    });
    assert.equal(datasetTaskView(ds, "harmful", "train").memes.length, 3);
    const listed = formatDatasetListings(
      await describeDatasets({ descriptions: [lenient], locations: { tiny: { root: dir } } }),
    ).split("\n");
    assert.ok(
      listed.includes("  drops    harmful: 1 rows without a label skipped"),
      listed.join("\n"),
    );
    assert.ok(
      listed.includes(
        "           target: 1 rows without a label skipped, 1 labels outside its rows ignored",
      ),
      listed.join("\n"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a JSON array and a headerless TSV with declared columns", async () => {
  const array = describeInline({
    format: "json",
    splits: {
      train: { file: "all.json", field: "part", value: "tr" },
      val: { file: "all.json", field: "part", value: "va" },
      test: { file: "all.json", field: "part", value: "te" },
    },
  });
  const tsv = describeInline({
    format: "tsv",
    columns: ["img", "label", "text"],
    splits: { train: { file: "train.tsv" }, val: { file: "val.tsv" }, test: { file: "test.tsv" } },
  });
  const dir = await tempDataset({
    "all.json":
      `[\n  {"img": "a.png", "part": "tr", "label": "not harmful", "text": "a"},\n  {\n    "img": "b.png",\n    "part": "te",\n    "label": "very harmful",\n    "text": null\n  },\n  {"img": "c.png", "part": "va", "label": "somewhat harmful", "text": "[c]"}\n]\n`,
    "train.tsv": 'a.png\tnot harmful\tfirst\nb.png\tvery harmful\t"quoted"\n',
    "val.tsv": "c.png\tnot harmful\tx\n",
    "test.tsv": "d.png\tsomewhat harmful\ty\n",
  });
  try {
    const a = await loadDataset(array, dir);
    assert.deepEqual(a.memes.map((m) => [m.name, m.line, m.split, m.text, m.labels.harmful]), [
      ["a.png", 2, "train", "a", 0],
      ["b.png", 3, "test", null, 1],
      ["c.png", 9, "val", "[c]", 1],
    ]);
    const t = await loadDataset(tsv, dir);
    assert.deepEqual(t.memes.map((m) => [m.name, m.line, m.text, m.labels.harmful]), [
      ["a.png", 1, "first", 0],
      ["b.png", 2, '"quoted"', 1],
      ["c.png", 1, "x", 0],
      ["d.png", 1, "y", 1],
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// ---------------------------------------------------------------------------------------------
// Carved splits

function carvedDescription(split: Record<string, unknown>): DatasetDescription {
  return describeInline({
    splits: {
      all: { file: "train.jsonl" },
      val: { from: "all", seed: 0, stratify: "harmful", ...split } as never,
      test: { file: "test.jsonl" },
    },
    use: { train: "all", val: "val", test: "test" },
  });
}

async function carveFixture(): Promise<string> {
  // 100 rows: 30 harmful (every row whose index is ≡ 1 mod 10 … spread out), 70 not.
  const rows = Array.from(
    { length: 100 },
    (_, i) => line(`m${i}.png`, i % 10 < 3 ? "very harmful" : "not harmful"),
  );
  return await tempDataset({
    "train.jsonl": rows.join("\n"),
    "test.jsonl": line("t.png", "not harmful"),
  });
}

Deno.test("a carved split: exact counts, stratified, deterministic under its seed", async () => {
  const dir = await carveFixture();
  try {
    const load = (split: Record<string, unknown>, opts: LoadDatasetOptions = {}) =>
      loadDataset(carvedDescription(split), dir, opts);
    const a = await load({ fraction: 0.2 });
    assert.deepEqual(SPLITS.map((s) => a.splits[s].memes), [80, 20, 1]);
    assert.deepEqual(a.splits.val.carved, {
      from: "all",
      seed: 0,
      stratify: "harmful",
      available: 100,
      count: 20,
      strata: [{ label: 0, available: 70, taken: 14 }, { label: 1, available: 30, taken: 6 }],
    });
    const val = datasetTaskView(a, "harmful", "val");
    assert.deepEqual([...val.labels].filter((y) => y === 1).length, 6);
    // The memes stay in file order, and no meme is in two splits.
    assert.deepEqual(a.memes.map((m) => m.index), a.memes.map((_, i) => i));
    assert.equal(new Set(names(a.memes)).size, 101);
    // The same seed, the same rows; another seed, other rows, same counts.
    const again = await load({ fraction: 0.2 });
    assert.deepEqual(names(datasetTaskView(again, "harmful", "val").memes), names(val.memes));
    assert.equal(again.identity.hash, a.identity.hash);
    const other = await load({ fraction: 0.2, seed: 1 });
    assert.notDeepEqual(names(datasetTaskView(other, "harmful", "val").memes), names(val.memes));
    assert.deepEqual(other.splits.val.carved!.strata.map((s) => s.taken), [14, 6]);
    assert.notEqual(other.identity.hash, a.identity.hash);
    // A count that does not divide evenly: 7 of 100 → 4.9 and 2.1 → 5 and 2 (largest remainder).
    const seven = await load({ count: 7 });
    assert.deepEqual(seven.splits.val.carved!.strata.map((s) => s.taken), [5, 2]);
    assert.deepEqual(SPLITS.map((s) => seven.splits[s].memes), [93, 7, 1]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// ---------------------------------------------------------------------------------------------
// Identity

Deno.test("identity: the description's data-defining part and the files' bytes", async () => {
  const dir = await tempDataset({
    "train.jsonl": line("a.png", "not harmful"),
    "val.jsonl": line("b.png", "very harmful"),
    "test.jsonl": line("c.png", "not harmful"),
  });
  try {
    const base = await loadDataset(describeInline({}), dir);
    assert.match(base.identity.hash, /^[0-9a-f]{64}$/);
    assert.equal(base.identity.files.length, 3);
    assert.equal((await loadDataset(describeInline({}), dir)).identity.hash, base.identity.hash);
    // A title is not data.
    const titled = await loadDataset(describeInline({ title: "Another title" }), dir);
    assert.equal(titled.identity.hash, base.identity.hash);
    // Prompt names are part of the task.
    const prompted = await loadDataset(
      describeInline({ tasks: [{ ...TINY.tasks[0], prompts: ["benign meme", "harmful meme"] }] }),
      dir,
    );
    assert.notEqual(prompted.identity.description, base.identity.description);
    // One byte of one file.
    await Deno.writeTextFile(join(dir, "val.jsonl"), line("b.png", "very harmful") + "\n");
    const edited = await loadDataset(describeInline({}), dir);
    assert.equal(edited.identity.description, base.identity.description);
    assert.notEqual(edited.identity.files[1].sha256, base.identity.files[1].sha256);
    assert.notEqual(edited.identity.hash, base.identity.hash);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// ---------------------------------------------------------------------------------------------
// Listing

Deno.test("describeDatasets lists tasks, split sizes, files, images and what is missing", async () => {
  const descriptions = [
    datasetPreset("harmeme"),
    datasetPreset("fhm"),
    await readDatasetDescription(MULTIOFF),
  ];
  const listings = await describeDatasets({
    descriptions,
    locations: {
      harmeme: { root: fixture("harmeme") },
      fhm: { root: fixture("fhm") },
      multioff: { root: join(FIXTURES, "nowhere") },
    },
  });
  const [harmeme, fhm, multioff] = listings;
  assert.deepEqual(harmeme.missing, []);
  assert.deepEqual(harmeme.images, { present: 11, missing: 0 });
  assert.deepEqual(harmeme.examples!.target, { train: 4, val: 1, test: 2 });
  assert.deepEqual(fhm.files.map((f) => [f.file, f.rows, f.labelled]), [
    ["train.jsonl", 12, true],
    ["dev_seen.jsonl", 3, true],
    ["dev_unseen.jsonl", 3, true],
    ["test_seen.jsonl", 3, false],
    ["test_unseen.jsonl", 2, false],
  ]);
  assert.deepEqual(fhm.missing, [
    "test split test_seen: test_seen.jsonl has no labels (choose another split)",
  ]);
  assert.equal(multioff.missing.length, 3);
  assert.equal(
    multioff.missing[0],
    `train split train: ${FIXTURES}/nowhere/Split Dataset/Training_meme_dataset.csv not found`,
  );
  const text = formatDatasetListings(listings);
  const lines = text.split("\n");
  assert.equal(lines[0], "harmeme: HarMeme (Harm-C)");
  assert.ok(lines.includes("  tasks    harmful (2 classes) — train 6, val 2, test 3"), text);
  assert.ok(
    lines.includes("           target (4 classes, harmful memes only) — train 4, val 1, test 2"),
    text,
  );
  assert.ok(lines.includes("             prompts: not harmful meme | harmful meme"), text);
  assert.ok(lines.includes("  splits   train = train: 6 memes"), text);
  assert.ok(lines.includes("           test_seen.jsonl (test_seen): 3 rows, no labels"), text);
  assert.ok(
    lines.includes(
      "  missing  test split test_seen: test_seen.jsonl has no labels (choose another split)",
    ),
    text,
  );
  assert.ok(lines.includes("  ready"), text);
});

Deno.test("deno task datasets: lists the named datasets; a bad description exits 2", async () => {
  const ok = await runScript("datasets", ["--dataset", "harmeme", "--data", fixture("harmeme")]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^harmeme: HarMeme \(Harm-C\)\n/);
  assert.match(ok.stdout, /\n {2}images {3}11 of 11 found/);
  assert.match(ok.stdout, /\n {2}ready\n$/);
  const json = await runScript("datasets", ["--dataset", "docs/datasets/multioff.json", "--json"]);
  assert.equal(json.code, 0, json.stderr);
  assert.equal(JSON.parse(json.stdout).tasks[0].values["Non-offensiv"], 0);
  const dir = await tempDataset({ "bad.json": JSON.stringify({ ...TINY, extra: 1 }) });
  try {
    const bad = await runScript("datasets", ["--dataset", join(dir, "bad.json")]);
    assert.equal(bad.code, 2);
    assert.equal(
      bad.stderr.trim(),
      `error: ${dir}/bad.json: field "extra": unknown field (allowed here: name, title, format, ` +
        "encoding, columns, quoting, image, text, splits, use, tasks, about)",
    );
    const unknown = await runScript("datasets", ["--dataset", "mami"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^error: unknown dataset "mami"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
