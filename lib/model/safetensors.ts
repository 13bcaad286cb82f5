/**
 * Saving and loading a head as `head.safetensors` (float32 tensors under the reference PyTorch
 * module's `state_dict` names and `[out, in]` layouts) plus `head.json` (config, task, class names,
 * CLIP model id, feature-store key). A head trained here loads into MemeCLIP's code with
 * `model.load_state_dict(safetensors.torch.load_file("head.safetensors"), strict=False)`, and a
 * head trained there, saved with `safetensors.torch.save_file(model.state_dict(), …)`, loads here
 * (tensors outside the head, such as `clip_model.*`, are ignored and listed).
 *
 * Format (https://github.com/huggingface/safetensors): 8-byte little-endian header length, a JSON
 * header `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {…}}` padded with
 * spaces to a multiple of 8 bytes, then the raw little-endian tensor bytes.
 *
 * @module
 */
import { type MemeSenseConfig, validateConfig } from "../config/mod.ts";
import { writeFileAtomic, writeJsonAtomic } from "../util/mod.ts";
import { headParamSpecs, type HeadWeights, shapeSize } from "./params.ts";

/** One tensor read from or written to a safetensors file. */
export interface NamedTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** The description saved beside the weights as `head.json`. */
export interface HeadMeta {
  /** The full experiment config the head was trained with. */
  readonly config: MemeSenseConfig;
  /** Task name (`hate`, `target`, `stance`, `humour`, or another label). */
  readonly task: string;
  /** Class names in label order (their count is the number of classes). */
  readonly classNames: readonly string[];
  /** The CLIP model the features came from (Hugging Face id or directory). */
  readonly clipModel: string;
  /** Key of the feature store the head was trained on, when known. */
  readonly featureStoreKey: string | null;
}

/** Thrown for a file that is not a usable safetensors head; the message names the file. */
export class SafetensorsError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "SafetensorsError";
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Encodes float32 tensors (in the given order) and string metadata as safetensors bytes. */
export function encodeSafetensors(
  tensors: ReadonlyMap<string, NamedTensor>,
  metadata: Readonly<Record<string, string>> = {},
): Uint8Array {
  if (!LITTLE_ENDIAN) throw new SafetensorsError("safetensors: big-endian hosts are not supported");
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of tensors) {
    if (t.data.length !== shapeSize(t.shape)) {
      throw new SafetensorsError(
        `safetensors: ${name} has ${t.data.length} values for [${t.shape}]`,
      );
    }
    const bytes = t.data.length * 4;
    header[name] = { dtype: "F32", shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  const pad = (8 - (new TextEncoder().encode(json).length % 8)) % 8;
  json += " ".repeat(pad);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const t of tensors.values()) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.length * 4), pos);
    pos += t.data.length * 4;
  }
  return out;
}

/**
 * Decodes safetensors bytes. Float32 tensors are returned (copied, so aligned); tensors of other
 * dtypes are reported by name and dtype in `otherDtypes` rather than decoded. `file` names the
 * source in errors.
 */
export function decodeSafetensors(bytes: Uint8Array, file: string): {
  tensors: Map<string, NamedTensor>;
  otherDtypes: Map<string, string>;
  metadata: Record<string, string>;
} {
  if (!LITTLE_ENDIAN) throw new SafetensorsError("safetensors: big-endian hosts are not supported");
  if (bytes.length < 8) throw new SafetensorsError(`${file}: too short to be a safetensors file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > bytes.length - 8) {
    throw new SafetensorsError(
      `${file}: header length ${headerLength} exceeds the file (${bytes.length} bytes)`,
    );
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch (e) {
    throw new SafetensorsError(`${file}: header is not valid JSON (${(e as Error).message})`);
  }
  const dataStart = 8 + headerLength;
  const tensors = new Map<string, NamedTensor>();
  const otherDtypes = new Map<string, string>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") {
      metadata = entry as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets: offsets } = entry as {
      dtype: string;
      shape: number[];
      data_offsets: [number, number];
    };
    if (!Array.isArray(shape) || !Array.isArray(offsets) || offsets.length !== 2) {
      throw new SafetensorsError(`${file}: tensor ${name} has a malformed header entry`);
    }
    if (dtype !== "F32") {
      otherDtypes.set(name, dtype);
      continue;
    }
    const [begin, end] = offsets;
    if (end - begin !== shapeSize(shape) * 4 || dataStart + end > bytes.length || begin < 0) {
      throw new SafetensorsError(
        `${file}: tensor ${name} [${shape}] has data offsets [${begin}, ${end}] that do not fit`,
      );
    }
    const copy = bytes.slice(dataStart + begin, dataStart + end);
    tensors.set(name, { shape, data: new Float32Array(copy.buffer) });
  }
  return { tensors, otherDtypes, metadata };
}

/**
 * Writes `dir/head.safetensors` and `dir/head.json` (both atomically; `dir` is created).
 */
export async function saveHead(dir: string, weights: HeadWeights, meta: HeadMeta): Promise<void> {
  if (meta.classNames.length !== weights.numClasses) {
    throw new Error(
      `saveHead: ${meta.classNames.length} class names for a head with ${weights.numClasses} classes`,
    );
  }
  const tensors = new Map<string, NamedTensor>();
  for (const spec of headParamSpecs(weights.head, weights.numClasses)) {
    const data = weights.params[spec.name];
    if (!data) throw new Error(`saveHead: the weights lack ${spec.name}`);
    tensors.set(spec.name, { shape: spec.shape, data });
  }
  await Deno.mkdir(dir, { recursive: true });
  await writeFileAtomic(
    `${dir}/head.safetensors`,
    encodeSafetensors(tensors, { format: "pt", producer: "memesense", task: meta.task }),
  );
  await writeJsonAtomic(`${dir}/head.json`, {
    format: "memesense-head",
    version: 1,
    task: meta.task,
    classNames: meta.classNames,
    numClasses: weights.numClasses,
    clipModel: meta.clipModel,
    featureStoreKey: meta.featureStoreKey,
    config: { ...meta.config, head: weights.head },
    tensors: Object.fromEntries([...tensors].map(([n, t]) => [n, t.shape])),
  });
}

/**
 * Reads `path` (a safetensors file) as weights for `head` with `numClasses` classes. Every tensor
 * the architecture needs must be present, float32, with PyTorch's shape; the error lists what is
 * missing or mis-shaped. Other tensors are returned in `ignored`.
 */
export async function loadHeadWeights(
  path: string,
  config: MemeSenseConfig,
  numClasses: number,
): Promise<{ weights: HeadWeights; ignored: string[] }> {
  const { tensors, otherDtypes } = decodeSafetensors(await Deno.readFile(path), path);
  const params: Record<string, Float32Array> = {};
  const problems: string[] = [];
  const specs = headParamSpecs(config.head, numClasses);
  for (const spec of specs) {
    const t = tensors.get(spec.name);
    if (!t) {
      const dtype = otherDtypes.get(spec.name);
      problems.push(
        dtype
          ? `${spec.name} is ${dtype}, expected F32 (save with tensor.float())`
          : `${spec.name} [${spec.shape}] is missing`,
      );
    } else if (t.shape.join(",") !== spec.shape.join(",")) {
      problems.push(`${spec.name} has shape [${t.shape}], expected [${spec.shape}]`);
    } else params[spec.name] = t.data;
  }
  if (problems.length) {
    throw new SafetensorsError(`${path}: not a head for this config: ${problems.join("; ")}`);
  }
  const needed = new Set(specs.map((s) => s.name));
  const ignored = [...tensors.keys(), ...otherDtypes.keys()].filter((n) => !needed.has(n));
  return { weights: { head: config.head, numClasses, params }, ignored };
}

/**
 * Loads `dir/head.json` and `dir/head.safetensors` (see {@linkcode saveHead}); the config in
 * `head.json` is validated and decides which tensors are expected.
 */
export async function loadHead(dir: string): Promise<{ weights: HeadWeights; meta: HeadMeta }> {
  const jsonPath = `${dir}/head.json`;
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(await Deno.readTextFile(jsonPath));
  } catch (e) {
    throw new SafetensorsError(`${jsonPath}: cannot read (${(e as Error).message})`);
  }
  let config: MemeSenseConfig;
  try {
    config = validateConfig(raw.config);
  } catch (e) {
    throw new SafetensorsError(`${jsonPath}: field config: ${(e as Error).message}`);
  }
  const classNames = raw.classNames;
  if (!Array.isArray(classNames) || classNames.some((c) => typeof c !== "string")) {
    throw new SafetensorsError(`${jsonPath}: field classNames must be a list of strings`);
  }
  const { weights } = await loadHeadWeights(`${dir}/head.safetensors`, config, classNames.length);
  return {
    weights,
    meta: {
      config,
      task: String(raw.task ?? ""),
      classNames,
      clipModel: String(raw.clipModel ?? config.clip.model),
      featureStoreKey: typeof raw.featureStoreKey === "string" ? raw.featureStoreKey : null,
    },
  };
}
