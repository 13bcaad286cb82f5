/**
 * CLIP encoders on the generated tiny model: shapes, reference tokenisation and pooling, image
 * decoding edge cases, preprocessing modes, batching, the visual projection and prompt init.
 */
import assert from "node:assert/strict";
import sharp from "sharp";
import { env as transformersEnv } from "@huggingface/transformers";
import {
  type ClipEncoder,
  ensureTinyClip,
  loadClip,
  promptClassifierInit,
  promptWeightsFrom,
  resolveClipModel,
  writeTinyClip,
  zeroShotScores,
} from "../lib/clip/mod.ts";
import { classPrompt } from "../lib/config/mod.ts";
import { cropPlan } from "../lib/clip/resample.ts";
import { decodeRgb, loadImagePixels } from "../lib/clip/_image.ts";
import { poolAt, tokenizeBatch } from "../lib/clip/text.ts";
import { readOutputMatrix } from "../lib/clip/_onnx.ts";

const EOS = 522; // the tiny tokenizer's <|endoftext|>, its highest id
const BOS = 521;

function closeTo(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) {
  assert.equal(a.length, b.length, `${what}: length`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  assert.ok(worst <= tol, `${what}: max |diff| ${worst} > ${tol}`);
}

/** A 3-channel image from a per-pixel colour function, as PNG bytes. */
async function drawPng(w: number, h: number, color: (x: number, y: number) => number[]) {
  const raw = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) raw.set(color(x, y), (y * w + x) * 3);
  }
  return new Uint8Array(
    await sharp(raw, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer(),
  );
}

const px = (
  rgb: Uint8Array,
  x: number,
  y: number,
) => [...rgb.subarray((y * 224 + x) * 3, (y * 224 + x) * 3 + 3)];

Deno.test("cropPlan follows torchvision: short side 224, long side truncated, offset half-to-even", () => {
  assert.deepEqual(cropPlan(500, 300, 224), { width: 373, height: 224, left: 74, top: 0 }); // 74.5 → 74
  assert.deepEqual(cropPlan(300, 500, 224), { width: 224, height: 373, left: 0, top: 74 });
  assert.deepEqual(cropPlan(451, 224, 224), { width: 451, height: 224, left: 114, top: 0 }); // 113.5 → 114
  assert.deepEqual(cropPlan(100, 100, 224), { width: 224, height: 224, left: 0, top: 0 });
});

Deno.test('tokenizeBatch: truncates to 77 keeping <|endoftext|>, pools at argmax, null is the word "null"', () => {
  // A stand-in tokenizer: one id per word (100 + word length), framed by BOS/EOS.
  const tok = {
    eos_token_id: EOS,
    pad_token_id: EOS,
    encode: (t: string) => [BOS, ...t.split(" ").filter(Boolean).map((w) => 100 + w.length), EOS],
  };
  const long = Array.from({ length: 1800 }, (_, i) => "w".repeat(1 + (i % 5))).join(" ");
  const b = tokenizeBatch(tok, ["ab cde", null, long]);
  assert.equal(b.ids.length, 3 * 77);
  assert.deepEqual([...b.ids.subarray(0, 5)].map(Number), [BOS, 102, 103, EOS, EOS]);
  assert.deepEqual([...b.ids.subarray(77, 80)].map(Number), [BOS, 104, EOS]); // "null"
  assert.deepEqual([...b.eotPositions], [3, 2, 76]);
  assert.deepEqual([...b.lengths], [4, 3, 1802]);
  assert.deepEqual(b.truncated, [false, false, true]);
  const row = [...b.ids.subarray(2 * 77, 3 * 77)].map(Number);
  assert.equal(row[0], BOS);
  assert.deepEqual(row.slice(1, 76), tok.encode(long).slice(1, 76));
  assert.equal(row[76], EOS);
});

Deno.test("poolAt picks each row's state at its position", () => {
  // n=2, seq=3, width=2: values encode (row, pos, channel).
  const h = Float32Array.from({ length: 12 }, (_, i) => i);
  assert.deepEqual([...poolAt(h, 2, 3, 2, Int32Array.from([2, 0]))], [4, 5, 6, 7]);
  assert.throws(() => poolAt(h, 2, 3, 2, Int32Array.from([3, 0])), /outside/);
});

Deno.test("promptWeightsFrom = normalize(normalize(t) · projᵀ), hand-checked", () => {
  // t = [3, 4] → [0.6, 0.8]; proj rows [1,0], [0,1], [1,1] → [0.6, 0.8, 1.4] / 1.72047
  const w = promptWeightsFrom(
    Float32Array.from([3, 4]),
    Float32Array.from([1, 0, 0, 1, 1, 1]),
    1,
    2,
    3,
  );
  closeTo(w, [0.348742916, 0.464990555, 0.813733471], 1e-6, "init");
  assert.throws(() => promptWeightsFrom(new Float32Array(3), new Float32Array(6), 1, 2, 3), /2/);
});

Deno.test("zeroShotScores: cosine of image and prompt embeddings; zero rows score 0", async () => {
  const prompts: string[] = [];
  const fake = {
    dim: 2,
    encodeTexts: (texts: string[]) => {
      prompts.push(...texts);
      return Promise.resolve({
        features: new Float32Array(),
        embeds: Float32Array.from([1, 0, 0, 2]),
      });
    },
  } as unknown as ClipEncoder;
  const s = await zeroShotScores(fake, Float32Array.from([3, 4, 0, 0]), ["No_Humour", "Humour"]);
  closeTo(s, [0.6, 0.8, 0, 0], 1e-6, "scores");
  assert.deepEqual(prompts, ["a photo of a No Humour.", "a photo of a Humour."]);
  assert.equal(classPrompt("Benign Meme"), "a photo of a Benign Meme.");
});

Deno.test("image decoding: formats, GIF first frame, EXIF orientation, alpha, grayscale, CMYK", async (t) => {
  const solid = (r: number, g: number, b: number) => ({
    create: { width: 40, height: 30, channels: 3 as const, background: { r, g, b } },
  });
  await t.step("PNG, JPEG and WebP decode to the same flat colour", async () => {
    for (const [fmt, tol] of [["png", 0], ["jpeg", 3], ["webp", 3]] as const) {
      const bytes = await sharp(solid(200, 30, 60)).toFormat(fmt, { quality: 100 }).toBuffer();
      const rgb = await decodeRgb(new Uint8Array(bytes), "squash");
      assert.equal(rgb.length, 224 * 224 * 3);
      closeTo(px(rgb, 100, 100), [200, 30, 60], tol, fmt);
    }
  });
  await t.step("GIF: the first frame of an animation", async () => {
    const frames = new Uint8Array(16 * 32 * 3);
    for (let i = 0; i < 16 * 16; i++) frames.set([255, 0, 0], i * 3); // frame 1 red
    for (let i = 16 * 16; i < 16 * 32; i++) frames.set([0, 0, 255], i * 3); // frame 2 blue
    const gif = await sharp(frames, { raw: { width: 16, height: 32, channels: 3, pageHeight: 16 } })
      .gif().toBuffer();
    assert.equal((await sharp(gif).metadata()).pages, 2);
    const rgb = await decodeRgb(new Uint8Array(gif), "squash");
    closeTo(px(rgb, 112, 112), [255, 0, 0], 8, "gif");
  });
  await t.step("EXIF orientation 6: ignored as Pillow does, applied in managed mode", async () => {
    const jpeg = await sharp(await drawPng(20, 10, (x) => (x < 10 ? [255, 0, 0] : [0, 0, 255])))
      .jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toBuffer();
    const stored = await decodeRgb(new Uint8Array(jpeg), "squash");
    closeTo(px(stored, 5, 112), [255, 0, 0], 6, "left");
    closeTo(px(stored, 218, 112), [0, 0, 255], 6, "right");
    const rgb = await decodeRgb(new Uint8Array(jpeg), "squash", 224, "managed");
    // Displayed upright the left (red) half is on top.
    closeTo(px(rgb, 112, 5), [255, 0, 0], 6, "top");
    closeTo(px(rgb, 112, 218), [0, 0, 255], 6, "bottom");
  });
  await t.step(
    "transparency: dropped as Pillow does, flattened onto white in managed mode",
    async () => {
      const png = await sharp({
        create: { width: 30, height: 30, channels: 4, background: { r: 9, g: 8, b: 7, alpha: 0 } },
      }).png().toBuffer();
      assert.deepEqual(px(await decodeRgb(new Uint8Array(png), "squash"), 0, 0), [9, 8, 7]);
      const rgb = await decodeRgb(new Uint8Array(png), "squash", 224, "managed");
      assert.deepEqual(px(rgb, 0, 0), [255, 255, 255]);
      assert.deepEqual(px(rgb, 223, 223), [255, 255, 255]);
    },
  );
  await t.step("grayscale becomes three equal channels", async () => {
    const gray = await sharp(solid(90, 90, 90)).toColourspace("b-w").png().toBuffer();
    assert.equal((await sharp(gray).metadata()).channels, 1);
    assert.deepEqual(px(await decodeRgb(new Uint8Array(gray), "crop"), 50, 50), [90, 90, 90]);
  });
  await t.step("CMYK JPEG is converted to sRGB", async () => {
    const cmyk = await sharp(solid(255, 0, 0)).toColourspace("cmyk").jpeg({ quality: 100 })
      .toBuffer();
    assert.equal((await sharp(cmyk).metadata()).space, "cmyk");
    const [r, g, b] = px(await decodeRgb(new Uint8Array(cmyk), "squash"), 100, 100);
    assert.ok(r > 200 && g < 40 && b < 40, `CMYK red decoded as ${[r, g, b]}`);
  });
  await t.step("unreadable input: an error naming the file", async () => {
    await assert.rejects(decodeRgb("/nonexistent/meme.png", "squash"), /\/nonexistent\/meme\.png/);
    await assert.rejects(decodeRgb(new Uint8Array([1, 2, 3]), "squash"), /image bytes \(3 B\)/);
  });
});

Deno.test("squash keeps the whole image, crop keeps its centre; normalised with CLIP mean/std", async () => {
  // Three 224-px stripes: red | green | blue.
  const png = await drawPng(
    672,
    224,
    (x) => [[255, 0, 0], [0, 255, 0], [0, 0, 255]][Math.floor(x / 224)],
  );
  const squash = await decodeRgb(png, "squash");
  assert.deepEqual(px(squash, 10, 100), [255, 0, 0]);
  assert.deepEqual(px(squash, 112, 100), [0, 255, 0]);
  assert.deepEqual(px(squash, 213, 100), [0, 0, 255]);
  const crop = await decodeRgb(png, "crop");
  for (const x of [0, 112, 223]) assert.deepEqual(px(crop, x, 100), [0, 255, 0]);
  // Pure green after (v/255 − mean)/std, channel-first: hand-computed values.
  const t = await loadImagePixels(png, "crop");
  assert.equal(t.length, 3 * 224 * 224);
  const plane = 224 * 224;
  closeTo([t[0], t[plane], t[2 * plane]], [-1.7922625, 2.0748837, -1.4802198], 1e-6, "green");
});

Deno.test("tiny CLIP: deterministic files; projection read from the graph equals the generator's", async () => {
  const a = await Deno.makeTempDir(), b = await Deno.makeTempDir(), c = await Deno.makeTempDir();
  try {
    const written = await writeTinyClip(a, { seed: 42 });
    await writeTinyClip(b, { seed: 42 });
    await writeTinyClip(c, { seed: 7 });
    for (const f of ["onnx/text_model.onnx", "onnx/vision_model.onnx", "tokenizer.json"]) {
      assert.deepEqual(await Deno.readFile(`${a}/${f}`), await Deno.readFile(`${b}/${f}`), f);
    }
    assert.notDeepEqual(
      await Deno.readFile(`${a}/onnx/vision_model.onnx`),
      await Deno.readFile(`${c}/onnx/vision_model.onnx`),
    );
    const m = await readOutputMatrix(`${a}/onnx/vision_model.onnx`, "image_embeds");
    assert.deepEqual([m.rows, m.cols, m.name], [1024, 768, "visual_projection"]);
    assert.deepEqual(m.data, written.visualProjection);
    const tp = await readOutputMatrix(`${a}/onnx/text_model.onnx`, "text_embeds");
    assert.deepEqual(tp.data, written.textProjection);
    await assert.rejects(
      readOutputMatrix(`${a}/onnx/text_model.onnx`, "image_embeds"),
      (e: Error) =>
        e.message.includes("text_model.onnx") && e.message.includes('no output "image_embeds"'),
    );
    // Swapped graphs: the error names the file and what a CLIP export needs.
    await Deno.copyFile(`${c}/onnx/vision_model.onnx`, `${c}/onnx/text_model.onnx`);
    await assert.rejects(
      loadClip({ model: c, log: () => {} }),
      (e: Error) =>
        e.message.includes(`${c}: onnx/text_model.onnx has inputs [pixel_values]`) &&
        e.message.includes("needs input input_ids and outputs text_embeds, last_hidden_state"),
    );
    // A broken layout gets an error naming the directory and the missing file.
    await Deno.remove(`${b}/tokenizer.json`);
    await assert.rejects(
      loadClip({ model: b, log: () => {} }),
      (e: Error) => e.message.includes(b) && e.message.includes("missing tokenizer.json"),
    );
  } finally {
    for (const d of [a, b, c]) await Deno.remove(d, { recursive: true });
  }
});

Deno.test("loadClip: an uncached hub model offline is a clear error", async () => {
  const cache = await Deno.makeTempDir();
  try {
    await assert.rejects(
      loadClip({ model: "Xenova/clip-vit-large-patch14", offline: true, cacheDir: cache }),
      (e: Error) => e.message.includes("MEMESENSE_OFFLINE=1") && e.message.includes(cache),
    );
  } finally {
    await Deno.remove(cache, { recursive: true });
  }
});

Deno.test("loadClip: a hub that cannot be reached names every way out", async () => {
  const cache = await Deno.makeTempDir();
  // A closed loopback port: the download fails at once, as it does without network.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const remoteHost = transformersEnv.remoteHost;
  transformersEnv.remoteHost = `http://127.0.0.1:${port}/`;
  try {
    await assert.rejects(
      loadClip({ model: "Xenova/clip-vit-large-patch14", offline: false, cacheDir: cache }),
      (e: Error) => {
        assert.match(
          e.message,
          /^cannot load the CLIP tokenizer of Xenova\/clip-vit-large-patch14/,
        );
        for (
          const way of [
            "MEMESENSE_OFFLINE=1",
            "MEMESENSE_CLIP_MODEL (or --model) to a local model directory",
            "MEMESENSE_CLIP_MODEL=tiny",
          ]
        ) assert.ok(e.message.includes(way), `no "${way}" in: ${e.message}`);
        return true;
      },
    );
  } finally {
    transformersEnv.remoteHost = remoteHost;
    await Deno.remove(cache, { recursive: true });
  }
});

Deno.test({
  name: "the tiny CLIP is written under the cache given (--cache), as every cached artefact is",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const cache = await Deno.makeTempDir();
    try {
      const clip = await loadClip({ model: "tiny", cacheDir: cache, threads: 1, log: () => {} });
      await clip.dispose();
      const dir = `${cache}/models/tiny-clip`;
      assert.deepEqual(clip.files, {
        textModel: `${dir}/onnx/text_model.onnx`,
        visionModel: `${dir}/onnx/vision_model.onnx`,
        tokenizer: `${dir}/tokenizer.json`,
        tokenizerConfig: `${dir}/tokenizer_config.json`,
        preprocessorConfig: `${dir}/preprocessor_config.json`,
      });
      const source = await resolveClipModel("tiny", cache);
      assert.deepEqual(source, { modelId: "tiny", kind: "local", location: dir });
      // The same bytes as the copy in the default cache: the features' key is unchanged.
      const written = await Deno.readFile(`${dir}/onnx/vision_model.onnx`);
      const usual = await Deno.readFile(`${await ensureTinyClip()}/onnx/vision_model.onnx`);
      assert.deepEqual(written, usual);
    } finally {
      await Deno.remove(cache, { recursive: true });
    }
  },
});

Deno.test({
  name: "tiny CLIP encoders",
  // onnxruntime keeps native handles alive between steps.
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async (t) => {
    const dir = await ensureTinyClip();
    assert.equal(await ensureTinyClip(), dir); // idempotent
    const clip = await loadClip({ model: "tiny", threads: 1, log: () => {} });
    try {
      await t.step("dimensions match ViT-L/14's interface", () => {
        assert.deepEqual([clip.dim, clip.visionHidden, clip.textHidden], [768, 1024, 768]);
        assert.equal(clip.device, "cpu");
        assert.equal(clip.geometry.size, 224);
      });

      const pngs = await Promise.all(
        [0, 1, 2, 3, 4].map((k) =>
          drawPng(
            64 + 16 * k,
            48,
            (x, y) => [(x * 7 + k * 50) % 256, (y * 5) % 256, (x * y + k) % 256],
          )
        ),
      );

      await t.step("encodeImages: n × 768, failures flagged with zero rows", async () => {
        const r = await clip.encodeImages([pngs[0], "/missing/meme.jpg", pngs[1]]);
        assert.equal(r.embeds.length, 3 * 768);
        assert.deepEqual(r.ok, [true, false, true]);
        assert.match(r.errors[1]!, /missing\/meme\.jpg/);
        assert.ok(r.embeds.subarray(768, 1536).every((v) => v === 0));
        assert.ok(r.embeds.subarray(0, 768).some((v) => v !== 0));
      });

      await t.step("batched images equal one-by-one", async () => {
        const batched = await clip.encodeImages(pngs, { batchSize: 3 });
        for (let i = 0; i < pngs.length; i++) {
          const one = await clip.encodeImages([pngs[i]], { batchSize: 1 });
          closeTo(batched.embeds.subarray(i * 768, (i + 1) * 768), one.embeds, 1e-5, `image ${i}`);
        }
      });

      await t.step(
        "squash and crop give different embeddings for a wide image, equal for a square one",
        async () => {
          const wide = await clip.encodeImages([pngs[4]], { preprocess: "squash" });
          const wideCrop = await clip.encodeImages([pngs[4]], { preprocess: "crop" });
          const diff = wide.embeds.reduce((s, v, i) => s + Math.abs(v - wideCrop.embeds[i]), 0);
          assert.ok(diff > 1, `squash vs crop differ by only ${diff}`);
          const square = await drawPng(50, 50, (x, y) => [x * 5, y * 5, 128]);
          const a = await clip.encodeImages([square], { preprocess: "squash" });
          const b = await clip.encodeImages([square], { preprocess: "crop" });
          assert.deepEqual(a.embeds, b.embeds);
        },
      );

      const long = Array.from(
        { length: 1800 },
        (_, i) => ["pride", "meme", "of", "the", "day"][i % 5],
      )
        .join(" ");
      const texts = ["a photo of a cat.", null, long, "null", "Love is love!"];

      await t.step("text features are last_hidden_state at the end-of-text token", async () => {
        const batch = clip.tokenize(texts);
        assert.deepEqual([...batch.eotPositions], [9, 5, 76, 5, 12]);
        assert.deepEqual(batch.truncated, [false, false, true, false, false]);
        assert.ok(batch.lengths[2] > 1800);
        assert.equal(Number(batch.ids[2 * 77 + 76]), EOS);
        // Straight from onnxruntime: last_hidden_state at argmax(ids), checked by hand here.
        const out = await clip.runText(batch);
        const hiddenFromGraph = await rawLastHidden(clip, batch);
        for (let r = 0; r < texts.length; r++) {
          const p = batch.eotPositions[r];
          const at = hiddenFromGraph.subarray((r * 77 + p) * 768, (r * 77 + p + 1) * 768);
          closeTo(out.features.subarray(r * 768, (r + 1) * 768), at, 0, `row ${r}`);
          const before = hiddenFromGraph.subarray((r * 77 + p - 1) * 768, (r * 77 + p) * 768);
          assert.notDeepEqual([...at], [...before]);
        }
        // …and the graph's own projection of that state is text_embeds: pooling agrees.
        const proj = await readOutputMatrix(clip.files.textModel, "text_embeds");
        for (let r = 0; r < texts.length; r++) {
          const f = out.features.subarray(r * 768, (r + 1) * 768);
          const e = Array.from({ length: 768 }, (_, j) => {
            let s = 0;
            for (let i = 0; i < 768; i++) s += f[i] * proj.data[i * 768 + j];
            return s;
          });
          closeTo(out.embeds.subarray(r * 768, (r + 1) * 768), e, 1e-3, `embeds ${r}`);
        }
      });

      await t.step(
        'encodeTexts: null equals the text "null"; batched equals one-by-one',
        async () => {
          const all = await clip.encodeTexts(texts);
          assert.equal(all.features.length, 5 * 768);
          assert.equal(all.embeds.length, 5 * 768);
          closeTo(
            all.features.subarray(768, 1536),
            all.features.subarray(3 * 768, 4 * 768),
            0,
            "null",
          );
          for (let i = 0; i < texts.length; i++) {
            const one = await clip.encodeTexts([texts[i]]);
            closeTo(all.features.subarray(i * 768, (i + 1) * 768), one.features, 1e-5, `text ${i}`);
          }
        },
      );

      await t.step("visual projection and prompt initialisation", async () => {
        const proj = await clip.visualProjection();
        const written = await writeTinyClip(await Deno.makeTempDir(), { seed: 42 });
        assert.deepEqual(proj, written.visualProjection);
        await Deno.remove(written.dir, { recursive: true });
        const names = ["No particular target", "Individual", "Community", "Organization"];
        const init = await promptClassifierInit(clip, names);
        assert.equal(init.length, 4 * 1024);
        for (let c = 0; c < 4; c++) {
          const norm = Math.hypot(...init.subarray(c * 1024, (c + 1) * 1024));
          assert.ok(Math.abs(norm - 1) < 1e-5, `row ${c} norm ${norm}`);
        }
        const { embeds } = await clip.encodeTexts(names.map(classPrompt));
        closeTo(init, promptWeightsFrom(embeds, proj, 4, 768, 1024), 0, "init");
      });
    } finally {
      await clip.dispose();
    }
  },
});

/** last_hidden_state of the text graph for a token batch, straight from onnxruntime. */
async function rawLastHidden(clip: ClipEncoder, batch: ReturnType<ClipEncoder["tokenize"]>) {
  const { CLIPTextModelWithProjection, Tensor } = await import("@huggingface/transformers");
  const dir = clip.files.textModel.replace(/\/onnx\/text_model\.onnx$/, "");
  const model = await CLIPTextModelWithProjection.from_pretrained(dir, {
    dtype: "fp32",
    device: "cpu",
  });
  try {
    const out = await model({ input_ids: new Tensor("int64", batch.ids, [batch.count, 77]) });
    return out.last_hidden_state.data as Float32Array;
  } finally {
    await model.dispose();
  }
}
