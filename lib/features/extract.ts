/**
 * Feature extraction into the store: batched, resumable, with images of the next batch decoded
 * while onnxruntime works on the current one.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { type ImageMode, type Preprocess, TASKS } from "../config/mod.ts";
import {
  classifierInitFrom,
  classPrompt,
  type ClipDevice,
  type ClipEncoder,
  clipSettings,
  compactOk,
  loadClip,
  locateModelFiles,
  type PixelBatch,
  resolveClipModel,
  type TokenBatch,
} from "../clip/mod.ts";
import { Progress, writeFileAtomic, writeJsonAtomic } from "../util/mod.ts";
import { FEATURE_STORE_FORMAT, featureStoreKey, modelContentHash } from "./key.ts";
import { decodeSafetensors, encodeSafetensors } from "../util/safetensors.ts";
import { featureStoreDir, readManifest, type StoreIdentity, type StoreManifest } from "./store.ts";

/** One meme to extract: its name, image file and text (`null` = no text). */
export interface FeatureItem {
  readonly name: string;
  readonly imagePath: string;
  readonly text: string | null;
}

/** Options of {@linkcode extractFeatures}. */
export interface ExtractOptions {
  /** The memes, in dataset order. */
  readonly items: readonly FeatureItem[];
  /** SHA-256 of the dataset CSV (part of the store key). */
  readonly datasetHash: string;
  /** CLIP model (see `loadClip`); default env `MEMESENSE_CLIP_MODEL` or ViT-L/14. */
  readonly model?: string;
  /** Default `squash` (the reference). */
  readonly preprocess?: Preprocess;
  /** Default `pillow` (the reference's `convert("RGB")`). */
  readonly imageMode?: ImageMode;
  /** Memes per batch (one onnxruntime call per tower); default 16. */
  readonly batchSize?: number;
  /** onnxruntime intra-op threads. */
  readonly threads?: number;
  readonly device?: ClipDevice;
  readonly offline?: boolean;
  /** Cache root for models, hashes and stores. */
  readonly cacheDir?: string;
  /** An already loaded encoder (its model must be the one named by `model`). */
  readonly clip?: ClipEncoder;
  /** Status lines; default stderr. */
  readonly log?: (line: string) => void;
  /** Progress line writer; `null` silences it (default: stderr). */
  readonly progress?: ((line: string) => void) | null;
  /**
   * Class names whose prompt embeddings and prompt-initialised classifier weights are stored with
   * the features, so training and the zero-shot baseline need no CLIP model. Default: the four
   * PrideMM tasks.
   */
  readonly prompts?: Readonly<Record<string, readonly string[]>>;
  /** Called after each batch file is written (first row, size, rows done so far). */
  readonly onBatchWritten?: (
    batch: { first: number; size: number; done: number },
  ) => void | Promise<void>;
}

/** What {@linkcode extractFeatures} did. */
export interface ExtractResult {
  readonly key: string;
  readonly dir: string;
  readonly manifest: StoreManifest;
  /** Memes computed in this run. */
  readonly computed: number;
  /** Memes found already computed in batch files of an interrupted run. */
  readonly resumed: number;
  /** Whether the store was complete before this run (nothing loaded or computed). */
  readonly cached: boolean;
  /** Seconds spent inside onnxruntime (vision + text). */
  readonly inferenceSeconds: number;
  /** Wall seconds of the batch loop. */
  readonly loopSeconds: number;
}

/**
 * Computes (or finds) the features of `items`: image embeddings and unprojected text features,
 * stored under a key of model, preprocessing and dataset hash. Finished batches of an interrupted
 * run are reused; nothing is recomputed once the manifest exists. Unreadable or missing images
 * are counted, listed in `missing-images.tsv` and flagged in `image_ok` (their text is still
 * encoded).
 */
export async function extractFeatures(opts: ExtractOptions): Promise<ExtractResult> {
  const log = opts.log ?? ((line: string) => console.error(line));
  const preprocess = opts.preprocess ?? "squash";
  const imageMode = opts.imageMode ?? "pillow";
  const batchSize = opts.batchSize ?? 16;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`batch size must be a positive integer, got ${batchSize}`);
  }
  const settings = clipSettings({
    model: opts.clip?.modelId ?? opts.model,
    cacheDir: opts.cacheDir,
    offline: opts.offline,
    device: opts.device,
  });
  const items = opts.items;
  const namesHash = createHash("sha256").update(items.map((i) => i.name).join("\n")).digest("hex");

  // Find the store without loading the model when its files are already on disk.
  let clip = opts.clip ?? null;
  const ownClip = !clip;
  let files = clip?.files ??
    await locateModelFiles(await resolveClipModel(settings.model), settings);
  const keyFor = async () => {
    const modelHash = await modelContentHash(files!, settings.cacheDir);
    const parts = {
      modelId: settings.model,
      modelHash,
      preprocess,
      imageMode,
      datasetHash: opts.datasetHash,
    };
    return { key: featureStoreKey(parts), modelHash };
  };
  let id = files ? await keyFor() : null;
  if (id) {
    const done = await completeStore(
      featureStoreDir(id.key, settings.cacheDir),
      items.length,
      namesHash,
    );
    if (done) return cachedResult(id.key, featureStoreDir(id.key, settings.cacheDir), done);
  }
  try {
    clip ??= await loadClip({
      model: settings.model,
      cacheDir: settings.cacheDir,
      offline: settings.offline,
      device: settings.device,
      threads: opts.threads,
      preprocess,
      imageMode,
      log,
    });
    if (!id) {
      files = clip.files;
      id = await keyFor();
      const dir = featureStoreDir(id.key, settings.cacheDir);
      const done = await completeStore(dir, items.length, namesHash);
      if (done) return cachedResult(id.key, dir, done);
    }
    const identity: StoreIdentity = {
      format: FEATURE_STORE_FORMAT,
      key: id.key,
      modelId: settings.model,
      modelHash: id.modelHash,
      preprocess,
      imageMode,
      datasetHash: opts.datasetHash,
      count: items.length,
      namesHash,
    };
    return await runExtraction(clip, identity, settings.cacheDir, items, batchSize, opts, log);
  } finally {
    if (ownClip && clip) await clip.dispose();
  }
}

async function completeStore(dir: string, count: number, namesHash: string) {
  const m = await readManifest(dir);
  if (m && (m.count !== count || m.namesHash !== namesHash)) {
    throw new Error(
      `feature store ${dir} holds ${m.count} memes of another item list with the same dataset ` +
        `hash; delete the directory to re-extract`,
    );
  }
  return m;
}

function cachedResult(key: string, dir: string, manifest: StoreManifest): ExtractResult {
  return {
    key,
    dir,
    manifest,
    computed: 0,
    resumed: 0,
    cached: true,
    inferenceSeconds: 0,
    loopSeconds: 0,
  };
}

interface StoredBatch {
  readonly index: Int32Array;
  readonly image: Float32Array;
  readonly text: Float32Array;
  readonly ok: Uint8Array;
  readonly errors: Record<string, string>;
}

async function runExtraction(
  clip: ClipEncoder,
  identity: StoreIdentity,
  cacheDir: string,
  items: readonly FeatureItem[],
  batchSize: number,
  opts: ExtractOptions,
  log: (line: string) => void,
): Promise<ExtractResult> {
  const dir = featureStoreDir(identity.key, cacheDir);
  const batchDir = `${dir}/batches`;
  await Deno.mkdir(batchDir, { recursive: true });
  await checkOrWriteIdentity(dir, identity);

  const { dim, textHidden } = clip;
  const stored = await readBatches(batchDir, items.length, dim, textHidden, log);
  const covered = new Uint8Array(items.length);
  for (const b of stored) for (const i of b.index) covered[i] = 1;
  const resumed = covered.reduce((a, b) => a + b, 0);
  const todo: number[] = [];
  for (let i = 0; i < items.length; i++) if (!covered[i]) todo.push(i);
  const plan: number[][] = [];
  for (let s = 0; s < todo.length; s += batchSize) plan.push(todo.slice(s, s + batchSize));
  if (resumed > 0) {
    log(`extract: resuming ${dir}: ${resumed} memes already done, ${todo.length} to go`);
  } else {log(
      `extract: ${items.length} memes → ${dir} (${clip.modelId}, ${identity.preprocess}, ${identity.imageMode}, ${clip.device})`,
    );}

  const progress = new Progress({
    label: "extract",
    total: items.length,
    unit: "memes",
    initial: resumed,
    ...(opts.progress !== undefined ? { write: opts.progress } : {}),
  });
  const prepare = (rows: number[]): Promise<{ pixels: PixelBatch; tokens: TokenBatch }> =>
    clip.preprocessImages(
      rows.map((r) => items[r].imagePath),
      identity.preprocess,
      identity.imageMode,
    )
      .then((pixels) => ({ pixels, tokens: clip.tokenize(rows.map((r) => items[r].text)) }));

  let inference = 0;
  const t0 = performance.now();
  let pending = plan.length > 0 ? prepare(plan[0]) : null;
  for (let b = 0; b < plan.length; b++) {
    const rows = plan[b];
    const { pixels, tokens } = await pending!;
    // Queue the next batch's decoding now: sharp runs on its own threads while onnxruntime,
    // which is synchronous in onnxruntime-node, holds this one.
    pending = b + 1 < plan.length ? prepare(plan[b + 1]) : null;
    const t = performance.now();
    const okRows = compactOk(pixels, clip.geometry.size);
    const vision = okRows.count > 0 ? await clip.runVision(okRows.pixels, okRows.count) : null;
    const { features } = await clip.runText(tokens);
    inference += performance.now() - t;
    const image = new Float32Array(rows.length * dim);
    okRows.index.forEach((r, j) => image.set(vision!.subarray(j * dim, (j + 1) * dim), r * dim));
    const errors: Record<string, string> = {};
    pixels.errors.forEach((e, j) => {
      if (e !== null) errors[String(rows[j])] = e;
    });
    const batch: StoredBatch = {
      index: Int32Array.from(rows),
      image,
      text: features,
      ok: Uint8Array.from(pixels.ok, (v) => (v ? 1 : 0)),
      errors,
    };
    await writeFileAtomic(
      `${batchDir}/${String(rows[0]).padStart(6, "0")}-${rows.length}.safetensors`,
      encodeBatch(batch, dim, textHidden),
    );
    stored.push(batch);
    progress.tick(rows.length);
    await opts.onBatchWritten?.({ first: rows[0], size: rows.length, done: progress.done });
  }
  const loopSeconds = (performance.now() - t0) / 1000;
  if (plan.length > 0) progress.finish();

  const prompts = opts.prompts ??
    Object.fromEntries(Object.values(TASKS).map((t) => [t.name, t.classNames]));
  const manifest = await consolidate(dir, identity, clip, items, stored, prompts, log);
  await Deno.remove(batchDir, { recursive: true }).catch(() => {});
  return {
    key: identity.key,
    dir,
    manifest,
    computed: todo.length,
    resumed,
    cached: false,
    inferenceSeconds: inference / 1000,
    loopSeconds,
  };
}

async function checkOrWriteIdentity(dir: string, identity: StoreIdentity): Promise<void> {
  const path = `${dir}/store.json`;
  try {
    const old = JSON.parse(await Deno.readTextFile(path)) as StoreIdentity;
    for (const k of Object.keys(identity) as (keyof StoreIdentity)[]) {
      if (old[k] !== identity[k]) {
        throw new Error(
          `${path}: ${k} is ${JSON.stringify(old[k])} but this run has ${
            JSON.stringify(identity[k])
          }; ` +
            `delete ${dir} to start over`,
        );
      }
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    await writeJsonAtomic(path, identity);
  }
}

function encodeBatch(b: StoredBatch, dim: number, textDim: number): Uint8Array {
  const n = b.index.length;
  return encodeSafetensors({
    index: { dtype: "I32", shape: [n], data: b.index },
    image: { dtype: "F32", shape: [n, dim], data: b.image },
    text: { dtype: "F32", shape: [n, textDim], data: b.text },
    image_ok: { dtype: "U8", shape: [n], data: b.ok },
  }, { errors: JSON.stringify(b.errors) });
}

/** Reads finished batches; drops (with a note) files that do not parse or do not fit. */
async function readBatches(
  batchDir: string,
  count: number,
  dim: number,
  textDim: number,
  log: (line: string) => void,
): Promise<StoredBatch[]> {
  const out: StoredBatch[] = [];
  const seen = new Uint8Array(count);
  const names: string[] = [];
  for await (const e of Deno.readDir(batchDir)) if (e.isFile) names.push(e.name);
  names.sort();
  for (const name of names) {
    const path = `${batchDir}/${name}`;
    if (!name.endsWith(".safetensors")) {
      await Deno.remove(path).catch(() => {}); // a temporary file of a killed write
      continue;
    }
    try {
      const { tensors, metadata } = decodeSafetensors(await Deno.readFile(path), path);
      const { index, image, text, image_ok: ok } = tensors;
      const n = index?.shape[0] ?? -1;
      if (
        index?.dtype !== "I32" || image?.dtype !== "F32" || text?.dtype !== "F32" ||
        ok?.dtype !== "U8" || image.shape.join() !== `${n},${dim}` ||
        text.shape.join() !== `${n},${textDim}` || ok.shape[0] !== n
      ) throw new Error("unexpected tensors");
      const idx = index.data as Int32Array;
      if (idx.some((i) => i < 0 || i >= count || seen[i])) {
        throw new Error("rows out of range or repeated");
      }
      idx.forEach((i) => (seen[i] = 1));
      out.push({
        index: idx,
        image: image.data as Float32Array,
        text: text.data as Float32Array,
        ok: ok.data as Uint8Array,
        errors: JSON.parse(metadata.errors ?? "{}"),
      });
    } catch (e) {
      log(`extract: discarding ${path} (${(e as Error).message}); its memes are recomputed`);
      await Deno.remove(path).catch(() => {});
    }
  }
  return out;
}

async function consolidate(
  dir: string,
  identity: StoreIdentity,
  clip: ClipEncoder,
  items: readonly FeatureItem[],
  batches: readonly StoredBatch[],
  prompts: Readonly<Record<string, readonly string[]>>,
  log: (line: string) => void,
): Promise<StoreManifest> {
  const n = items.length, { dim, textHidden } = clip;
  const image = new Float32Array(n * dim), text = new Float32Array(n * textHidden);
  const ok = new Uint8Array(n), filled = new Uint8Array(n);
  const errors = new Map<number, string>();
  for (const b of batches) {
    b.index.forEach((r, j) => {
      image.set(b.image.subarray(j * dim, (j + 1) * dim), r * dim);
      text.set(b.text.subarray(j * textHidden, (j + 1) * textHidden), r * textHidden);
      ok[r] = b.ok[j];
      filled[r] = 1;
    });
    for (const [r, e] of Object.entries(b.errors)) errors.set(Number(r), e);
  }
  const gap = filled.indexOf(0);
  if (gap >= 0) throw new Error(`internal: row ${gap} (${items[gap].name}) has no features`);

  const features = "features.safetensors", missingImages = "missing-images.tsv";
  const promptFile = "prompts.safetensors";
  const promptTensors: Parameters<typeof encodeSafetensors>[0] = {};
  const projection = await clip.visualProjection();
  for (const [task, names] of Object.entries(prompts)) {
    const { embeds } = await clip.encodeTexts(names.map(classPrompt));
    const init = classifierInitFrom(embeds, projection, names.length, dim, clip.visionHidden);
    promptTensors[`${task}.text_embeds`] = {
      dtype: "F32",
      shape: [names.length, dim],
      data: embeds,
    };
    promptTensors[`${task}.classifier_init`] = {
      dtype: "F32",
      shape: [names.length, clip.visionHidden],
      data: init,
    };
  }
  await writeFileAtomic(`${dir}/${promptFile}`, encodeSafetensors(promptTensors));
  await writeFileAtomic(
    `${dir}/${features}`,
    encodeSafetensors({
      image: { dtype: "F32", shape: [n, dim], data: image },
      text: { dtype: "F32", shape: [n, textHidden], data: text },
      image_ok: { dtype: "U8", shape: [n], data: ok },
    }, { key: identity.key, model: identity.modelId }),
  );
  const missing = [...errors.keys()].sort((a, b) => a - b);
  const tsv = ["row\tname\tpath\terror"].concat(
    missing.map((r) =>
      [r, items[r].name, items[r].imagePath, errors.get(r)!].map((v) =>
        String(v).replace(/[\t\n]/g, " ")
      ).join("\t")
    ),
  );
  await writeFileAtomic(`${dir}/${missingImages}`, tsv.join("\n") + "\n");
  const manifest: StoreManifest = {
    ...identity,
    complete: true,
    imageDim: dim,
    textDim: textHidden,
    names: items.map((i) => i.name),
    imagesOk: n - missing.length,
    imagesMissing: missing.length,
    visionHidden: clip.visionHidden,
    prompts,
    files: { features, missingImages, prompts: promptFile },
    tensors: {
      image: { dtype: "F32", shape: [n, dim] },
      text: { dtype: "F32", shape: [n, textHidden] },
      image_ok: { dtype: "U8", shape: [n] },
    },
    created: new Date().toISOString(),
    device: clip.device,
  };
  await writeJsonAtomic(`${dir}/manifest.json`, manifest); // last: marks the store complete
  log(
    missing.length > 0
      ? `extract: ${missing.length} of ${n} images missing or unreadable — excluded from training ` +
        `(their text features are kept); listed in ${dir}/${missingImages}`
      : `extract: all ${n} images read`,
  );
  return manifest;
}
