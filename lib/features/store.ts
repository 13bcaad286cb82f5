/**
 * The on-disk feature store, one directory per key under `<cache>/features/` ({@linkcode
 * STORE_LAYOUT} holds the same rows; the fault-injection tests take their list of files from
 * it):
 *
 * | Path                                     | Written by            | What; if missing, cut short or altered                                                            |
 * | ---------------------------------------- | --------------------- | ------------------------------------------------------------------------------------------------- |
 * | `store.json`                             | extraction, first     | the identity every run and shard must match; extraction writes it again                            |
 * | `chunks/<first>-<rows>-<sha16>.safetensors` | extraction, consolidation | rows: index, image, text, image_ok, and per row the image file that produced it; its rows are extracted again |
 * | `prompts.safetensors`                    | extraction (shard 1)  | prompt embeddings and classifier initialisations per task; computed again                          |
 * | `missing-images.tsv`                     | consolidation         | images that could not be used: row, name, path, reason; written again from the manifest            |
 * | `manifest.json`                          | consolidation, last   | the chunks and files with their checksums, per-row provenance, counts, sealed: its presence means complete; rebuilt from the chunks |
 *
 * Extraction (whole, or one shard of it) writes new chunks; consolidation rewrites them into
 * fixed blocks of rows, each with its checksum in the manifest, and removes the rest. Every file
 * is written atomically (temporary file, then rename), so a killed run leaves only whole chunks.
 * Loading checks every file against the manifest and names any that is damaged with the command
 * that repairs it (`deno task extract`), which re-extracts exactly the damaged rows.
 *
 * @module
 */
import { cacheSetting } from "../config/mod.ts";
import { openSealedJson, readTextIfExists } from "../util/mod.ts";
import { FEATURE_STORE_FORMAT, type FeatureStoreKeyParts, sha256File } from "./_key.ts";
import { decodeSafetensors, type SafeTensor } from "../util/mod.ts";
import { decodeChunk, type ImageRecord } from "./_chunks.ts";

export type { ImageRecord };

/** One file of a feature store's layout (a row of the module's table). */
export interface StoreLayoutEntry {
  /** Its path inside the store directory; `<first>`, `<rows>`, `<sha16>` stand for any. */
  readonly path: string;
  /** Who writes it. */
  readonly writtenBy: string;
}

/** Every file a feature store holds, in the order they are written (the module's table). */
export const STORE_LAYOUT: readonly StoreLayoutEntry[] = [
  { path: "store.json", writtenBy: "extraction, first" },
  { path: "chunks/<first>-<rows>-<sha16>.safetensors", writtenBy: "extraction, consolidation" },
  { path: "prompts.safetensors", writtenBy: "extraction (shard 1)" },
  { path: "missing-images.tsv", writtenBy: "consolidation" },
  { path: "manifest.json", writtenBy: "consolidation, last" },
];

/**
 * The list of images that could not be used, as `missing-images.tsv` holds it: one line per row
 * whose image is missing or unreadable (row, name, path, reason), after a header.
 */
export function missingImagesTsv(
  names: readonly string[],
  images: readonly ImageRecord[],
): string {
  const lines = ["row\tname\tpath\treason"];
  images.forEach((rec, r) => {
    if (!rec.error) return;
    lines.push(
      [r, names[r], rec.path, rec.error].map((v) => String(v).replace(/[\t\r\n]/g, " ")).join("\t"),
    );
  });
  return lines.join("\n") + "\n";
}

/**
 * The identity of a store, fixed when it is created: the inputs that determine its features
 * (its key's parts), its layout and its items.
 */
export interface StoreIdentity extends Required<FeatureStoreKeyParts> {
  /** Store layout version. */
  readonly format: string;
  /** The store key (its directory name). */
  readonly key: string;
  /** Number of items (memes). */
  readonly count: number;
  /**
   * SHA-256 of the item names and texts in order, so a different item list cannot resume or
   * reuse this store.
   */
  readonly itemsHash: string;
}

/** A data file of the store with what it held when written: checked before it is trusted. */
export interface StoredFile {
  /** Name inside the store directory (chunks: inside `chunks/`). */
  readonly file: string;
  /** SHA-256 of the file's bytes. */
  readonly sha256: string;
  /** Size in bytes. */
  readonly size: number;
  /** Modification time when written; a file whose size and time are unchanged is not re-hashed. */
  readonly mtimeMs: number;
}

/** One consolidated chunk: rows `first … first + rows − 1`. */
export interface ChunkEntry extends StoredFile {
  /** Index of the first row. */
  readonly first: number;
  /** Number of rows. */
  readonly rows: number;
}

/** `manifest.json` of a complete (consolidated) store. */
export interface StoreManifest extends StoreIdentity {
  /** Written last: a store with it is complete. */
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
  /** Memes whose image was read. */
  readonly imagesOk: number;
  /** Memes whose image is missing or unreadable (their rows are flagged). */
  readonly imagesMissing: number;
  /** The row chunks, in row order, with their checksums. */
  readonly chunks: readonly ChunkEntry[];
  /** The prompt embeddings file and the list of missing images. */
  readonly files: {
    readonly prompts: StoredFile;
    readonly missingImages: string;
  };
  /** Per row: the image file that produced it (path relative to the images root, size, time, hash). */
  readonly images: readonly ImageRecord[];
}

/**
 * A feature store that cannot be used as it is: damaged (a checksum mismatch, a truncated or
 * unparsable file), incomplete or absent. The message names the file and says what to do.
 */
export class FeatureStoreError extends Error {
  /** Creates the error; `file` is the file at fault (or the store directory). */
  constructor(readonly file: string, message: string) {
    super(message);
    this.name = "FeatureStoreError";
  }
}

/** The stored CLIP prompt embeddings of one task's classes (`a photo of a {class}.`). */
export interface PromptEmbeddings {
  /** Class names in class order. */
  readonly classNames: readonly string[];
  /** Projected prompt text embeddings, `C × dim` (for zero-shot scores). */
  readonly textEmbeds: Float32Array;
  /** MemeCLIP's cosine-classifier initialisation, `C × visionHidden`, unit rows. */
  readonly promptWeights: Float32Array;
}

/**
 * Frozen CLIP features of a list of memes, one row per meme: what a feature store holds for a
 * dataset (rows in dataset order), and any selection of its rows ({@linkcode selectRows}).
 */
export interface FeatureTable {
  /** Number of rows (memes). */
  readonly n: number;
  /** Width of the image embeddings (CLIP `image_embeds`; 768 for ViT-L/14). */
  readonly dim: number;
  /** Width of the text features (the unprojected EOT hidden state; 768 for ViT-L/14). */
  readonly textDim: number;
  /** Image file names, row order. */
  readonly names: readonly string[];
  /** `n × dim` image embeddings, row-major (zeros where the image was unreadable). */
  readonly image: Float32Array;
  /** `n × textDim` text features, row-major. */
  readonly text: Float32Array;
  /** 1 where the image was read and encoded, 0 where it was missing or unreadable. */
  readonly imageOk: Uint8Array;
}

/**
 * A loaded feature store: the table of every meme of its dataset, in dataset order, with what
 * produced it and the prompt embeddings stored beside it.
 */
export interface LoadedFeatures extends FeatureTable, Required<FeatureStoreKeyParts> {
  /** The store key. */
  readonly key: string;
  /** The store directory. */
  readonly dir: string;
  /** Width of CLIP's vision transformer (the classifier initialisation's width). */
  readonly visionHidden: number;
  /** Prompt embeddings per task name (the four PrideMM tasks unless extracted otherwise). */
  readonly prompts: Readonly<Record<string, PromptEmbeddings>>;
  /** Per row: the image file that produced it, or why there was none. */
  readonly images: readonly ImageRecord[];
}

/** The directory of store `key` under `cacheDir` (default: the project cache). */
export function featureStoreDir(key: string, cacheDir: string = cacheSetting().value): string {
  return `${cacheDir}/features/${key}`;
}

/** What to run to repair a store: extraction re-extracts exactly the damaged rows. */
const REPAIR = "run `deno task extract` again with the same --data, --images and --model: it " +
  "checks every chunk and re-extracts only the damaged rows";

/**
 * Reads the manifest of a complete store, or null when the store is absent or unfinished.
 * Throws {@linkcode FeatureStoreError}, naming the file, when it is damaged or of another format.
 */
export async function readManifest(dir: string): Promise<StoreManifest | null> {
  const path = `${dir}/manifest.json`;
  const text = await readTextIfExists(path);
  if (text === null) return null;
  const opened = await openSealedJson(text);
  if (!opened.value) {
    throw new FeatureStoreError(
      path,
      `${path} is damaged (${opened.problem}); ${REPAIR} (the manifest is rebuilt from the ` +
        "chunk files)",
    );
  }
  const m = opened.value as unknown as StoreManifest;
  if (
    m?.format === FEATURE_STORE_FORMAT &&
    (!Array.isArray(m.chunks) || !Array.isArray(m.images) || !Array.isArray(m.names) ||
      typeof m.files?.prompts?.file !== "string")
  ) {
    throw new FeatureStoreError(path, `${path} is damaged (fields missing); ${REPAIR}`);
  }
  if (m?.format !== FEATURE_STORE_FORMAT || m.complete !== true) {
    throw new FeatureStoreError(
      path,
      `${path}: format ${m?.format}, expected ${FEATURE_STORE_FORMAT}; ${REPAIR}`,
    );
  }
  return m;
}

/**
 * Checks one stored file against its manifest entry: size and modification time, and the SHA-256
 * when either changed or `verify` is set. Returns the problem in words, or null when it is intact.
 */
export async function checkStoredFile(
  path: string,
  entry: StoredFile,
  verify: boolean,
): Promise<string | null> {
  let st: Deno.FileInfo;
  try {
    st = await Deno.stat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return "the file is missing";
    throw e;
  }
  if (st.size !== entry.size) {
    return `${st.size} bytes, expected ${entry.size} (truncated or altered)`;
  }
  if (!verify && st.mtime?.getTime() === entry.mtimeMs) return null;
  const digest = await sha256File(path);
  return digest === entry.sha256
    ? null
    : `checksum mismatch (SHA-256 ${digest.slice(0, 16)}…, expected ${entry.sha256.slice(0, 16)}…)`;
}

/** Options of {@linkcode loadFeatures}. */
export interface LoadFeaturesOptions {
  /** Cache root when a key (not a directory) is given. */
  readonly cacheDir?: string;
  /** Hash every file even where size and modification time are unchanged. */
  readonly verify?: boolean;
}

/**
 * Loads a complete store by key (under `cacheDir`) or by directory path, checking each file
 * against its recorded checksum (see {@linkcode checkStoredFile}) and every value for NaN or
 * infinity. Throws {@linkcode FeatureStoreError}, naming the file and what to do, when the store
 * does not exist, is unfinished or is damaged.
 */
export async function loadFeatures(
  keyOrDir: string,
  opts: LoadFeaturesOptions = {},
): Promise<LoadedFeatures> {
  const dir = keyOrDir.includes("/") ? keyOrDir : featureStoreDir(keyOrDir, opts.cacheDir);
  const m = await readManifest(dir);
  if (!m) {
    const started = await Deno.stat(`${dir}/store.json`).then(() => true, () => false);
    throw new FeatureStoreError(
      dir,
      started
        ? `feature store ${dir} is incomplete (extraction was interrupted, or shards are not ` +
          "consolidated yet): run `deno task extract` again to finish it"
        : `no feature store at ${dir}: run \`deno task extract\` first`,
    );
  }
  const verify = opts.verify ?? false;
  // The identity the store was extracted under must still be the manifest's.
  const identityPath = `${dir}/store.json`;
  let identity: Record<string, unknown> | null = null;
  try {
    identity = JSON.parse(await Deno.readTextFile(identityPath));
  } catch { /* named below */ }
  const differs = ["format", "key", "modelId", "modelHash", "datasetHash", "count", "itemsHash"]
    .find((k) => identity?.[k] !== (m as unknown as Record<string, unknown>)[k]);
  if (differs) {
    throw new FeatureStoreError(
      identityPath,
      `feature store file ${identityPath} is damaged: ${
        identity ? `its ${differs} differs from the manifest's` : "missing or not JSON"
      }; ${REPAIR}`,
    );
  }
  const damaged = (path: string, what: string, rows?: string) =>
    new FeatureStoreError(
      path,
      `feature store file ${path} is damaged: ${what}${rows ? ` (${rows})` : ""}; ${REPAIR}`,
    );
  const n = m.count, dI = m.imageDim, dT = m.textDim;
  const image = new Float32Array(n * dI), text = new Float32Array(n * dT);
  const imageOk = new Uint8Array(n), filled = new Uint8Array(n);
  for (const entry of m.chunks) {
    const path = `${dir}/chunks/${entry.file}`;
    const rows = `rows ${entry.first}–${entry.first + entry.rows - 1}`;
    const problem = await checkStoredFile(path, entry, verify);
    if (problem) throw damaged(path, problem, rows);
    let chunk;
    try {
      chunk = decodeChunk(await Deno.readFile(path), path, n, { image: dI, text: dT });
    } catch (e) {
      throw damaged(path, (e as Error).message, rows);
    }
    for (let j = 0; j < chunk.index.length; j++) {
      const r = chunk.index[j];
      const iv = chunk.image.subarray(j * dI, (j + 1) * dI);
      const tv = chunk.text.subarray(j * dT, (j + 1) * dT);
      const bad = iv.findIndex((v) => !Number.isFinite(v)) >= 0
        ? "image"
        : tv.findIndex((v) => !Number.isFinite(v)) >= 0
        ? "text"
        : null;
      if (bad) throw damaged(path, `row ${r} (${m.names[r]}) has a non-finite ${bad} value`);
      image.set(iv, r * dI);
      text.set(tv, r * dT);
      imageOk[r] = chunk.ok[j];
      filled[r] = 1;
    }
  }
  const gap = filled.indexOf(0);
  if (gap >= 0) {
    throw damaged(`${dir}/manifest.json`, `no chunk holds row ${gap} (${m.names[gap]})`);
  }
  // The list of unusable images follows from the manifest: it must say what the manifest says.
  const listPath = `${dir}/${m.files.missingImages}`;
  const list = await Deno.readTextFile(listPath).catch(() => null);
  if (list !== missingImagesTsv(m.names, m.images)) {
    throw damaged(listPath, list === null ? "the file is missing" : "it differs from the manifest");
  }
  const promptPath = `${dir}/${m.files.prompts.file}`;
  const promptProblem = await checkStoredFile(promptPath, m.files.prompts, verify);
  if (promptProblem) throw damaged(promptPath, promptProblem);
  let stored: Record<string, SafeTensor>;
  try {
    stored = decodeSafetensors(await Deno.readFile(promptPath), promptPath).tensors;
  } catch (e) {
    throw damaged(promptPath, (e as Error).message);
  }
  const expect = (name: string, t: SafeTensor | undefined, shape: number[]) => {
    if (!t || t.dtype !== "F32" || t.shape.join() !== shape.join()) {
      throw damaged(
        promptPath,
        `tensor ${name} is ${t ? `${t.dtype}[${t.shape}]` : "missing"}, expected F32[${shape}]`,
      );
    }
  };
  const prompts: Record<string, PromptEmbeddings> = {};
  for (const [task, classNames] of Object.entries(m.prompts)) {
    const C = classNames.length;
    const textEmbeds = stored[`${task}.text_embeds`], init = stored[`${task}.classifier_init`];
    expect(`${task}.text_embeds`, textEmbeds, [C, m.imageDim]);
    expect(`${task}.classifier_init`, init, [C, m.visionHidden]);
    prompts[task] = {
      classNames,
      textEmbeds: textEmbeds.data as Float32Array,
      promptWeights: init.data as Float32Array,
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
    textEncoding: m.textEncoding ?? "utf-8",
    n,
    dim: dI,
    textDim: dT,
    names: [...m.names],
    image,
    text,
    imageOk,
    visionHidden: m.visionHidden,
    prompts,
    images: m.images,
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

/** The rows `rows` (indices into `f`) of a feature table, copied, in the given order. */
export function selectRows(f: FeatureTable, rows: ArrayLike<number>): FeatureTable {
  const n = rows.length;
  const image = new Float32Array(n * f.dim), text = new Float32Array(n * f.textDim);
  const imageOk = new Uint8Array(n);
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    if (!(Number.isInteger(r) && r >= 0 && r < f.n)) {
      throw new Error(`row ${r} outside 0..${f.n - 1}`);
    }
    image.set(f.image.subarray(r * f.dim, (r + 1) * f.dim), i * f.dim);
    text.set(f.text.subarray(r * f.textDim, (r + 1) * f.textDim), i * f.textDim);
    imageOk[i] = f.imageOk[r];
    names.push(f.names[r]);
  }
  return { n, dim: f.dim, textDim: f.textDim, names, image, text, imageOk };
}
