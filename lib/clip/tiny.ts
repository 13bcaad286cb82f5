/**
 * Random-weight CLIP models written from TypeScript in the transformers.js layout, so that the
 * whole feature pipeline can be tested and demonstrated without downloading the real weights.
 *
 * The graphs are structurally CLIP (HF `CLIPTextModelWithProjection` /
 * `CLIPVisionModelWithProjection`): token + position embeddings, pre-LayerNorm transformer
 * blocks with causal attention and QuickGELU MLPs, a final LayerNorm whose output is
 * `last_hidden_state`, pooling at argmax(input_ids); patch convolution, class token,
 * `pre_layrnorm`, `post_layernorm` on the class token, and bias-free projections.
 *
 * Two shapes:
 * - `tiny`: one block per tower with a narrow attention/MLP, but the same *interface widths* as
 *   ViT-L/14 — text width 768 (the unprojected text feature), vision width 1024 (so the visual
 *   projection is 1024 × 768 and the prompt-initialised classifier is C × 1024, as the head
 *   expects) and projection 768. About 13 MB; written in well under a second.
 * - `vit-l-14`: ViT-L/14's widths, depths and heads (vision 24 × 1024, 16 heads, MLP 4096; text
 *   12 × 768, 12 heads, MLP 3072), hence its FLOPs — for benchmarks only (≈1.6 GB fp32).
 *
 * @module
 */
import { cacheSetting } from "../config/mod.ts";
import { exists, Rng } from "../util/mod.ts";
import { float, GraphBuilder, int, ints } from "./_onnx.ts";
import { buildTinyTokenizer } from "./_tiny_tokenizer.ts";

/** Which random CLIP to write. */
export type TinyClipShape = "tiny" | "vit-l-14";

/** The dimensions of one random CLIP. */
export interface ClipArchitecture {
  /** Width of the text transformer. */
  readonly textWidth: number;
  /** Text transformer layers. */
  readonly textLayers: number;
  /** Text attention heads. */
  readonly textHeads: number;
  /** Width of q/k/v inside text attention (= textWidth in real CLIP). */
  readonly textAttentionWidth: number;
  /** Hidden width of the text MLP blocks. */
  readonly textMlpWidth: number;
  /** Width of the vision transformer. */
  readonly visionWidth: number;
  /** Vision transformer layers. */
  readonly visionLayers: number;
  /** Vision attention heads. */
  readonly visionHeads: number;
  /** Width of q/k/v inside vision attention (= visionWidth in real CLIP). */
  readonly visionAttentionWidth: number;
  /** Hidden width of the vision MLP blocks. */
  readonly visionMlpWidth: number;
  /** Width of the shared embedding space (`image_embeds`, `text_embeds`). */
  readonly projectionDim: number;
  /** Input image side in pixels. */
  readonly imageSize: number;
  /** Side of a vision patch in pixels. */
  readonly patchSize: number;
  /** Tokens per text (77 in CLIP). */
  readonly contextLength: number;
}

/** The two shapes {@linkcode writeTinyClip} can write. */
export const CLIP_ARCHITECTURES: Readonly<Record<TinyClipShape, ClipArchitecture>> = Object.freeze({
  tiny: {
    textWidth: 768,
    textLayers: 1,
    textHeads: 4,
    textAttentionWidth: 64,
    textMlpWidth: 64,
    visionWidth: 1024,
    visionLayers: 1,
    visionHeads: 4,
    visionAttentionWidth: 64,
    visionMlpWidth: 64,
    projectionDim: 768,
    imageSize: 224,
    patchSize: 14,
    contextLength: 77,
  },
  "vit-l-14": {
    textWidth: 768,
    textLayers: 12,
    textHeads: 12,
    textAttentionWidth: 768,
    textMlpWidth: 3072,
    visionWidth: 1024,
    visionLayers: 24,
    visionHeads: 16,
    visionAttentionWidth: 1024,
    visionMlpWidth: 4096,
    projectionDim: 768,
    imageSize: 224,
    patchSize: 14,
    contextLength: 77,
  },
});

/** Bumped whenever the generated model changes, so cached copies are rewritten. */
const GENERATOR_VERSION = 1;

/** CLIP's image normalisation constants (OpenAI). */
export const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
/** CLIP's image normalisation constants (OpenAI). */
export const CLIP_STD = [0.26862954, 0.26130258, 0.27577711] as const;

/** What {@linkcode writeTinyClip} wrote, with the matrices tests compare against. */
export interface WrittenClip {
  /** The model directory, in transformers.js layout. */
  readonly dir: string;
  /** The dimensions it was written with. */
  readonly architecture: ClipArchitecture;
  /** The vision projection, `visionWidth × projectionDim`, row-major (image_embeds = pooled · P). */
  readonly visualProjection: Float32Array;
  /** The text projection, `textWidth × projectionDim`, row-major. */
  readonly textProjection: Float32Array;
}

/**
 * Writes a deterministic random CLIP into `dir` (created): config.json, tokenizer.json,
 * tokenizer_config.json, preprocessor_config.json, onnx/text_model.onnx, onnx/vision_model.onnx.
 * Equal seeds give byte-identical files.
 */
export async function writeTinyClip(
  dir: string,
  opts: { shape?: TinyClipShape; seed?: number } = {},
): Promise<WrittenClip> {
  const shape = opts.shape ?? "tiny";
  const seed = opts.seed ?? 42;
  const arch = CLIP_ARCHITECTURES[shape];
  if (!arch) throw new Error(`unknown CLIP shape "${shape}" (tiny | vit-l-14)`);
  const tok = buildTinyTokenizer(arch.contextLength);
  const rng = new Rng(seed);
  await Deno.mkdir(`${dir}/onnx`, { recursive: true });

  const json = (o: unknown) => JSON.stringify(o, null, 2) + "\n";
  await Deno.writeTextFile(`${dir}/config.json`, json(clipConfig(shape, arch, tok)));
  await Deno.writeTextFile(`${dir}/tokenizer.json`, json(tok.tokenizerJson));
  await Deno.writeTextFile(`${dir}/tokenizer_config.json`, json(tok.tokenizerConfig));
  await Deno.writeTextFile(`${dir}/preprocessor_config.json`, json(preprocessorConfig(arch)));

  // One tower at a time keeps the peak memory of the ViT-L/14 shape near one tower's size.
  const text = textGraph(arch, tok.vocabSize, rng.fork("text"));
  await Deno.writeFile(`${dir}/onnx/text_model.onnx`, text.bytes);
  const vision = visionGraph(arch, rng.fork("vision"));
  await Deno.writeFile(`${dir}/onnx/vision_model.onnx`, vision.bytes);
  await Deno.writeTextFile(
    `${dir}/memesense.json`,
    json({ generator: "memesense random CLIP", version: GENERATOR_VERSION, shape, seed }),
  );
  return {
    dir,
    architecture: arch,
    visualProjection: vision.projection,
    textProjection: text.projection,
  };
}

/**
 * Returns the directory of the tiny CLIP model, `<cacheDir>/models/tiny-clip` (by default the
 * cache of `cacheSetting()`), writing it first when it is absent or from an older generator. The
 * model appears atomically (written to a temporary sibling, then renamed), so concurrent callers
 * and killed writers never see half a model.
 */
export async function ensureTinyClip(cacheDir: string = cacheSetting().value): Promise<string> {
  const parent = `${cacheDir}/models`;
  const target = `${parent}/tiny-clip`;
  if (await isCurrent(target)) return target;
  await Deno.mkdir(parent, { recursive: true });
  const tmp = `${parent}/.tiny-clip.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    await writeTinyClip(tmp, { shape: "tiny", seed: 42 });
    if (await exists(target)) {
      if (await isCurrent(target)) return target; // another process won the race
      await Deno.remove(target, { recursive: true });
    }
    try {
      await Deno.rename(tmp, target);
    } catch (e) {
      if (!(await isCurrent(target))) throw e; // lost a race to an equal copy otherwise
    }
    return target;
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

async function isCurrent(dir: string): Promise<boolean> {
  try {
    const meta = JSON.parse(await Deno.readTextFile(`${dir}/memesense.json`));
    return meta.version === GENERATOR_VERSION && meta.shape === "tiny" && meta.seed === 42;
  } catch {
    return false;
  }
}

function clipConfig(
  shape: TinyClipShape,
  a: ClipArchitecture,
  tok: ReturnType<typeof buildTinyTokenizer>,
) {
  return {
    _name_or_path: `memesense-random-clip-${shape}`,
    architectures: ["CLIPModel"],
    model_type: "clip",
    projection_dim: a.projectionDim,
    logit_scale_init_value: 2.6592,
    text_config: {
      model_type: "clip_text_model",
      hidden_size: a.textWidth,
      intermediate_size: a.textMlpWidth,
      num_attention_heads: a.textHeads,
      num_hidden_layers: a.textLayers,
      max_position_embeddings: a.contextLength,
      vocab_size: tok.vocabSize,
      projection_dim: a.projectionDim,
      hidden_act: "quick_gelu",
      bos_token_id: tok.bosId,
      eos_token_id: tok.eosId,
      pad_token_id: tok.eosId,
    },
    vision_config: {
      model_type: "clip_vision_model",
      hidden_size: a.visionWidth,
      intermediate_size: a.visionMlpWidth,
      num_attention_heads: a.visionHeads,
      num_hidden_layers: a.visionLayers,
      image_size: a.imageSize,
      patch_size: a.patchSize,
      num_channels: 3,
      projection_dim: a.projectionDim,
      hidden_act: "quick_gelu",
    },
  };
}

function preprocessorConfig(a: ClipArchitecture) {
  return {
    crop_size: { height: a.imageSize, width: a.imageSize },
    do_center_crop: true,
    do_convert_rgb: true,
    do_normalize: true,
    do_rescale: true,
    do_resize: true,
    feature_extractor_type: "CLIPFeatureExtractor",
    image_mean: [...CLIP_MEAN],
    image_processor_type: "CLIPImageProcessor",
    image_std: [...CLIP_STD],
    resample: 3,
    rescale_factor: 1 / 255,
    size: { shortest_edge: a.imageSize },
  };
}

/** Gaussian weights from a stream forked per tensor name (adding a tensor shifts no other). */
function gaussian(rng: Rng, name: string, n: number, std: number): Float32Array {
  const r = rng.fork(name);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = std * r.normal();
  return a;
}

interface Tower {
  readonly g: GraphBuilder;
  readonly rng: Rng;
}

function linear(t: Tower, name: string, x: string, fanIn: number, fanOut: number, bias = true) {
  const w = t.g.weight(
    `${name}.weight`,
    [fanIn, fanOut],
    gaussian(t.rng, name, fanIn * fanOut, 1 / Math.sqrt(fanIn)),
  );
  const y = t.g.op("MatMul", [x, w]);
  if (!bias) return y;
  const b = t.g.weight(`${name}.bias`, [fanOut], new Float32Array(fanOut));
  return t.g.op("Add", [y, b]);
}

function layerNorm(t: Tower, name: string, x: string, width: number, output?: string) {
  const gamma = t.g.weight(`${name}.weight`, [width], new Float32Array(width).fill(1));
  const beta = t.g.weight(`${name}.bias`, [width], new Float32Array(width));
  return t.g.op("LayerNormalization", [x, gamma, beta], {
    axis: int(-1),
    epsilon: float(1e-5),
  }, output);
}

/** One pre-LN CLIP encoder block: h + attn(LN(h)), then + mlp(LN(·)) with QuickGELU. */
function encoderBlock(
  t: Tower,
  p: string,
  h: string,
  width: number,
  heads: number,
  attnWidth: number,
  mlpWidth: number,
  mask: string | null,
): string {
  const { g } = t;
  const headDim = attnWidth / heads;
  const splitHeads = g.int64(`${p}.split_heads`, [4], [0, 0, heads, headDim]);
  const mergeHeads = g.int64(`${p}.merge_heads`, [3], [0, 0, attnWidth]);
  const x = layerNorm(t, `${p}.layer_norm1`, h, width);
  const heads4 = (name: string) =>
    g.op("Reshape", [linear(t, `${p}.self_attn.${name}`, x, width, attnWidth), splitHeads]);
  const q = g.op("Transpose", [heads4("q_proj")], { perm: ints([0, 2, 1, 3]) }); // [B,H,S,d]
  const k = g.op("Transpose", [heads4("k_proj")], { perm: ints([0, 2, 3, 1]) }); // [B,H,d,S]
  const v = g.op("Transpose", [heads4("v_proj")], { perm: ints([0, 2, 1, 3]) });
  const scale = g.weight(`${p}.scale`, [], new Float32Array([1 / Math.sqrt(headDim)]));
  let scores = g.op("Mul", [g.op("MatMul", [q, k]), scale]);
  if (mask) scores = g.op("Add", [scores, mask]);
  const attn = g.op("MatMul", [g.op("Softmax", [scores], { axis: int(-1) }), v]);
  const merged = g.op("Reshape", [
    g.op("Transpose", [attn], { perm: ints([0, 2, 1, 3]) }),
    mergeHeads,
  ]);
  const h1 = g.op("Add", [h, linear(t, `${p}.self_attn.out_proj`, merged, attnWidth, width)]);
  const y = layerNorm(t, `${p}.layer_norm2`, h1, width);
  const up = linear(t, `${p}.mlp.fc1`, y, width, mlpWidth);
  const k1702 = g.weight(`${p}.quick_gelu`, [], new Float32Array([1.702]));
  const act = g.op("Mul", [up, g.op("Sigmoid", [g.op("Mul", [up, k1702])])]);
  return g.op("Add", [h1, linear(t, `${p}.mlp.fc2`, act, mlpWidth, width)]);
}

function textGraph(a: ClipArchitecture, vocab: number, rng: Rng) {
  const g = new GraphBuilder();
  const t: Tower = { g, rng };
  const W = a.textWidth, L = a.contextLength;
  const tokEmb = g.weight(
    "token_embedding",
    [vocab, W],
    gaussian(rng, "token_embedding", vocab * W, 0.02),
  );
  const posEmb = g.weight(
    "position_embedding",
    [L, W],
    gaussian(rng, "position_embedding", L * W, 0.01),
  );
  // Causal mask: position i attends to j ≤ i (CLIP's text transformer is causal).
  const maskData = new Float32Array(L * L);
  for (let i = 0; i < L; i++) for (let j = i + 1; j < L; j++) maskData[i * L + j] = -1e9;
  const maskFull = g.weight("causal_mask", [L, L], maskData);
  const zero = g.int64("zero", [1], [0]);
  const one = g.int64("one", [1], [1]);
  const zeros2 = g.int64("zeros2", [2], [0, 0]);
  const axes01 = g.int64("axes01", [2], [0, 1]);
  const seqLen = g.op("Gather", [g.op("Shape", ["input_ids"]), one], { axis: int(0) }); // [1]
  const pos = g.op("Slice", [posEmb, zero, seqLen, zero]);
  let h = g.op("Add", [g.op("Gather", [tokEmb, "input_ids"], { axis: int(0) }), pos]);
  const mask = g.op("Slice", [
    maskFull,
    zeros2,
    g.op("Concat", [seqLen, seqLen], { axis: int(0) }),
    axes01,
  ]);
  for (let l = 0; l < a.textLayers; l++) {
    h = encoderBlock(
      t,
      `text.layers.${l}`,
      h,
      W,
      a.textHeads,
      a.textAttentionWidth,
      a.textMlpWidth,
      mask,
    );
  }
  const last = layerNorm(t, "text.final_layer_norm", h, W, "last_hidden_state");
  // Pool at argmax(input_ids) — the end-of-text token, which has the highest id. ids are cast
  // to int32 as HF's export does (ArgMax has no int64 kernel in some runtimes).
  const eot = g.op("ArgMax", [g.op("Cast", ["input_ids"], { to: int(6) })], {
    axis: int(1),
    keepdims: int(0),
  });
  const onOff = g.weight("one_hot_values", [2], new Float32Array([0, 1]));
  const select = g.op("Unsqueeze", [g.op("OneHot", [eot, seqLen, onOff], { axis: int(-1) }), one]);
  const pooled = g.op("Squeeze", [g.op("MatMul", [select, last]), one]);
  const projection = gaussian(rng, "text_projection", W * a.projectionDim, 1 / Math.sqrt(W));
  g.weight("text_projection", [W, a.projectionDim], projection);
  g.op("MatMul", [pooled, "text_projection"], {}, "text_embeds");
  const bytes = g.encode("clip_text", [
    { name: "input_ids", type: "int64", shape: ["batch_size", "sequence_length"] },
  ], [
    { name: "text_embeds", type: "float32", shape: ["batch_size", a.projectionDim] },
    { name: "last_hidden_state", type: "float32", shape: ["batch_size", "sequence_length", W] },
  ]);
  return { bytes, projection };
}

function visionGraph(a: ClipArchitecture, rng: Rng) {
  const g = new GraphBuilder();
  const t: Tower = { g, rng };
  const W = a.visionWidth, P = a.patchSize, grid = a.imageSize / P, N = grid * grid + 1;
  const patchW = g.weight(
    "patch_embedding",
    [W, 3, P, P],
    gaussian(rng, "patch_embedding", W * 3 * P * P, 1 / Math.sqrt(3 * P * P)),
  );
  const cls = g.weight("class_embedding", [1, 1, W], gaussian(rng, "class_embedding", W, 0.02));
  const pos = g.weight("position_embedding", [1, N, W], gaussian(rng, "vision_pos", N * W, 0.01));
  const patches = g.op("Conv", ["pixel_values", patchW], {
    kernel_shape: ints([P, P]),
    strides: ints([P, P]),
  }); // [B,W,g,g]
  const tokens = g.op("Transpose", [
    g.op("Reshape", [patches, g.int64("to_bwn", [3], [0, W, -1])]),
  ], { perm: ints([0, 2, 1]) }); // [B,g²,W]
  const batch = g.op("Slice", [
    g.op("Shape", ["pixel_values"]),
    g.int64("zero", [1], [0]),
    g.int64("one", [1], [1]),
  ]);
  const clsShape = g.op("Concat", [batch, g.int64("one_w", [2], [1, W])], { axis: int(0) });
  const seq = g.op("Concat", [g.op("Expand", [cls, clsShape]), tokens], { axis: int(1) });
  let h = layerNorm(t, "vision.pre_layrnorm", g.op("Add", [seq, pos]), W);
  for (let l = 0; l < a.visionLayers; l++) {
    const output = l === a.visionLayers - 1 ? "last_hidden_state" : undefined;
    h = encoderBlock(
      t,
      `vision.layers.${l}`,
      h,
      W,
      a.visionHeads,
      a.visionAttentionWidth,
      a.visionMlpWidth,
      null,
    );
    if (output) h = g.op("Identity", [h], {}, output);
  }
  const first = g.op("Gather", [h, g.int64("cls_index", [], [0])], { axis: int(1) }); // [B,W]
  const pooled = layerNorm(t, "vision.post_layernorm", first, W);
  const projection = gaussian(rng, "visual_projection", W * a.projectionDim, 1 / Math.sqrt(W));
  g.weight("visual_projection", [W, a.projectionDim], projection);
  g.op("MatMul", [pooled, "visual_projection"], {}, "image_embeds");
  const bytes = g.encode("clip_vision", [
    { name: "pixel_values", type: "float32", shape: ["batch_size", 3, a.imageSize, a.imageSize] },
  ], [
    { name: "image_embeds", type: "float32", shape: ["batch_size", a.projectionDim] },
    { name: "last_hidden_state", type: "float32", shape: ["batch_size", N, W] },
  ]);
  return { bytes, projection };
}
