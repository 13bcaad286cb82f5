/**
 * Image preprocessing against Pillow 9.4 itself: every fixture in tests/fixtures/images/ (made by
 * make_pillow_fixtures.py with Debian's python3-pil) must decode and resize to exactly the
 * 224 × 224 × 3 bytes of `Image.open(p).convert("RGB").resize((224, 224))` — or, for the crop
 * variant, of torchvision's Resize + CenterCrop on that RGB image.
 */
import assert from "node:assert/strict";
import sharp from "sharp";
import { ensureTinyClip, loadClip, pillowResize } from "../lib/clip/mod.ts";
import { CLIP_MEAN, CLIP_STD } from "../lib/clip/tiny.ts";
import { decodeRgb, loadPixelBatch, parsePreprocessorConfig } from "../lib/clip/_image.ts";

const DIR = new URL("./fixtures/images/", import.meta.url).pathname;
interface Entry {
  name: string;
  format: string;
  mode: string;
  width: number;
  height: number;
  crop?: boolean;
  squash336?: boolean;
}
const manifest = JSON.parse(await Deno.readTextFile(`${DIR}manifest.json`)) as {
  pillow: string;
  size: number;
  images: Entry[];
};

async function expected(name: string, size = 224): Promise<Uint8Array> {
  const { data, info } = await sharp(`${DIR}expected/${name}`).raw()
    .toBuffer({ resolveWithObject: true });
  assert.deepEqual([info.width, info.height, info.channels], [size, size, 3], name);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Bytes that differ, and the largest difference. */
function compare(a: Uint8Array, b: Uint8Array): { differing: number; max: number } {
  assert.deepEqual(a.length, b.length);
  let differing = 0, max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d) differing++;
    if (d > max) max = d;
  }
  return { differing, max };
}

/**
 * Exact equality, except that JPEGs may differ by 1 grey level on ≤ 0.1 % of values (another
 * libjpeg build may round its IDCT differently); the figure is printed either way.
 */
function assertPillowEqual(got: Uint8Array, want: Uint8Array, e: Entry, variant: string) {
  const { differing, max } = compare(got, want);
  const share = differing / want.length;
  console.log(
    `  ${e.name} (${e.format} ${e.mode} ${e.width}×${e.height}) ${variant}: ` +
      `${differing} of ${want.length} values differ (${(share * 100).toFixed(3)} %), max ${max}`,
  );
  if (e.format === "JPEG") {
    assert(max <= 1 && share <= 0.001, `${e.name} ${variant}: ${differing} values, max ${max}`);
  } else {
    assert.deepEqual(differing, 0, `${e.name} ${variant}: ${differing} values differ, max ${max}`);
  }
}

Deno.test("the fixtures cover what the reference pipeline meets", () => {
  assert.deepEqual(manifest.pillow, "9.4.0");
  assert(manifest.images.length >= 30);
  const formats = new Set(manifest.images.map((e) => e.format));
  for (const f of ["PNG", "JPEG", "WEBP", "GIF"]) assert(formats.has(f), f);
  const modes = new Set(manifest.images.map((e) => e.mode));
  for (const m of ["RGB", "RGBA", "P", "L", "LA", "I", "1", "CMYK"]) assert(modes.has(m), m);
  assert(manifest.images.some((e) => e.width < 224 && e.height >= 224));
  assert(manifest.images.some((e) => e.height < 224 && e.width >= 224));
  assert(manifest.images.some((e) => e.width >= 896 && e.height >= 896 && e.format === "JPEG"));
});

Deno.test("squash: Pillow's convert('RGB').resize((224, 224)), every fixture", async () => {
  for (const e of manifest.images) {
    const got = await decodeRgb(`${DIR}sources/${e.name}`, "squash");
    assertPillowEqual(got, await expected(`${e.name}.squash.png`), e, "squash");
  }
});

Deno.test("crop: torchvision's Resize(224, BICUBIC) + CenterCrop(224) on Pillow", async () => {
  const cropped = manifest.images.filter((e) => e.crop);
  assert(cropped.length >= 8);
  for (const e of cropped) {
    const got = await decodeRgb(`${DIR}sources/${e.name}`, "crop");
    assertPillowEqual(got, await expected(`${e.name}.crop.png`), e, "crop");
  }
});

Deno.test("squash to 336 px (CLIP ViT-L/14@336px): Pillow's resize((336, 336))", async () => {
  const at336 = manifest.images.filter((e) => e.squash336);
  assert.equal(at336.length, 3);
  for (const e of at336) {
    const got = await decodeRgb(`${DIR}sources/${e.name}`, "squash", 336);
    assertPillowEqual(got, await expected(`${e.name}.squash336.png`, 336), e, "squash 336");
  }
});

Deno.test("managed mode: EXIF rotation, white background, colour profile", async () => {
  const src = (n: string) => `${DIR}sources/${n}`;
  // Columns 0–99 of the 300-px RGBA fixture are fully transparent over random bytes.
  const rgba = await decodeRgb(src("rgba_garbage.png"), "squash", 224, "managed");
  for (let y = 0; y < 224; y += 37) {
    for (let x = 0; x < 70; x += 13) {
      const i = (y * 224 + x) * 3;
      assert.deepEqual([rgba[i], rgba[i + 1], rgba[i + 2]], [255, 255, 255], `(${x}, ${y})`);
    }
  }
  const pillowRgba = await decodeRgb(src("rgba_garbage.png"), "squash");
  assert(compare(pillowRgba, rgba).differing > 10_000);
  // Orientation 6: the managed image is the Pillow-mode one rotated by 90°.
  const rotated = await decodeRgb(src("exif_rotated_6.jpg"), "squash", 224, "managed");
  const upright = await decodeRgb(src("exif_rotated_6.jpg"), "squash");
  assert(compare(rotated, upright).max > 100);
  const icc = await decodeRgb(src("adobe_rgb_icc.png"), "squash", 224, "managed");
  const iccIgnored = await decodeRgb(src("adobe_rgb_icc.png"), "squash");
  assert(compare(icc, iccIgnored).max > 10);
});

Deno.test("pillowResize: the 8-px step edge enlarged to 28 px, as Pillow gives it", () => {
  const row = [0, 0, 0, 0, 255, 255, 255, 255];
  const src = new Uint8Array(8 * 3);
  row.forEach((v, i) => src.fill(v, i * 3, i * 3 + 3));
  const out = pillowResize({ width: 8, height: 1, data: src }, 28, 1);
  const red = Array.from({ length: 28 }, (_, i) => out.data[i * 3]);
  // /usr/bin/python3: Image.frombytes("RGB", (8, 1), …).resize((28, 1)), red channel.
  assert.deepEqual(red, [...Array(12).fill(0), 11, 83, 172, 244, ...Array(12).fill(255)]);
});

Deno.test("a ClipEncoder resizes on its worker thread: the same bytes as on the main thread", async () => {
  const clip = await loadClip({ model: "tiny", log: () => {} });
  try {
    const names = ["photo_china_640x427.jpg", "up_both.png", "cmyk.jpg", "tall_160x2880.jpg"];
    const paths = names.map((n) => `${DIR}sources/${n}`);
    for (const mode of ["squash", "crop"] as const) {
      const here = await loadPixelBatch(paths, mode, clip.geometry);
      const there = await clip.preprocessImages(paths, mode);
      assert.deepEqual(there.ok, [true, true, true, true]);
      assert.deepEqual(there.pixels, here.pixels, mode);
    }
    const bad = await clip.preprocessImages([new Uint8Array([1, 2, 3]), paths[0]]);
    assert.deepEqual(bad.ok, [false, true]);
  } finally {
    await clip.dispose();
  }
});

Deno.test("preprocessor_config.json: the current and the older format, clear errors", () => {
  const file = "m/preprocessor_config.json";
  const current = {
    size: { shortest_edge: 336 },
    crop_size: { height: 336, width: 336 },
    image_mean: [0.5, 0.5, 0.5],
    image_std: [0.25, 0.25, 0.25],
  };
  assert.deepEqual(parsePreprocessorConfig(current, file), {
    size: 336,
    mean: [0.5, 0.5, 0.5],
    std: [0.25, 0.25, 0.25],
  });
  // The older integer format (e.g. openai/clip-vit-large-patch14-336 as first published).
  const older = parsePreprocessorConfig({ size: 336, crop_size: 336 }, file);
  assert.equal(older.size, 336);
  assert.deepEqual(older.mean, CLIP_MEAN);
  assert.deepEqual(older.std, CLIP_STD);
  assert.equal(parsePreprocessorConfig({ size: 224 }, file).size, 224);
  assert.equal(parsePreprocessorConfig({ size: { height: 224, width: 224 } }, file).size, 224);
  const bad: [unknown, RegExp][] = [
    [[], /m\/preprocessor_config\.json: \(top level\) is not a JSON object/],
    [{}, /crop_size and size are both missing/],
    [{ crop_size: "224" }, /crop_size is "224": expected a positive integer/],
    [{ crop_size: { height: 224, width: 200 } }, /crop_size is .*of one side/],
    [{ size: 256, crop_size: 224 }, /size \(256\) differs from crop_size \(224\)/],
    [{ size: 224, image_mean: [0.5, 0.5] }, /image_mean is \[0\.5,0\.5\]: expected three/],
    [{ size: 224, image_std: [1, 0, 1] }, /image_std must be positive/],
  ];
  for (const [config, message] of bad) {
    assert.throws(() => parsePreprocessorConfig(config, file), message);
  }
});

Deno.test("loadClip reads an older-format preprocessor_config.json, not CLIP's defaults", async () => {
  const dir = await Deno.makeTempDir({ prefix: "memesense-preproc-" });
  try {
    const tiny = await ensureTinyClip();
    for await (const e of Deno.readDir(tiny)) {
      if (e.isFile) await Deno.copyFile(`${tiny}/${e.name}`, `${dir}/${e.name}`);
    }
    await Deno.mkdir(`${dir}/onnx`);
    for (const f of ["text_model.onnx", "vision_model.onnx"]) {
      await Deno.copyFile(`${tiny}/onnx/${f}`, `${dir}/onnx/${f}`);
    }
    const mean = [0.25, 0.5, 0.75], std = [0.5, 0.25, 0.125];
    await Deno.writeTextFile(
      `${dir}/preprocessor_config.json`,
      JSON.stringify({ size: 224, crop_size: 224, image_mean: mean, image_std: std }),
    );
    const lines: string[] = [];
    const clip = await loadClip({ model: dir, log: (l) => lines.push(l) });
    try {
      assert.deepEqual(clip.geometry, { size: 224, mean, std });
      assert.deepEqual(lines.filter((l) => /preprocessor/.test(l)), []);
    } finally {
      await clip.dispose();
    }
    await Deno.writeTextFile(`${dir}/preprocessor_config.json`, JSON.stringify({ size: "big" }));
    await assert.rejects(loadClip({ model: dir }), /preprocessor_config\.json: size is "big"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
