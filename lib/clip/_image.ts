/**
 * Image preprocessing for CLIP, done here rather than by transformers.js' processor so that each
 * step is explicit and matches the MemeCLIP reference,
 * `PIL.Image.open(path).convert("RGB").resize((224, 224))` then CLIP's ToTensor + Normalize:
 *
 * 1. decode to full-size 8-bit RGB (PNG, JPEG, WebP, GIF — first frame — and anything else
 *    libvips reads), as the image mode says: `pillow` (default) gives Pillow's
 *    `convert("RGB")` pixels — alpha dropped, EXIF orientation and ICC profiles ignored, CMYK,
 *    palette, grayscale and 16-bit converted as Pillow converts them; `managed` applies EXIF
 *    orientation and the colour profile and composites transparency on white;
 * 2. resize with a port of Pillow's bicubic resampler (`pillowResize`), bit-exact, on the fully
 *    decoded pixels:
 *    - `squash` (reference default): straight to 224 × 224, ignoring the aspect ratio — MemeCLIP
 *      calls `image.resize((224, 224))` before CLIP's own preprocessing, whose resize and centre
 *      crop are then no-ops;
 *    - `crop`: CLIP's standard preprocessing, torchvision's `Resize(224, BICUBIC)` on a PIL image
 *      (which calls Pillow's resize) — shortest side to 224, long side truncated as torchvision
 *      does — then `CenterCrop(224)` (offset rounded half-to-even, as Python's `round`);
 * 3. scale to [0, 1] and normalise with CLIP's mean and std, channel-first.
 *
 * @module
 */
import type { ImageMode, Preprocess } from "../config/mod.ts";
import { decodeFullRgb } from "./_decode.ts";
import { resizeForClip, type RgbImage } from "./resample.ts";
import { CLIP_MEAN, CLIP_STD } from "./tiny.ts";

/** An image as a file path or encoded bytes. */
export type ImageInput = string | Uint8Array;

/** Output size and normalisation of a CLIP image encoder (from `preprocessor_config.json`). */
export interface ImageGeometry {
  /** Side of the square input, 224 for ViT-L/14. */
  readonly size: number;
  /** Per-channel mean (RGB) subtracted after scaling to [0, 1]. */
  readonly mean: readonly number[];
  /** Per-channel std (RGB) divided by after subtracting the mean. */
  readonly std: readonly number[];
}

/** OpenAI CLIP's input geometry: 224 px, CLIP mean/std. */
export const CLIP_IMAGE: ImageGeometry = Object.freeze({
  size: 224,
  mean: CLIP_MEAN,
  std: CLIP_STD,
});

/**
 * The geometry in a `preprocessor_config.json`, in either of the formats found on the Hub: the
 * current one (`"size": {"shortest_edge": 336}`, `"crop_size": {"height": 336, "width": 336}`)
 * and the older one with plain integers (`"size": 336, "crop_size": 336`). Absent
 * `image_mean`/`image_std` are CLIP's, as in transformers' `CLIPImageProcessor`; anything
 * present but unusable is an error naming the file and the field, never a silent default.
 *
 * ```ts
 * import { parsePreprocessorConfig } from "./_image.ts";
 * const g = parsePreprocessorConfig({ size: 336, crop_size: 336 }, "preprocessor_config.json");
 * console.log(g.size); // 336
 * ```
 */
export function parsePreprocessorConfig(config: unknown, file: string): ImageGeometry {
  const fail = (field: string, why: string): never => {
    throw new Error(`${file}: ${field} ${why}`);
  };
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    return fail("(top level)", "is not a JSON object");
  }
  const c = config as Record<string, unknown>;
  const side = (field: string, v: unknown, keys: readonly string[]): number | undefined => {
    if (v === undefined || v === null) return undefined;
    const isSide = (n: unknown): n is number => Number.isInteger(n) && (n as number) > 0;
    if (isSide(v)) return v;
    if (typeof v === "object" && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      const found = keys.filter((k) => o[k] !== undefined).map((k) => o[k]);
      if (found.length > 0 && found.every(isSide) && found.every((n) => n === found[0])) {
        return found[0] as number;
      }
    }
    return fail(
      field,
      `is ${JSON.stringify(v)}: expected a positive integer or {${keys.join(", ")}} of one side`,
    );
  };
  const crop = side("crop_size", c.crop_size, ["height", "width"]);
  const resize = side("size", c.size, ["shortest_edge", "height", "width"]);
  const size = crop ?? resize ?? fail("crop_size", "and size are both missing");
  if (resize !== undefined && crop !== undefined && resize !== crop) {
    // CLIP resizes the short side to exactly the crop size; other pairs are not CLIP's geometry.
    fail("size", `(${resize}) differs from crop_size (${crop}); only equal sides are supported`);
  }
  const triple = (field: string, v: unknown, fallback: readonly number[]): readonly number[] => {
    if (v === undefined || v === null) return fallback;
    if (Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === "number")) {
      if (field === "image_std" && v.some((x) => !(x > 0))) fail(field, "must be positive");
      return Object.freeze([...v]);
    }
    return fail(field, `is ${JSON.stringify(v)}: expected three numbers (R, G, B)`);
  };
  return Object.freeze({
    size,
    mean: triple("image_mean", c.image_mean, CLIP_MEAN),
    std: triple("image_std", c.image_std, CLIP_STD),
  });
}

/**
 * Step 2 on full-size pixels: `resizeForClip` itself, or the same work elsewhere (a worker).
 */
export type Resizer = (
  image: RgbImage,
  preprocess: Preprocess,
  size: number,
) => RgbImage | Promise<RgbImage>;

/**
 * Decodes one image and resizes it as `preprocess` says; returns `size × size × 3` 8-bit RGB,
 * row-major (HWC). With the defaults (`squash`, 224, `pillow`) the bytes equal
 * `numpy.asarray(PIL.Image.open(path).convert("RGB").resize((224, 224)))`. Throws with the file
 * name (or "image bytes") when the image cannot be read.
 */
export async function decodeRgb(
  input: ImageInput,
  preprocess: Preprocess,
  size: number = CLIP_IMAGE.size,
  imageMode: ImageMode = "pillow",
  resize: Resizer = resizeForClip,
): Promise<Uint8Array> {
  const label = typeof input === "string" ? input : `image bytes (${input.byteLength} B)`;
  try {
    const bytes = typeof input === "string" ? await Deno.readFile(input) : input;
    return (await resize(await decodeFullRgb(bytes, imageMode), preprocess, size)).data;
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound ? "file is missing" : (e as Error).message;
    throw new Error(`cannot read image ${label}: ${why}`);
  }
}

/** Per-geometry lookup tables: 256 normalised values per channel. */
const lutCache = new WeakMap<ImageGeometry, Float32Array[]>();

function luts(g: ImageGeometry): Float32Array[] {
  let t = lutCache.get(g);
  if (!t) {
    // Same arithmetic as torchvision's ToTensor + Normalize, in float32: (v / 255 − mean) / std.
    t = [0, 1, 2].map((c) =>
      Float32Array.from({ length: 256 }, (_, v) => {
        const x = Math.fround(v / 255);
        return Math.fround(Math.fround(x - Math.fround(g.mean[c])) / Math.fround(g.std[c]));
      })
    );
    lutCache.set(g, t);
  }
  return t;
}

/**
 * Writes the normalised channel-first tensor of one decoded image (`size × size × 3` RGB) into
 * `out` at `offset` (in floats). Returns `out`.
 */
export function normalizeInto(
  rgb: Uint8Array,
  out: Float32Array,
  offset = 0,
  geometry: ImageGeometry = CLIP_IMAGE,
): Float32Array {
  const plane = geometry.size * geometry.size;
  if (rgb.length !== plane * 3) {
    throw new Error(`expected ${plane * 3} RGB bytes, got ${rgb.length}`);
  }
  const [r, g, b] = luts(geometry);
  for (let i = 0, j = 0; i < plane; i++, j += 3) {
    out[offset + i] = r[rgb[j]];
    out[offset + plane + i] = g[rgb[j + 1]];
    out[offset + 2 * plane + i] = b[rgb[j + 2]];
  }
  return out;
}

/**
 * Loads one image as CLIP's input: `3 × size × size` float32, normalised (224 for ViT-L/14).
 * Throws, naming the file, when the image cannot be read.
 */
export async function loadImagePixels(
  input: ImageInput,
  preprocess: Preprocess,
  geometry: ImageGeometry = CLIP_IMAGE,
  imageMode: ImageMode = "pillow",
): Promise<Float32Array> {
  const rgb = await decodeRgb(input, preprocess, geometry.size, imageMode);
  return normalizeInto(rgb, new Float32Array(3 * geometry.size * geometry.size), 0, geometry);
}

/** A batch of images ready for the vision encoder; unreadable images leave zero rows. */
export interface PixelBatch {
  /** `n × 3 × size × size`, normalised; rows of failed images are zeros. */
  readonly pixels: Float32Array;
  /** Whether each image decoded. */
  readonly ok: boolean[];
  /** The error message for each failed image, else null. */
  readonly errors: (string | null)[];
}

/**
 * Decodes and normalises several images concurrently. sharp decodes on its own threads; the
 * resize runs where `resize` does — on this thread by default, on a worker for a `ClipEncoder`,
 * so that it overlaps with inference. Failures are recorded, never thrown.
 */
export async function loadPixelBatch(
  inputs: readonly ImageInput[],
  preprocess: Preprocess,
  geometry: ImageGeometry = CLIP_IMAGE,
  imageMode: ImageMode = "pillow",
  resize: Resizer = resizeForClip,
): Promise<PixelBatch> {
  const per = 3 * geometry.size * geometry.size;
  const pixels = new Float32Array(inputs.length * per);
  const ok = new Array<boolean>(inputs.length).fill(false);
  const errors = new Array<string | null>(inputs.length).fill(null);
  await Promise.all(inputs.map(async (input, i) => {
    try {
      const rgb = await decodeRgb(input, preprocess, geometry.size, imageMode, resize);
      normalizeInto(rgb, pixels, i * per, geometry);
      ok[i] = true;
    } catch (e) {
      errors[i] = (e as Error).message;
    }
  }));
  return { pixels, ok, errors };
}
