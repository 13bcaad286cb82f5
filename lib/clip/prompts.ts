/**
 * CLIP prompts for the class names: MemeCLIP's classifier initialisation and the zero-shot
 * baseline.
 *
 * The initialisation is surprising and worth spelling out. MemeCLIP takes the *projected* text
 * embeddings of `a photo of a {class}.` (768-d, text-image joint space), L2-normalises them, and
 * multiplies by the transpose of the *visual* projection (`visual.proj`, 1024 × 768), landing in
 * the vision transformer's 1024-d pre-projection space — which happens to be the width of the
 * head's fused features (mapDim 1024). It then L2-normalises again. Nothing ties the head's 1024-d
 * space to CLIP's vision width; the reference relies on the numbers matching.
 *
 * @module
 */
import { normaliseRows } from "../util/mod.ts";
import type { ClipEncoder } from "./model.ts";

/**
 * The CLIP prompt for a class's prompt name, as the reference writes it (underscores become
 * spaces): `a photo of a {name}.`.
 */
export function classPrompt(name: string): string {
  return `a photo of a ${name.replaceAll("_", " ")}.`;
}

/**
 * The classifier initialisation from already computed prompt embeddings:
 * `normalize(normalize(textEmbeds) · projᵀ)` where `textEmbeds` is `C × dim` and `visualProjection`
 * is `hidden × dim` (row-major). Returns `C × hidden`.
 */
export function promptWeightsFrom(
  textEmbeds: Float32Array,
  visualProjection: Float32Array,
  classes: number,
  dim: number,
  hidden: number,
): Float32Array {
  if (textEmbeds.length !== classes * dim) {
    throw new Error(`text embeddings: ${textEmbeds.length} values, want ${classes}×${dim}`);
  }
  if (visualProjection.length !== hidden * dim) {
    throw new Error(`visual projection: ${visualProjection.length} values, want ${hidden}×${dim}`);
  }
  const t = normaliseRows(new Float32Array(textEmbeds), classes, dim);
  const out = new Float32Array(classes * hidden);
  for (let c = 0; c < classes; c++) {
    for (let h = 0; h < hidden; h++) {
      let s = 0;
      for (let j = 0; j < dim; j++) s += t[c * dim + j] * visualProjection[h * dim + j];
      out[c * hidden + h] = s;
    }
  }
  return normaliseRows(out, classes, hidden);
}

/**
 * MemeCLIP's cosine-classifier initialisation for a task's prompt names (one per class; a
 * task's class names unless its description gives others): `C × visionHidden` unit rows
 * (C × 1024 for ViT-L/14), in class order.
 */
export async function promptClassifierInit(
  clip: ClipEncoder,
  promptNames: readonly string[],
): Promise<Float32Array> {
  const { embeds } = await clip.encodeTexts(promptNames.map(classPrompt));
  return promptWeightsFrom(
    embeds,
    await clip.visualProjection(),
    promptNames.length,
    clip.dim,
    clip.visionHidden,
  );
}

/**
 * Cosine similarity between image embeddings (`n × dim`, as returned by
 * {@linkcode ClipEncoder.encodeImages}) and the prompt embeddings of a task's prompt names:
 * `n × C`, CLIP's zero-shot classifier before its temperature. Zero rows (unreadable images)
 * score 0.
 */
export async function zeroShotScores(
  clip: ClipEncoder,
  imageEmbeds: Float32Array,
  promptNames: readonly string[],
): Promise<Float32Array> {
  const { embeds } = await clip.encodeTexts(promptNames.map(classPrompt));
  return cosineScores(imageEmbeds, embeds, clip.dim);
}

/**
 * Cosine similarity of every row of `a` (`n × dim`) with every row of `b` (`C × dim`): `n × C`.
 * Zero rows score 0.
 */
export function cosineScores(a: Float32Array, b: Float32Array, dim: number): Float32Array {
  if (a.length % dim !== 0 || b.length % dim !== 0) {
    throw new Error(`embeddings of ${a.length} and ${b.length} values are not multiples of ${dim}`);
  }
  const n = a.length / dim, C = b.length / dim;
  const x = normaliseRows(new Float32Array(a), n, dim);
  const y = normaliseRows(new Float32Array(b), C, dim);
  const out = new Float32Array(n * C);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let j = 0; j < dim; j++) s += x[i * dim + j] * y[c * dim + j];
      out[i * C + c] = s;
    }
  }
  return out;
}
