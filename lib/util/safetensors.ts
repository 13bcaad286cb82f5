/**
 * The safetensors format (Hugging Face), shared by the feature store and saved heads: an 8-byte
 * little-endian header length, a JSON header `{name: {dtype, shape, data_offsets}, "__metadata__"}`
 * padded with spaces to a multiple of 8 bytes, then the raw little-endian data. Readable from
 * Python with `safetensors.numpy.load_file` / `safetensors.torch.load_file`.
 *
 * @module
 */

/** The tensor element types the suite reads and writes. */
export type SafeDType = "F32" | "I32" | "U8";

/** Thrown for bytes that are not a valid safetensors file; the message names the file. */
export class SafetensorsError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "SafetensorsError";
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** One tensor: dtype, shape and values. */
export type SafeTensor =
  | { readonly dtype: "F32"; readonly shape: readonly number[]; readonly data: Float32Array }
  | { readonly dtype: "I32"; readonly shape: readonly number[]; readonly data: Int32Array }
  | { readonly dtype: "U8"; readonly shape: readonly number[]; readonly data: Uint8Array };

/** Decoded file contents. */
export interface SafeFile {
  /** The tensors by name. */
  readonly tensors: Record<string, SafeTensor>;
  /**
   * Tensors of other dtypes (e.g. `F16`, `BF16` from a PyTorch checkpoint), by name with their
   * dtype: reported rather than decoded, so a caller can say which tensor needs converting.
   */
  readonly unsupported: Record<string, string>;
  /** String-to-string metadata (`__metadata__`). */
  readonly metadata: Record<string, string>;
}

const BYTES: Record<SafeDType, number> = { F32: 4, I32: 4, U8: 1 };

/** Serialises tensors (in the given order) and metadata. */
export function encodeSafetensors(
  tensors: Record<string, SafeTensor>,
  metadata: Record<string, string> = {},
): Uint8Array {
  if (!LITTLE_ENDIAN) throw new SafetensorsError("safetensors: big-endian hosts are not supported");
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) {
      throw new SafetensorsError(
        `tensor ${name}: shape [${t.shape}] needs ${count} values, has ${t.data.length}`,
      );
    }
    const bytes = t.data.byteLength;
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  // Pad the header with spaces so the data starts 8-byte aligned (zero-copy typed-array views).
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const t of Object.values(tensors)) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

/** Parses safetensors bytes; `file` names the source in errors. Tensors are copies (aligned). */
export function decodeSafetensors(bytes: Uint8Array, file: string): SafeFile {
  if (!LITTLE_ENDIAN) throw new SafetensorsError("safetensors: big-endian hosts are not supported");
  if (bytes.length < 8) throw new SafetensorsError(`${file}: too short to be a safetensors file`);
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (n > bytes.length - 8) {
    throw new SafetensorsError(
      `${file}: header length ${n} exceeds the file (${bytes.length} bytes)`,
    );
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw new SafetensorsError(`${file}: header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw new SafetensorsError(`${file}: header is not a JSON object`);
  }
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  const tensors: Record<string, SafeTensor> = {};
  const unsupported: Record<string, string> = {};
  let metadata: Record<string, string> = {};
  const isIndex = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
  for (const [name, value] of Object.entries(header)) {
    if (name === "__metadata__") {
      if (
        typeof value !== "object" || value === null || Array.isArray(value) ||
        Object.values(value).some((v) => typeof v !== "string")
      ) {
        throw new SafetensorsError(`${file}: __metadata__ is not a map of strings`);
      }
      metadata = value as Record<string, string>;
      continue;
    }
    const entry = (typeof value === "object" && value !== null ? value : {}) as {
      dtype?: unknown;
      shape?: unknown;
      data_offsets?: unknown;
    };
    const { dtype, shape, data_offsets: range } = entry;
    if (
      typeof dtype !== "string" || !Array.isArray(shape) || !shape.every(isIndex) ||
      !Array.isArray(range) || range.length !== 2 || !range.every(isIndex) || range[0] > range[1]
    ) {
      throw new SafetensorsError(
        `${file}: tensor ${name} has a malformed header entry (dtype, shape or data offsets)`,
      );
    }
    if (!(dtype in BYTES)) {
      if (range[1] > dataLength) {
        throw new SafetensorsError(`${file}: tensor ${name} lies past the end of the file`);
      }
      unsupported[name] = dtype;
      continue;
    }
    // The element count is checked against the byte range, which lies inside the file, before
    // anything is allocated: no header can make the reader allocate more than the file holds.
    const [begin, end] = range as [number, number];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end > dataLength || end - begin !== count * BYTES[dtype as SafeDType]) {
      throw new SafetensorsError(
        `${file}: tensor ${name} [${shape}] has data offsets [${begin}, ${end}] that do not fit`,
      );
    }
    const raw = bytes.slice(dataStart + begin, dataStart + end);
    const s = shape as number[];
    tensors[name] = dtype === "F32"
      ? { dtype, shape: s, data: new Float32Array(raw.buffer) }
      : dtype === "I32"
      ? { dtype, shape: s, data: new Int32Array(raw.buffer) }
      : { dtype: "U8", shape: s, data: raw };
  }
  return { tensors, unsupported, metadata };
}
