/**
 * A store's identity: the key of model, preprocessing and dataset under which its features are
 * stored, and the folder named after it; `store.json`, written once and checked by every process.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { ClipDevice, ImageMode, Preprocess } from "../config/mod.ts";
import {
  type ClipEncoder,
  type ClipModelFiles,
  clipSettings,
  loadClip,
  locateModelFiles,
  resolveClipModel,
} from "../clip/mod.ts";
import { ensureDir, writeFileAtomic } from "../util/mod.ts";
import { FEATURE_STORE_FORMAT, featureStoreKey, modelContentHash } from "./_key.ts";
import type { FeatureItem } from "./_inspect.ts";
import { featureStoreDir, type StoreIdentity } from "./store.ts";

/** What a store's identity is made of. */
export interface StoreOptions {
  /** The memes, in dataset order. */
  readonly items: readonly FeatureItem[];
  /** SHA-256 of the dataset CSV. */
  readonly datasetHash: string;
  /** How the CSV was decoded; default `utf-8`. */
  readonly textEncoding?: string;
  /** CLIP model (see `loadClip`). */
  readonly model?: string;
  /** Default `squash`. */
  readonly preprocess?: Preprocess;
  /** Default `pillow`. */
  readonly imageMode?: ImageMode;
  /** onnxruntime intra-op threads, should the model be loaded. */
  readonly threads?: number;
  /** Where CLIP runs. */
  readonly device?: ClipDevice;
  /** Never download. */
  readonly offline?: boolean;
  /** Cache root for models, hashes and stores. */
  readonly cacheDir?: string;
  /** An already loaded encoder. */
  readonly clip?: ClipEncoder;
}

/** A store's identity and location (model files located, or the model loaded). */
export interface OpenedStore {
  readonly dir: string;
  readonly identity: StoreIdentity;
  readonly cacheDir: string;
  clip: ClipEncoder | null;
  readonly ownClip: boolean;
  readonly loadClip: () => Promise<ClipEncoder>;
}

/**
 * The identity and folder of the store of `opts`: the CLIP model's files are located (and hashed)
 * without loading the model when they are on disk, else the model is loaded.
 */
export async function resolveStore(
  opts: StoreOptions,
  log: (line: string) => void,
): Promise<OpenedStore> {
  const preprocess = opts.preprocess ?? "squash";
  const imageMode = opts.imageMode ?? "pillow";
  const settings = clipSettings({
    model: opts.clip?.modelId ?? opts.model,
    cacheDir: opts.cacheDir,
    offline: opts.offline,
    device: opts.device,
  });
  if (opts.items.length === 0) throw new Error("nothing to extract: the item list is empty");
  const itemsHash = createHash("sha256")
    .update(JSON.stringify(opts.items.map((i) => [i.name, i.text])))
    .digest("hex");
  const load = () =>
    loadClip({
      model: settings.model,
      cacheDir: settings.cacheDir,
      offline: settings.offline,
      device: settings.device,
      threads: opts.threads,
      preprocess,
      imageMode,
      log,
    });
  // Find the store without loading the model when its files are already on disk.
  let clip = opts.clip ?? null;
  let files: ClipModelFiles | null = clip?.files ??
    await locateModelFiles(await resolveClipModel(settings.model, settings.cacheDir), settings);
  if (!files) {
    clip = await load();
    files = clip.files;
  }
  const modelHash = await modelContentHash(files, settings.cacheDir);
  const textEncoding = opts.textEncoding ?? "utf-8";
  const keyed = {
    modelId: settings.model,
    modelHash,
    preprocess,
    imageMode,
    datasetHash: opts.datasetHash,
    textEncoding,
  };
  const key = featureStoreKey(keyed);
  return {
    dir: featureStoreDir(key, settings.cacheDir),
    identity: {
      format: FEATURE_STORE_FORMAT,
      key,
      ...keyed,
      count: opts.items.length,
      itemsHash,
    },
    cacheDir: settings.cacheDir,
    clip,
    ownClip: !opts.clip,
    loadClip: load,
  };
}

/**
 * The identity is written once, by whichever process comes first (a hard link of a complete
 * temporary file, so a concurrent shard never sees a partial one), and checked by every other.
 * The store's folder is named after a digest of the identity, so a `store.json` that is missing,
 * does not read or differs was damaged: it is written again, with a message.
 */
export async function checkOrWriteIdentity(
  dir: string,
  identity: StoreIdentity,
  log: (line: string) => void,
): Promise<void> {
  const path = `${dir}/store.json`;
  const text = JSON.stringify(identity, null, 2) + "\n";
  await ensureDir(dir);
  try {
    await writeFileAtomic(path, text, { exclusive: true });
    return;
  } catch (e) {
    if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
  }
  let old: StoreIdentity | null = null;
  try {
    old = JSON.parse(await Deno.readTextFile(path));
  } catch { /* damaged: written again below */ }
  const differs = (Object.keys(identity) as (keyof StoreIdentity)[])
    .find((k) => old?.[k] !== identity[k]);
  if (!differs) return;
  log(
    `extract: ${path} is damaged (${
      old ? `its ${differs} is ${JSON.stringify(old[differs])}` : "not JSON"
    }, while the folder's name is this store's key): writing it again`,
  );
  await writeFileAtomic(path, text);
}
