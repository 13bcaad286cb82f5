import assert from "node:assert/strict";
import sharp from "sharp";
import { type Dataset, datasetPreset, parseDataset, parsePrideMM } from "../lib/data/mod.ts";
import { type CellPredictions } from "../lib/run/mod.ts";
import {
  analyseRun,
  confidentErrors,
  galleryHtml,
  seedMeanScores,
  sliceMetrics,
  taskGallery,
  testSlices,
} from "../lib/analysis/error_analysis.ts";
import { THUMBNAIL_SIDE } from "../lib/report/mod.ts";

/** Predictions of one cell whose test split holds `names` with these logits (val: the same). */
function cell(
  task: string,
  seed: number,
  classNames: string[],
  names: string[],
  labels: number[],
  logits: number[][],
): CellPredictions {
  const rows = { names, labels: Int32Array.from(labels) };
  const flat = Float32Array.from(logits.flat());
  return {
    key: `memeclip__${task}__seed${seed}`,
    variant: "memeclip",
    task,
    seed,
    classNames,
    epochs: { reference: 1, clean: 1 },
    rows: { val: rows, test: rows },
    logits: { reference: { val: flat, test: flat }, clean: { val: flat, test: flat } },
  };
}

const HATE = ["Benign Meme", "Harmful Meme"];
// Two classes, logits [0, z]: p(harmful) = sigmoid(z). Seed 2 lists the memes in another order
// and disagrees on m3 and m7, so only the seed mean decides them:
//   m3 (benign):  sigmoid(2) = 0.881, sigmoid(−4) = 0.018 → mean 0.449 → predicted benign
//   m7 (harmful): sigmoid(−1) = 0.269, sigmoid(0.2) = 0.550 → mean 0.409 → a false negative
const names = ["m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7"];
const labels = [0, 0, 0, 0, 1, 1, 1, 1];
const z1 = [3, 1, -2, 2, -3, -0.5, 2, -1];
const z2 = [3, 1, -2, -4, -3, -0.5, 2, 0.2];
const order2 = [7, 6, 5, 4, 3, 2, 1, 0];
const hateCells = [
  cell("hate", 1, HATE, names, labels, z1.map((z) => [0, z])),
  cell(
    "hate",
    2,
    HATE,
    order2.map((i) => names[i]),
    order2.map((i) => labels[i]),
    order2.map((i) => [0, z2[i]]),
  ),
];
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

Deno.test("seedMeanScores averages each meme's probabilities over seeds, matched by name", () => {
  const scores = seedMeanScores(hateCells, "clean");
  assert.deepEqual(scores.map((s) => s.name), names);
  const m3 = scores[3];
  assert.ok(Math.abs(m3.probabilities[1] - (sigmoid(2) + sigmoid(-4)) / 2) < 1e-6);
  assert.equal(m3.predicted, 0);
  assert.equal(scores[7].predicted, 0);
  assert.equal(scores[7].label, 1);
});

Deno.test("the gallery picks the most confident false positives and false negatives", () => {
  const scores = seedMeanScores(hateCells, "clean");
  const all = confidentErrors(scores);
  // False positives: benign memes predicted harmful, highest p(harmful) first — m3 is not one
  // (one seed alone would have made it one).
  assert.deepEqual(all.falsePositives.map((s) => s.name), ["m0", "m1"]);
  // False negatives: harmful memes predicted benign, lowest p(harmful) first:
  // m4 0.047, m5 0.378, m7 0.409.
  assert.deepEqual(all.falseNegatives.map((s) => s.name), ["m4", "m5", "m7"]);
  const two = confidentErrors(scores, 2);
  assert.deepEqual(two.falseNegatives.map((s) => s.name), ["m4", "m5"]);

  // Three classes: false positives by the probability of the (wrong) predicted class, false
  // negatives by the probability left to the true class.
  //   s0: true 0, logits [0, 4, 0]   → predicted 1 with 0.964, true class 0.018
  //   s1: true 1, logits [2, 0, 0]   → predicted 0 with 0.787, true class 0.107
  //   s2: true 2, logits [0, 0, 3]   → right
  //   s3: true 2, logits [3, 3.2, 0] → predicted 1 with 0.538, true class 0.022
  const stance = seedMeanScores([
    cell("stance", 1, ["Neutral", "Support", "Oppose"], ["s0", "s1", "s2", "s3"], [0, 1, 2, 2], [
      [0, 4, 0],
      [2, 0, 0],
      [0, 0, 3],
      [3, 3.2, 0],
    ]),
  ], "clean");
  const errors = confidentErrors(stance);
  assert.deepEqual(errors.falsePositives.map((s) => s.name), ["s0", "s1", "s3"]);
  assert.deepEqual(errors.falseNegatives.map((s) => s.name), ["s0", "s3", "s1"]);
});

/** One test meme of PrideMM's layout: name, text (null: none), hate and target. */
type MemeRow = [name: string, text: string | null, hate: number, target: number | null];

/** The memes as a PrideMM dataset (every one in the test split), images in `imageDir`. */
function pridemmOf(rows: readonly MemeRow[], imageDir = "/nowhere"): Dataset {
  const csv = [
    "name,hate,target,stance,humour,split,text",
    ...rows.map(([name, text, hate, target]) =>
      [name, hate, target ?? "NA", 0, 0, "test", text === null ? "None" : text].join(",")
    ),
    // One train and one val meme, so that the file has every split.
    "train.png,0,NA,0,0,train,x",
    "val.png,0,NA,0,0,val,x",
  ].join("\n");
  return parsePrideMM(csv, `${imageDir}/PrideMM.csv`, imageDir).dataset;
}

Deno.test("slices: without text, with text, length quartiles, hateful memes by target", () => {
  const ds = pridemmOf([
    ["a", null, 0, null],
    ["b", "  ", 0, null],
    ["c", "x".repeat(10), 1, 1],
    ["d", "x".repeat(20), 1, 1],
    ["e", "x".repeat(30), 1, 2],
    ["f", "x".repeat(40), 0, null],
    ["g", "x".repeat(50), 1, 3],
    ["h", "x".repeat(60), 0, null],
    ["i", "x".repeat(70), 1, 0],
    ["j", "x".repeat(80), 0, null],
  ]);
  const memes = ds.memes.filter((m) => m.split === "test");
  const task = (name: string) => ds.tasks.find((t) => t.name === name)!;
  const slices = testSlices(task("hate"), ds.tasks, memes);
  const byName = Object.fromEntries(slices.map((s) => [s.name, [...s.names].sort().join("")]));
  assert.deepEqual(byName, {
    "without text": "ab",
    "with text": "cdefghij",
    "text length Q1 (10–20 chars)": "cd",
    "text length Q2 (30–40 chars)": "ef",
    "text length Q3 (50–60 chars)": "gh",
    "text length Q4 (70–80 chars)": "ij",
    "Benign Meme": "abfhj",
    "hateful memes, target: No particular target": "i",
    "hateful memes, target: Individual": "cd",
    "hateful memes, target: Community": "e",
    "hateful memes, target: Organization": "g",
  });
  // Stance has no target slices.
  assert.equal(testSlices(task("stance"), ds.tasks, memes).length, 6);
  // HarMeme: its not-harmful memes, and its harmful memes by their target, the same way.
  const harmeme = datasetPreset("harmeme");
  const line = (id: string, labels: string[]) =>
    JSON.stringify({ id, image: `${id}.png`, labels, text: id });
  const texts = [
    ["annotations/train.jsonl", [line("t", ["not harmful"])]],
    ["annotations/val.jsonl", [line("v", ["not harmful"])]],
    ["annotations/test.jsonl", [
      line("p", ["not harmful"]),
      line("q", ["very harmful", "society"]),
      line("r", ["somewhat harmful", "society"]),
      line("s", ["somewhat harmful", "individual"]),
    ]],
  ].map(([file, lines]) => ({
    file: file as string,
    path: `/h/${file}`,
    text: (lines as string[]).join("\n"),
    sha256: "",
  }));
  const hm = parseDataset(harmeme, texts, { root: "/h", imageDir: "/h/images" });
  const byHarm = testSlices(
    hm.tasks[0],
    hm.tasks,
    hm.memes.filter((m) => m.split === "test"),
  ).filter((sl) => !sl.name.startsWith("with") && !sl.name.startsWith("text"));
  assert.deepEqual(byHarm.map((sl) => [sl.name, [...sl.names].sort().join("")]), [
    ["not harmful", "p.png"],
    ["harmful memes, target: individual", "s.png"],
    ["harmful memes, target: society", "q.pngr.png"],
  ]);
});

Deno.test("slice metrics: the mean over seeds on the slice, an interval around it, one class → –", () => {
  const slices = [
    { name: "harmful", names: new Set(["m4", "m5", "m6", "m7"]) },
    { name: "all", names: new Set(names) },
  ];
  const [harmful, all] = sliceMetrics(hateCells, slices, "clean", { replicates: 200, seed: 3 });
  // Harmful memes: seed 1 gets m6 right (1 of 4), seed 2 m6 and m7 (2 of 4): accuracy = recall
  // = 0.375.
  assert.equal(harmful.n, 4);
  assert.deepEqual(harmful.classCounts, [0, 4]);
  assert.equal(harmful.metrics.accuracy.value, 0.375);
  assert.ok(harmful.metrics.accuracy.interval.lo < 0.375);
  assert.ok(harmful.metrics.accuracy.interval.hi > 0.375);
  assert.ok(Number.isNaN(harmful.metrics.auroc.value), "AUROC undefined on one class");
  // All memes: seed 1 right on m2, m6 (and m3 is a false positive for it): 2/8; seed 2 right on
  // m2, m3, m6, m7: 4/8 → mean 0.375.
  assert.equal(all.metrics.accuracy.value, 0.375);
  assert.ok(all.metrics.auroc.value > 0 && all.metrics.auroc.value <= 1);
  const again = sliceMetrics(hateCells, slices, "clean", { replicates: 200, seed: 3 });
  assert.deepEqual(again, [harmful, all], "deterministic under the seed");
});

Deno.test("gallery: thumbnails embedded and bounded, collapsed behind a content warning", async () => {
  const dir = await Deno.makeTempDir({ prefix: "memesense-gallery-" });
  try {
    // One real image, 640 × 320: its thumbnail is at most THUMBNAIL_SIDE on the long side.
    await sharp({ create: { width: 640, height: 320, channels: 3, background: "#c03030" } })
      .png().toFile(`${dir}/m0.png`);
    const dataset = pridemmOf(
      names.map((n, i): MemeRow => [
        n === "m0" ? "m0.png" : n,
        n === "m0" ? "a <b>bold</b> claim" : null,
        labels[i],
        labels[i] === 1 ? 1 : null,
      ]),
      dir,
    );
    const renamed = hateCells.map((c) => ({
      ...c,
      rows: {
        val: c.rows.val,
        test: { ...c.rows.test, names: c.rows.test.names.map((n) => (n === "m0" ? "m0.png" : n)) },
      },
    }));
    const gallery = (await taskGallery(renamed, dataset, "clean", 12))!;
    assert.equal(gallery.seeds, 2);
    assert.deepEqual(gallery.falsePositives.map((c) => c.name), ["m0.png", "m1"]);
    const first = gallery.falsePositives[0];
    assert.match(first.thumbnail!, /^data:image\/jpeg;base64,/);
    const jpeg = Uint8Array.from(atob(first.thumbnail!.split(",")[1]), (ch) => ch.charCodeAt(0));
    const meta = await sharp(jpeg).metadata();
    assert.deepEqual([meta.width, meta.height], [THUMBNAIL_SIDE, THUMBNAIL_SIDE / 2]);
    assert.equal(gallery.falsePositives[1].thumbnail, null, "a missing image gives no thumbnail");
    assert.equal(first.trueClass, "Benign Meme");
    assert.equal(first.predictedClass, "Harmful Meme");
    assert.ok(Math.abs(first.predictedProbability - sigmoid(3)) < 1e-6);

    assert.equal(gallery.title, "Hate speech detection");
    const html = galleryHtml([gallery], "clean");
    assert.ok(html.includes("<h3>Hate speech detection</h3>"), "the task's title");
    assert.match(html, /^<details class="gallery"><summary>Content warning/);
    assert.ok(!/<details[^>]*\bopen\b/.test(html), "collapsed by default");
    assert.ok(html.includes("a &lt;b&gt;bold&lt;/b&gt; claim"), "text is escaped");
    assert.ok(!/<img[^>]+src="(?!data:)/.test(html), "every image is embedded");

    const withGallery = await analyseRun(renamed, dataset, "memeclip", { replicates: 50 });
    assert.equal(withGallery.tasks.length, 1);
    assert.ok(withGallery.tasks[0].gallery);
    assert.equal(withGallery.tasks[0].curves.length, 1, "two classes: the positive class only");
    const without = await analyseRun(renamed, dataset, "memeclip", {
      gallery: false,
      replicates: 50,
    });
    assert.equal(without.tasks[0].gallery, undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
