/**
 * What identifies a feature store: the model (id and a content hash of its ONNX graphs,
 * tokenizer and preprocessing config), the preprocessing and image modes, the dataset CSV's hash
 * and its text encoding. Any
 * change to one of them is a different store; the same inputs always find the same store.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { ImageMode, Preprocess } from "../config/mod.ts";
import type { ClipModelFiles } from "../clip/mod.ts";
import { writeJsonAtomic } from "../util/mod.ts";

/** Version of the store layout; part of every key. */
export const FEATURE_STORE_FORMAT = "memesense-features/4";

/** The inputs that determine the features. */
export interface FeatureStoreKeyParts {
  /** The CLIP model as named (hub id, directory or `tiny`). */
  readonly modelId: string;
  /** Content hash of the model's files ({@linkcode modelContentHash}). */
  readonly modelHash: string;
  /** Image preprocessing mode. */
  readonly preprocess: Preprocess;
  /** How image files were decoded: a `pillow` store is never read as a `managed` one. */
  readonly imageMode: ImageMode;
  /** SHA-256 of the dataset CSV. */
  readonly datasetHash: string;
  /**
   * How the CSV's bytes were decoded into text (default `utf-8`, as in stores written before it
   * was kept).
   */
  readonly textEncoding?: string;
}

/**
 * The store key: `<model name>-<preprocess>-<16 hex digits>`, readable and collision-safe,
 * e.g. `clip-vit-large-patch14-squash-3f9a…`.
 */
export function featureStoreKey(parts: FeatureStoreKeyParts): string {
  const digest = createHash("sha256").update(JSON.stringify([
    FEATURE_STORE_FORMAT,
    parts.modelId,
    parts.modelHash,
    parts.preprocess,
    parts.imageMode,
    parts.datasetHash,
    parts.textEncoding ?? "utf-8",
  ])).digest("hex");
  const base = parts.modelId.replace(/\/+$/, "").split("/").pop() || "model";
  const name = base.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 48);
  return `${name}-${parts.preprocess}-${digest.slice(0, 16)}`;
}

/**
 * SHA-256 over the model's feature-defining files (both ONNX graphs, tokenizer, tokenizer config,
 * preprocessor config). Hashing 1.7 GB of ViT-L/14 takes seconds, so per-file digests are
 * remembered in `<cacheDir>/file-hashes.json`, keyed by path, size and modification time.
 */
export async function modelContentHash(files: ClipModelFiles, cacheDir: string): Promise<string> {
  const memoPath = `${cacheDir}/file-hashes.json`;
  let memo: Record<string, { size: number; mtime: number; sha256: string }> = {};
  try {
    memo = JSON.parse(await Deno.readTextFile(memoPath));
  } catch { /* first use, or unreadable: recompute */ }
  let changed = false;
  const lines: string[] = [];
  const entries: [string, string | null][] = [
    ["onnx/text_model.onnx", files.textModel],
    ["onnx/vision_model.onnx", files.visionModel],
    ["tokenizer.json", files.tokenizer],
    ["tokenizer_config.json", files.tokenizerConfig],
    ["preprocessor_config.json", files.preprocessorConfig],
  ];
  for (const [name, path] of entries) {
    if (!path) {
      lines.push(`${name} -`);
      continue;
    }
    const st = await Deno.stat(path);
    const mtime = st.mtime?.getTime() ?? 0;
    const hit = memo[path];
    let digest: string;
    if (hit && hit.size === st.size && hit.mtime === mtime) digest = hit.sha256;
    else {
      digest = await sha256File(path);
      memo[path] = { size: st.size, mtime, sha256: digest };
      changed = true;
    }
    lines.push(`${name} ${digest}`);
  }
  if (changed) {
    await Deno.mkdir(cacheDir, { recursive: true });
    await writeJsonAtomic(memoPath, memo);
  }
  return createHash("sha256").update(lines.join("\n")).digest("hex");
}

/** Streaming SHA-256 of a file (constant memory, for multi-GB models). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  using file = await Deno.open(path);
  const buf = new Uint8Array(8 << 20);
  for (;;) {
    const n = await file.read(buf);
    if (n === null) break;
    hash.update(buf.subarray(0, n));
  }
  return hash.digest("hex");
}
