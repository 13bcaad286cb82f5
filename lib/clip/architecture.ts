/**
 * What a CLIP model is, read from its ONNX graphs rather than from its name: the vision tower's
 * width, depth, patch size, input size and projection, the text tower's width and depth. A model
 * folder called `clip-vit-large-patch14` holding the tiny test model is the tiny test model; the
 * paper's numbers are compared only with CLIP ViT-L/14's.
 *
 * ```ts
 * import { describeClipModel, ensureTinyClip, isClipViTL14, readClipModelShape } from "./mod.ts";
 * const dir = await ensureTinyClip();
 * const shape = await readClipModelShape({
 *   visionModel: `${dir}/onnx/vision_model.onnx`,
 *   textModel: `${dir}/onnx/text_model.onnx`,
 * });
 * console.log(describeClipModel(shape), isClipViTL14(shape)); // "tiny CLIP" false
 * ```
 *
 * @module
 */
import { type GraphOutline, type OutlineNode, readGraphOutline } from "./_onnx_outline.ts";
import { CLIP_ARCHITECTURES } from "./tiny.ts";

/** A CLIP model's architecture as its graphs give it. */
export interface ClipModelShape {
  /** Width of the vision transformer (1024 for ViT-L/14). */
  readonly visionWidth: number;
  /** Vision transformer layers (24 for ViT-L/14). */
  readonly visionLayers: number;
  /** Side of a vision patch in pixels (14). */
  readonly patchSize: number;
  /** Input image side in pixels (224). */
  readonly imageSize: number;
  /** Width of `image_embeds`, the joint embedding space (768). */
  readonly projectionDim: number;
  /** Width of the text transformer (768). */
  readonly textWidth: number;
  /** Text transformer layers (12). */
  readonly textLayers: number;
}

/** CLIP ViT-L/14 (OpenAI, 224 px), the model the paper's numbers are for. */
export const CLIP_VIT_L_14: ClipModelShape = Object.freeze({
  visionWidth: 1024,
  visionLayers: 24,
  patchSize: 14,
  imageSize: 224,
  projectionDim: 768,
  textWidth: 768,
  textLayers: 12,
});

/** Operators that pass a tensor through unchanged in value. */
const PASS_THROUGH = new Set(["Identity", "Reshape", "Squeeze", "Unsqueeze", "Flatten", "Cast"]);

/** Attention layers: one Softmax each, or one fused attention operator each. */
function attentionLayers(g: GraphOutline): number {
  const softmax = g.nodes.filter((n) => n.op === "Softmax").length;
  return softmax > 0
    ? softmax
    : g.nodes.filter((n) => n.op === "Attention" || n.op === "MultiHeadAttention").length;
}

/** The width of the constant weight of the MatMul or Gemm that produces `output`. */
function producedWidth(g: GraphOutline, output: string): number | null {
  const producer = new Map<string, OutlineNode>();
  for (const n of g.nodes) for (const o of n.outputs) producer.set(o, n);
  const dims = new Map(g.initializers.map((t) => [t.name, t.dims]));
  let name = output;
  for (let hops = 0; hops < 16; hops++) {
    const node = producer.get(name);
    if (node === undefined) return null;
    if (PASS_THROUGH.has(node.op)) {
      name = node.inputs[0];
      continue;
    }
    if (node.op !== "MatMul" && node.op !== "Gemm") return null;
    const weight = node.inputs.slice(0, 2).map((i) => dims.get(i)).find((d) => d?.length === 2);
    return weight === undefined ? null : weight[1];
  }
  return null;
}

/** The problem with a graph that is not a CLIP tower of the layout expected. */
function notClip(tower: string, why: string): Error {
  return new Error(`the ${tower} graph is not a CLIP ${tower} tower as expected: ${why}`);
}

/**
 * The architecture of a CLIP model from the outlines of its vision and text graphs: the patch
 * convolution on the pixel input gives the vision width and patch size, the attention layers
 * (one Softmax each) the depths, the position embedding the input size, the matrix producing
 * `image_embeds` the projection, the token embedding the text width. Throws for graphs that do
 * not have these parts.
 */
export function clipModelShape(vision: GraphOutline, text: GraphOutline): ClipModelShape {
  const pixels = vision.inputs[0]?.name;
  const dims = new Map(vision.initializers.map((t) => [t.name, t.dims]));
  const conv = vision.nodes.find((n) => n.op === "Conv" && n.inputs[0] === pixels);
  const kernel = conv && dims.get(conv.inputs[1]);
  if (kernel?.length !== 4) throw notClip("vision", "no patch convolution on its pixel input");
  const [visionWidth, , patchSize] = kernel;
  // The position embedding: (side / patch)² + 1 positions of the vision width.
  const positions = vision.initializers.map((t) => t.dims).find((d) =>
    d.length >= 2 && d.at(-1) === visionWidth && d.slice(0, -2).every((x) => x === 1) &&
    Number.isInteger(Math.sqrt(d.at(-2)! - 1)) && d.at(-2)! > 1
  );
  const declared = vision.inputs[0].shape[2];
  const imageSize = typeof declared === "number"
    ? declared
    : positions === undefined
    ? NaN
    : Math.sqrt(positions.at(-2)! - 1) * patchSize;
  if (!Number.isFinite(imageSize)) throw notClip("vision", "no input size and no position table");
  const projectionDim = producedWidth(vision, "image_embeds");
  if (projectionDim === null) throw notClip("vision", "no projection producing image_embeds");
  const ids = text.inputs[0]?.name;
  const textDims = new Map(text.initializers.map((t) => [t.name, t.dims]));
  const lookup = text.nodes.find((n) => n.op === "Gather" && n.inputs[1] === ids);
  const table = lookup && textDims.get(lookup.inputs[0]);
  if (table?.length !== 2) throw notClip("text", "no token embedding looked up by its input");
  return {
    visionWidth,
    visionLayers: attentionLayers(vision),
    patchSize,
    imageSize,
    projectionDim,
    textWidth: table[1],
    textLayers: attentionLayers(text),
  };
}

/** The architecture of the CLIP model whose ONNX graphs these are (see {@linkcode clipModelShape}). */
export async function readClipModelShape(
  files: { readonly visionModel: string; readonly textModel: string },
): Promise<ClipModelShape> {
  const [vision, text] = await Promise.all([
    readGraphOutline(files.visionModel),
    readGraphOutline(files.textModel),
  ]);
  try {
    return clipModelShape(vision, text);
  } catch (e) {
    throw new Error(`${files.visionModel}: ${(e as Error).message}`);
  }
}

/** Whether a shape is CLIP ViT-L/14's ({@linkcode CLIP_VIT_L_14}), every dimension. */
export function isClipViTL14(shape: ClipModelShape): boolean {
  return (Object.keys(CLIP_VIT_L_14) as (keyof ClipModelShape)[])
    .every((k) => shape[k] === CLIP_VIT_L_14[k]);
}

/**
 * The vision transformers of OpenAI's and OpenCLIP's CLIP models, by width and depth, with the
 * text transformer each comes with (width, depth).
 */
const VIT_SIZES: readonly [
  width: number,
  layers: number,
  size: string,
  textWidth: number,
  textLayers: number,
][] = [
  [768, 12, "B", 512, 12],
  [1024, 24, "L", 768, 12],
  [1280, 32, "H", 1024, 24],
  [1408, 40, "g", 1024, 24],
  [1664, 48, "bigG", 1280, 32],
];

/**
 * A CLIP model in words, from its shape: `CLIP ViT-L/14`, `CLIP ViT-B/32`, `CLIP ViT-L/14@336px`,
 * `tiny CLIP` (the generated test model), or its dimensions for any other (a known vision tower
 * with another text tower than its own says so: `CLIP ViT-L/14 (text 6 × 768)`).
 */
export function describeClipModel(shape: ClipModelShape): string {
  const tiny = CLIP_ARCHITECTURES.tiny;
  if (
    shape.visionWidth === tiny.visionWidth && shape.visionLayers === tiny.visionLayers &&
    shape.textLayers === tiny.textLayers && shape.patchSize === tiny.patchSize
  ) return "tiny CLIP";
  const size = VIT_SIZES.find(([w, l]) => w === shape.visionWidth && l === shape.visionLayers);
  if (size !== undefined) {
    const [, , name, textWidth, textLayers] = size;
    const text = shape.textWidth === textWidth && shape.textLayers === textLayers
      ? ""
      : ` (text ${shape.textLayers} × ${shape.textWidth})`;
    return `CLIP ViT-${name}/${shape.patchSize}${
      shape.imageSize === 224 ? "" : `@${shape.imageSize}px`
    }${text}`;
  }
  return `CLIP (vision ${shape.visionLayers} × ${shape.visionWidth}, patch ${shape.patchSize}, ` +
    `${shape.imageSize} px)`;
}
