/**
 * Feature extraction into the store: batched, resumable, shardable, with images of the next batch
 * decoded while onnxruntime works on the current one; then consolidation of the extracted chunks
 * into the store's final layout (`_consolidate.ts`).
 *
 * Every run first compares the store with the images on disk (`_inspect.ts`): rows whose image
 * changed, appeared or was repaired, rows of a damaged chunk and rows never extracted are
 * (re-)extracted; nothing else is.
 *
 * @module
 */
import type { ClipDevice, ImageMode, Preprocess } from "../config/mod.ts";
import {
  classPrompt,
  type ClipEncoder,
  type ClipModelFiles,
  compactOk,
  promptWeightsFrom,
} from "../clip/mod.ts";
import {
  encodeSafetensors,
  ensureDir,
  FileWriteError,
  formatShard,
  Progress,
  type Shard,
  shardRange,
  writeFileAtomic,
} from "../util/mod.ts";
import {
  type ImageRecord,
  type ImageStat,
  sha256Bytes,
  statImage,
  unreadableReason,
  writeChunk,
} from "./_chunks.ts";
import { consolidateStore } from "./_consolidate.ts";
import { checkMissing, type FeatureItem, inspectStore, statItems } from "./_inspect.ts";
import { checkOrWriteIdentity, resolveStore } from "./_store_identity.ts";
import { missingImagesTsv, type StoreIdentity, type StoreManifest } from "./store.ts";

/** Options of {@linkcode extractFeatures} and {@linkcode consolidateFeatures}. */
export interface ExtractOptions {
  /** The memes, in dataset order. */
  readonly items: readonly FeatureItem[];
  /** The dataset's identity hash (`Dataset.identity.hash`; part of the store key). */
  readonly datasetHash: string;
  /**
   * The dataset key of a store built before datasets were described (PrideMM: its CSV's
   * SHA-256): when the store keyed by `datasetHash` does not exist and that one does, with the
   * same memes, model and preprocessing, it is used.
   */
  readonly formerDatasetHash?: string;
  /** How the annotation files were decoded (part of the store key); default `utf-8`. */
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
   * Per task, the prompt names whose prompt embeddings and prompt-initialised classifier weights
   * are stored with the features, so training and the zero-shot baseline need no CLIP model.
   * Default: none.
   */
  readonly prompts?: Readonly<Record<string, readonly string[]>>;
  /** Called after each chunk file is written (first row, size, rows done so far). */
  readonly onBatchWritten?: (
    batch: { first: number; size: number; done: number },
  ) => void | Promise<void>;
  /** Rows per consolidated chunk; default 512 rows (`CHUNK_ROWS`). */
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
  /** The CLIP model's files. */
  readonly modelFiles: ClipModelFiles;
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
        modelFiles: store.files,
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
    if (needPrompts) await writePrompts(dir, clip!, opts.prompts ?? {});
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
      modelFiles: store.files,
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
 * the rows into fixed chunks of 512 rows (`CHUNK_ROWS`) with their checksums, the missing-images
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
