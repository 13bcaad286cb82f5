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
import type { Preprocess } from "../config/mod.ts";
import { cacheDir as defaultCacheDir } from "../util/mod.ts";
import { FEATURE_STORE_FORMAT } from "./key.ts";
import { decodeSafetensors } from "./safetensors.ts";

/** The identity of a store, fixed when it is created. */
export interface StoreIdentity {
  readonly format: string;
  readonly key: string;
  readonly modelId: string;
  readonly modelHash: string;
  readonly preprocess: Preprocess;
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
  /** Item names, in dataset order. */
  readonly names: readonly string[];
  readonly imagesOk: number;
  readonly imagesMissing: number;
  readonly files: { readonly features: string; readonly missingImages: string };
  readonly tensors: Readonly<Record<string, { dtype: string; shape: readonly number[] }>>;
  readonly created: string;
  readonly device: string;
}

/** Features loaded for training, in dataset order. */
export interface LoadedFeatures {
  readonly key: string;
  readonly dir: string;
  readonly modelId: string;
  readonly modelHash: string;
  readonly preprocess: Preprocess;
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
  return {
    key: m.key,
    dir,
    modelId: m.modelId,
    modelHash: m.modelHash,
    preprocess: m.preprocess,
    datasetHash: m.datasetHash,
    dim: m.imageDim,
    textDim: m.textDim,
    count: m.count,
    names: [...m.names],
    image: image.data as Float32Array,
    text: text.data as Float32Array,
    imageOk: ok.data as Uint8Array,
  };
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
