/**
 * Chunk files and image provenance, shared by extraction, consolidation and loading.
 *
 * A chunk is one safetensors file holding some rows of the store: `index` (I32, dataset rows),
 * `image`, `text` (F32) and `image_ok` (U8), and in its metadata the provenance of each row's
 * image (`rows`, JSON). Its name is `<first row>-<rows>-<first 16 hex digits of its SHA-256>`,
 * so every chunk carries its own checksum: damage is found without any other file, and two
 * writers (shards) never produce the same name unless they produce the same bytes.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { relative } from "node:path";
import { decodeSafetensors, encodeSafetensors } from "../util/mod.ts";
import { writeFileAtomic } from "../util/mod.ts";

/**
 * Which image file produced a row: its path relative to the images root, size, modification time
 * and content hash (all `null` when the file was missing), and why the image could not be used.
 */
export interface ImageRecord {
  /** Path relative to the images root, `/`-separated. */
  readonly path: string;
  /** Bytes; `null` when the file was missing. */
  readonly size: number | null;
  /** Modification time in ms since the epoch; `null` when missing. */
  readonly mtimeMs: number | null;
  /** SHA-256 of the file's bytes; `null` when missing. */
  readonly sha256: string | null;
  /** Why the image was not used (`missing: …`, `unreadable: …`), or `null` when it was. */
  readonly error: string | null;
}

/** What the file system says about an image now (no hash: that is computed only when needed). */
export interface ImageStat {
  readonly path: string;
  readonly size: number | null;
  readonly mtimeMs: number | null;
  /** Why the path is not a readable file, when it is not. */
  readonly absent: string | null;
}

/** The path of an image relative to the images root (the file name when no root is given). */
export function relativeImagePath(imagePath: string, imageRoot: string | undefined): string {
  const rel = imageRoot ? relative(imageRoot, imagePath) : imagePath.split("/").pop()!;
  return rel.split("\\").join("/");
}

/** Stats one image (never throws for a missing file). */
export async function statImage(absolute: string, rel: string): Promise<ImageStat> {
  try {
    const st = await Deno.stat(absolute);
    if (!st.isFile) return { path: rel, size: null, mtimeMs: null, absent: "missing: not a file" };
    return { path: rel, size: st.size, mtimeMs: st.mtime?.getTime() ?? 0, absent: null };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) {
      return { path: rel, size: null, mtimeMs: null, absent: "missing: no such file" };
    }
    return { path: rel, size: null, mtimeMs: null, absent: `missing: ${(e as Error).message}` };
  }
}

/** Stats many images, 64 at a time. */
export async function statImages(
  paths: readonly { absolute: string; rel: string }[],
): Promise<ImageStat[]> {
  const out = new Array<ImageStat>(paths.length);
  for (let s = 0; s < paths.length; s += 64) {
    await Promise.all(
      paths.slice(s, s + 64).map(async (p, k) => (out[s + k] = await statImage(p.absolute, p.rel))),
    );
  }
  return out;
}

/**
 * Whether a recorded image still describes the file on disk without hashing it: both missing, or
 * same path, size and modification time. `"hash"` when only the content hash can tell.
 */
export function sameImage(record: ImageRecord, now: ImageStat): boolean | "hash" {
  if (record.path !== now.path) return false;
  if (now.absent !== null) return record.sha256 === null;
  if (record.sha256 === null) return false;
  if (record.size === now.size && record.mtimeMs === now.mtimeMs) return true;
  return record.size === now.size ? "hash" : false;
}

/**
 * The image format named by a file's first bytes, or null when none of the formats the decoders
 * read starts that way.
 */
export function sniffImageFormat(bytes: Uint8Array): string | null {
  const starts = (...sig: number[]) => sig.every((b, i) => bytes[i] === b);
  const ascii = (at: number, text: string) =>
    [...text].every((c, i) => bytes[at + i] === c.charCodeAt(0));
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return "PNG";
  if (starts(0xff, 0xd8, 0xff)) return "JPEG";
  if (ascii(0, "GIF87a") || ascii(0, "GIF89a")) return "GIF";
  if (ascii(0, "RIFF") && ascii(8, "WEBP")) return "WebP";
  if (ascii(0, "BM")) return "BMP";
  if (starts(0x49, 0x49, 0x2a, 0x00) || starts(0x4d, 0x4d, 0x00, 0x2a)) return "TIFF";
  if (ascii(4, "ftyp")) return "HEIF/AVIF";
  return null;
}

/**
 * Why an image that exists could not be decoded, in words that depend only on its bytes. The
 * decoder's own message is not used: libvips keeps one error buffer for all threads, so
 * concurrent failures get each other's (or truncated) messages, and the same file would be
 * listed with a different reason from run to run.
 */
export function unreadableReason(bytes: Uint8Array): string {
  if (bytes.length === 0) return "unreadable: empty file";
  const format = sniffImageFormat(bytes);
  if (!format) return `unreadable: not an image (no known image signature, ${bytes.length} bytes)`;
  const size = declaredSize(bytes, format);
  if (size && size.width * size.height > DECODER_PIXEL_LIMIT) {
    const n = (x: number) => x.toLocaleString("en-US");
    return `unreadable: the ${format} is ${size.width} × ${size.height} = ` +
      `${n(size.width * size.height)} pixels, more than the decoder's limit of ` +
      `${n(DECODER_PIXEL_LIMIT)} (16383 × 16383); downscale it`;
  }
  return `unreadable: damaged or unsupported ${format} data (${bytes.length} bytes)`;
}

/**
 * The most pixels the image decoder opens: sharp's default `limitInputPixels` (0x3FFF²), which
 * the decoding in lib/clip keeps, so a huge image fails at its header however valid it is.
 */
export const DECODER_PIXEL_LIMIT = 0x3fff * 0x3fff;

/** The width and height an image's header declares (PNG, GIF, BMP, JPEG), or null. */
export function declaredSize(
  bytes: Uint8Array,
  format: string,
): { width: number; height: number } | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fits = (end: number) => bytes.length >= end;
  // Only a whole header counts: the signature, then a complete first chunk or descriptor.
  const ascii = (at: number, text: string) =>
    [...text].every((c, i) => bytes[at + i] === c.charCodeAt(0));
  if (format === "PNG" && fits(33) && ascii(12, "IHDR")) {
    return { width: view.getUint32(16), height: view.getUint32(20) };
  }
  if (format === "GIF" && fits(13)) {
    return { width: view.getUint16(6, true), height: view.getUint16(8, true) };
  }
  if (format === "BMP" && fits(54)) {
    return { width: Math.abs(view.getInt32(18, true)), height: Math.abs(view.getInt32(22, true)) };
  }
  if (format === "JPEG") {
    // The first start-of-frame marker (SOF0–SOF15 but DHT, JPG and DAC) holds the size.
    for (let i = 2; i + 9 <= bytes.length;) {
      if (bytes[i] !== 0xff) return null;
      const marker = bytes[i + 1];
      const length = view.getUint16(i + 2);
      if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
        return { width: view.getUint16(i + 7), height: view.getUint16(i + 5) };
      }
      i += 2 + length;
    }
  }
  return null;
}

/** SHA-256 of bytes, as hex. */
export function sha256Bytes(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Rows of a chunk, decoded. */
export interface Chunk {
  /** File name inside the chunk directory. */
  readonly file: string;
  readonly index: Int32Array;
  readonly image: Float32Array;
  readonly text: Float32Array;
  readonly ok: Uint8Array;
  /** Provenance of each row's image, in `index` order. */
  readonly records: readonly ImageRecord[];
}

const CHUNK_NAME = /^([0-9]+)-([0-9]+)-([0-9a-f]{16})\.safetensors$/;

/** Whether `name` is a chunk file name; its first row, row count and checksum prefix if so. */
export function parseChunkName(
  name: string,
): { first: number; rows: number; sha16: string } | null {
  const m = CHUNK_NAME.exec(name);
  return m ? { first: Number(m[1]), rows: Number(m[2]), sha16: m[3] } : null;
}

/** Encodes rows as a chunk: its bytes, file name and checksum. */
export function encodeChunk(
  rows: Omit<Chunk, "file">,
  dims: { image: number; text: number },
): { file: string; bytes: Uint8Array; sha256: string } {
  const n = rows.index.length;
  const bytes = encodeSafetensors({
    index: { dtype: "I32", shape: [n], data: rows.index },
    image: { dtype: "F32", shape: [n, dims.image], data: rows.image },
    text: { dtype: "F32", shape: [n, dims.text], data: rows.text },
    image_ok: { dtype: "U8", shape: [n], data: rows.ok },
  }, { rows: JSON.stringify(rows.records) });
  const sha256 = sha256Bytes(bytes);
  const first = String(rows.index[0] ?? 0).padStart(6, "0");
  return { file: `${first}-${n}-${sha256.slice(0, 16)}.safetensors`, bytes, sha256 };
}

/**
 * Writes rows as a chunk into `dir` atomically, unless a file of the same name (and so the same
 * checksum prefix and size) is already there; returns its name, checksum, size and time.
 */
export async function writeChunk(
  dir: string,
  rows: Omit<Chunk, "file">,
  dims: { image: number; text: number },
): Promise<{ file: string; sha256: string; size: number; mtimeMs: number }> {
  const { file, bytes, sha256 } = encodeChunk(rows, dims);
  const path = `${dir}/${file}`;
  const old = await Deno.stat(path).catch(() => null);
  if (old?.size !== bytes.length) await writeFileAtomic(path, bytes);
  const st = old?.size === bytes.length ? old : await Deno.stat(path);
  return { file, sha256, size: bytes.length, mtimeMs: st.mtime?.getTime() ?? 0 };
}

/**
 * Decodes chunk bytes, checking tensor names, types, shapes, row range and provenance entries;
 * throws an `Error` saying what is wrong (the caller names the file).
 */
export function decodeChunk(
  bytes: Uint8Array,
  file: string,
  count: number,
  dims?: { image: number; text: number },
): Chunk {
  const { tensors, metadata } = decodeSafetensors(bytes, file);
  const { index, image, text, image_ok: ok } = tensors;
  const n = index?.shape[0] ?? -1;
  const dI = image?.shape[1], dT = text?.shape[1];
  if (
    index?.dtype !== "I32" || image?.dtype !== "F32" || text?.dtype !== "F32" ||
    ok?.dtype !== "U8" || image.shape.length !== 2 || image.shape[0] !== n ||
    text.shape.length !== 2 || text.shape[0] !== n || ok.shape[0] !== n ||
    (dims && (dI !== dims.image || dT !== dims.text))
  ) throw new Error("unexpected tensors");
  const idx = index.data as Int32Array;
  if (idx.some((i) => i < 0 || i >= count)) throw new Error("rows out of range");
  let records: ImageRecord[];
  try {
    records = JSON.parse(metadata.rows ?? "");
  } catch {
    throw new Error("no readable image provenance");
  }
  if (
    !Array.isArray(records) || records.length !== n ||
    !records.every((r) => typeof r?.path === "string" && "sha256" in r && "error" in r)
  ) throw new Error("provenance rows differ");
  return {
    file,
    index: idx,
    image: image.data as Float32Array,
    text: text.data as Float32Array,
    ok: ok.data as Uint8Array,
    records,
  };
}
