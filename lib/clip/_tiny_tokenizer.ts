/**
 * A real CLIP-style byte-level BPE tokenizer with a tiny vocabulary, in the Hugging Face
 * `tokenizer.json` format: the same normaliser, pre-tokeniser regex, `</w>` word suffix and
 * special tokens as OpenAI CLIP's, so every code path that handles the real tokenizer (lower-casing,
 * BPE merges, `<|startoftext|>` … `<|endoftext|>` framing, truncation) runs on it.
 *
 * @module
 */

/** The start-of-text token, as CLIP spells it. */
export const BOS_TOKEN = "<|startoftext|>";
/** The end-of-text token; CLIP pools the text feature at its position. */
export const EOS_TOKEN = "<|endoftext|>";

/** The files a CLIP tokenizer needs, ready to serialise. */
export interface TinyTokenizer {
  /** Contents of `tokenizer.json`. */
  readonly tokenizerJson: Record<string, unknown>;
  /** Contents of `tokenizer_config.json`. */
  readonly tokenizerConfig: Record<string, unknown>;
  /** Number of ids. */
  readonly vocabSize: number;
  /** Id of `<|startoftext|>`. */
  readonly bosId: number;
  /** Id of `<|endoftext|>`: the highest id, as in CLIP, because pooling takes argmax(input_ids). */
  readonly eosId: number;
}

/** GPT-2/CLIP's reversible byte → printable-character table. */
function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let i = 33; i <= 126; i++) bs.push(i);
  for (let i = 161; i <= 172; i++) bs.push(i);
  for (let i = 174; i <= 255; i++) bs.push(i);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  const table: string[] = new Array(256);
  bs.forEach((b, i) => (table[b] = String.fromCharCode(cs[i])));
  return table;
}

// A few merges so that BPE is exercised on the prompt template ("a photo of a …").
const MERGES = [
  "t h",
  "th e</w>",
  "o f</w>",
  "p h",
  "ph o",
  "pho t",
  "phot o</w>",
  "a n",
  "an d</w>",
];

/** Builds the tokenizer: every byte, every byte + `</w>`, the merges, then BOS and EOS. */
export function buildTinyTokenizer(contextLength = 77): TinyTokenizer {
  const vocab: Record<string, number> = {};
  let next = 0;
  const add = (t: string) => {
    if (!(t in vocab)) vocab[t] = next++;
  };
  const chars = bytesToUnicode();
  for (const c of chars) add(c);
  for (const c of chars) add(c + "</w>");
  for (const m of MERGES) add(m.replace(" ", ""));
  add(BOS_TOKEN);
  add(EOS_TOKEN); // last, so it has the highest id
  const bosId = vocab[BOS_TOKEN];
  const eosId = vocab[EOS_TOKEN];
  const special = (content: string) => ({
    id: vocab[content],
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: true,
    special: true,
  });
  const tokenizerJson = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [special(BOS_TOKEN), special(EOS_TOKEN)],
    normalizer: {
      type: "Sequence",
      normalizers: [
        { type: "NFC" },
        { type: "Replace", pattern: { Regex: "\\s+" }, content: " " },
        { type: "Lowercase" },
      ],
    },
    pre_tokenizer: {
      type: "Sequence",
      pretokenizers: [
        {
          type: "Split",
          pattern: {
            Regex:
              "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+",
          },
          behavior: "Removed",
          invert: true,
        },
        { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: {
      type: "RobertaProcessing",
      sep: [EOS_TOKEN, eosId],
      cls: [BOS_TOKEN, bosId],
      trim_offsets: false,
      add_prefix_space: false,
    },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: EOS_TOKEN,
      continuing_subword_prefix: "",
      end_of_word_suffix: "</w>",
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges: MERGES,
    },
  };
  const tokenizerConfig = {
    add_prefix_space: false,
    bos_token: BOS_TOKEN,
    clean_up_tokenization_spaces: true,
    do_lower_case: true,
    eos_token: EOS_TOKEN,
    errors: "replace",
    model_max_length: contextLength,
    pad_token: EOS_TOKEN,
    tokenizer_class: "CLIPTokenizer",
    unk_token: EOS_TOKEN,
  };
  return { tokenizerJson, tokenizerConfig, vocabSize: next, bosId, eosId };
}
