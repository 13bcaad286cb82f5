/**
 * Feature store: safetensors, keys, resumable extraction (a child process killed mid-run and
 * resumed), missing-image accounting, loading in dataset order, the PrideMM adapter and CLI.
 */
import assert from "node:assert/strict";
import sharp from "sharp";
import { loadClip, promptClassifierInit } from "../lib/clip/mod.ts";
import { cosineScores } from "../lib/clip/prompts.ts";
import { TASKS } from "../lib/config/mod.ts";
import { parsePrideMM } from "../lib/data/pridemm.ts";
import {
  extractFeatures,
  extractPrideMM,
  type FeatureItem,
  loadFeatures,
  storedPrompts,
} from "../lib/features/mod.ts";
import { featuresBySplit } from "../lib/features/pridemm_features.ts";
import { featureStoreDir, selectRows } from "../lib/features/store.ts";
import { featureStoreKey } from "../lib/features/_key.ts";
import { decodeSafetensors, encodeSafetensors, exists, REPO_ROOT } from "../lib/util/mod.ts";

Deno.test("safetensors: round trip, 8-byte aligned data, clear error for a damaged file", () => {
  const bytes = encodeSafetensors({
    a: { dtype: "F32", shape: [2, 2], data: Float32Array.from([1, -2.5, 3, 4]) },
    i: { dtype: "I32", shape: [3], data: Int32Array.from([7, -1, 9]) },
    u: { dtype: "U8", shape: [1], data: Uint8Array.from([255]) },
  }, { note: "x" });
  const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal(headerLength % 8, 0);
  assert.equal(bytes.length, 8 + headerLength + 16 + 12 + 1);
  const back = decodeSafetensors(bytes, "t.safetensors");
  assert.deepEqual([...back.tensors.a.data], [1, -2.5, 3, 4]);
  assert.deepEqual(back.tensors.a.shape, [2, 2]);
  assert.deepEqual([...back.tensors.i.data], [7, -1, 9]);
  assert.deepEqual([...back.tensors.u.data], [255]);
  assert.deepEqual(back.metadata, { note: "x" });
  assert.throws(
    () => decodeSafetensors(bytes.subarray(0, bytes.length - 1), "cut.safetensors"),
    /cut\.safetensors.*tensor u/,
  );
  assert.throws(
    () => encodeSafetensors({ a: { dtype: "F32", shape: [3], data: new Float32Array(2) } }),
    /needs 3/,
  );
});

Deno.test("featureStoreKey: readable, stable, and changed by every part", () => {
  const parts = {
    modelId: "Xenova/clip-vit-large-patch14",
    modelHash: "m",
    preprocess: "squash",
    imageMode: "pillow",
    datasetHash: "d",
  } as const;
  const key = featureStoreKey(parts);
  assert.match(key, /^clip-vit-large-patch14-squash-[0-9a-f]{16}$/);
  assert.equal(featureStoreKey({ ...parts }), key);
  const variants = [
    featureStoreKey({ ...parts, modelHash: "m2" }),
    featureStoreKey({ ...parts, preprocess: "crop" }),
    featureStoreKey({ ...parts, imageMode: "managed" }),
    featureStoreKey({ ...parts, datasetHash: "d2" }),
    featureStoreKey({ ...parts, modelId: "other/clip-vit-large-patch14" }),
  ];
  assert.equal(new Set([key, ...variants]).size, 6);
});

/** 38 drawn images and 2 missing ones; varied texts including null and an over-long one. */
async function makeItems(dir: string, n = 40): Promise<FeatureItem[]> {
  const items: FeatureItem[] = [];
  for (let i = 0; i < n; i++) {
    const name = `img_${i}.png`;
    const path = `${dir}/${name}`;
    if (i !== 5 && i !== 33) {
      const raw = new Uint8Array(24 * 16 * 3).map((_, k) => (k * (i + 3) * 37) % 256);
      await sharp(raw, { raw: { width: 24, height: 16, channels: 3 } }).png().toFile(path);
    }
    const text = i % 7 === 3
      ? null
      : i === 11
      ? "word ".repeat(300)
      : `meme ${i} says ${"ha".repeat(i % 5)}`;
    items.push({ name, imagePath: path, text });
  }
  return items;
}

async function listDir(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}

Deno.test({
  name: "extraction resumes after the process is killed, recomputing no finished batch",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const work = await Deno.makeTempDir();
    try {
      const items = await makeItems(work);
      const datasetHash = "0".repeat(64);
      const cacheA = `${work}/cache-a`, cacheB = `${work}/cache-b`;
      const config = { items, datasetHash, cacheDir: cacheA, batchSize: 8, pauseMs: 60_000 };
      await Deno.writeTextFile(`${work}/config.json`, JSON.stringify(config));

      // 1. A child process extracts; kill it (SIGKILL) right after its first batch is on disk.
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "--frozen",
          "tests/fixtures/features/extract_child.ts",
          `${work}/config.json`,
        ],
        cwd: REPO_ROOT,
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let out = "";
      while (!out.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) break;
        out += value;
      }
      child.kill("SIGKILL");
      const status = await child.status;
      reader.releaseLock();
      await child.stdout.cancel().catch(() => {});
      const stderr = new TextDecoder().decode(await new Response(child.stderr).arrayBuffer());
      assert.equal(out, "BATCH 0 8\n", `child output: ${out} ${stderr}`);
      assert.equal(status.success, false);

      const stores = await listDir(`${cacheA}/features`);
      assert.equal(stores.length, 1);
      const dir = `${cacheA}/features/${stores[0]}`;
      assert.deepEqual(await listDir(dir), ["chunks", "store.json"]); // no manifest: incomplete
      const firstChunk = await listDir(`${dir}/chunks`);
      assert.equal(firstChunk.length, 1);
      assert.match(firstChunk[0], /^000000-8-[0-9a-f]{16}\.safetensors$/);
      await assert.rejects(loadFeatures(dir), /incomplete/);
      const killed = decodeSafetensors(
        await Deno.readFile(`${dir}/chunks/${firstChunk[0]}`),
        "batch",
      );
      // Debris a killed writer might leave: a temporary file and a truncated chunk.
      await Deno.writeTextFile(`${dir}/chunks/000008-8-0123456789abcdef.safetensors.1.tmp`, "x");
      await Deno.writeFile(
        `${dir}/chunks/000008-8-0123456789abcdef.safetensors`,
        new Uint8Array([1, 2, 3]),
      );

      // 2. Resume: only the unfinished batches run.
      const firsts: number[] = [];
      const logs: string[] = [];
      const resumed = await extractFeatures({
        items,
        datasetHash,
        cacheDir: cacheA,
        batchSize: 8,
        model: "tiny",
        threads: 1,
        progress: null,
        log: (l) => logs.push(l),
        onBatchWritten: ({ first }) => {
          firsts.push(first);
        },
      });
      assert.deepEqual(firsts, [8, 16, 24, 32]);
      assert.equal(resumed.resumed, 8);
      assert.equal(resumed.computed, 32);
      assert.ok(logs.some((l) => l.includes("discarding") && l.includes("000008-8-0123")));
      assert.deepEqual(await listDir(dir), [
        "chunks",
        "manifest.json",
        "missing-images.tsv",
        "prompts.safetensors",
        "store.json",
      ]);

      // 3. The same extraction uninterrupted, in another cache: identical store.
      const full = await extractFeatures({
        items,
        datasetHash,
        cacheDir: cacheB,
        batchSize: 8,
        model: "tiny",
        threads: 1,
        progress: null,
        log: () => {},
      });
      assert.equal(full.key, resumed.key);
      const a = await loadFeatures(resumed.key, { cacheDir: cacheA });
      const b = await loadFeatures(full.dir);
      assert.deepEqual(a.image, b.image);
      assert.deepEqual(a.text, b.text);
      assert.deepEqual(a.imageOk, b.imageOk);
      assert.deepEqual(a.prompts, b.prompts);
      // The killed child's batch is what the store holds for rows 0..7.
      assert.deepEqual(a.image.subarray(0, 8 * 768), killed.tensors.image.data);
      assert.deepEqual(a.text.subarray(0, 8 * 768), killed.tensors.text.data);

      // 4. Loaded in dataset order; missing images counted, reported, zeroed — text kept.
      assert.equal(a.n, 40);
      assert.deepEqual([a.dim, a.textDim], [768, 768]);
      assert.deepEqual(a.names, items.map((i) => i.name));
      assert.deepEqual([...a.imageOk].flatMap((v, i) => (v ? [] : [i])), [5, 33]);
      assert.equal(resumed.manifest?.imagesMissing, 2);
      const row = (m: Float32Array, r: number) => m.subarray(r * 768, (r + 1) * 768);
      assert.ok(row(a.image, 5).every((v) => v === 0));
      assert.ok(row(a.text, 5).some((v) => v !== 0));
      assert.ok(row(a.image, 6).some((v) => v !== 0));
      const tsv = (await Deno.readTextFile(`${dir}/missing-images.tsv`)).trim().split("\n");
      assert.equal(tsv.length, 3);
      assert.equal(tsv[1], "5\timg_5.png\timg_5.png\tmissing: no such file");
      assert.match(tsv[2], /^33\timg_33\.png\t/);
      const picked = selectRows(a, [6, 0]);
      assert.deepEqual(picked.image.subarray(0, 768), row(a.image, 6));
      assert.deepEqual(picked.text.subarray(768, 1536), row(a.text, 0));
      assert.deepEqual([...picked.imageOk], [1, 1]);
      assert.deepEqual([picked.n, picked.names], [2, ["img_6.png", "img_0.png"]]);
      assert.throws(() => selectRows(a, [40]), /row 40 outside 0\.\.39/);

      // 5. Once complete, nothing is loaded or computed again.
      const again = await extractFeatures({
        items,
        datasetHash,
        cacheDir: cacheA,
        model: "tiny",
        log: () => {},
      });
      assert.deepEqual([again.cached, again.computed, again.key], [true, 0, resumed.key]);
      // A different preprocessing is a different store.
      assert.notEqual(
        featureStoreDir(
          featureStoreKey({
            modelId: "tiny",
            modelHash: a.modelHash,
            preprocess: "crop",
            imageMode: "pillow",
            datasetHash,
          }),
        ),
        featureStoreDir(a.key),
      );
    } finally {
      await Deno.remove(work, { recursive: true });
    }
  },
});

const CSV = `name,hate,target,stance,humour,split,text
a.png,0,NA,0,1,train,first meme
b.png,1,2,2,0,test,None
c.png,0,NA,1,1,train,third meme
d.png,1,0,2,1,val,fourth
e.png,0,NA,0,0,train,fifth
`;

Deno.test({
  name: "PrideMM adapter and deno task extract: features split by the CSV's split column",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const work = await Deno.makeTempDir();
    try {
      await Deno.mkdir(`${work}/Images`);
      for (const [i, n] of ["a", "b", "c", "e"].entries()) {
        await sharp({
          create: { width: 20, height: 20, channels: 3, background: { r: 60 * i, g: 90, b: 10 } },
        })
          .png().toFile(`${work}/Images/${n}.png`);
      }
      await Deno.writeTextFile(`${work}/PrideMM.csv`, CSV);
      const extract = async (...extra: string[]) => {
        const out = await new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "-A",
            "--frozen",
            "experiments/extract.ts",
            "--data",
            `${work}/PrideMM.csv`,
            "--model",
            "tiny",
            "--cache",
            `${work}/cache`,
            "--batch-size",
            "2",
            ...extra,
          ],
          cwd: REPO_ROOT,
        }).output();
        const text = (b: Uint8Array) => new TextDecoder().decode(b);
        return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
      };
      // 1 of 5 missing is over the default 1 %: refused before any work, naming the file.
      const refused = await extract();
      assert.equal(refused.code, 2, refused.stderr);
      assert.match(
        refused.stderr,
        /1 of 5 images \(20\.0 %\) are missing, more than the allowed 1\.0 %/,
      );
      assert.match(refused.stderr, /Images\/d\.png \(missing: no such file\)/);
      assert.equal(await exists(`${work}/cache/features`), false); // no store was started
      // An images folder holding none of the names gets a hint.
      const wrongDir = await extract("--images", `${work}/cache`);
      assert.equal(wrongDir.code, 2);
      assert.match(
        wrongDir.stderr,
        /none of the 5 images was found under .*cache: is the images folder right/,
      );

      const { code, stdout, stderr } = await extract("--max-missing", "25");
      assert.equal(code, 0, stderr);
      assert.match(
        stdout,
        /extracted 5 memes \(0 because their image changed, appeared or their chunk was damaged; 0 resumed\)/,
      );
      assert.match(stdout, /4 read, 1 missing\/unreadable/);
      assert.match(stderr, /1 of 5 images missing or unreadable/);
      // The generated tiny CLIP lives in the cache given with --cache, as the features do.
      assert.ok(await exists(`${work}/cache/models/tiny-clip/onnx/vision_model.onnx`));

      const r = await extractPrideMM(`${work}/PrideMM.csv`, {
        model: "tiny",
        cacheDir: `${work}/cache`,
        log: () => {},
      });
      assert.equal(r.cached, true); // the CLI's store is found, keyed by the CSV's hash
      const f = await loadFeatures(r.key, { cacheDir: `${work}/cache` });
      const splits = featuresBySplit(f, r.dataset);
      assert.deepEqual(splits.train.names, ["a.png", "c.png", "e.png"]);
      assert.deepEqual(splits.val.names, ["d.png"]);
      assert.deepEqual([...splits.val.imageOk], [0]); // d.png is missing
      assert.equal(splits.test.n, 1);
      assert.equal(splits.test.image.length, 768);
      assert.deepEqual(splits.train.text.subarray(768, 1536), f.text.subarray(2 * 768, 3 * 768));
      // Prompt embeddings and classifier inits are stored for the four tasks: no CLIP needed later.
      assert.deepEqual(Object.keys(f.prompts), ["hate", "target", "stance", "humour"]);
      const target = storedPrompts(f, TASKS.target.classNames);
      assert.equal(target.promptWeights.length, 4 * 1024);
      assert.equal(f.visionHidden, 1024);
      const clip = await loadClip({ model: "tiny", threads: 1, log: () => {} });
      try {
        assert.deepEqual(
          target.promptWeights,
          await promptClassifierInit(clip, TASKS.target.classNames),
        );
      } finally {
        await clip.dispose();
      }
      assert.throws(
        () => storedPrompts(f, ["cat", "dog"]),
        /no prompt embeddings for \[cat, dog\].*hate: \[Benign Meme, Harmful Meme\]/,
      );
      const zeroShot = cosineScores(
        f.image,
        storedPrompts(f, TASKS.hate.classNames).textEmbeds,
        f.dim,
      );
      assert.equal(zeroShot.length, 5 * 2);
      assert.deepEqual([zeroShot[6], zeroShot[7]], [0, 0]); // d.png (row 3) is missing: scores 0
      // Loading against another CSV is refused.
      const other = parsePrideMM(
        CSV.replace("e.png", "x.png"),
        `${work}/other.csv`,
        `${work}/Images`,
      );
      assert.throws(() => featuresBySplit(f, other), /row 4 is e\.png vs x\.png/);

      const bad = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--frozen", "experiments/extract.ts", "--preprocess", "stretch"],
        cwd: REPO_ROOT,
      }).output();
      assert.equal(bad.code, 2);
      assert.match(
        new TextDecoder().decode(bad.stderr),
        /^error: --preprocess stretch: expected one of squash, crop\n$/,
      );
    } finally {
      await Deno.remove(work, { recursive: true });
    }
  },
});
