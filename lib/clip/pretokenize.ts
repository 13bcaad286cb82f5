/**
 * CLIP's pre-tokenisation, for counting tokens without CLIP's BPE vocabulary.
 *
 * OpenAI's `SimpleTokenizer` lower-cases the text, collapses whitespace and splits it with one
 * regular expression (words, single digits, runs of punctuation, English contractions) before
 * byte-pair encoding each piece. BPE never merges across pieces, so every piece becomes at least
 * one token: `pieces + 2` (start- and end-of-text) is a lower bound on the real token count, and
 * a text with more than 77 bounding tokens is certainly truncated by `clip.tokenize`. Common
 * English words are one token each, so the bound is close for plain text.
 *
 * @module
 */
import { textForClip } from "../data/mod.ts";

/** OpenAI CLIP's pre-tokeniser pattern (`simple_tokenizer.py`; Python's `re.IGNORECASE`). */
export const CLIP_PRETOKEN_PATTERN: RegExp =
  /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+/giu;

/**
 * The pieces CLIP's tokenizer byte-pair encodes separately: the text lower-cased, whitespace
 * collapsed, split by {@linkcode CLIP_PRETOKEN_PATTERN}. `null` (no text) is the word `null`, as
 * MemeCLIP feeds it.
 */
export function clipPreTokens(text: string | null): string[] {
  const clean = textForClip(text).replace(/\s+/g, " ").trim().toLowerCase();
  return clean.match(CLIP_PRETOKEN_PATTERN) ?? [];
}

/**
 * A lower bound on the number of tokens CLIP's tokenizer gives `text` before truncation,
 * start- and end-of-text included: one per pre-token piece, plus two.
 */
export function clipTokenLowerBound(text: string | null): number {
  return clipPreTokens(text).length + 2;
}
