/**
 * Frozen CLIP encoders for MemeSense, through transformers.js and onnxruntime-node: image
 * embeddings and unprojected end-of-text text features exactly as MemeCLIP computes them, the
 * prompt-initialised classifier, zero-shot scores, and a generated tiny CLIP for tests and the
 * offline demo.
 *
 * ```ts
 * import { loadClip, promptClassifierInit } from "./mod.ts";
 * const clip = await loadClip({ model: "tiny" });
 * const { embeds, ok } = await clip.encodeImages(["meme.png"]);
 * const { features } = await clip.encodeTexts(["some meme text", null]);
 * const init = await promptClassifierInit(clip, ["Benign Meme", "Harmful Meme"]); // 2 × 1024
 * await clip.dispose();
 * ```
 *
 * @module
 */
export {
  type ClipDevice,
  type ClipEncoder,
  type ClipModelFiles,
  type ClipModelSource,
  type ClipSettings,
  clipSettings,
  compactOk,
  configureTransformers,
  type EncodeImagesOptions,
  loadClip,
  type LoadClipOptions,
  locateModelFile,
  locateModelFiles,
  resolveClipModel,
} from "./model.ts";
export {
  CLIP_IMAGE,
  decodeRgb,
  type ImageGeometry,
  type ImageInput,
  loadImagePixels,
  loadPixelBatch,
  normalizeInto,
  parsePreprocessorConfig,
  type PixelBatch,
  type Resizer,
} from "./image.ts";
export { type CropPlan, cropPlan, pillowResize, resizeForClip, type RgbImage } from "./resample.ts";
export {
  CONTEXT_LENGTH,
  poolAt,
  type TokenBatch,
  tokenizeBatch,
  type TokenizerLike,
} from "./text.ts";
export {
  classPrompt,
  cosineScores,
  normalizeRows,
  promptClassifierInit,
  promptWeightsFrom,
  zeroShotScores,
} from "./prompts.ts";
export {
  CLIP_ARCHITECTURES,
  CLIP_MEAN,
  CLIP_STD,
  type ClipArchitecture,
  ensureTinyClip,
  type TinyClipShape,
  writeTinyClip,
  type WrittenClip,
} from "./tiny.ts";
export { type GraphMatrix, readOutputMatrix } from "./onnx.ts";
export { CLIP_PRETOKEN_PATTERN, clipPreTokens, clipTokenLowerBound } from "./pretokenize.ts";
export type { ImageMode, Preprocess } from "../config/mod.ts";
