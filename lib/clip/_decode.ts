/**
 * Decoding to full-size 8-bit RGB, two ways:
 *
 * - `pillow`: what `PIL.Image.open(path).convert("RGB")` (Pillow 9.4) gives. sharp decodes with
 *   no colour management (`ignoreIcc`), no EXIF rotation and no shrink-on-load; the mode
 *   conversions Pillow makes are then applied here, where libvips would do otherwise: alpha is
 *   dropped (the stored RGB kept, even under fully transparent pixels), CMYK goes through
 *   Pillow's fixed `cmyk2rgb` formula, 16-bit grayscale (Pillow's mode "I") is clipped to 0..255,
 *   and the transparent colour of a GIF's first frame is its palette entry.
 * - `managed`: what a viewer sees: EXIF orientation applied, ICC profile converted to sRGB, CMYK
 *   through a colour profile, transparency composited on white.
 *
 * @module
 */
import sharp from "sharp";
import type { ImageMode } from "../config/mod.ts";
import type { RgbImage } from "./resample.ts";

/** Decodes encoded image bytes to full-size RGB as `mode` says. */
export async function decodeFullRgb(bytes: Uint8Array, mode: ImageMode): Promise<RgbImage> {
  if (mode === "managed") return await decodeManaged(bytes);
  if (mode === "pillow") return await decodePillow(bytes);
  throw new Error(`unknown image mode "${mode}" (pillow | managed)`);
}

// failOn "error": tolerate recoverable decoder warnings (common in scraped JPEGs) as Pillow does.
const OPEN = { failOn: "error" as const };

async function decodeManaged(bytes: Uint8Array): Promise<RgbImage> {
  const { data, info } = await sharp(bytes, { ...OPEN, autoOrient: true })
    .flatten({ background: { r: 255, g: 255, b: 255 } })
    .toColourspace("srgb")
    .removeAlpha()
    .raw({ depth: "uchar" })
    .toBuffer({ resolveWithObject: true });
  return toRgb(data, info.width, info.height, info.channels);
}

async function decodePillow(bytes: Uint8Array): Promise<RgbImage> {
  const meta = await sharp(bytes, OPEN).metadata();
  const open = () => sharp(bytes, { ...OPEN, ignoreIcc: true, autoOrient: false });
  if (meta.space === "cmyk") {
    const { data, info } = await open().pipelineColourspace("cmyk").toColourspace("cmyk")
      .raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 4) throw new Error(`CMYK decoded to ${info.channels} channels`);
    // Both read a 4-component JPEG as Adobe-inverted, Adobe marker or not (a fixture checks).
    return cmykToRgb(data, info.width, info.height);
  }
  if (meta.depth === "ushort" && meta.channels === 1) {
    // 16-bit grayscale opens as Pillow's 32-bit mode "I"; convert("RGB") clips it to 0..255
    // (so most such images come out nearly white). Grayscale + alpha and RGB(A) at 16 bits open
    // as 8-bit modes from the high byte, which libvips' own conversion also gives.
    const { data, info } = await open().pipelineColourspace("grey16").toColourspace("grey16")
      .raw({ depth: "ushort" }).toBuffer({ resolveWithObject: true });
    const values = new Uint16Array(data.buffer, data.byteOffset, data.byteLength >> 1);
    const out = new Uint8Array(info.width * info.height * 3);
    for (let i = 0, o = 0; i < info.width * info.height; i++) {
      const v = values[i * info.channels];
      out[o++] = out[o++] = out[o++] = v > 255 ? 255 : v;
    }
    return { width: info.width, height: info.height, data: out };
  }
  const { data, info } = await open().raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true });
  const rgb = toRgb(data, info.width, info.height, info.channels);
  if (meta.format === "gif" && info.channels === 4) {
    const colour = gifTransparentColour(bytes);
    // libvips gives transparent GIF pixels as 0,0,0,0; Pillow's first frame is mode "P", whose
    // convert("RGB") shows the transparent index's palette colour.
    if (colour) {
      for (let i = 0; i < info.width * info.height; i++) {
        if (data[i * 4 + 3] === 0) rgb.data.set(colour, i * 3);
      }
    }
  }
  return rgb;
}

/** Drops alpha (keeping the stored colour) and spreads gray to R, G and B. */
function toRgb(data: Uint8Array, width: number, height: number, channels: number): RgbImage {
  const n = width * height;
  if (channels === 3) {
    return { width, height, data: new Uint8Array(data.buffer, data.byteOffset, n * 3) };
  }
  const out = new Uint8Array(n * 3);
  if (channels === 4) {
    for (let i = 0, p = 0, o = 0; i < n; i++, p += 4) {
      out[o++] = data[p];
      out[o++] = data[p + 1];
      out[o++] = data[p + 2];
    }
  } else if (channels === 1 || channels === 2) {
    for (let i = 0, p = 0, o = 0; i < n; i++, p += channels) {
      out[o++] = out[o++] = out[o++] = data[p];
    }
  } else {
    throw new Error(`decoded to ${channels} channels`);
  }
  return { width, height, data: out };
}

/**
 * Pillow's `cmyk2rgb` (libImaging/Convert.c): `nk − nk·c/255` per channel with `nk = 255 − k`,
 * the division by 255 done as `MULDIV255` (`t = a·b + 128; ((t >> 8) + t) >> 8`). No profile.
 */
function cmykToRgb(data: Uint8Array, width: number, height: number): RgbImage {
  const n = width * height;
  const out = new Uint8Array(n * 3);
  for (let i = 0, p = 0, o = 0; i < n; i++, p += 4) {
    const nk = 255 - data[p + 3];
    for (let c = 0; c < 3; c++) {
      const t = data[p + c] * nk + 128;
      const v = nk - (((t >> 8) + t) >> 8);
      out[o++] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return { width, height, data: out };
}

/**
 * The palette colour of the first frame's transparent index, or null when that frame has none:
 * walks the GIF blocks (header, global colour table, extensions) up to the first image
 * descriptor, whose local colour table, when present, is the frame's palette.
 */
function gifTransparentColour(b: Uint8Array): Uint8Array | null {
  if (b.length < 13) return null;
  let p = 13;
  let palette: Uint8Array | null = null;
  if (b[10] & 0x80) {
    const size = 3 * (1 << ((b[10] & 7) + 1));
    palette = b.subarray(p, p + size);
    p += size;
  }
  let transparent = -1;
  while (p < b.length) {
    const block = b[p];
    if (block === 0x21) { // extension: label, then data sub-blocks
      const label = b[p + 1];
      if (label === 0xf9 && b[p + 2] >= 4 && (b[p + 3] & 1)) transparent = b[p + 6];
      p += 2;
      while (p < b.length && b[p] !== 0) p += b[p] + 1;
      p++;
    } else if (block === 0x2c) { // image descriptor
      if (b[p + 9] & 0x80) {
        const size = 3 * (1 << ((b[p + 9] & 7) + 1));
        palette = b.subarray(p + 10, p + 10 + size);
      }
      break;
    } else {
      return null;
    }
  }
  if (transparent < 0) return null;
  const colour = new Uint8Array(3); // an index past the palette's end reads as black in Pillow
  if (palette && transparent * 3 + 3 <= palette.length) {
    colour.set(palette.subarray(transparent * 3, transparent * 3 + 3));
  }
  return colour;
}
