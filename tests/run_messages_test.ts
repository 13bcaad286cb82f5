/**
 * What a user reads when something is off but nothing is broken: a valid image too large to
 * decode is said to be so, a damaged chunk is reported once, a resume with nothing left says so
 * without a rate, duplicate seeds are refused, a class absent from a test split is named under
 * the table, and a clamped temperature fit is called clamped.
 */
import assert from "node:assert/strict";
import { deflateSync } from "node:zlib";
import sharp from "sharp";
import { makeConfig } from "../lib/config/mod.ts";
import { REFERENCE_VARIANT } from "../lib/run/mod.ts";
import { parseSeeds, runExperiment } from "../lib/experiment/mod.ts";
import { absentClassesNote, clampedTemperatureNote } from "../lib/outputs/tables.ts";
import type { GroupStats } from "../lib/analysis/uncertainty.ts";
import { extractFeatures, type FeatureItem } from "../lib/features/mod.ts";
import { ensureSyntheticMemes } from "../lib/synthetic/mod.ts";
import { csvInputs, syntheticInputs } from "./_runs.ts";
import { runScript } from "../scripts/run_script.ts";

/** CRC-32 of PNG chunks. */
function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** A valid 1-bit grayscale PNG of `width` × `height`, all black (small: it compresses). */
function blankPng(width: number, height: number): Uint8Array {
  const chunk = (type: string, data: Uint8Array) => {
    const out = new Uint8Array(12 + data.length);
    const view = new DataView(out.buffer);
    view.setUint32(0, data.length);
    out.set(new TextEncoder().encode(type), 4);
    out.set(data, 8);
    view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
    return out;
  };
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr.set([1, 0, 0, 0, 0], 8); // bit depth 1, grayscale, deflate, no filter, no interlace
  const raw = new Uint8Array(height * (1 + Math.ceil(width / 8))); // filter byte 0 per row
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", new Uint8Array(0)),
  ];
  const png = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) png.set(p, (at += p.length) - p.length);
  return png;
}

Deno.test({
  name: "a valid 20000 × 20000 PNG is named with its size and the decoder's pixel limit",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const work = await Deno.makeTempDir({ prefix: "memesense-huge-" });
    try {
      const small = blankPng(64, 48);
      assert.deepEqual(await sharp(small).metadata().then((m) => [m.width, m.height]), [64, 48]);
      const huge = blankPng(20000, 20000);
      await assert.rejects(sharp(huge).raw().toBuffer(), /pixel limit/);
      await Deno.writeFile(`${work}/small.png`, small);
      await Deno.writeFile(`${work}/huge.png`, huge);
      const items: FeatureItem[] = ["small", "huge"].map((n) => ({
        name: `${n}.png`,
        imagePath: `${work}/${n}.png`,
        text: n,
      }));
      const r = await extractFeatures({
        items,
        imageDir: work,
        datasetHash: "e".repeat(64),
        cacheDir: `${work}/cache`,
        model: "tiny",
        threads: 1,
        progress: null,
        log: () => {},
      });
      const tsv = (await Deno.readTextFile(`${r.dir}/missing-images.tsv`)).trimEnd().split("\n");
      assert.deepEqual(tsv.slice(1), [
        "1\thuge.png\thuge.png\tunreadable: the PNG is 20000 × 20000 = 400,000,000 pixels, more " +
        "than the decoder's limit of 268,402,689 (16383 × 16383); downscale it",
      ]);
    } finally {
      await Deno.remove(work, { recursive: true });
    }
  },
});

Deno.test({
  name: "a damaged chunk is reported once, not again as missing when the store is consolidated",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const work = await Deno.makeTempDir({ prefix: "memesense-chunk-" });
    try {
      const memes = await ensureSyntheticMemes();
      const items: FeatureItem[] = Array.from({ length: 12 }, (_, i) => ({
        name: `img_${i + 1}.png`,
        imagePath: `${memes.imageDir}/img_${i + 1}.png`,
        text: `meme ${i}`,
      }));
      const logs: string[] = [];
      const opts = {
        items,
        imageDir: memes.imageDir,
        datasetHash: "f".repeat(64),
        cacheDir: `${work}/cache`,
        model: "tiny",
        threads: 1,
        chunkRows: 4,
        progress: null,
        log: (l: string) => logs.push(l),
      };
      const { dir, manifest } = await extractFeatures(opts);
      const chunk = `${dir}/chunks/${manifest!.chunks[1].file}`;
      const bytes = await Deno.readFile(chunk);
      bytes[bytes.length - 5] ^= 0xff;
      await Deno.writeFile(chunk, bytes);
      logs.length = 0;
      const again = await extractFeatures({ ...opts, verify: true });
      assert.equal(again.computed, 4);
      const named = logs.filter((l) => l.includes(manifest!.chunks[1].file));
      assert.equal(named.length, 1, named.join("\n"));
      assert.match(named[0], /is damaged \(checksum mismatch .*\): re-extracting its 4 memes/);
      assert.ok(!logs.some((l) => l.includes("the file is missing")), logs.join("\n"));
    } finally {
      await Deno.remove(work, { recursive: true });
    }
  },
});

Deno.test({
  name: "a resume with nothing left says so, with no rate or ETA",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const out = await Deno.makeTempDir({ prefix: "memesense-done-" });
    try {
      const spec = {
        name: "done",
        title: "done",
        tasks: ["hate" as const],
        seeds: [1],
        variants: [REFERENCE_VARIANT],
        baseConfig: makeConfig({ clip: { model: "tiny" }, train: { epochs: 1 } }),
        inputs: await syntheticInputs(),
        outRoot: out,
        workers: 1,
        bootstrap: { replicates: 20 },
        log: () => {},
      };
      const { runDir } = await runExperiment(spec);
      const lines: string[] = [];
      const again = await runExperiment({ ...spec, resume: runDir, log: (l) => lines.push(l) });
      assert.equal(again.trained, 0);
      assert.ok(
        lines.includes("resuming: 1 cells finished, nothing to train"),
        lines.join("\n"),
      );
      assert.ok(!lines.some((l) => /cells\/s|ETA/.test(l)), lines.join("\n"));
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

Deno.test("--seeds with a seed twice is refused, naming it; one line, exit 2", async () => {
  assert.throws(
    () => parseSeeds("1,1", 42),
    /^SettingError: --seeds 1,1: expected a count ≥ 1 or a comma list of distinct integers ≥ 0 \(1 is given twice\)$/,
  );
  assert.deepEqual(parseSeeds("3", 42), [42, 43, 44]);
  assert.deepEqual(parseSeeds("7,1", 42), [7, 1]);
  const run = await runScript("reproduce", ["--seeds", "1,2,1", "--data", "/nonexistent.csv"]);
  assert.equal(run.code, 2);
  assert.equal(
    run.stderr,
    "error: --seeds 1,2,1: expected a count ≥ 1 or a comma list of distinct integers ≥ 0 " +
      "(1 is given twice)\n",
  );
});

Deno.test({
  name: "a class absent from a test split keeps its macro-F1 and is named under the table",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const hate = ["Benign Meme", "Harmful Meme"], stance = ["Neutral", "Support", "Oppose"];
    assert.equal(
      absentClassesNote(
        new Map([
          ["hate", { classNames: hate, labels: [0, 1] }],
          ["stance", { classNames: stance, labels: [0, 2, 2] }],
        ]),
      ),
      "Macro-F1 averages every class of a task, so a class absent from the test split counts as " +
        'F1 = 0 in it: the test split of stance lacks "Support".',
    );
    assert.equal(
      absentClassesNote(new Map([["hate", { classNames: hate, labels: [1, 0] }]])),
      null,
    );

    // A run whose stance test split has no meme of one class.
    const work = await Deno.makeTempDir({ prefix: "memesense-absent-" });
    try {
      const memes = await ensureSyntheticMemes();
      const [header, ...rows] = (await Deno.readTextFile(memes.csvPath)).trimEnd().split("\n");
      // 60 train memes (enough to learn from), every val meme, test without "Support" (1).
      const split = (r: string) => r.split(",")[5];
      const cut = [
        ...rows.filter((r) => split(r) === "train").slice(0, 60),
        ...rows.filter((r) => split(r) === "val"),
        ...rows.filter((r) => split(r) === "test" && r.split(",")[3] !== "1"),
      ];
      const csv = `${work}/PrideMM.csv`;
      await Deno.writeTextFile(csv, [header, ...cut].join("\n") + "\n");
      const inputs = await csvInputs({ csv, images: memes.imageDir, cacheDir: `${work}/cache` });
      const outcome = await runExperiment({
        name: "absent",
        title: "absent",
        tasks: ["stance"],
        seeds: [1],
        variants: [REFERENCE_VARIANT],
        baseConfig: makeConfig({ clip: { model: "tiny" }, train: { epochs: 1 } }),
        inputs,
        outRoot: `${work}/results`,
        workers: 1,
        bootstrap: { replicates: 20 },
        log: () => {},
      });
      const note = 'the test split of stance lacks "Support".';
      assert.deepEqual(outcome.tableNotes?.map((n) => n.endsWith(note)), [true]);
      const table = await Deno.readTextFile(`${outcome.runDir}/table.md`);
      assert.match(table, /\| memeclip \| stance \| clean .*\|\n\nMacro-F1 averages every class/);
      assert.ok(table.includes(`${note}\n`), table);
      assert.equal(outcome.results[0].clean.test.confusion[1].reduce((a, b) => a + b, 0), 0);
    } finally {
      await Deno.remove(work, { recursive: true });
    }
  },
});

Deno.test("a temperature fit clamped at an end of its range is said to be clamped", () => {
  const group = (task: "hate" | "stance", protocol: "reference" | "clean", t: number) =>
    ({
      variant: "memeclip",
      task,
      protocol,
      calibration: { temperatures: [t] },
    }) as unknown as GroupStats;
  const lowest = 1 / Math.exp(Math.log(1 / 1e-3)); // as the bisection returns it
  assert.equal(
    clampedTemperatureNote([group("hate", "reference", lowest), group("stance", "clean", 0.8)]),
    "T = 0.001 for memeclip · hate (reference) is clamped, not fitted: the val logits separate " +
      "every class, so the loss falls as T → 0; scaling then pushes each probability to 0 or 1, " +
      "and the columns after → are not a calibration.",
  );
  assert.equal(clampedTemperatureNote([group("stance", "clean", 0.8)]), null);
  assert.match(clampedTemperatureNote([group("hate", "clean", 1000)])!, /^T = 1000 for .* uniform/);
});
