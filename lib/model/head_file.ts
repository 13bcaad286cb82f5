/**
 * Saving and loading a head as `head.safetensors` (float32 tensors under the reference PyTorch
 * module's `state_dict` names and `[out, in]` layouts) plus `head.json` (config, task, class names,
 * CLIP model id, feature-store key). A head trained here loads into MemeCLIP's code with
 * `model.load_state_dict(safetensors.torch.load_file("head.safetensors"), strict=False)`, and a
 * head trained there, saved with `safetensors.torch.save_file(model.state_dict(), …)`, loads here
 * (tensors outside the head, such as `clip_model.*`, are ignored and listed).
 *
 * The codec itself is shared with the feature store (`lib/util/safetensors.ts`).
 *
 * @module
 */
import { type MemeSenseConfig, validateConfig } from "../config/mod.ts";
import {
  decodeSafetensors,
  encodeSafetensors,
  type SafeTensor,
  SafetensorsError,
  writeFileAtomic,
  writeJsonAtomic,
} from "../util/mod.ts";
import { headParamSpecs, type HeadWeights } from "./params.ts";

export { SafetensorsError };

/** The description saved beside the weights as `head.json`. */
export interface HeadMeta {
  /** The full experiment config the head was trained with. */
  readonly config: MemeSenseConfig;
  /** Task name (a task of the dataset: `hate`, `harmful`, …). */
  readonly task: string;
  /**
   * The dataset the head was trained on: its description's name (absent in heads saved before
   * datasets were described, which were PrideMM's).
   */
  readonly dataset?: string;
  /** Class names in label order (their count is the number of classes). */
  readonly classNames: readonly string[];
  /** The CLIP model the features came from (Hugging Face id or directory). */
  readonly clipModel: string;
  /** Key of the feature store the head was trained on, when known. */
  readonly featureStoreKey: string | null;
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
  const tensors: Record<string, SafeTensor> = {};
  for (const spec of headParamSpecs(weights.head, weights.numClasses)) {
    const data = weights.params[spec.name];
    if (!data) throw new Error(`saveHead: the weights lack ${spec.name}`);
    tensors[spec.name] = { dtype: "F32", shape: spec.shape, data };
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
    ...(meta.dataset === undefined ? {} : { dataset: meta.dataset }),
    classNames: meta.classNames,
    numClasses: weights.numClasses,
    clipModel: meta.clipModel,
    featureStoreKey: meta.featureStoreKey,
    config: { ...meta.config, head: weights.head },
    tensors: Object.fromEntries(Object.entries(tensors).map(([n, t]) => [n, t.shape])),
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
  const { tensors, unsupported } = decodeSafetensors(await Deno.readFile(path), path);
  const params: Record<string, Float32Array> = {};
  const problems: string[] = [];
  const specs = headParamSpecs(config.head, numClasses);
  for (const spec of specs) {
    const t = tensors[spec.name];
    if (!t || t.dtype !== "F32") {
      const dtype = t?.dtype ?? unsupported[spec.name];
      problems.push(
        dtype
          ? `${spec.name} is ${dtype}, expected F32 (save with tensor.float())`
          : `${spec.name} [${spec.shape}] is missing`,
      );
    } else if (t.shape.join(",") !== spec.shape.join(",")) {
      problems.push(`${spec.name} has shape [${t.shape}], expected [${spec.shape}]`);
    } else params[spec.name] = t.data as Float32Array;
  }
  if (problems.length) {
    throw new SafetensorsError(`${path}: not a head for this config: ${problems.join("; ")}`);
  }
  const needed = new Set(specs.map((s) => s.name));
  const ignored = [...Object.keys(tensors), ...Object.keys(unsupported)].filter((n) =>
    !needed.has(n)
  );
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
      ...(typeof raw.dataset === "string" ? { dataset: raw.dataset } : {}),
      classNames,
      clipModel: String(raw.clipModel ?? config.clip.model),
      featureStoreKey: typeof raw.featureStoreKey === "string" ? raw.featureStoreKey : null,
    },
  };
}
