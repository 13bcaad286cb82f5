/**
 * The image mode as a setting: `--image-mode pillow|managed` (default pillow, the reference's
 * `convert("RGB")`), recorded in the config and in the feature store, where a store made one way
 * is never read as the other.
 */
import assert from "node:assert/strict";
import sharp from "sharp";
import {
  CONFIG_FLAGS,
  configFromFlags,
  DEFAULT_CONFIG,
  makeConfig,
  parseFlags,
} from "../lib/config/mod.ts";
import { extractFeatures, loadFeatures } from "../lib/features/mod.ts";

Deno.test("--image-mode: default pillow, managed on request, anything else refused", () => {
  assert.equal(DEFAULT_CONFIG.clip.imageMode, "pillow");
  const parse = (args: string[]) => configFromFlags(parseFlags(args, CONFIG_FLAGS));
  assert.equal(parse([]).clip.imageMode, "pillow");
  assert.equal(parse(["--image-mode", "managed"]).clip.imageMode, "managed");
  assert.throws(
    () => parse(["--image-mode", "viewer"]),
    /--image-mode viewer: expected one of pillow, managed/,
  );
  // @ts-expect-error: not an image mode
  assert.throws(() => makeConfig({ clip: { imageMode: "srgb" } }), /clip\.imageMode/);
});

Deno.test("extraction: each image mode has its own store, recorded in its manifest", async () => {
  const work = await Deno.makeTempDir({ prefix: "memesense-image-mode-" });
  try {
    // A transparent PNG: pillow keeps the stored (black) colour, managed shows white.
    const path = `${work}/clear.png`;
    await sharp({
      create: { width: 40, height: 30, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } },
    }).png().toFile(path);
    const items = [{ name: "clear.png", imagePath: path, text: "a meme" }];
    const common = {
      items,
      datasetHash: "image-mode-test",
      cacheDir: `${work}/cache`,
      model: "tiny",
      log: () => {},
      progress: null,
      prompts: {},
    };
    const pillow = await extractFeatures(common);
    const managed = await extractFeatures({ ...common, imageMode: "managed" });
    assert.notEqual(pillow.key, managed.key);
    assert.equal(managed.cached, false);
    assert.deepEqual([pillow.manifest?.imageMode, managed.manifest?.imageMode], [
      "pillow",
      "managed",
    ]);
    const a = await loadFeatures(pillow.dir), b = await loadFeatures(managed.dir);
    assert.deepEqual([a.imageMode, b.imageMode], ["pillow", "managed"]);
    assert.notDeepEqual(a.image, b.image);
    assert.deepEqual(a.text, b.text);
    const again = await extractFeatures({ ...common, imageMode: "pillow" });
    assert.deepEqual([again.cached, again.key], [true, pillow.key]);
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});
