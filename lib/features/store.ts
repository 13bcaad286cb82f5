/**
 * The on-disk feature store, one directory per key under `<cache>/features/`:
 *
 * ```
 * <key>/store.json            identity (written first; a resumed run must match it)
 * <key>/batches/<first>-<n>.safetensors   finished batches: index (I32), image, text (F32), image_ok (U8)
 * <key>/features.safetensors  all rows in dataset order: image [N, dI], text [N, dT], image_ok [N]
 * <key>/missing-images.tsv    images that could not be read: row, name, path, error
 * <key>/manifest.json         written last: names, shapes, counts — its presence means complete
 * ```
 *
 * Every file is written atomically (temporary file, then rename), so a killed run leaves only
 * whole batches behind, and the manifest exists only once everything it describes does.
 *
 * @module
 */
import type { ImageMode, Preprocess } from "../config/mod.ts";
import { cacheDir as defaultCacheDir } from "../util/mod.ts";
import { FEATURE_STORE_FORMAT } from "./key.ts";
import { decodeSafetensors } from "../util/safetensors.ts";

/** The identity of a store, fixed when it is created. */
export interface StoreIdentity {
  readonly format: string;
  readonly key: string;
  readonly modelId: string;
  readonly modelHash: string;
  readonly preprocess: Preprocess;
  readonly imageMode: ImageMode;
  readonly datasetHash: string;
  /** Number of items (memes). */
  readonly count: number;
  /** SHA-256 of the item names in order, so a different item list cannot resume this store. */
  readonly namesHash: string;
}

/** `manifest.json` of a complete store. */
export interface StoreManifest extends StoreIdentity {
  readonly complete: true;
  /** Width of the image embedding (768 for ViT-L/14). */
  readonly imageDim: number;
  /** Width of the text feature (768 for ViT-L/14). */
  readonly textDim: number;
  /** Width of CLIP's vision transformer (rows of the visual projection; 1024 for ViT-L/14). */
  readonly visionHidden: number;
  /** Class names per task whose prompt embeddings are stored, in class order. */
  readonly prompts: Readonly<Record<string, readonly string[]>>;
  /** Item names, in dataset order. */
  readonly names: readonly string[];
  readonly imagesOk: number;
  readonly imagesMissing: number;
  readonly files: {
    readonly features: string;
    readonly missingImages: string;
    readonly prompts: string;
  };
  readonly tensors: Readonly<Record<string, { dtype: string; shape: readonly number[] }>>;
  readonly created: string;
  readonly device: string;
}

/** The stored CLIP prompt embeddings of one task's classes (`a photo of a {class}.`). */
export interface PromptEmbeddings {
  /** Class names in class order. */
  readonly classNames: readonly string[];
  /** Projected prompt text embeddings, `C × dim` (for zero-shot scores). */
  readonly textEmbeds: Float32Array;
  /** MemeCLIP's cosine-classifier initialisation, `C × visionHidden`, unit rows. */
  readonly classifierInit: Float32Array;
}

/** Features loaded for training, in dataset order. */
export interface LoadedFeatures {
  readonly key: string;
  readonly dir: string;
  readonly modelId: string;
  readonly modelHash: string;
  readonly preprocess: Preprocess;
  readonly imageMode: ImageMode;
  readonly datasetHash: string;
  /** Width of the image embeddings. */
  readonly dim: number;
  /** Width of the text features. */
  readonly textDim: number;
  readonly count: number;
  /** Item names in dataset order. */
  readonly names: string[];
  /** `count × dim` image embeddings (zeros where the image was unreadable). */
  readonly image: Float32Array;
  /** `count × textDim` text features. */
  readonly text: Float32Array;
  /** 1 where the image was read, 0 where it was missing or unreadable. */
  readonly imageOk: Uint8Array;
  /** Width of CLIP's vision transformer (the classifier initialisation's width). */
  readonly visionHidden: number;
  /** Prompt embeddings per task name (the four PrideMM tasks unless extracted otherwise). */
  readonly prompts: Readonly<Record<string, PromptEmbeddings>>;
}

/** The directory of store `key` under `cacheDir` (default: the project cache). */
export function featureStoreDir(key: string, cacheDir: string = defaultCacheDir()): string {
  return `${cacheDir}/features/${key}`;
}

/** Reads the manifest of a complete store, or null when the store is absent or unfinished. */
export async function readManifest(dir: string): Promise<StoreManifest | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(`${dir}/manifest.json`);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  const m = JSON.parse(text) as StoreManifest;
  if (m.format !== FEATURE_STORE_FORMAT || m.complete !== true) {
    throw new Error(`${dir}/manifest.json: format ${m.format}, expected ${FEATURE_STORE_FORMAT}`);
  }
  return m;
}

/**
 * Loads a complete store by key (under `cacheDir`) or by directory path. Throws, naming the
 * directory, when it does not exist or extraction has not finished.
 */
export async function loadFeatures(
  keyOrDir: string,
  opts: { cacheDir?: string } = {},
): Promise<LoadedFeatures> {
  const dir = keyOrDir.includes("/") ? keyOrDir : featureStoreDir(keyOrDir, opts.cacheDir);
  const m = await readManifest(dir);
  if (!m) {
    const started = await Deno.stat(`${dir}/store.json`).then(() => true, () => false);
    throw new Error(
      started
        ? `feature store ${dir} is incomplete (extraction was interrupted): run \`deno task extract\` again to finish it`
        : `no feature store at ${dir}: run \`deno task extract\` first`,
    );
  }
  const path = `${dir}/${m.files.features}`;
  const { tensors } = decodeSafetensors(await Deno.readFile(path), path);
  const { image, text, image_ok: ok } = tensors;
  const expect = (name: string, t: typeof image, dtype: string, shape: number[]) => {
    if (!t || t.dtype !== dtype || t.shape.join() !== shape.join()) {
      throw new Error(
        `${path}: tensor ${name} is ${
          t ? `${t.dtype}[${t.shape}]` : "missing"
        }, expected ${dtype}[${shape}]`,
      );
    }
  };
  expect("image", image, "F32", [m.count, m.imageDim]);
  expect("text", text, "F32", [m.count, m.textDim]);
  expect("image_ok", ok, "U8", [m.count]);
  const promptPath = `${dir}/${m.files.prompts}`;
  const stored = decodeSafetensors(await Deno.readFile(promptPath), promptPath).tensors;
  const prompts: Record<string, PromptEmbeddings> = {};
  for (const [task, classNames] of Object.entries(m.prompts)) {
    const C = classNames.length;
    const textEmbeds = stored[`${task}.text_embeds`], init = stored[`${task}.classifier_init`];
    expect(`${task}.text_embeds`, textEmbeds, "F32", [C, m.imageDim]);
    expect(`${task}.classifier_init`, init, "F32", [C, m.visionHidden]);
    prompts[task] = {
      classNames,
      textEmbeds: textEmbeds.data as Float32Array,
      classifierInit: init.data as Float32Array,
    };
  }
  return {
    key: m.key,
    dir,
    modelId: m.modelId,
    modelHash: m.modelHash,
    preprocess: m.preprocess,
    imageMode: m.imageMode,
    datasetHash: m.datasetHash,
    dim: m.imageDim,
    textDim: m.textDim,
    count: m.count,
    names: [...m.names],
    image: image.data as Float32Array,
    text: text.data as Float32Array,
    imageOk: ok.data as Uint8Array,
    visionHidden: m.visionHidden,
    prompts,
  };
}

/**
 * The stored prompt embeddings for exactly these class names (any task), so a head can be
 * initialised without loading CLIP. Throws, listing what the store holds, when none match.
 */
export function storedPrompts(f: LoadedFeatures, classNames: readonly string[]): PromptEmbeddings {
  const hit = Object.values(f.prompts).find((p) =>
    p.classNames.length === classNames.length && p.classNames.every((c, i) => c === classNames[i])
  );
  if (!hit) {
    throw new Error(
      `feature store ${f.dir} has no prompt embeddings for [${classNames.join(", ")}]; it holds ` +
        Object.entries(f.prompts).map(([t, p]) => `${t}: [${p.classNames.join(", ")}]`).join("; ") +
        `. Compute them with promptClassifierInit from lib/clip.`,
    );
  }
  return hit;
}

/** The rows `rows` (dataset indices) of loaded features, copied, in the given order. */
export function selectRows(
  f: LoadedFeatures,
  rows: ArrayLike<number>,
): { image: Float32Array; text: Float32Array; imageOk: Uint8Array } {
  const n = rows.length;
  const image = new Float32Array(n * f.dim), text = new Float32Array(n * f.textDim);
  const imageOk = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    if (!(r >= 0 && r < f.count)) throw new Error(`row ${r} outside 0..${f.count - 1}`);
    image.set(f.image.subarray(r * f.dim, (r + 1) * f.dim), i * f.dim);
    text.set(f.text.subarray(r * f.textDim, (r + 1) * f.textDim), i * f.textDim);
    imageOk[i] = f.imageOk[r];
  }
  return { image, text, imageOk };
}
