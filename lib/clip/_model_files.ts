/**
 * What a CLIP model directory holds (the transformers.js layout) and what an error says when a
 * model cannot be found or loaded.
 *
 * @module
 */
import { DEFAULT_CLIP_MODEL } from "../config/mod.ts";

/** Local paths of the files that define a model's features. */
export interface ClipModelFiles {
  /** The text tower graph (`onnx/text_model.onnx`). */
  readonly textModel: string;
  /** The vision tower graph (`onnx/vision_model.onnx`). */
  readonly visionModel: string;
  /** `tokenizer.json`. */
  readonly tokenizer: string;
  /** `tokenizer_config.json`. */
  readonly tokenizerConfig: string;
  /** `preprocessor_config.json`; null when the model has none (CLIP defaults apply). */
  readonly preprocessorConfig: string | null;
}

/** The files a local model directory must hold. */
export const REQUIRED_FILES = [
  "config.json",
  "tokenizer.json",
  "tokenizer_config.json",
  "onnx/text_model.onnx",
  "onnx/vision_model.onnx",
] as const;

/** The layout a model directory must have, ending every error about one. */
export const LAYOUT_HELP = "A CLIP model directory in transformers.js layout holds config.json, " +
  "tokenizer.json, tokenizer_config.json, preprocessor_config.json, onnx/text_model.onnx and " +
  "onnx/vision_model.onnx (fp32), e.g. a copy of the Hugging Face repo " +
  `${DEFAULT_CLIP_MODEL}. \`deno task tiny-clip\` writes a small random one for testing.`;

/** What to do when a hub model cannot be loaded, e.g. without network. */
export const HUB_WAYS_OUT = "Loading from the Hugging Face Hub failed. Without network: set " +
  "MEMESENSE_OFFLINE=1 (the notebooks then use the tiny test model and the synthetic memes, as " +
  "`deno task demo` does), set MEMESENSE_CLIP_MODEL (or --model) to a local model directory " +
  "(a copy of the model downloaded elsewhere), or set MEMESENSE_CLIP_MODEL=tiny for the " +
  "generated test model.";
