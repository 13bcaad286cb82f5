/**
 * The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header
 * naming each tensor's dtype, shape and byte range, then the raw little-endian data. Readable
 * from Python with `safetensors.numpy.load_file` — the feature store stays inspectable.
 *
 * @module
 */

/** The tensor element types the feature store uses. */
export type SafeDType = "F32" | "I32" | "U8";

/** One tensor: dtype, shape and values. */
export type SafeTensor =
  | { readonly dtype: "F32"; readonly shape: readonly number[]; readonly data: Float32Array }
  | { readonly dtype: "I32"; readonly shape: readonly number[]; readonly data: Int32Array }
  | { readonly dtype: "U8"; readonly shape: readonly number[]; readonly data: Uint8Array };

/** Decoded file contents. */
export interface SafeFile {
  readonly tensors: Record<string, SafeTensor>;
  /** String-to-string metadata (`__metadata__`). */
  readonly metadata: Record<string, string>;
}

const BYTES: Record<SafeDType, number> = { F32: 4, I32: 4, U8: 1 };

/** Serialises tensors (in the given order) and metadata. */
export function encodeSafetensors(
  tensors: Record<string, SafeTensor>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) {
      throw new Error(
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

/** Parses safetensors bytes; `file` names the source in errors. Tensors are copies. */
export function decodeSafetensors(bytes: Uint8Array, file: string): SafeFile {
  const bad = (why: string): never => {
    throw new Error(`${file}: not a valid safetensors file (${why})`);
  };
  if (bytes.length < 8) bad("shorter than its 8-byte header length");
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (n > bytes.length - 8) bad(`header length ${n} exceeds the file`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    return bad(`header is not JSON: ${(e as Error).message}`);
  }
  const dataStart = 8 + n;
  const tensors: Record<string, SafeTensor> = {};
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(header)) {
    if (name === "__metadata__") {
      metadata = (value ?? {}) as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets: range } = value as {
      dtype: SafeDType;
      shape: number[];
      data_offsets: [number, number];
    };
    if (!(dtype in BYTES)) bad(`tensor ${name} has unsupported dtype ${dtype}`);
    const count = shape.reduce((a, b) => a * b, 1);
    const [begin, end] = range;
    if (end - begin !== count * BYTES[dtype] || dataStart + end > bytes.length) {
      bad(
        `tensor ${name}: byte range [${begin}, ${end}) does not fit shape [${shape}] or the file`,
      );
    }
    const raw = bytes.slice(dataStart + begin, dataStart + end);
    tensors[name] = dtype === "F32"
      ? { dtype, shape, data: new Float32Array(raw.buffer) }
      : dtype === "I32"
      ? { dtype, shape, data: new Int32Array(raw.buffer) }
      : { dtype, shape, data: raw };
  }
  return { tensors, metadata };
}
