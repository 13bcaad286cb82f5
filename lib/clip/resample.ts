/**
 * Pillow's bicubic resize for 8-bit RGB, ported from `ImagingResample` (libImaging/Resample.c,
 * unchanged for 8-bit images from Pillow 4.3 to 11) so that the pixels equal
 * `PIL.Image.resize(size)`'s exactly — MemeCLIP's `image.resize((224, 224))`, and what
 * torchvision's `Resize` does to a PIL image.
 *
 * The algorithm, as Pillow has it:
 * - a separable convolution: a horizontal pass into an 8-bit intermediate (only the rows the
 *   vertical pass will read), then a vertical pass; a pass whose size does not change is skipped;
 * - the kernel is Keys' cubic with a = −0.5, support 2, stretched by the reduction factor when
 *   shrinking (so shrinking averages every input pixel; there is no shrink-on-load shortcut);
 * - output pixel `i` is centred on input coordinate `(i + 0.5) · scale`; the taps run from
 *   `trunc(centre − support + 0.5)` to `trunc(centre + support + 0.5)`, clamped to the image;
 * - the weights of each output pixel are normalised to sum to 1 in double precision, then turned
 *   into 22-bit fixed point, rounded half away from zero;
 * - sums start at one half (2²¹), are shifted right by 22 and clipped to 0..255.
 *
 * @module
 */

import type { Preprocess } from "../config/mod.ts";

/** An 8-bit RGB image, packed row-major (`width · height · 3` bytes, HWC). */
export interface RgbImage {
  /** Columns. */
  readonly width: number;
  /** Rows. */
  readonly height: number;
  /** `width · height · 3` bytes: R, G, B of each pixel, rows top to bottom. */
  readonly data: Uint8Array;
}

/** Fixed-point precision of the 8-bit path: 32 bits − 8 for the value − 2 for overflow. */
const PRECISION_BITS = 32 - 8 - 2;
const HALF = 1 << (PRECISION_BITS - 1);
const ONE = 1 << PRECISION_BITS;

/** Pillow's bicubic filter (Keys, a = −0.5), support 2. */
function bicubic(x: number): number {
  const a = -0.5;
  if (x < 0) x = -x;
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}
const BICUBIC_SUPPORT = 2;

/** Per-output-pixel taps along one axis: first input index, tap count, fixed-point weights. */
interface Coefficients {
  /** Taps per output pixel (the row stride of `weights`). */
  readonly ksize: number;
  /** `[first, count]` for each output pixel. */
  readonly bounds: Int32Array;
  /** `outSize · ksize` weights in 22-bit fixed point; unused tails are 0. */
  readonly weights: Int32Array;
}

/**
 * `precompute_coeffs` followed by `normalize_coeffs_8bpc`, for the box `[0, inSize)`.
 * Doubles throughout, as in C; `(int)` casts truncate toward zero.
 */
function coefficients(inSize: number, outSize: number): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = BICUBIC_SUPPORT * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  const ss = 1 / filterScale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = bicubic((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const w = ww !== 0 ? k[x] / ww : k[x];
      weights[xx * ksize + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, weights };
}

/** `clip8`: the sum's integer part, clipped to a byte. */
function clip8(ss: number): number {
  const v = ss >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** Horizontal pass over input rows `[rowFirst, rowFirst + rows)`. */
function horizontal(
  src: RgbImage,
  outWidth: number,
  rowFirst: number,
  rows: number,
  c: Coefficients,
): Uint8Array {
  const out = new Uint8Array(outWidth * rows * 3);
  const { ksize, bounds, weights } = c;
  const inStride = src.width * 3;
  const data = src.data;
  for (let yy = 0; yy < rows; yy++) {
    const rowStart = (yy + rowFirst) * inStride;
    let o = yy * outWidth * 3;
    for (let xx = 0; xx < outWidth; xx++) {
      const xmin = bounds[xx * 2], xmax = bounds[xx * 2 + 1];
      const kOff = xx * ksize;
      // int32 arithmetic, as in C (the sums never overflow: |weights| sum to < 2^23).
      let s0 = HALF, s1 = HALF, s2 = HALF;
      let p = rowStart + xmin * 3;
      for (let x = 0; x < xmax; x++, p += 3) {
        const w = weights[kOff + x];
        s0 = (s0 + Math.imul(data[p], w)) | 0;
        s1 = (s1 + Math.imul(data[p + 1], w)) | 0;
        s2 = (s2 + Math.imul(data[p + 2], w)) | 0;
      }
      out[o++] = clip8(s0);
      out[o++] = clip8(s1);
      out[o++] = clip8(s2);
    }
  }
  return out;
}

/** Vertical pass; `bounds` are relative to the first row of `data`. */
function vertical(
  data: Uint8Array,
  width: number,
  outHeight: number,
  rowShift: number,
  c: Coefficients,
): Uint8Array {
  const stride = width * 3;
  const out = new Uint8Array(stride * outHeight);
  const { ksize, bounds, weights } = c;
  const acc = new Int32Array(stride);
  for (let yy = 0; yy < outHeight; yy++) {
    const ymin = bounds[yy * 2] - rowShift, ymax = bounds[yy * 2 + 1];
    const kOff = yy * ksize;
    acc.fill(HALF);
    // Row-by-row accumulation: the same int32 sums as Pillow's column loop (integer addition
    // is order-free), but reading memory in order.
    for (let y = 0; y < ymax; y++) {
      const w = weights[kOff + y];
      let p = (y + ymin) * stride;
      for (let i = 0; i < stride; i++, p++) acc[i] = (acc[i] + Math.imul(data[p], w)) | 0;
    }
    let o = yy * stride;
    for (let i = 0; i < stride; i++) out[o++] = clip8(acc[i]);
  }
  return out;
}

/**
 * Resizes 8-bit RGB with Pillow's bicubic filter: `PIL.Image.resize((width, height))` on an RGB
 * image, bit for bit.
 *
 * ```ts
 * import { pillowResize } from "./mod.ts";
 * const src = { width: 8, height: 8, data: new Uint8Array(8 * 8 * 3).fill(200) };
 * const out = pillowResize(src, 224, 224);
 * console.log(out.data.length); // 150528
 * ```
 */
export function pillowResize(src: RgbImage, width: number, height: number): RgbImage {
  if (
    !Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 ||
    src.width < 1 || src.height < 1 || src.data.length !== src.width * src.height * 3
  ) {
    throw new Error(
      `pillowResize: cannot resize ${src.width}×${src.height} (${src.data.length} bytes) ` +
        `to ${width}×${height}`,
    );
  }
  const needHorizontal = width !== src.width;
  const needVertical = height !== src.height;
  if (!needHorizontal && !needVertical) return { width, height, data: src.data.slice() };
  const vert = coefficients(src.height, height);
  // Rows of the source the vertical pass reads; the horizontal pass computes only those.
  const first = vert.bounds[0];
  const last = vert.bounds[height * 2 - 2] + vert.bounds[height * 2 - 1];
  let data = src.data, rowShift = 0;
  if (needHorizontal) {
    data = horizontal(src, width, first, last - first, coefficients(src.width, width));
    rowShift = first;
  }
  if (!needVertical) return { width, height, data };
  return { width, height, data: vertical(data, width, height, rowShift, vert) };
}

/** Where a `crop` resize lands: the resized size and the centre-crop offset. */
export interface CropPlan {
  /** Width after the resize. */
  readonly width: number;
  /** Height after the resize. */
  readonly height: number;
  /** First column of the centre crop. */
  readonly left: number;
  /** First row of the centre crop. */
  readonly top: number;
}

/**
 * torchvision's `Resize(size)` + `CenterCrop(size)` arithmetic, which OpenAI CLIP's preprocessing
 * uses: the short side becomes `size`, the long side `int(size · long / short)`, and the crop
 * offset is `round((side − size) / 2)` with Python's half-to-even rounding.
 */
export function cropPlan(width: number, height: number, size: number): CropPlan {
  const short = Math.min(width, height), long = Math.max(width, height);
  const longNew = Math.max(size, Math.floor((size * long) / short));
  const w = width <= height ? size : longNew;
  const h = width <= height ? longNew : size;
  return {
    width: w,
    height: h,
    left: roundHalfEven((w - size) / 2),
    top: roundHalfEven((h - size) / 2),
  };
}

function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Step 2 on decoded pixels: `squash` or `crop` to `size × size` with Pillow's resampler. */
export function resizeForClip(image: RgbImage, preprocess: Preprocess, size: number): RgbImage {
  if (preprocess === "squash") return pillowResize(image, size, size);
  if (preprocess !== "crop") {
    throw new Error(`unknown preprocessing mode "${preprocess}" (squash | crop)`);
  }
  const plan = cropPlan(image.width, image.height, size);
  const resized = pillowResize(image, plan.width, plan.height);
  const out = new Uint8Array(size * size * 3);
  const stride = plan.width * 3;
  for (let y = 0; y < size; y++) {
    const from = (y + plan.top) * stride + plan.left * 3;
    out.set(resized.data.subarray(from, from + size * 3), y * size * 3);
  }
  return { width: size, height: size, data: out };
}
