/**
 * The frozen CLIP encoders over a model's two onnxruntime sessions: text features pooled at the
 * end-of-text token, image embeddings in batches whose decoding overlaps inference, and CLIP's
 * visual projection read from the vision graph.
 *
 * @module
 */
import { Tensor } from "@huggingface/transformers";
import type { ImageMode, Preprocess } from "../config/mod.ts";
import {
  type ImageGeometry,
  type ImageInput,
  loadPixelBatch,
  type PixelBatch,
  type Resizer,
} from "./_image.ts";
import type { ClipModelFiles } from "./_model_files.ts";
import { readOutputMatrix } from "./_onnx.ts";
import { ResizeWorker } from "./_resize_pool.ts";
import type { ClipSessions, OrtSession } from "./_sessions.ts";
import {
  CONTEXT_LENGTH,
  poolAt,
  type TokenBatch,
  tokenizeBatch,
  type TokenizerLike,
} from "./text.ts";

/** Options of {@linkcode ClipEncoder.encodeImages}. */
export interface EncodeImagesOptions {
  /** Images per onnxruntime call (default 8). */
  readonly batchSize?: number;
  /** Overrides the encoder's preprocessing mode. */
  readonly preprocess?: Preprocess;
  /** Overrides the encoder's image decoding. */
  readonly imageMode?: ImageMode;
}

/** The frozen CLIP encoders. */
export interface ClipEncoder {
  /** The model as given (hub id, directory, or `tiny`). */
  readonly modelId: string;
  /** Projection width: `image_embeds` / `text_embeds` (768 for ViT-L/14). */
  readonly dim: number;
  /** Vision transformer width, rows of the visual projection (1024 for ViT-L/14). */
  readonly visionHidden: number;
  /** Text transformer width: the unprojected text feature (768 for ViT-L/14). */
  readonly textHidden: number;
  /** `cpu` or `cuda`. */
  readonly device: string;
  /** Default preprocessing mode. */
  readonly preprocess: Preprocess;
  /** Default image decoding. */
  readonly imageMode: ImageMode;
  /** Input size and normalisation, from `preprocessor_config.json`. */
  readonly geometry: ImageGeometry;
  /** The model's files on disk. */
  readonly files: ClipModelFiles;
  /**
   * Image embeddings (`n × dim`, projected, not normalised) with per-image success; rows of
   * unreadable images are zeros and their error is given. Decoding of the next batch overlaps
   * with inference on the current one.
   */
  encodeImages(
    inputs: readonly ImageInput[],
    opts?: EncodeImagesOptions,
  ): Promise<{ embeds: Float32Array; ok: boolean[]; errors: (string | null)[] }>;
  /**
   * Text features: `features` = final-layer-norm state at the end-of-text token, unprojected
   * (`n × textHidden`, MemeCLIP's text input); `embeds` = CLIP's projected `text_embeds`
   * (`n × dim`, for prompts and zero-shot). `null` is encoded as the word `null`, as in MemeCLIP.
   */
  encodeTexts(
    texts: readonly (string | null)[],
  ): Promise<{ features: Float32Array; embeds: Float32Array }>;
  /** CLIP's visual projection, `visionHidden × dim`, row-major, read from the vision graph. */
  visualProjection(): Promise<Float32Array>;
  /** Tokenises as the reference does (77 tokens, end-of-text kept). */
  tokenize(texts: readonly (string | null)[]): TokenBatch;
  /** Decodes and normalises images (no inference). */
  preprocessImages(
    inputs: readonly ImageInput[],
    mode?: Preprocess,
    imageMode?: ImageMode,
  ): Promise<PixelBatch>;
  /** One onnxruntime call of the vision tower on `n` prepared images; returns `n × dim`. */
  runVision(pixels: Float32Array, n: number): Promise<Float32Array>;
  /** One onnxruntime call of the text tower; returns unprojected features and projected embeds. */
  runText(batch: TokenBatch): Promise<{ features: Float32Array; embeds: Float32Array }>;
  /** Releases the onnxruntime sessions. */
  dispose(): Promise<void>;
}

/** What {@linkcode clipEncoder} builds an encoder from. */
export interface EncoderParts {
  /** The model as given (hub id, directory, or `tiny`). */
  readonly modelId: string;
  /** Its loaded and checked towers. */
  readonly sessions: ClipSessions;
  /** Its checked tokenizer. */
  readonly tokenizer: TokenizerLike;
  /** Its input geometry. */
  readonly geometry: ImageGeometry;
  /** Its files on disk. */
  readonly files: ClipModelFiles;
  /** Default preprocessing mode. */
  readonly preprocess: Preprocess;
  /** Default image decoding. */
  readonly imageMode: ImageMode;
}

/** Texts per onnxruntime call of the text tower. */
const TEXT_BATCH = 32;

/**
 * The encoders over loaded sessions. The widths come from the model's `config.json`, or, where
 * it lacks them, are measured once on an empty text and the vision graph's projection.
 */
export async function clipEncoder(parts: EncoderParts): Promise<ClipEncoder> {
  const { modelId, geometry, files, preprocess, imageMode } = parts;
  const { text, vision, device } = parts.sessions;
  const textSession = text.sessions.model, visionSession = vision.sessions.model;
  const needsMask = textSession.inputNames.includes("attention_mask");
  const runText = (batch: TokenBatch) => runTextTower(textSession, batch, needsMask);
  const runVision = (pixels: Float32Array, n: number) =>
    runVisionTower(visionSession, pixels, n, geometry.size);
  const tokenize = (texts: readonly (string | null)[]) =>
    tokenizeBatch(parts.tokenizer, texts, CONTEXT_LENGTH);

  let dims = configWidths(text.config);
  if (!dims) {
    // Configs without the sizes: measure them once.
    const t = await runText(tokenize([""]));
    const p = await readOutputMatrix(files.visionModel, "image_embeds");
    dims = { dim: t.embeds.length, textHidden: t.features.length, visionHidden: p.rows };
  }
  const { dim, textHidden, visionHidden } = dims;

  // Resizing on a worker: onnxruntime-node holds the main thread during each inference call.
  const resizer = new ResizeWorker();
  const resize: Resizer = (image, mode, size) => resizer.resize(image, mode, size);
  let projection: Promise<Float32Array> | null = null;

  return {
    modelId,
    dim,
    visionHidden,
    textHidden,
    device,
    preprocess,
    imageMode,
    geometry,
    files,
    tokenize,
    runText,
    runVision,
    preprocessImages: (inputs, mode = preprocess, decode = imageMode) =>
      loadPixelBatch(inputs, mode, geometry, decode, resize),
    encodeImages(inputs, o = {}) {
      const batchSize = o.batchSize ?? 8;
      const mode = o.preprocess ?? preprocess;
      const decode = o.imageMode ?? imageMode;
      const prepare = (s: number) =>
        loadPixelBatch(inputs.slice(s, s + batchSize), mode, geometry, decode, resize);
      return encodeInBatches(inputs.length, batchSize, dim, geometry.size, prepare, runVision);
    },
    async encodeTexts(texts) {
      const features = new Float32Array(texts.length * textHidden);
      const embeds = new Float32Array(texts.length * dim);
      for (let s = 0; s < texts.length; s += TEXT_BATCH) {
        const out = await runText(tokenize(texts.slice(s, s + TEXT_BATCH)));
        features.set(out.features, s * textHidden);
        embeds.set(out.embeds, s * dim);
      }
      return { features, embeds };
    },
    visualProjection() {
      projection ??= readOutputMatrix(files.visionModel, "image_embeds").then((m) => {
        if (m.rows !== visionHidden || m.cols !== dim) {
          throw new Error(
            `${files.visionModel}: visual projection is ${m.rows}×${m.cols}, expected ${visionHidden}×${dim}`,
          );
        }
        return m.data;
      });
      return projection;
    },
    async dispose() {
      resizer.terminate();
      await text.dispose();
      await vision.dispose();
    },
  };
}

/** The encoders' widths from a model's `config.json`, or null when it does not give all three. */
function configWidths(
  json: Record<string, unknown>,
): { dim: number; textHidden: number; visionHidden: number } | null {
  const config = json as {
    projection_dim?: number;
    text_config?: { hidden_size?: number };
    vision_config?: { hidden_size?: number };
  };
  return config.projection_dim &&
      config.text_config?.hidden_size && config.vision_config?.hidden_size
    ? {
      dim: config.projection_dim,
      textHidden: config.text_config.hidden_size,
      visionHidden: config.vision_config.hidden_size,
    }
    : null;
}

/**
 * One call of the text tower: the final-layer-norm state at each row's end-of-text token
 * (unprojected) and CLIP's projected `text_embeds`.
 */
async function runTextTower(
  session: OrtSession,
  batch: TokenBatch,
  needsMask: boolean,
): Promise<{ features: Float32Array; embeds: Float32Array }> {
  const shape = [batch.count, batch.contextLength];
  const feeds: Record<string, unknown> = {
    input_ids: new Tensor("int64", batch.ids, shape).ort_tensor,
  };
  if (needsMask) {
    // The reference passes no mask (causal attention makes padding irrelevant): all ones.
    const ones = new BigInt64Array(batch.ids.length).fill(1n);
    feeds.attention_mask = new Tensor("int64", ones, shape).ort_tensor;
  }
  const out = await session.run(feeds, ["text_embeds", "last_hidden_state"]);
  const last = out.last_hidden_state;
  const width = last.dims[2];
  return {
    features: poolAt(last.data, batch.count, batch.contextLength, width, batch.eotPositions),
    embeds: new Float32Array(out.text_embeds.data),
  };
}

/** One call of the vision tower on `n` prepared `size`-pixel images: `n × dim` embeddings. */
async function runVisionTower(
  session: OrtSession,
  pixels: Float32Array,
  n: number,
  size: number,
): Promise<Float32Array> {
  const s = size;
  const out = await session.run(
    {
      pixel_values:
        new Tensor("float32", pixels.subarray(0, n * 3 * s * s), [n, 3, s, s]).ort_tensor,
    },
    ["image_embeds"],
  );
  return new Float32Array(out.image_embeds.data);
}

/**
 * Embeds `n` images in batches of `batchSize` (`prepare(start)` decodes the batch from `start`),
 * decoding the next batch while the vision tower runs on the current one. Rows of unreadable
 * images are zeros, with their error.
 */
async function encodeInBatches(
  n: number,
  batchSize: number,
  dim: number,
  size: number,
  prepare: (start: number) => Promise<PixelBatch>,
  runVision: (pixels: Float32Array, n: number) => Promise<Float32Array>,
): Promise<{ embeds: Float32Array; ok: boolean[]; errors: (string | null)[] }> {
  const embeds = new Float32Array(n * dim);
  const ok = new Array<boolean>(n).fill(false);
  const errors = new Array<string | null>(n).fill(null);
  const starts = Array.from({ length: Math.ceil(n / batchSize) }, (_, i) => i * batchSize);
  let pending = starts.length > 0 ? prepare(starts[0]) : null;
  for (let b = 0; b < starts.length; b++) {
    const batch = await pending!;
    // Start decoding the next batch before inference: sharp decodes and the worker resizes
    // while onnxruntime holds the main thread.
    pending = b + 1 < starts.length ? prepare(starts[b + 1]) : null;
    const rows = compactOk(batch, size);
    const out = rows.count > 0 ? await runVision(rows.pixels, rows.count) : new Float32Array();
    rows.index.forEach((r, j) =>
      embeds.set(out.subarray(j * dim, (j + 1) * dim), (starts[b] + r) * dim)
    );
    batch.ok.forEach((v, r) => {
      ok[starts[b] + r] = v;
      errors[starts[b] + r] = batch.errors[r];
    });
  }
  return { embeds, ok, errors };
}

/** Keeps the decoded rows of a batch, contiguous, and where they came from. */
export function compactOk(
  batch: PixelBatch,
  size: number,
): { pixels: Float32Array; count: number; index: number[] } {
  const index = batch.ok.flatMap((v, i) => (v ? [i] : []));
  if (index.length === batch.ok.length) return { pixels: batch.pixels, count: index.length, index };
  const per = 3 * size * size;
  const pixels = new Float32Array(index.length * per);
  index.forEach((r, j) => pixels.set(batch.pixels.subarray(r * per, (r + 1) * per), j * per));
  return { pixels, count: index.length, index };
}
