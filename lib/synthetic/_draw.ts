/**
 * Draws one planned synthetic meme as SVG (background, shapes, caption band) and rasterises it
 * to PNG with sharp.
 *
 * @module
 */
import sharp from "sharp";
import { canRender, GLYPH_ADVANCE, LINE_ADVANCE, textPath, wrapWords } from "./_font.ts";
import { CAPTION_BAND, STANCE_COLOURS, STANCE_SHAPES, type SyntheticMeme } from "./_rules.ts";

/** Shape radius (half the side of a square) as a fraction of the image size. */
const SHAPE_RADIUS = 0.13;
/** Maximum jitter of a shape centre, as a fraction of the image size (shapes never overlap). */
const JITTER = 0.02;

/** The SVG document for `meme` at `size`×`size` pixels. */
export function memeSvg(meme: SyntheticMeme, size: number): string {
  const bandHeight = Math.round(size * CAPTION_BAND.heightFraction);
  const bandTop = size - bandHeight;
  const background = hslToHex(meme.hue, meme.saturation, meme.lightness);
  const r = SHAPE_RADIUS * size;
  const colour = STANCE_COLOURS[meme.stance];
  const kind = STANCE_SHAPES[meme.stance];

  const shapes = meme.slots.map((slot, k) => {
    // 2×2 grid over the area above the caption band.
    const cx = size * (slot % 2 === 0 ? 0.28 : 0.72) + meme.jitter[k][0] * JITTER * size;
    const cy = bandTop * (slot < 2 ? 0.27 : 0.73) + meme.jitter[k][1] * JITTER * size;
    switch (kind) {
      case "circle":
        return `<circle cx="${f(cx)}" cy="${f(cy)}" r="${f(r)}" fill="${colour}"/>`;
      case "square":
        return `<rect x="${f(cx - r)}" y="${f(cy - r)}" width="${f(2 * r)}" height="${
          f(2 * r)
        }" fill="${colour}"/>`;
      case "triangle": {
        const h = r * 1.1;
        const pts = [[cx, cy - h], [cx + h, cy + h * 0.8], [cx - h, cy + h * 0.8]];
        return `<polygon points="${
          pts.map(([x, y]) => `${f(x)},${f(y)}`).join(" ")
        }" fill="${colour}"/>`;
      }
    }
  });

  if (!canRender(meme.text)) {
    throw new Error(`${meme.name}: caption has characters the pixel font lacks: "${meme.text}"`);
  }
  // The largest whole-pixel font cell that fits the caption in the band.
  const pad = Math.max(2, Math.round(size * 0.03));
  let cell = Math.max(1, Math.floor(size / 112));
  let lines: string[] = [];
  for (; cell >= 1; cell--) {
    lines = wrapWords(meme.text, Math.floor((size - 2 * pad) / (GLYPH_ADVANCE * cell)));
    if ((lines.length * LINE_ADVANCE - 2) * cell <= bandHeight - 2 * pad) break;
  }
  if (cell < 1) throw new Error(`${meme.name}: caption does not fit a ${size}px image`);
  const textHeight = (lines.length * LINE_ADVANCE - 2) * cell;
  const textTop = bandTop + Math.round((bandHeight - textHeight) / 2);

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}">`,
    `<rect width="${size}" height="${size}" fill="${background}"/>`,
    ...shapes,
    `<rect y="${bandTop}" width="${size}" height="${bandHeight}" fill="${CAPTION_BAND.fill}"/>`,
    `<path d="${textPath(lines, size / 2, textTop, cell)}" fill="${CAPTION_BAND.ink}"/>`,
    `</svg>`,
  ].join("");
}

/** Rasterises `meme` to PNG bytes (RGB, deterministic for equal inputs and sharp version). */
export async function renderMemePng(meme: SyntheticMeme, size: number): Promise<Uint8Array> {
  const png = await sharp(new TextEncoder().encode(memeSvg(meme, size)))
    .removeAlpha()
    .png({ compressionLevel: 6, adaptiveFiltering: false })
    .toBuffer();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}

/** `#rrggbb` for a colour given as hue (degrees), saturation and lightness in [0, 1]. */
export function hslToHex(hue: number, saturation: number, lightness: number): string {
  const c = (1 - Math.abs(2 * lightness - 1)) * saturation;
  const h = (((hue % 360) + 360) % 360) / 60;
  const x = c * (1 - Math.abs((h % 2) - 1));
  const [r, g, b] = h < 1
    ? [c, x, 0]
    : h < 2
    ? [x, c, 0]
    : h < 3
    ? [0, c, x]
    : h < 4
    ? [0, x, c]
    : h < 5
    ? [x, 0, c]
    : [c, 0, x];
  const m = lightness - c / 2;
  return "#" +
    [r, g, b].map((v) => Math.round((v + m) * 255).toString(16).padStart(2, "0")).join("");
}

/** Two decimals are plenty for SVG coordinates and keep the document stable across platforms. */
function f(v: number): string {
  return (Math.round(v * 100) / 100).toString();
}
