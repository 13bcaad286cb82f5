/**
 * Loads a CLIP model (Hugging Face id in transformers.js layout, a local directory, or the
 * generated tiny model) and exposes the two frozen encoders as MemeCLIP uses them.
 *
 * Settings, each an option, else its variable, else its default (resolved in `lib/config`):
 * - the model, `MEMESENSE_CLIP_MODEL` — model id or directory (default
 *   `Xenova/clip-vit-large-patch14`; `tiny` = the generated test model);
 * - the cache, `MEMESENSE_CACHE` — cache root (default `<repo>/.cache`): downloads go to
 *   `<cache>/hf`, and `<cache>/models/<id>/` is searched for manually placed copies of hub models;
 * - offline, `MEMESENSE_OFFLINE=1` — never contact the hub;
 * - the device, `MEMESENSE_DEVICE` — `cpu` (default), `cuda` or `auto`.
 *
 * @module
 */
import {
  AutoTokenizer,
  CLIPImageProcessor,
  CLIPTextModelWithProjection,
  CLIPVisionModelWithProjection,
  env as hf,
  Tensor,
} from "@huggingface/transformers";
import { isAbsolute, resolve } from "node:path";
import {
  cacheSetting,
  CLIP_DEVICES,
  type ClipDevice,
  clipModelSetting,
  DEFAULT_CLIP_MODEL,
  deviceSetting,
  type ImageMode,
  offlineSetting,
  type Preprocess,
  SettingError,
} from "../config/mod.ts";
import { exists } from "../util/mod.ts";
import {
  CLIP_IMAGE,
  type ImageGeometry,
  type ImageInput,
  loadPixelBatch,
  parsePreprocessorConfig,
  type PixelBatch,
  type Resizer,
} from "./_image.ts";
import { readOutputMatrix } from "./_onnx.ts";
import { ResizeWorker } from "./_resize_pool.ts";
import {
  CONTEXT_LENGTH,
  poolAt,
  type TokenBatch,
  tokenizeBatch,
  type TokenizerLike,
} from "./text.ts";
import { ensureTinyClip } from "./tiny.ts";

export type { ClipDevice };

/** Options of {@linkcode loadClip}; each falls back to its environment variable, then a default. */
export interface LoadClipOptions {
  /** Hub id, local directory, or `tiny`. Env `MEMESENSE_CLIP_MODEL`. */
  readonly model?: string;
  /** Cache root. Env `MEMESENSE_CACHE`, default `<repo>/.cache`. */
  readonly cacheDir?: string;
  /** Never download. Env `MEMESENSE_OFFLINE=1`. */
  readonly offline?: boolean;
  /** Env `MEMESENSE_DEVICE`, default `cpu`. */
  readonly device?: ClipDevice;
  /** Default image preprocessing of {@linkcode ClipEncoder.encodeImages} (default `squash`). */
  readonly preprocess?: Preprocess;
  /** Default image decoding (default `pillow`, the reference's `convert("RGB")`). */
  readonly imageMode?: ImageMode;
  /** onnxruntime intra-op threads (default: onnxruntime's choice, one per core). */
  readonly threads?: number;
  /** Where status lines go (device fallback, downloads); default stderr. */
  readonly log?: (line: string) => void;
}

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

/** Where a model comes from, resolved from its name. */
export interface ClipModelSource {
  /** The name as given. */
  readonly modelId: string;
  /** `local`: a directory; `hub`: a Hugging Face id (downloaded to the cache). */
  readonly kind: "local" | "hub";
  /** What transformers.js is given: absolute directory or hub id. */
  readonly location: string;
}

/** The resolved settings of {@linkcode loadClip}. */
export interface ClipSettings {
  /** The model: hub id, directory or `tiny`. */
  readonly model: string;
  /** The cache root. */
  readonly cacheDir: string;
  /** Whether downloads are forbidden. */
  readonly offline: boolean;
  /** Where inference runs. */
  readonly device: ClipDevice;
  /** Where transformers.js stores downloads. */
  readonly downloadDir: string;
  /** Where manually placed hub models are looked for (`<dir>/<owner>/<name>/`). */
  readonly localModelsDir: string;
}

/** Applies options, then environment variables, then defaults. */
export function clipSettings(opts: LoadClipOptions = {}): ClipSettings {
  const root = cacheSetting(opts.cacheDir).value;
  const device = deviceSetting(opts.device).value;
  if (!CLIP_DEVICES.includes(device)) {
    throw new SettingError("--device", device, `one of ${CLIP_DEVICES.join(", ")}`);
  }
  return {
    model: clipModelSetting(opts.model).value,
    cacheDir: root,
    offline: offlineSetting(opts.offline).value,
    device,
    downloadDir: `${root}/hf`,
    localModelsDir: `${root}/models`,
  };
}

const REQUIRED_FILES = [
  "config.json",
  "tokenizer.json",
  "tokenizer_config.json",
  "onnx/text_model.onnx",
  "onnx/vision_model.onnx",
] as const;

const LAYOUT_HELP = "A CLIP model directory in transformers.js layout holds config.json, " +
  "tokenizer.json, tokenizer_config.json, preprocessor_config.json, onnx/text_model.onnx and " +
  "onnx/vision_model.onnx (fp32), e.g. a copy of the Hugging Face repo " +
  `${DEFAULT_CLIP_MODEL}. \`deno task tiny-clip\` writes a small random one for testing.`;

/** What to do when a hub model cannot be loaded, e.g. without network. */
const HUB_WAYS_OUT = "Loading from the Hugging Face Hub failed. Without network: set " +
  "MEMESENSE_OFFLINE=1 (the notebooks then use the tiny test model and the synthetic memes, as " +
  "`deno task demo` does), set MEMESENSE_CLIP_MODEL (or --model) to a local model directory " +
  "(a copy of the model downloaded elsewhere), or set MEMESENSE_CLIP_MODEL=tiny for the " +
  "generated test model.";

/**
 * Resolves a model name: `tiny` → the generated tiny model; an existing directory (or anything
 * that looks like a path) → local; otherwise a Hugging Face id. Local directories are checked for
 * the transformers.js layout, with an error naming the missing files.
 */
export async function resolveClipModel(model: string): Promise<ClipModelSource> {
  if (model === "tiny") {
    return { modelId: "tiny", kind: "local", location: await ensureTinyClip() };
  }
  const looksLikePath = model.startsWith(".") || isAbsolute(model) || model.startsWith("~") ||
    model.split("/").length > 2;
  if (looksLikePath || (await isDirectory(model))) {
    const dir = resolve(model);
    if (!(await isDirectory(dir))) {
      throw new Error(`CLIP model directory ${dir} does not exist. ${LAYOUT_HELP}`);
    }
    const missing = [];
    for (const f of REQUIRED_FILES) if (!(await exists(`${dir}/${f}`))) missing.push(f);
    if (missing.length > 0) {
      throw new Error(
        `${dir} is not a CLIP model directory: missing ${missing.join(", ")}. ${LAYOUT_HELP}`,
      );
    }
    return { modelId: model, kind: "local", location: dir };
  }
  if (!/^[\w.-]+\/[\w.-]+$/.test(model)) {
    throw new Error(`"${model}" is neither a directory nor a Hugging Face model id (owner/name)`);
  }
  return { modelId: model, kind: "hub", location: model };
}

/**
 * The local path of `rel` (e.g. `onnx/vision_model.onnx`) of a model, or null when it is not on
 * disk (a hub model not downloaded yet).
 */
export async function locateModelFile(
  source: ClipModelSource,
  rel: string,
  settings: ClipSettings = clipSettings(),
): Promise<string | null> {
  const candidates = source.kind === "local" ? [`${source.location}/${rel}`] : [
    `${settings.downloadDir}/${source.location}/${rel}`,
    `${settings.localModelsDir}/${source.location}/${rel}`,
  ];
  for (const c of candidates) if (await exists(c)) return c;
  return null;
}

/** The local paths of a model's feature-defining files, or null when any is missing. */
export async function locateModelFiles(
  source: ClipModelSource,
  settings: ClipSettings = clipSettings(),
): Promise<ClipModelFiles | null> {
  const at = (rel: string) => locateModelFile(source, rel, settings);
  const [textModel, visionModel, tokenizer, tokenizerConfig, preprocessorConfig] = await Promise
    .all([
      at("onnx/text_model.onnx"),
      at("onnx/vision_model.onnx"),
      at("tokenizer.json"),
      at("tokenizer_config.json"),
      at("preprocessor_config.json"),
    ]);
  if (!textModel || !visionModel || !tokenizer || !tokenizerConfig) return null;
  return { textModel, visionModel, tokenizer, tokenizerConfig, preprocessorConfig };
}

/** Points transformers.js at the project's cache and offline switch (a process-wide setting). */
export function configureTransformers(settings: ClipSettings): void {
  hf.allowLocalModels = true;
  hf.allowRemoteModels = !settings.offline;
  hf.localModelPath = `${settings.localModelsDir}/`;
  hf.cacheDir = settings.downloadDir;
  // Deno exposes the browser Cache API; keep downloads in the file cache we document instead.
  hf.useBrowserCache = false;
  hf.useFSCache = true;
}

interface OrtTensor {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}
interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(
    feeds: Record<string, unknown>,
    fetches?: readonly string[],
  ): Promise<Record<string, OrtTensor>>;
}
interface LoadedModel {
  readonly sessions: Record<string, OrtSession>;
  readonly config: Record<string, unknown>;
  dispose(): Promise<unknown>;
}

/**
 * Loads tokenizer, text and vision encoders. Errors name the model and say how to fix it: a
 * missing file, an uncached model while offline, a hub that cannot be reached, a wrong layout.
 */
export async function loadClip(opts: LoadClipOptions = {}): Promise<ClipEncoder> {
  const settings = clipSettings(opts);
  const log = opts.log ?? ((line: string) => console.error(line));
  const source = await resolveClipModel(settings.model);
  configureTransformers(settings);
  const where = source.kind === "hub"
    ? `${source.location} (cache ${settings.downloadDir}${settings.offline ? ", offline" : ""})`
    : source.location;
  if (source.kind === "hub" && settings.offline && !(await locateModelFiles(source, settings))) {
    throw new Error(
      `CLIP model ${source.location} is not in the cache and MEMESENSE_OFFLINE=1 forbids ` +
        `downloading it. Run once with network access, place a copy in ` +
        `${settings.localModelsDir}/${source.location}/, or pass a local directory with --model. ` +
        LAYOUT_HELP,
    );
  }
  const wrap = (what: string) => (e: unknown): never => {
    const msg = (e as Error)?.message ?? String(e);
    // Without network this is the first thing a notebook or script hits: name every way out.
    const hint = source.kind === "hub" && !settings.offline ? ` ${HUB_WAYS_OUT}` : "";
    throw new Error(`cannot load the CLIP ${what} of ${where}: ${msg}.${hint} ${LAYOUT_HELP}`);
  };

  const tokenizer = await AutoTokenizer.from_pretrained(source.location).catch(wrap("tokenizer"));
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

  const geometry = await readGeometry(source, settings, where, log);

  const load = async (device: "cpu" | "cuda") => {
    const options = {
      dtype: "fp32" as const,
      device,
      session_options: {
        ...(opts.threads ? { intraOpNumThreads: opts.threads } : {}),
        interOpNumThreads: 1,
      },
    };
    const text = await CLIPTextModelWithProjection.from_pretrained(source.location, options);
    try {
      const vision = await CLIPVisionModelWithProjection.from_pretrained(source.location, options);
      return { text: text as unknown as LoadedModel, vision: vision as unknown as LoadedModel };
    } catch (e) {
      await text.dispose();
      throw e;
    }
  };
  let device: "cpu" | "cuda" = "cpu";
  let models: { text: LoadedModel; vision: LoadedModel } | null = null;
  if (settings.device !== "cpu") {
    try {
      models = await load("cuda");
      device = "cuda";
    } catch (e) {
      const why = ((e as Error).message ?? String(e)).split("\n")[0];
      log(
        `clip: CUDA unavailable (${why}); falling back to CPU. onnxruntime-node's CUDA 12 ` +
          `provider is not part of its npm package: install it with ONNXRUNTIME_NODE_INSTALL=cuda12 ` +
          `in a node_modules setup where lifecycle scripts run.`,
      );
    }
  }
  models ??= await load("cpu").catch(wrap("encoders"));
  const { text, vision } = models;

  const textSession = text.sessions.model, visionSession = vision.sessions.model;
  for (
    const [session, file, input, outputs] of [
      [textSession, "onnx/text_model.onnx", "input_ids", ["text_embeds", "last_hidden_state"]],
      [visionSession, "onnx/vision_model.onnx", "pixel_values", ["image_embeds"]],
    ] as const
  ) {
    const missing = [...outputs].filter((o) => !session.outputNames.includes(o));
    if (!session.inputNames.includes(input) || missing.length > 0) {
      await text.dispose();
      await vision.dispose();
      throw new Error(
        `${where}: ${file} has inputs [${session.inputNames}] and outputs [${session.outputNames}]; ` +
          `a CLIP export needs input ${input} and outputs ${outputs.join(", ")}. ${LAYOUT_HELP}`,
      );
    }
  }

  const files = await locateModelFiles(source, settings);
  if (!files) throw new Error(`${where}: model files not found on disk after loading`);
  const config = text.config as {
    projection_dim?: number;
    text_config?: { hidden_size?: number };
    vision_config?: { hidden_size?: number };
  };
  const needsMask = textSession.inputNames.includes("attention_mask");
  const preprocess = opts.preprocess ?? "squash";
  const imageMode = opts.imageMode ?? "pillow";
  let projection: Promise<Float32Array> | null = null;
  let dims: { dim: number; textHidden: number; visionHidden: number } | null =
    config.projection_dim &&
      config.text_config?.hidden_size && config.vision_config?.hidden_size
      ? {
        dim: config.projection_dim,
        textHidden: config.text_config.hidden_size,
        visionHidden: config.vision_config.hidden_size,
      }
      : null;

  const runText = async (batch: TokenBatch) => {
    const shape = [batch.count, batch.contextLength];
    const feeds: Record<string, unknown> = {
      input_ids: new Tensor("int64", batch.ids, shape).ort_tensor,
    };
    if (needsMask) {
      // The reference passes no mask (causal attention makes padding irrelevant): all ones.
      const ones = new BigInt64Array(batch.ids.length).fill(1n);
      feeds.attention_mask = new Tensor("int64", ones, shape).ort_tensor;
    }
    const out = await textSession.run(feeds, ["text_embeds", "last_hidden_state"]);
    const last = out.last_hidden_state;
    const width = last.dims[2];
    return {
      features: poolAt(last.data, batch.count, batch.contextLength, width, batch.eotPositions),
      embeds: new Float32Array(out.text_embeds.data),
    };
  };
  const runVision = async (pixels: Float32Array, n: number) => {
    const s = geometry.size;
    const out = await visionSession.run(
      {
        pixel_values:
          new Tensor("float32", pixels.subarray(0, n * 3 * s * s), [n, 3, s, s]).ort_tensor,
      },
      ["image_embeds"],
    );
    return new Float32Array(out.image_embeds.data);
  };
  const tokenize = (texts: readonly (string | null)[]) => tokenizeBatch(tok, texts, CONTEXT_LENGTH);

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

  const encoder: ClipEncoder = {
    modelId: source.modelId,
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
    async encodeImages(inputs, o = {}) {
      const batchSize = o.batchSize ?? 8;
      const mode = o.preprocess ?? preprocess;
      const decode = o.imageMode ?? imageMode;
      const n = inputs.length;
      const embeds = new Float32Array(n * dim);
      const ok = new Array<boolean>(n).fill(false);
      const errors = new Array<string | null>(n).fill(null);
      const starts = Array.from({ length: Math.ceil(n / batchSize) }, (_, i) => i * batchSize);
      const prepare = (s: number) =>
        loadPixelBatch(inputs.slice(s, s + batchSize), mode, geometry, decode, resize);
      let pending = starts.length > 0 ? prepare(starts[0]) : null;
      for (let b = 0; b < starts.length; b++) {
        const batch = await pending!;
        // Start decoding the next batch before inference: sharp decodes and the worker resizes
        // while onnxruntime holds the main thread.
        pending = b + 1 < starts.length ? prepare(starts[b + 1]) : null;
        const rows = compactOk(batch, geometry.size);
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
    },
    async encodeTexts(texts) {
      const features = new Float32Array(texts.length * textHidden);
      const embeds = new Float32Array(texts.length * dim);
      for (let s = 0; s < texts.length; s += 32) {
        const out = await runText(tokenize(texts.slice(s, s + 32)));
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
  return encoder;
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

/**
 * The model's input geometry from its `preprocessor_config.json` (fetched with the model for a
 * hub id). A missing file falls back to CLIP's 224 px geometry, said in the log; a present but
 * unusable one is an error.
 */
async function readGeometry(
  source: ClipModelSource,
  settings: ClipSettings,
  where: string,
  log: (line: string) => void,
): Promise<ImageGeometry> {
  const rel = "preprocessor_config.json";
  let path = await locateModelFile(source, rel, settings);
  if (!path && source.kind === "hub") {
    // Downloads the file into the cache (or finds it is not there).
    await CLIPImageProcessor.from_pretrained(source.location).catch(() => null);
    path = await locateModelFile(source, rel, settings);
  }
  if (!path) {
    log(`clip: ${where} has no ${rel}; using CLIP's 224 px geometry and mean/std`);
    return CLIP_IMAGE;
  }
  let config: unknown;
  try {
    config = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    throw new Error(`${path}: not readable JSON (${(e as Error).message})`);
  }
  return parsePreprocessorConfig(config, path);
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}
