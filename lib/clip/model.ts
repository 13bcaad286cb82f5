/**
 * Loads a CLIP model (Hugging Face id in transformers.js layout, a local directory, or the
 * generated tiny model) and exposes the two frozen encoders as MemeCLIP uses them.
 *
 * Settings, each an option, else its variable, else its default (resolved in `lib/config`):
 * - the model, `MEMESENSE_CLIP_MODEL` — model id or directory (default
 *   `Xenova/clip-vit-large-patch14`; `tiny` = the generated test model);
 * - the cache, `MEMESENSE_CACHE` — cache root (default `<repo>/.cache`): downloads go to
 *   `<cache>/hf`, `<cache>/models/<id>/` is searched for manually placed copies of hub models,
 *   and the generated tiny model is written to `<cache>/models/tiny-clip`;
 * - offline, `MEMESENSE_OFFLINE=1` — never contact the hub;
 * - the device, `MEMESENSE_DEVICE` — `cpu` (default), `cuda` or `auto`.
 *
 * @module
 */
import { CLIPImageProcessor, env as hf } from "@huggingface/transformers";
import { isAbsolute, resolve } from "node:path";
import {
  cacheSetting,
  CLIP_DEVICES,
  type ClipDevice,
  clipModelSetting,
  deviceSetting,
  type ImageMode,
  offlineSetting,
  type Preprocess,
  SettingError,
} from "../config/mod.ts";
import { exists } from "../util/mod.ts";
import { type ClipEncoder, clipEncoder } from "./_encoder.ts";
import { CLIP_IMAGE, type ImageGeometry, parsePreprocessorConfig } from "./_image.ts";
import { type ClipModelFiles, HUB_WAYS_OUT, LAYOUT_HELP, REQUIRED_FILES } from "./_model_files.ts";
import { checkGraphs, loadSessions } from "./_sessions.ts";
import { loadTokenizer } from "./_tokenizer.ts";
import { ensureTinyClip } from "./tiny.ts";

export type { ClipDevice };
export { compactOk, type EncodeImagesOptions } from "./_encoder.ts";
export type { ClipEncoder, ClipModelFiles };

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

/**
 * Resolves a model name: `tiny` → the generated tiny model, written under `cacheDir` (by default
 * the resolved cache) when absent; an existing directory (or anything that looks like a path) →
 * local; otherwise a Hugging Face id. Local directories are checked for the transformers.js
 * layout, with an error naming the missing files.
 */
export async function resolveClipModel(
  model: string,
  cacheDir: string = cacheSetting().value,
): Promise<ClipModelSource> {
  if (model === "tiny") {
    return { modelId: "tiny", kind: "local", location: await ensureTinyClip(cacheDir) };
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

/**
 * Loads tokenizer, text and vision encoders. Errors name the model and say how to fix it: a
 * missing file, an uncached model while offline, a hub that cannot be reached, a wrong layout.
 */
export async function loadClip(opts: LoadClipOptions = {}): Promise<ClipEncoder> {
  const settings = clipSettings(opts);
  const log = opts.log ?? ((line: string) => console.error(line));
  const source = await resolveClipModel(settings.model, settings.cacheDir);
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
  const fail = (what: string) => (e: unknown): never => {
    const msg = (e as Error)?.message ?? String(e);
    // Without network this is the first thing a notebook or script hits: name every way out.
    const hint = source.kind === "hub" && !settings.offline ? ` ${HUB_WAYS_OUT}` : "";
    throw new Error(`cannot load the CLIP ${what} of ${where}: ${msg}.${hint} ${LAYOUT_HELP}`);
  };

  const tokenizer = await loadTokenizer(source.location, where, fail("tokenizer"));
  const geometry = await readGeometry(source, settings, where, log);
  const sessions = await loadSessions(source.location, {
    device: settings.device,
    threads: opts.threads,
    log,
    fail: fail("encoders"),
  });
  await checkGraphs(sessions, where);
  const files = await locateModelFiles(source, settings);
  if (!files) throw new Error(`${where}: model files not found on disk after loading`);
  return await clipEncoder({
    modelId: source.modelId,
    sessions,
    tokenizer,
    geometry,
    files,
    preprocess: opts.preprocess ?? "squash",
    imageMode: opts.imageMode ?? "pillow",
  });
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
