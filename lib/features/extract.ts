/**
 * Feature extraction into the store: batched, resumable, shardable, with images of the next batch
 * decoded while onnxruntime works on the current one; and consolidation of the extracted chunks
 * into the store's final layout.
 *
 * Every run first compares the store with the images on disk (a `stat` per image; a content hash
 * only where size or time changed): rows whose image changed, appeared or was repaired, rows of a
 * damaged chunk and rows never extracted are (re-)extracted; nothing else is.
 *
 * @module
 */
import { createHash } from "node:crypto";
import {
  classPrompt,
  type ClipDevice,
  type ImageMode,
  type Preprocess,
  TASKS,
} from "../config/mod.ts";
import {
  type ClipEncoder,
  type ClipModelFiles,
  clipSettings,
  compactOk,
  loadClip,
  locateModelFiles,
  promptWeightsFrom,
  resolveClipModel,
} from "../clip/mod.ts";
import {
  ensureDir,
  FileWriteError,
  formatShard,
  Progress,
  type Shard,
  shardRange,
  writeFileAtomic,
  writeSealedJson,
} from "../util/mod.ts";
import { decodeSafetensors, encodeSafetensors } from "../util/mod.ts";
import { FEATURE_STORE_FORMAT, featureStoreKey, modelContentHash } from "./_key.ts";
import {
  checkStoredFile,
  type ChunkEntry,
  featureStoreDir,
  FeatureStoreError,
  missingImagesTsv,
  readManifest,
  type StoredFile,
  type StoreIdentity,
  type StoreManifest,
} from "./store.ts";
import {
  type Chunk,
  decodeChunk,
  type ImageRecord,
  type ImageStat,
  parseChunkName,
  relativeImagePath,
  sameImage,
  sha256Bytes,
  statImage,
  statImages,
  unreadableReason,
  writeChunk,
} from "./_chunks.ts";

/** One meme to extract: its name, image file and text (`null` = no text). */
export interface FeatureItem {
  /** The meme name (the CSV `name` column). */
  readonly name: string;
  /** Path of its image file. */
  readonly imagePath: string;
  /** Its text; `null` when it has none. */
  readonly text: string | null;
}

/** Rows per consolidated chunk: a damaged chunk costs at most this many re-extractions. */
export const CHUNK_ROWS = 512;

/** Options of {@linkcode extractFeatures} and {@linkcode consolidateFeatures}. */
export interface ExtractOptions {
  /** The memes, in dataset order. */
  readonly items: readonly FeatureItem[];
  /** SHA-256 of the dataset CSV (part of the store key). */
  readonly datasetHash: string;
  /** How the CSV was decoded (part of the store key); default `utf-8`. */
  readonly textEncoding?: string;
  /**
   * The images root: provenance records paths relative to it, so the same images in another
   * folder are recognised. Default: each image's own directory.
   */
  readonly imageDir?: string;
  /** CLIP model (see `loadClip`); default env `MEMESENSE_CLIP_MODEL` or ViT-L/14. */
  readonly model?: string;
  /** Default `squash` (the reference). */
  readonly preprocess?: Preprocess;
  /** Default `pillow` (the reference's `convert("RGB")`). */
  readonly imageMode?: ImageMode;
  /** Memes per batch (one onnxruntime call per tower, one chunk file); default 16. */
  readonly batchSize?: number;
  /** onnxruntime intra-op threads. */
  readonly threads?: number;
  /** Where CLIP runs (default: `MEMESENSE_DEVICE`, else `cpu`). */
  readonly device?: ClipDevice;
  /** Never download (default: `MEMESENSE_OFFLINE`). */
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
  /** Called after each chunk file is written (first row, size, rows done so far). */
  readonly onBatchWritten?: (
    batch: { first: number; size: number; done: number },
  ) => void | Promise<void>;
  /** Rows per consolidated chunk; default {@linkcode CHUNK_ROWS}. */
  readonly chunkRows?: number;
  /** Discard the store and extract everything again (not with `shard`). */
  readonly force?: boolean;
  /** Hash every stored file, even where size and modification time are unchanged. */
  readonly verify?: boolean;
  /**
   * Extract only this shard's memes (a contiguous, fixed part of the item list) into chunk files
   * of its own, and do not consolidate: run {@linkcode consolidateFeatures} once every shard is
   * done. Shard 1 also stores the prompt embeddings.
   */
  readonly shard?: Shard;
  /**
   * Largest fraction of images that may be missing or unreadable (default: no limit). Above it,
   * {@linkcode MissingImagesError} is thrown: before any work when files are missing, after
   * consolidation (the store is kept) when images turn out unreadable.
   */
  readonly maxMissing?: number;
}

/** What {@linkcode extractFeatures} did. */
export interface ExtractResult {
  /** The store key. */
  readonly key: string;
  /** The store directory. */
  readonly dir: string;
  /** The consolidated store's manifest; `null` after a shard (not consolidated yet). */
  readonly manifest: StoreManifest | null;
  /** Memes computed in this run. */
  readonly computed: number;
  /** Memes found already computed in chunk files of an interrupted run or another shard. */
  readonly resumed: number;
  /**
   * Memes computed again because their image changed, appeared, was removed or repaired, or their
   * chunk was damaged (included in `computed`).
   */
  readonly reextracted: number;
  /** Whether the store was complete and current before this run (nothing loaded or computed). */
  readonly cached: boolean;
  /** Seconds spent inside onnxruntime (vision + text). */
  readonly inferenceSeconds: number;
  /** Wall seconds of the batch loop. */
  readonly loopSeconds: number;
}

/** Images missing or unreadable beyond the allowed fraction; the message lists the first ones. */
export class MissingImagesError extends Error {
  /** Creates the error. */
  constructor(
    message: string,
    /** Rows without a usable image: dataset row, name, path and reason. */
    readonly missing: readonly { row: number; name: string; path: string; reason: string }[],
    /** Number of memes. */
    readonly total: number,
  ) {
    super(message);
    this.name = "MissingImagesError";
  }
}

/** Store identity and location for a set of options (model files located, or the model loaded). */
interface Resolved {
  readonly dir: string;
  readonly identity: StoreIdentity;
  readonly cacheDir: string;
  clip: ClipEncoder | null;
  readonly ownClip: boolean;
  readonly loadClip: () => Promise<ClipEncoder>;
}

async function resolveStore(opts: ExtractOptions, log: (line: string) => void): Promise<Resolved> {
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
    await locateModelFiles(await resolveClipModel(settings.model), settings);
  if (!files) {
    clip = await load();
    files = clip.files;
  }
  const modelHash = await modelContentHash(files, settings.cacheDir);
  const textEncoding = opts.textEncoding ?? "utf-8";
  const key = featureStoreKey({
    modelId: settings.model,
    modelHash,
    preprocess,
    imageMode,
    datasetHash: opts.datasetHash,
    textEncoding,
  });
  return {
    dir: featureStoreDir(key, settings.cacheDir),
    identity: {
      format: FEATURE_STORE_FORMAT,
      key,
      modelId: settings.model,
      modelHash,
      preprocess,
      imageMode,
      datasetHash: opts.datasetHash,
      textEncoding,
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
 * Computes (or finds) the features of `items`: image embeddings and unprojected text features,
 * stored under a key of model, preprocessing and dataset. Rows already in the store whose image
 * is unchanged are kept; the rest are extracted (see the module doc). Unreadable or missing
 * images are listed in `missing-images.tsv` and flagged in `image_ok` (their text is still
 * encoded). With `shard`, only that shard's rows are extracted and nothing is consolidated.
 */
export async function extractFeatures(opts: ExtractOptions): Promise<ExtractResult> {
  const log = opts.log ?? ((line: string) => console.error(line));
  const batchSize = opts.batchSize ?? 16;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`batch size must be a positive integer, got ${batchSize}`);
  }
  if (opts.force && opts.shard) {
    throw new Error("--force rebuilds a whole store; it cannot be combined with --shard");
  }
  if (opts.maxMissing !== undefined) {
    // Missing files are known from a stat each: refuse before creating or loading anything.
    checkMissing(await statItems(opts), opts, opts.maxMissing, "missing");
  }
  const store = await resolveStore(opts, log);
  try {
    const { dir, identity } = store;
    if (opts.force) {
      log(`extract: --force: discarding ${dir}`);
      await Deno.remove(dir, { recursive: true }).catch((e) => {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      });
    }
    await checkOrWriteIdentity(dir, identity, log);
    await ensureDir(`${dir}/chunks`);
    // Chunks found damaged, each reported once: consolidation inspects the store again.
    const reported = new Set<string>();
    const state = await inspectStore(dir, opts, log, opts.verify ?? false, reported);

    const range = opts.shard
      ? shardRange(opts.items.length, opts.shard)
      : { start: 0, end: opts.items.length };
    const todo: number[] = [];
    let resumed = 0, reextracted = 0;
    for (let r = range.start; r < range.end; r++) {
      if (state.rows[r] === null) {
        todo.push(r);
        if (state.stale[r]) reextracted++;
      } else if (state.rows[r]!.source !== "manifest") resumed++;
    }
    const writesPrompts = !opts.shard || opts.shard.index === 1;
    const needPrompts = writesPrompts && !state.promptsOk;
    const current = !opts.shard && todo.length === 0 && !needPrompts && state.consolidated;
    if (current) {
      // The list of unusable images follows from the manifest; a damaged one is written again.
      const list = `${dir}/${state.manifest!.files.missingImages}`;
      const expected = missingImagesTsv(state.manifest!.names, state.manifest!.images);
      if ((await Deno.readTextFile(list).catch(() => null)) !== expected) {
        log(`extract: ${list} is missing or damaged: writing it again from the manifest`);
        await writeFileAtomic(list, expected);
      }
      return {
        key: identity.key,
        dir,
        manifest: state.manifest!,
        computed: 0,
        resumed: 0,
        reextracted: 0,
        cached: true,
        inferenceSeconds: 0,
        loopSeconds: 0,
      };
    }
    let inference = 0, loopSeconds = 0;
    if (todo.length > 0 || needPrompts) store.clip ??= await store.loadClip();
    const clip = store.clip;
    if (todo.length > 0) {
      const where = opts.shard ? ` (shard ${formatShard(opts.shard)})` : "";
      log(
        resumed > 0 || reextracted > 0 || state.manifest
          ? `extract: ${dir}${where}: ${todo.length} memes to extract (${reextracted} changed, ` +
            `appeared or damaged), ${resumed} found in chunks of an earlier run`
          : `extract: ${todo.length} memes${where} → ${dir} (${clip!.modelId}, ` +
            `${identity.preprocess}, ${identity.imageMode}, ${clip!.device})`,
      );
      const r = await extractRows(clip!, identity, dir, opts, todo, state.stats, batchSize);
      inference = r.inferenceSeconds;
      loopSeconds = r.loopSeconds;
    }
    if (needPrompts) await writePrompts(dir, clip!, opts.prompts ?? defaultPrompts());
    let manifest: StoreManifest | null = null;
    if (!opts.shard) {
      manifest = await consolidateStore(dir, identity, opts, log, opts.verify ?? false, reported);
    } else {
      log(
        `extract: shard ${formatShard(opts.shard)} done (rows ${range.start}–${range.end - 1}); ` +
          "once every shard has finished, consolidate the store with the same flags and " +
          "--consolidate",
      );
    }
    return {
      key: identity.key,
      dir,
      manifest,
      computed: todo.length,
      resumed,
      reextracted,
      cached: false,
      inferenceSeconds: inference,
      loopSeconds,
    };
  } catch (e) {
    throw withStoreRemedy(e);
  } finally {
    if (store.ownClip && store.clip) await store.clip.dispose();
  }
}

/**
 * A failed write while extracting, with what to do: the store's manifest is written last, so
 * nothing unfinished is marked complete, and extracting again keeps every chunk written.
 */
function withStoreRemedy(e: unknown): unknown {
  if (!(e instanceof FileWriteError)) return e;
  const fix = e.code === "ENOSPC" || e.code === "EDQUOT"
    ? "free space on that disk"
    : "fix the disk";
  return e.withRemedy(
    `the store is not marked complete; ${fix}, then run deno task extract again with the same ` +
      "flags: the memes already extracted are kept",
  );
}

/**
 * Consolidates a store whose rows have all been extracted (by one run or by every shard): writes
 * the rows into fixed chunks of {@linkcode CHUNK_ROWS} with their checksums, the missing-images
 * list and the manifest, and removes the chunk files it replaced. Idempotent: a consolidated,
 * unchanged store is left as it is. Needs no CLIP model. Throws, saying which rows are missing,
 * when some rows have not been extracted.
 */
export async function consolidateFeatures(opts: ExtractOptions): Promise<StoreManifest> {
  const log = opts.log ?? ((line: string) => console.error(line));
  const store = await resolveStore(opts, log);
  try {
    await checkOrWriteIdentity(store.dir, store.identity, log);
    return await consolidateStore(store.dir, store.identity, opts, log, opts.verify ?? false);
  } catch (e) {
    throw withStoreRemedy(e);
  } finally {
    if (store.ownClip && store.clip) await store.clip.dispose();
  }
}

function defaultPrompts(): Record<string, readonly string[]> {
  return Object.fromEntries(Object.values(TASKS).map((t) => [t.name, t.classNames]));
}

/** Where a row's current features are. */
interface RowSource {
  /** `manifest` for a consolidated chunk, else the name of a newer chunk. */
  readonly source: "manifest" | string;
  readonly file: string;
  /** The image record to keep (refreshed when only the modification time changed). */
  readonly record: ImageRecord;
}

interface StoreState {
  readonly manifest: StoreManifest | null;
  readonly stats: readonly ImageStat[];
  /** Per row: where its valid features are, or null when it must be extracted. */
  readonly rows: (RowSource | null)[];
  /** Per row: whether it was in the store but no longer matches its image (or was damaged). */
  readonly stale: Uint8Array;
  /** Decoded chunks that are not part of the manifest (newer rows). */
  readonly newer: ReadonlyMap<string, Chunk>;
  /** Whether the manifest describes exactly the valid rows (nothing to consolidate). */
  readonly consolidated: boolean;
  readonly promptsOk: boolean;
}

/** Compares the store with the images on disk (see the module doc); removes damaged files. */
async function inspectStore(
  dir: string,
  opts: ExtractOptions,
  log: (line: string) => void,
  verify: boolean,
  reported: Set<string> = new Set(),
): Promise<StoreState> {
  const items = opts.items, n = items.length;
  let manifest: StoreManifest | null = null;
  try {
    manifest = await readManifest(dir);
  } catch (e) {
    if (!(e instanceof FeatureStoreError)) throw e;
    if (!reported.has(e.file)) {
      reported.add(e.file);
      log(`extract: ${e.file} is damaged or outdated; rebuilding it from the chunk files`);
    }
  }
  if (manifest && (manifest.count !== n || manifest.images?.length !== n)) manifest = null;
  const stats = await statItems(opts);
  const candidates: RowSource[][] = Array.from({ length: n }, () => []);
  const chunkDir = `${dir}/chunks`;
  let consolidated = manifest !== null;
  const listed = new Set<string>();
  if (manifest) {
    for (const entry of manifest.chunks) {
      listed.add(entry.file);
      const problem = await checkStoredFile(`${chunkDir}/${entry.file}`, entry, verify);
      if (problem) {
        consolidated = false;
        if (!reported.has(entry.file)) {
          reported.add(entry.file);
          log(
            `extract: ${chunkDir}/${entry.file} is damaged (${problem}): re-extracting its ` +
              `${entry.rows} memes (rows ${entry.first}–${entry.first + entry.rows - 1})`,
          );
        }
        await Deno.remove(`${chunkDir}/${entry.file}`).catch(() => {});
        continue;
      }
      for (let r = entry.first; r < entry.first + entry.rows; r++) {
        candidates[r].push({ source: "manifest", file: entry.file, record: manifest.images[r] });
      }
    }
  }
  const newer = new Map<string, Chunk>();
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(chunkDir)) if (e.isFile) names.push(e.name);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  names.sort();
  for (const name of names) {
    if (listed.has(name)) continue;
    const path = `${chunkDir}/${name}`;
    const parsed = parseChunkName(name);
    if (!parsed) {
      await Deno.remove(path).catch(() => {}); // a temporary file of a killed write
      continue;
    }
    consolidated = false;
    try {
      const bytes = await Deno.readFile(path);
      if (!sha256Bytes(bytes).startsWith(parsed.sha16)) throw new Error("checksum mismatch");
      const chunk = decodeChunk(bytes, path, n);
      newer.set(name, chunk);
      chunk.index.forEach((r, j) =>
        candidates[r].unshift({ source: name, file: name, record: chunk.records[j] })
      );
    } catch (e) {
      log(`extract: discarding ${path} (${(e as Error).message}); its memes are extracted again`);
      await Deno.remove(path).catch(() => {});
    }
  }
  const rows: (RowSource | null)[] = new Array(n).fill(null);
  const stale = new Uint8Array(n);
  for (let r = 0; r < n; r++) {
    let hash: string | null = null;
    for (const c of candidates[r]) {
      let same = sameImage(c.record, stats[r]);
      if (same === "hash") {
        hash ??= await hashFile(items[r].imagePath);
        same = hash === c.record.sha256;
        if (same) {
          rows[r] = { ...c, record: { ...c.record, mtimeMs: stats[r].mtimeMs } };
          if (c.source === "manifest") consolidated = false; // the record needs refreshing
          break;
        }
      }
      if (same === true) {
        rows[r] = c;
        break;
      }
    }
    if (rows[r] === null) {
      consolidated = false;
      if (manifest) stale[r] = 1;
    } else if (rows[r]!.source !== "manifest") consolidated = false;
  }
  let promptsOk = false;
  if (manifest) {
    promptsOk = (await checkStoredFile(
      `${dir}/${manifest.files.prompts.file}`,
      manifest.files.prompts,
      verify,
    )) === null;
    if (!promptsOk) consolidated = false;
  }
  if (!manifest) {
    // No manifest to check against (an interrupted or sharded extraction): a file that reads
    // is kept. One that differs from the manifest's record is computed again.
    try {
      decodeSafetensors(await Deno.readFile(`${dir}/prompts.safetensors`), "prompts");
      promptsOk = true;
    } catch { /* absent or damaged: written again */ }
  }
  return { manifest, stats, rows, stale, newer, consolidated, promptsOk };
}

function statItems(opts: ExtractOptions): Promise<ImageStat[]> {
  return statImages(
    opts.items.map((i) => ({
      absolute: i.imagePath,
      rel: relativeImagePath(i.imagePath, opts.imageDir),
    })),
  );
}

async function hashFile(path: string): Promise<string | null> {
  try {
    return sha256Bytes(await Deno.readFile(path));
  } catch {
    return null;
  }
}

function checkMissing(
  stats: readonly ImageStat[],
  opts: ExtractOptions,
  maxMissing: number,
  what: "missing" | "missing or unreadable",
  errors?: readonly (string | null)[],
): void {
  const n = opts.items.length;
  const missing = opts.items.flatMap((item, row) => {
    const reason = errors ? errors[row] : stats[row].absent;
    return reason ? [{ row, name: item.name, path: item.imagePath, reason }] : [];
  });
  if (missing.length <= maxMissing * n) return;
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const shown = missing.slice(0, 5).map((m) => `  ${m.path} (${m.reason})`).join("\n");
  let hint = "";
  if (missing.length === n) {
    const root = opts.imageDir ?? opts.items[0].imagePath.replace(/\/[^/]*$/, "");
    hint = `\nnone of the ${n} images was found under ${root}: is the images folder right ` +
      "(--images)? It should hold the files named in the CSV's name column.";
  }
  throw new MissingImagesError(
    `${missing.length} of ${n} images (${pct(missing.length / n)}) are ${what}, more than the ` +
      `allowed ${pct(maxMissing)} (--max-missing); the first ones:\n${shown}${hint}`,
    missing,
    n,
  );
}

/** Stats, reads and hashes each image of `rows`, and extracts them in chunks of `batchSize`. */
async function extractRows(
  clip: ClipEncoder,
  identity: StoreIdentity,
  dir: string,
  opts: ExtractOptions,
  todo: readonly number[],
  stats: readonly ImageStat[],
  batchSize: number,
): Promise<{ inferenceSeconds: number; loopSeconds: number }> {
  const { dim, textHidden } = clip;
  const items = opts.items;
  const plan: number[][] = [];
  for (let s = 0; s < todo.length; s += batchSize) plan.push(todo.slice(s, s + batchSize));
  const progress = new Progress({
    label: "extract",
    total: todo.length,
    unit: "memes",
    ...(opts.progress !== undefined ? { write: opts.progress } : {}),
  });
  // Each image is read once: its bytes are hashed for the provenance record and decoded from
  // the same buffer, so the record always describes the bytes that made the features.
  const prepare = async (rows: number[]) => {
    const records: ImageRecord[] = [];
    const bytes: Uint8Array[] = [];
    for (const r of rows) {
      const rel = stats[r].path;
      let data: Uint8Array | null = null, mtimeMs: number | null = null;
      const now = await statImage(items[r].imagePath, rel);
      let absent = now.absent;
      if (absent === null) {
        try {
          mtimeMs = now.mtimeMs;
          data = await Deno.readFile(items[r].imagePath);
        } catch (e) {
          absent = e instanceof Deno.errors.NotFound
            ? "missing: no such file" // removed between the stat and the read
            : `missing: ${(e as Error).message}`;
        }
      }
      bytes.push(data ?? new Uint8Array(0));
      records.push(
        data
          ? {
            path: rel,
            size: data.length,
            mtimeMs,
            sha256: sha256Bytes(data),
            error: data.length === 0 ? unreadableReason(data) : null,
          }
          : { path: rel, size: null, mtimeMs: null, sha256: null, error: absent },
      );
    }
    const pixels = await clip.preprocessImages(bytes, identity.preprocess, identity.imageMode);
    const ok = pixels.ok.map((v, j) => v && records[j].error === null);
    records.forEach((rec, j) => {
      if (rec.error === null && !pixels.ok[j]) {
        records[j] = { ...rec, error: unreadableReason(bytes[j]) };
      }
    });
    return {
      pixels: { ...pixels, ok },
      records,
      tokens: clip.tokenize(rows.map((r) => items[r].text)),
    };
  };

  let inference = 0;
  const t0 = performance.now();
  let pending = plan.length > 0 ? prepare(plan[0]) : null;
  for (let b = 0; b < plan.length; b++) {
    const rows = plan[b];
    const { pixels, records, tokens } = await pending!;
    // Queue the next batch's decoding now: sharp decodes on its own threads and the encoder's
    // worker resizes while onnxruntime, which is synchronous in onnxruntime-node, holds this one.
    pending = b + 1 < plan.length ? prepare(plan[b + 1]) : null;
    const t = performance.now();
    const okRows = compactOk(pixels, clip.geometry.size);
    const vision = okRows.count > 0 ? await clip.runVision(okRows.pixels, okRows.count) : null;
    const { features } = await clip.runText(tokens);
    inference += performance.now() - t;
    const image = new Float32Array(rows.length * dim);
    okRows.index.forEach((r, j) => image.set(vision!.subarray(j * dim, (j + 1) * dim), r * dim));
    await writeChunk(`${dir}/chunks`, {
      index: Int32Array.from(rows),
      image,
      text: features,
      ok: Uint8Array.from(pixels.ok, (v) => (v ? 1 : 0)),
      records,
    }, { image: dim, text: textHidden });
    progress.tick(rows.length);
    await opts.onBatchWritten?.({ first: rows[0], size: rows.length, done: progress.done });
  }
  if (plan.length > 0) progress.finish();
  return { inferenceSeconds: inference / 1000, loopSeconds: (performance.now() - t0) / 1000 };
}

async function writePrompts(
  dir: string,
  clip: ClipEncoder,
  prompts: Readonly<Record<string, readonly string[]>>,
): Promise<void> {
  const tensors: Parameters<typeof encodeSafetensors>[0] = {};
  const projection = await clip.visualProjection();
  for (const [task, names] of Object.entries(prompts)) {
    const { embeds } = await clip.encodeTexts(names.map(classPrompt));
    const init = promptWeightsFrom(embeds, projection, names.length, clip.dim, clip.visionHidden);
    tensors[`${task}.text_embeds`] = {
      dtype: "F32",
      shape: [names.length, clip.dim],
      data: embeds,
    };
    tensors[`${task}.classifier_init`] = {
      dtype: "F32",
      shape: [names.length, clip.visionHidden],
      data: init,
    };
  }
  await writeFileAtomic(
    `${dir}/prompts.safetensors`,
    encodeSafetensors(tensors, { prompts: JSON.stringify(prompts) }),
  );
}

/**
 * The identity is written once, by whichever process comes first (a hard link of a complete
 * temporary file, so a concurrent shard never sees a partial one), and checked by every other.
 * The store's folder is named after a digest of the identity, so a `store.json` that is missing,
 * does not read or differs was damaged: it is written again, with a message.
 */
async function checkOrWriteIdentity(
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

async function consolidateStore(
  dir: string,
  identity: StoreIdentity,
  opts: ExtractOptions,
  log: (line: string) => void,
  verify: boolean,
  reported: Set<string> = new Set(),
): Promise<StoreManifest> {
  const state = await inspectStore(dir, opts, log, verify, reported);
  const items = opts.items, n = items.length;
  const todo = state.rows.flatMap((s, r) => (s === null ? [r] : []));
  if (todo.length > 0) {
    const spans: string[] = [];
    for (let i = 0; i < todo.length && spans.length < 5; i++) {
      let j = i;
      while (j + 1 < todo.length && todo[j + 1] === todo[j] + 1) j++;
      spans.push(todo[i] === todo[j] ? `${todo[i]}` : `${todo[i]}–${todo[j]}`);
      i = j;
    }
    throw new FeatureStoreError(
      dir,
      `cannot consolidate ${dir}: ${todo.length} of ${n} memes are not extracted (or their ` +
        `image changed since): rows ${spans.join(", ")}${spans.length === 5 ? ", …" : ""}. ` +
        "Run the missing shards (or extract without --shard) first",
    );
  }
  const promptPath = `${dir}/prompts.safetensors`;
  let promptFile;
  try {
    promptFile = decodeSafetensors(await Deno.readFile(promptPath), promptPath);
  } catch (e) {
    throw new FeatureStoreError(
      promptPath,
      `cannot consolidate ${dir}: the prompt embeddings are missing or damaged ` +
        `(${(e as Error).message}); run shard 1 (or extract without --shard) again`,
    );
  }
  const prompts = JSON.parse(promptFile.metadata.prompts ?? "{}") as Record<string, string[]>;
  const firstTask = Object.keys(prompts)[0];
  const visionHidden = promptFile.tensors[`${firstTask}.classifier_init`]?.shape[1] ?? 0;

  if (state.consolidated && state.manifest) return state.manifest;

  // Gather every row from where it lives now.
  const loaded = new Map<string, Chunk>(state.newer);
  const chunkOf = async (src: RowSource): Promise<Chunk> => {
    let c = loaded.get(src.file);
    if (!c) {
      const path = `${dir}/chunks/${src.file}`;
      c = decodeChunk(await Deno.readFile(path), path, n);
      loaded.set(src.file, c);
    }
    return c;
  };
  const dimsOf: { value: { image: number; text: number } | null } = { value: null };
  const position = new Map<string, Map<number, number>>();
  const rowsOf = async (r: number) => {
    const src = state.rows[r]!;
    const c = await chunkOf(src);
    let pos = position.get(src.file);
    if (!pos) {
      pos = new Map(Array.from(c.index, (row, j) => [row, j]));
      position.set(src.file, pos);
    }
    const j = pos.get(r)!;
    const dI = c.image.length / c.index.length, dT = c.text.length / c.index.length;
    dimsOf.value ??= { image: dI, text: dT };
    return {
      image: c.image.subarray(j * dI, (j + 1) * dI),
      text: c.text.subarray(j * dT, (j + 1) * dT),
      ok: c.ok[j],
      record: src.record,
    };
  };
  const entries: ChunkEntry[] = [];
  const images: ImageRecord[] = [];
  const chunkRows = opts.chunkRows ?? CHUNK_ROWS;
  for (let first = 0; first < n; first += chunkRows) {
    const count = Math.min(chunkRows, n - first);
    const parts = [];
    for (let r = first; r < first + count; r++) parts.push(await rowsOf(r));
    const d = dimsOf.value!;
    const image = new Float32Array(count * d.image), text = new Float32Array(count * d.text);
    parts.forEach((p, j) => {
      image.set(p.image, j * d.image);
      text.set(p.text, j * d.text);
    });
    const records = parts.map((p) => p.record);
    images.push(...records);
    const written = await writeChunk(`${dir}/chunks`, {
      index: Int32Array.from({ length: count }, (_, j) => first + j),
      image,
      text,
      ok: Uint8Array.from(parts, (p) => p.ok),
      records,
    }, d);
    entries.push({ ...written, first, rows: count });
  }
  const missing = images.flatMap((rec, r) => (rec.error ? [r] : []));
  await writeFileAtomic(
    `${dir}/missing-images.tsv`,
    missingImagesTsv(items.map((i) => i.name), images),
  );
  const promptStat = await Deno.stat(promptPath);
  const promptEntry: StoredFile = {
    file: "prompts.safetensors",
    sha256: sha256Bytes(await Deno.readFile(promptPath)),
    size: promptStat.size,
    mtimeMs: promptStat.mtime?.getTime() ?? 0,
  };
  const d = dimsOf.value!;
  const manifest: StoreManifest = {
    ...identity,
    complete: true,
    imageDim: d.image,
    textDim: d.text,
    visionHidden,
    prompts,
    names: items.map((i) => i.name),
    imagesOk: n - missing.length,
    imagesMissing: missing.length,
    chunks: entries,
    files: { prompts: promptEntry, missingImages: "missing-images.tsv" },
    images,
  };
  // Last, sealed: it marks the store complete, and a reader tells an altered one.
  await writeSealedJson(`${dir}/manifest.json`, manifest as unknown as Record<string, unknown>);
  const keep = new Set(entries.map((e) => e.file));
  for await (const e of Deno.readDir(`${dir}/chunks`)) {
    if (e.isFile && !keep.has(e.name)) await Deno.remove(`${dir}/chunks/${e.name}`).catch(() => {});
  }
  log(
    missing.length > 0
      ? `extract: ${missing.length} of ${n} images missing or unreadable — excluded from training ` +
        `(their text features are kept); listed in ${dir}/missing-images.tsv`
      : `extract: all ${n} images read`,
  );
  if (opts.maxMissing !== undefined) {
    checkMissing(
      state.stats,
      opts,
      opts.maxMissing,
      "missing or unreadable",
      images.map((i) => i.error),
    );
  }
  return manifest;
}
