/**
 * Store inspection: which rows of a feature store still hold the features of their image. Every
 * extraction first compares the store with the images on disk (a `stat` per image; a content hash
 * only where size or time changed): a row whose image changed, appeared or was repaired, a row of
 * a damaged chunk and a row never extracted must be (re-)extracted; nothing else. Damaged chunk
 * files are removed as they are found.
 *
 * @module
 */
import { decodeSafetensors } from "../util/mod.ts";
import {
  type Chunk,
  decodeChunk,
  type ImageRecord,
  type ImageStat,
  parseChunkName,
  relativeImagePath,
  sameImage,
  sha256Bytes,
  statImages,
} from "./_chunks.ts";
import { checkStoredFile, FeatureStoreError, readManifest, type StoreManifest } from "./store.ts";

/** One meme to extract: its name, image file and text (`null` = no text). */
export interface FeatureItem {
  /** The meme name (the CSV `name` column). */
  readonly name: string;
  /** Path of its image file. */
  readonly imagePath: string;
  /** Its text; `null` when it has none. */
  readonly text: string | null;
}

/** The memes a store is compared with, and the images root their provenance is relative to. */
export interface StoreItems {
  /** The memes, in dataset order. */
  readonly items: readonly FeatureItem[];
  /** The images root (default: each image's own directory). */
  readonly imageDir?: string;
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

/** Where a row's current features are. */
export interface RowSource {
  /** `manifest` for a consolidated chunk, else the name of a newer chunk. */
  readonly source: "manifest" | string;
  readonly file: string;
  /** The image record to keep (refreshed when only the modification time changed). */
  readonly record: ImageRecord;
}

export interface StoreState {
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
export async function inspectStore(
  dir: string,
  opts: StoreItems,
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

export function statItems(opts: StoreItems): Promise<ImageStat[]> {
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

/**
 * Throws {@linkcode MissingImagesError} when more than `maxMissing` of the items' images are
 * missing (from their stats) or, given `errors`, missing or unreadable; names the first ones.
 */
export function checkMissing(
  stats: readonly ImageStat[],
  opts: StoreItems,
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
