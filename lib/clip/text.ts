/**
 * Text side of CLIP as the MemeCLIP reference computes it: OpenAI's `clip.tokenize(text,
 * context_length=77, truncate=True)` — `<|startoftext|>` + BPE tokens + `<|endoftext|>`, cut to
 * 77 with the last kept token overwritten by `<|endoftext|>` — then the final-layer-norm hidden
 * state at `argmax(input_ids)`, i.e. at the end-of-text token, which has the highest id in CLIP's
 * vocabulary. That state is the text feature, taken *before* the text projection.
 *
 * @module
 */

import { textForClip } from "../data/mod.ts";

/** CLIP's context length. */
export const CONTEXT_LENGTH = 77;

/** The part of a transformers.js tokenizer this module uses. */
export interface TokenizerLike {
  /** Ids with special tokens (`<|startoftext|>` … `<|endoftext|>`). */
  encode(text: string): number[];
  /** Id of `<|endoftext|>`. */
  readonly eos_token_id?: number | null;
  /** Id used for padding. */
  readonly pad_token_id?: number | null;
}

/** A tokenised batch, padded to `contextLength`. */
export interface TokenBatch {
  /** `n × contextLength` token ids. */
  readonly ids: BigInt64Array;
  /** Where CLIP pools each row: argmax(ids) (the first end-of-text token). */
  readonly eotPositions: Int32Array;
  /** Tokens before truncation (with both special tokens), per row. */
  readonly lengths: Int32Array;
  /** Rows longer than the context and therefore truncated. */
  readonly truncated: boolean[];
  /** Number of rows. */
  readonly count: number;
  /** Tokens per row (77 for CLIP). */
  readonly contextLength: number;
}

/**
 * Tokenises texts as `clip.tokenize(…, truncate=True)` does. `null` (a meme without text) is
 * tokenised as the word `null`, as MemeCLIP replaces the text `None` by `'null'` before
 * tokenising, so every row gets a text feature. Rows are padded with the tokenizer's pad id
 * (padding cannot reach the end-of-text state: the text transformer is causal).
 */
export function tokenizeBatch(
  tokenizer: TokenizerLike,
  texts: readonly (string | null)[],
  contextLength = CONTEXT_LENGTH,
): TokenBatch {
  const eos = tokenizer.eos_token_id;
  if (eos === null || eos === undefined) throw new Error("tokenizer has no end-of-text token");
  const pad = tokenizer.pad_token_id ?? eos;
  const n = texts.length;
  const ids = new BigInt64Array(n * contextLength).fill(BigInt(pad));
  const eotPositions = new Int32Array(n);
  const lengths = new Int32Array(n);
  const truncated = new Array<boolean>(n).fill(false);
  for (let r = 0; r < n; r++) {
    let tokens = tokenizer.encode(textForClip(texts[r]));
    lengths[r] = tokens.length;
    if (tokens.length > contextLength) {
      tokens = tokens.slice(0, contextLength);
      tokens[contextLength - 1] = eos;
      truncated[r] = true;
    }
    let best = 0;
    for (let i = 0; i < tokens.length; i++) {
      ids[r * contextLength + i] = BigInt(tokens[i]);
      if (tokens[i] > tokens[best]) best = i; // first maximum, as torch.argmax
    }
    // Padding with an id above every real token would move argmax: CLIP's pad (0 in OpenAI's
    // tokenizer, <|endoftext|> in HF's) never is, but check rather than assume.
    if (pad > tokens[best]) throw new Error(`pad id ${pad} exceeds the end-of-text id`);
    eotPositions[r] = best;
  }
  return { ids, eotPositions, lengths, truncated, count: n, contextLength };
}

/**
 * Picks row `b`'s hidden state at `positions[b]` from `last_hidden_state` (`n × seq × width`):
 * CLIP's pooled text output before projection.
 */
export function poolAt(
  lastHiddenState: Float32Array,
  n: number,
  seq: number,
  width: number,
  positions: Int32Array,
): Float32Array {
  if (lastHiddenState.length !== n * seq * width) {
    throw new Error(
      `last_hidden_state has ${lastHiddenState.length} values, want ${n}×${seq}×${width}`,
    );
  }
  const out = new Float32Array(n * width);
  for (let b = 0; b < n; b++) {
    const p = positions[b];
    if (p < 0 || p >= seq) throw new Error(`pooling position ${p} outside 0..${seq - 1}`);
    out.set(lastHiddenState.subarray((b * seq + p) * width, (b * seq + p + 1) * width), b * width);
  }
  return out;
}
