import assert from "node:assert/strict";
import { join } from "node:path";
import { pridemmCsvSetting } from "../lib/config/mod.ts";
import {
  DataError,
  formatSummary,
  imagePath,
  loadPrideMM,
  SPLITS,
  summary,
  taskView,
  textForClip,
} from "../lib/data/mod.ts";
import {
  checkImages,
  describeImageCheck,
  missingImagesReport,
  withImages,
  writeMissingImagesReport,
} from "../lib/data/_images.ts";
import { memesOfSplit, parsePrideMM } from "../lib/data/pridemm.ts";
import { normaliseText } from "../lib/data/meme_text.ts";
import { REPO_ROOT } from "../lib/util/mod.ts";

const FIXTURES = join(REPO_ROOT, "tests", "fixtures", "data");
const fixture = (name: string) => join(FIXTURES, name);
const REAL_CSV = pridemmCsvSetting().value ?? "PrideMM.csv (none found)";
const realCsvPresent = await Deno.stat(REAL_CSV).then((s) => s.isFile, () => false);
if (!realCsvPresent) {
  console.log(`data_test: ${REAL_CSV} is absent: the PrideMM count tests are skipped`);
}

Deno.test("the valid fixture loads with CSV-order memes, start lines and normalised text", async () => {
  const ds = await loadPrideMM(fixture("valid.csv"));
  assert.equal(ds.csvPath, fixture("valid.csv"));
  assert.equal(ds.imageDir, join(FIXTURES, "Images"));
  assert.deepEqual(ds.memes.map((m) => m.name), [1, 2, 3, 4, 5, 6, 7].map((i) => `img_${i}.png`));
  assert.deepEqual(ds.memes.map((m) => m.index), [0, 1, 2, 3, 4, 5, 6]);
  // img_5's quoted text spans lines 6–7 and a blank line follows, so img_6 starts on line 9.
  assert.deepEqual(ds.memes.map((m) => m.line), [2, 3, 4, 5, 6, 9, 10]);
  assert.deepEqual(ds.memes[1], {
    index: 1,
    line: 3,
    name: "img_2.png",
    text: null, // "None"
    split: "train",
    hate: 1,
    target: 2,
    stance: 2,
    humour: 0,
  });
  assert.deepEqual(ds.memes.map((m) => m.text), [
    "plain text",
    null,
    "quoted, with comma",
    null, // empty cell
    "two\nlines",
    "none", // only the exact "None" means "no text", as in the reference
    "  padded text  ",
  ]);
  assert.deepEqual(ds.memes.map((m) => m.target), [null, 2, 0, null, 3, null, 1]);
  assert.ok(Object.isFrozen(ds.memes) && Object.isFrozen(ds.memes[0]));
});

Deno.test("splits, task views and image paths", async () => {
  const ds = await loadPrideMM(fixture("valid.csv"), { imageDir: "/images" });
  assert.deepEqual(SPLITS, ["train", "val", "test"]);
  assert.deepEqual(memesOfSplit(ds, "train").map((m) => m.name), [
    "img_1.png",
    "img_2.png",
    "img_6.png",
    "img_7.png",
  ]);
  assert.deepEqual(memesOfSplit(ds, "val").map((m) => m.name), ["img_3.png"]);
  const hate = taskView(ds, "hate", "train");
  assert.deepEqual([...hate.labels], [0, 1, 0, 1]);
  assert.ok(hate.labels instanceof Int32Array);
  // target: hateful memes only (img_1 and img_6 are not hateful)
  const target = taskView(ds, "target", "train");
  assert.deepEqual(target.memes.map((m) => m.name), ["img_2.png", "img_7.png"]);
  assert.deepEqual([...target.labels], [2, 1]);
  assert.deepEqual([...taskView(ds, "target", "test").labels], [3]);
  assert.deepEqual([...taskView(ds, "stance", "test").labels], [1, 2]);
  assert.deepEqual([...taskView(ds, "humour", "val").labels], [1]);
  assert.equal(imagePath(ds, ds.memes[2]), "/images/img_3.png");
});

Deno.test("CRLF line ends, a byte-order mark, reordered and extra columns are accepted", () => {
  const text = "\uFEFFsplit,text,extra,name,humour,stance,target,hate\r\n" +
    "val,hello,x,a.png,1,2,NA,0\r\n" +
    "test,None,y,b.png,0,0,3,1\r\n";
  const ds = parsePrideMM(text, "inline.csv", "/img");
  assert.deepEqual(ds.memes.map((m) => [m.name, m.split, m.hate, m.target, m.stance, m.humour]), [
    ["a.png", "val", 0, null, 2, 1],
    ["b.png", "test", 1, 3, 0, 0],
  ]);
  assert.deepEqual(ds.memes.map((m) => [m.text, m.line]), [["hello", 2], [null, 3]]);
});

Deno.test("normaliseText follows the reference: None and blank mean no text", () => {
  assert.equal(normaliseText("None"), null);
  assert.equal(normaliseText(""), null);
  assert.equal(normaliseText("  \t"), null);
  assert.equal(normaliseText("none"), "none");
  assert.equal(normaliseText("NaN"), "NaN");
  assert.equal(normaliseText(" trans rights "), " trans rights ");
  // the reference tokenises the word "null" for a meme without text
  assert.equal(textForClip(null), "null");
  assert.equal(textForClip("gay"), "gay");
});

const BAD_INPUTS: [
  file: string,
  line: number | undefined,
  field: string | undefined,
  detail: RegExp,
][] = [
  ["empty.csv", 1, undefined, /the file is empty/],
  ["header_only.csv", 1, undefined, /no data rows/],
  ["missing_column.csv", 1, "humour", /missing column/],
  ["duplicate_column.csv", 1, "hate", /column appears twice/],
  ["short_row.csv", 3, "humour", /the row has 4 fields but the header has 7/],
  ["long_row.csv", 2, undefined, /the row has 8 fields but the header has 7/],
  ["non_integer_label.csv", 3, "hate", /expected an integer label 0–1, got "yes"/],
  ["fractional_label.csv", 2, "humour", /expected an integer label 0–1, got "1.0"/],
  ["out_of_range_label.csv", 4, "stance", /expected an integer label 0–2, got "3"/],
  ["target_out_of_range.csv", 2, "target", /expected an integer label 0–3, got "4"/],
  ["target_missing_on_hateful.csv", 2, "target", /hateful meme \(hate = 1\) needs a target/],
  ["target_on_benign.csv", 2, "target", /expected NA where hate = 0/],
  ["unknown_split.csv", 3, "split", /unknown split "dev" \(expected train, val, test\)/],
  ["duplicate_name.csv", 4, "name", /duplicate name "img_1.png" \(first on line 2\)/],
  ["bad_name.csv", 2, "name", /expected an image file name/],
  ["unclosed_quote.csv", 3, undefined, /malformed CSV: Quote Not Closed/],
];

for (const [file, line, field, detail] of BAD_INPUTS) {
  Deno.test(`bad input: ${file} → DataError at line ${line}, field ${field ?? "-"}`, async () => {
    const path = fixture(file);
    const err = await loadPrideMM(path).then(
      () => assert.fail(`${file} loaded without error`),
      (e) => e,
    );
    assert.ok(err instanceof DataError, `${file}: ${err}`);
    assert.equal(err.file, path);
    assert.equal(err.line, line);
    assert.equal(err.field, field);
    assert.match(err.detail, detail);
    const where = field === undefined ? `${path}:${line}: ` : `${path}:${line}: field "${field}": `;
    assert.ok(err.message.startsWith(where), err.message);
  });
}

Deno.test("missing images are counted, listed in a report and never dropped silently", async () => {
  const dir = await Deno.makeTempDir({ prefix: "memesense-data-" });
  try {
    await Deno.mkdir(join(dir, "Images"));
    await Deno.copyFile(fixture("valid.csv"), join(dir, "PrideMM.csv"));
    for (const n of [1, 3, 4, 7]) {
      await Deno.writeTextFile(join(dir, "Images", `img_${n}.png`), "x");
    }
    await Deno.mkdir(join(dir, "Images", "img_5.png")); // a directory is not an image
    const ds = await loadPrideMM(join(dir, "PrideMM.csv"));
    const check = await checkImages(ds);
    assert.deepEqual(check.present.map((m) => m.name), [
      "img_1.png",
      "img_3.png",
      "img_4.png",
      "img_7.png",
    ]);
    assert.deepEqual(check.missing.map((m) => m.name), ["img_2.png", "img_5.png", "img_6.png"]);
    assert.equal(describeImageCheck(check), "skipped 3 of 7 memes whose image is missing");
    const kept = withImages(ds, check);
    assert.equal(kept.memes.length, 4);
    assert.deepEqual([...taskView(kept, "hate", "train").labels], [0, 1]);
    const report = join(dir, "missing_images.csv");
    await writeMissingImagesReport(report, ds, check);
    assert.equal(
      await Deno.readTextFile(report),
      [
        "name,line,split,expected_path",
        `img_2.png,3,train,${dir}/Images/img_2.png`,
        `img_5.png,6,test,${dir}/Images/img_5.png`,
        `img_6.png,9,train,${dir}/Images/img_6.png`,
        "",
      ].join("\n"),
    );
    assert.equal(missingImagesReport(ds, []), "name,line,split,expected_path\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("summary counts classes per split and task (hand-counted fixture)", async () => {
  const s = summary((await loadPrideMM(fixture("valid.csv"))).dataset);
  assert.deepEqual(s.memes, { train: 4, val: 1, test: 2, total: 7 });
  assert.deepEqual(s.tasks.hate.counts, {
    train: [2, 2],
    val: [0, 1],
    test: [1, 1],
    total: [3, 4],
  });
  assert.deepEqual(s.tasks.target.counts, {
    train: [0, 1, 1, 0],
    val: [1, 0, 0, 0],
    test: [0, 0, 0, 1],
    total: [1, 1, 1, 1],
  });
  assert.deepEqual(s.tasks.target.examples, { train: 2, val: 1, test: 1, total: 4 });
  assert.deepEqual(s.tasks.stance.counts, {
    train: [2, 0, 2],
    val: [0, 1, 0],
    test: [0, 1, 1],
    total: [2, 2, 3],
  });
  assert.deepEqual(s.tasks.humour.counts, {
    train: [2, 2],
    val: [0, 1],
    test: [1, 1],
    total: [3, 4],
  });
  assert.deepEqual(s.tasks.stance.classNames, ["Neutral", "Support", "Oppose"]);
  const table = formatSummary(s).split("\n");
  assert.equal(table[0], "PrideMM: 7 memes (train 4, val 1, test 2)");
  assert.match(table[2], /^task\s+class\s+train\s+val\s+test\s+total$/);
  assert.ok(
    table.some((l) => /^target\s+No particular target\s+0\s+1\s+0\s+1$/.test(l)),
    table.join("\n"),
  );
  assert.ok(table.some((l) => /^\s+all \(hate = 1\)\s+2\s+1\s+1\s+4$/.test(l)), table.join("\n"));
});

Deno.test({
  name: "the released PrideMM.csv has exactly the published counts",
  ignore: !realCsvPresent,
  async fn() {
    const ds = await loadPrideMM(REAL_CSV);
    assert.equal(ds.memes.length, 5063);
    const s = summary(ds.dataset);
    assert.deepEqual(s.memes, { train: 4328, val: 228, test: 507, total: 5063 });
    assert.deepEqual(s.tasks.hate.counts.total, [2581, 2482]);
    assert.deepEqual(s.tasks.target.counts.total, [771, 249, 1164, 298]);
    assert.deepEqual(s.tasks.target.examples, { train: 2120, val: 115, test: 247, total: 2482 });
    assert.deepEqual(s.tasks.stance.counts.total, [1458, 1909, 1696]);
    assert.deepEqual(s.tasks.humour.counts.total, [1642, 3421]);
    assert.deepEqual(taskView(ds, "target", "val").labels.length, 115);
    // Text: no "None", blank or NaN cells; the lower-case "none" of two memes stays text.
    assert.equal(ds.memes.filter((m) => m.text === null).length, 0);
    assert.deepEqual(ds.memes.filter((m) => m.text === "none").map((m) => m.name), [
      "img_39.png",
      "img_3356.png",
    ]);
    assert.equal(ds.memes[4], ds.memes.find((m) => m.name === "img_5.png"));
    assert.equal(ds.memes[4].line, 6);
  },
});
