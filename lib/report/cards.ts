/**
 * Memes shown as cards — a thumbnail, a few labelled values, an excerpt of the text, the file
 * name — in a grid: the report's gallery of confident errors and a notebook's sample of a dataset
 * draw them alike. Thumbnails are embedded as `data:` URIs, so a page with cards stays
 * self-contained.
 *
 * ```ts
 * import { memeCardsHtml, textExcerpt } from "./mod.ts";
 * const html = memeCardsHtml([{
 *   name: "meme.png",
 *   thumbnail: null,
 *   text: textExcerpt("some meme text"),
 *   lines: [{ label: "hate", value: "Benign Meme" }],
 * }]);
 * ```
 *
 * @module
 */
import { escapeHtml } from "./table.ts";
import { MEME_CARD_CSS, PAGE_COLOURS } from "./_page_style.ts";

/** The longest side of a card's thumbnail, in pixels. */
export const THUMBNAIL_SIDE = 160;

/** Characters of a meme's text shown on its card. */
export const EXCERPT_CHARS = 140;

/**
 * A JPEG thumbnail of an image file as a `data:` URI, at most `side` pixels on its longer side
 * (never enlarged): small enough to embed dozens in a self-contained page. Throws naming the
 * file when it cannot be read.
 */
export async function thumbnailDataUri(
  path: string,
  side: number = THUMBNAIL_SIDE,
): Promise<string> {
  // Loaded here, not with the module: most users of lib/report never make a thumbnail.
  const { default: sharp } = await import("sharp");
  try {
    const jpeg = await sharp(await Deno.readFile(path))
      .rotate()
      .resize({ width: side, height: side, fit: "inside", withoutEnlargement: true })
      .flatten({ background: "#ffffff" })
      .jpeg({ quality: 70 })
      .toBuffer();
    return `data:image/jpeg;base64,${btoa(String.fromCharCode(...new Uint8Array(jpeg)))}`;
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound ? "file is missing" : (e as Error).message;
    throw new Error(`cannot make a thumbnail of ${path}: ${why}`);
  }
}

/**
 * A meme's text as a card shows it: whitespace collapsed, cut to `chars` characters with `…`;
 * null for a meme without text.
 */
export function textExcerpt(text: string | null, chars: number = EXCERPT_CHARS): string | null {
  if (text === null || text.trim() === "") return null;
  const clean = text.replace(/\s+/g, " ").trim();
  const all = [...clean];
  return all.length <= chars ? clean : `${all.slice(0, chars - 1).join("")}…`;
}

/** One labelled value on a card: `label <b>value</b> (note)`. */
export interface MemeCardLine {
  /** What the value is, e.g. `true`, `predicted`, `hate`. */
  readonly label: string;
  /** The value, in bold, e.g. a class name. */
  readonly value: string;
  /** A remark in parentheses after it, e.g. a probability. */
  readonly note?: string;
}

/** One meme's card. */
export interface MemeCard {
  /** The image file name, shown at the bottom. */
  readonly name: string;
  /** A `data:` URI of the thumbnail ({@linkcode thumbnailDataUri}), or null when unavailable. */
  readonly thumbnail: string | null;
  /** The text shown ({@linkcode textExcerpt}), or null for `(no text)`. */
  readonly text: string | null;
  /** Labelled values under the image, one per line. */
  readonly lines: readonly MemeCardLine[];
}

/** One card as HTML (the report's page, and {@linkcode memeCardsHtml}, style it). */
export function memeCardHtml(card: MemeCard): string {
  const image = card.thumbnail
    ? `<img src="${card.thumbnail}" alt="${escapeHtml(card.name)}" loading="lazy">`
    : `<div class="no-thumb">image unavailable</div>`;
  const text = card.text === null
    ? `<p class="meme-text none">(no text)</p>`
    : `<p class="meme-text">${escapeHtml(card.text)}</p>`;
  const lines = card.lines.map((l) =>
    `${escapeHtml(l.label)} <b>${escapeHtml(l.value)}</b>` +
    (l.note === undefined ? "" : ` (${escapeHtml(l.note)})`)
  );
  return `<figure class="meme-card">${image}<figcaption>` +
    `<p class="verdict">${lines.join("<br>")}</p>` +
    `${text}<p class="meme-name">${escapeHtml(card.name)}</p></figcaption></figure>`;
}

/** Cards in a grid that fills the width, as HTML for the report's page (which styles it). */
export function memeGridHtml(cards: readonly MemeCard[]): string {
  return `<div class="meme-grid">${cards.map(memeCardHtml).join("\n")}</div>`;
}

/**
 * Cards in a grid as a self-contained piece of HTML — its style sheet and colours included — for
 * a page without the report's style, such as a notebook output.
 */
export function memeCardsHtml(cards: readonly MemeCard[]): string {
  const style = `${PAGE_COLOURS} color: var(--fg); font-family: system-ui, sans-serif;`;
  return `<style>${MEME_CARD_CSS}</style><div style="${style}">${memeGridHtml(cards)}</div>`;
}
