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
  type ClipEncoder,
  type ClipModelFiles,
  type ClipModelSource,
  type ClipSettings,
  clipSettings,
  compactOk,
  type EncodeImagesOptions,
  loadClip,
  type LoadClipOptions,
  locateModelFiles,
  resolveClipModel,
} from "./model.ts";
export { pillowResize, type RgbImage } from "./resample.ts";
export { CONTEXT_LENGTH, type TokenBatch } from "./text.ts";
export type { ImageGeometry, ImageInput, PixelBatch } from "./_image.ts";
export { clipTokenLowerBound } from "./pretokenize.ts";
export {
  CLIP_VIT_L_14,
  type ClipModelShape,
  clipModelShape,
  describeClipModel,
  isClipViTL14,
  readClipModelShape,
} from "./architecture.ts";
export {
  type GraphOutline,
  type OutlineNode,
  type OutlineValue,
  readGraphOutline,
} from "./_onnx_outline.ts";
export { classPrompt, promptClassifierInit, promptWeightsFrom, zeroShotScores } from "./prompts.ts";
export {
  type ClipArchitecture,
  ensureTinyClip,
  type TinyClipShape,
  writeTinyClip,
  type WrittenClip,
} from "./tiny.ts";
