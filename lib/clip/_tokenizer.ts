/**
 * A CLIP model's tokenizer, checked for what the reference's text pooling relies on.
 *
 * @module
 */
import { AutoTokenizer } from "@huggingface/transformers";
import { LAYOUT_HELP } from "./_model_files.ts";
import type { TokenizerLike } from "./text.ts";

/**
 * Loads the tokenizer of the model at `location` (a directory or hub id; `where` names it in
 * errors). A failure to load goes to `fail`; a tokenizer whose end-of-text token is missing or
 * not the highest id is an error.
 */
export async function loadTokenizer(
  location: string,
  where: string,
  fail: (e: unknown) => never,
): Promise<TokenizerLike> {
  const tokenizer = await AutoTokenizer.from_pretrained(location).catch(fail);
  const tok = tokenizer as unknown as TokenizerLike & {
    get_vocab(): Map<string, number> | Record<string, number>;
  };
  const eos = tok.eos_token_id;
  if (eos === null || eos === undefined) {
    throw new Error(`the tokenizer of ${where} has no end-of-text token. ${LAYOUT_HELP}`);
  }
  const vocab = tok.get_vocab();
  let maxId = -1;
  for (const id of vocab instanceof Map ? vocab.values() : Object.values(vocab)) {
    if (id > maxId) maxId = id;
  }
  if (eos !== maxId) {
    // Reference pooling is argmax(input_ids): it only finds the end-of-text token if that has the
    // highest id, as in every OpenAI CLIP vocabulary.
    throw new Error(
      `the tokenizer of ${where}: <|endoftext|> has id ${eos}, not the highest id ${maxId}`,
    );
  }
  return tok;
}
