/**
 * Consolidation: a store whose rows have all been extracted (by one run or by every shard) is
 * rewritten into fixed chunks of {@linkcode CHUNK_ROWS} rows with their checksums, the
 * missing-images list and, last and sealed, the manifest that marks the store complete; the chunk
 * files it replaced are removed.
 *
 * @module
 */
import { decodeSafetensors, writeFileAtomic, writeSealedJson } from "../util/mod.ts";
import { type Chunk, decodeChunk, type ImageRecord, sha256Bytes, writeChunk } from "./_chunks.ts";
import { checkMissing, inspectStore, type RowSource, type StoreItems } from "./_inspect.ts";
import {
  type ChunkEntry,
  FeatureStoreError,
  missingImagesTsv,
  type StoredFile,
  type StoreIdentity,
  type StoreManifest,
} from "./store.ts";

/** Rows per consolidated chunk: a damaged chunk costs at most this many re-extractions. */
export const CHUNK_ROWS = 512;

/** What {@linkcode consolidateStore} needs beside the store. */
export interface ConsolidateOptions extends StoreItems {
  /** Rows per consolidated chunk; default {@linkcode CHUNK_ROWS}. */
  readonly chunkRows?: number;
  /** Largest fraction of images that may be missing or unreadable (default: no limit). */
  readonly maxMissing?: number;
}

/**
 * Consolidates the store in `dir` (see the module doc). Idempotent: a consolidated, unchanged
 * store is left as it is. Needs no CLIP model. Throws a `FeatureStoreError`, saying which rows are
 * missing, when some rows have not been extracted.
 */
export async function consolidateStore(
  dir: string,
  identity: StoreIdentity,
  opts: ConsolidateOptions,
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
