/**
 * Meme text normalisation, following MemeCLIP's `datasets.py`.
 *
 * @module
 */

/**
 * The string the reference feeds CLIP's tokenizer for a meme without text. MemeCLIP's
 * `Custom_Dataset.__getitem__` does `if row['text'] == 'None': txt = 'null'`, so the *word* "null"
 * is encoded, not an empty prompt.
 */
export const REFERENCE_NULL_TEXT = "null";

/**
 * Normalises a raw `text` cell: `"None"` (the reference's marker for "no text") and empty or
 * whitespace-only cells become `null`; anything else is returned unchanged.
 *
 * Nothing else is rewritten, on purpose: CLIP's tokenizer lower-cases and collapses whitespace
 * itself, and the reference tokenises everything but the exact string `None` verbatim. In
 * particular the lower-case `none` (two memes in the released PrideMM.csv: img_39.png and
 * img_3356.png) stays text, as it does in the reference. The released CSV contains no `None`, empty
 * or `NaN` text at all, so this only matters for other files.
 */
export function normaliseText(raw: string): string | null {
  if (raw === "None" || raw.trim() === "") return null;
  return raw;
}

/** The prompt the reference tokenises for a meme's text: the text, or `"null"` when it has none. */
export function textForClip(text: string | null): string {
  return text ?? REFERENCE_NULL_TEXT;
}
