/**
 * The head's parameters: their PyTorch names, shapes and initialisations (read off the head's
 * layout), counting, seeded initialisation, and the plain-data {@linkcode HeadWeights} that the
 * trainer returns, `predictLogits` evaluates and `saveHead` (head_file.ts) saves.
 *
 * Names and layouts are the reference module's `state_dict` entries (`image_map.proj.0.weight`,
 * `[out, in]` for every Linear), so weights move between this suite and MemeCLIP's PyTorch code
 * without renaming or transposing.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { HeadConfig } from "../config/mod.ts";
import { Rng } from "../util/mod.ts";
import { classifierSpecs } from "./classifier.ts";
import { headLayout } from "./layout.ts";
import { linearSpecs, type ParamSpec, type ParamTensors } from "./specs.ts";

/** A trained (or initialised) head as plain data: copyable, transferable, saveable. */
export interface HeadWeights {
  /** The architecture the tensors belong to. */
  readonly head: HeadConfig;
  /** Number of output classes. */
  readonly numClasses: number;
  /** Every trainable tensor by PyTorch name, row-major in PyTorch's layout. */
  readonly params: Readonly<Record<string, Float32Array>>;
}

/**
 * Every trainable tensor of the head, read off {@linkcode headLayout}: both projections, both
 * adapters, the pre-output block, the classifier. Branches a modality ablation leaves unused have
 * no parameters (the reference would create and decay them without using them).
 */
export function headParamSpecs(head: HeadConfig, numClasses: number): ParamSpec[] {
  const { image, text, preOutput, classifier } = headLayout(head, numClasses);
  const branches = [image, text].filter((b) => b !== null);
  const linears = [
    ...branches.flatMap((b) => b.projection.linears),
    ...branches.flatMap((b) => [b.adapter.down, b.adapter.up]),
    ...preOutput.linears,
  ];
  return [...linears.flatMap((layer) => linearSpecs(layer)), ...classifierSpecs(classifier)];
}

/** Number of scalars in a shape. */
export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

/** The number of trainable parameters (3,675,136 for the default binary head). */
export function countParams(head: HeadConfig, numClasses: number): number {
  return headParamSpecs(head, numClasses).reduce((s, p) => s + shapeSize(p.shape), 0);
}

/**
 * Seeded initialisation of every parameter. Each tensor draws from its own stream, forked from
 * `seed` by name, so a tensor's start does not depend on which other tensors exist (an ablation
 * that drops the text branch leaves the image branch's initial weights unchanged).
 *
 * `classifierWeight` (numClasses × mapDim, row-major: the prompt embeddings) replaces the
 * classifier weight, as the reference's `apply_weight` does; the linear classifier's bias stays 0.
 */
export function initHeadWeights(
  head: HeadConfig,
  numClasses: number,
  seed: number,
  classifierWeight?: Float32Array,
): HeadWeights {
  const root = new Rng(seed).fork("init");
  const params: Record<string, Float32Array> = {};
  for (const spec of headParamSpecs(head, numClasses)) {
    params[spec.name] = initTensor(spec, root.fork(spec.name));
  }
  if (classifierWeight) {
    const expected = numClasses * head.mapDim;
    if (classifierWeight.length !== expected) {
      throw new Error(
        `classifier init: expected numClasses × mapDim = ${numClasses} × ${head.mapDim} = ` +
          `${expected} values, got ${classifierWeight.length}`,
      );
    }
    const bad = classifierWeight.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new Error(
        `classifier init: value at row ${Math.floor(bad / head.mapDim)}, column ` +
          `${bad % head.mapDim} is ${classifierWeight[bad]}`,
      );
    }
    params[headLayout(head, numClasses).classifier.linear.weight] = Float32Array.from(
      classifierWeight,
    );
  }
  return { head, numClasses, params };
}

function initTensor(spec: ParamSpec, rng: Rng): Float32Array {
  const out = new Float32Array(shapeSize(spec.shape));
  const init = spec.init;
  switch (init.kind) {
    case "uniform":
      for (let i = 0; i < out.length; i++) out[i] = rng.uniform(-init.bound, init.bound);
      break;
    case "normal":
      for (let i = 0; i < out.length; i++) out[i] = init.std * rng.normal();
      break;
    case "zeros":
      break;
    case "unit-rows": {
      const cols = spec.shape[spec.shape.length - 1];
      for (let i = 0; i < out.length; i++) out[i] = rng.uniform(-1, 1);
      for (let r = 0; r < out.length / cols; r++) {
        const row = out.subarray(r * cols, (r + 1) * cols);
        let sq = 0;
        for (const v of row) sq += v * v;
        const norm = Math.sqrt(sq);
        // torch.renorm only shrinks rows whose norm exceeds maxnorm (1e-5): all of them here.
        const factor = norm > 1e-5 ? 1e-5 / (norm + 1e-7) : 1;
        for (let i = 0; i < cols; i++) row[i] = row[i] * factor * 1e5;
      }
      break;
    }
  }
  return out;
}

/**
 * Checks that `weights.params` holds exactly the tensors the architecture needs, with the right
 * sizes and finite values; throws naming the first offending tensor.
 */
export function validateWeights(weights: HeadWeights): void {
  const specs = headParamSpecs(weights.head, weights.numClasses);
  for (const spec of specs) {
    const data = weights.params[spec.name];
    if (!data) throw new Error(`head weights: missing tensor ${spec.name} [${spec.shape}]`);
    if (data.length !== shapeSize(spec.shape)) {
      throw new Error(
        `head weights: ${spec.name} has ${data.length} values, expected [${spec.shape}] = ` +
          `${shapeSize(spec.shape)}`,
      );
    }
  }
  const known = new Set(specs.map((s) => s.name));
  const extra = Object.keys(weights.params).filter((n) => !known.has(n));
  if (extra.length) throw new Error(`head weights: unexpected tensors ${extra.join(", ")}`);
}

/** Whether two head configs are equal field by field (key order aside). */
export function sameHeadConfig(a: HeadConfig, b: HeadConfig): boolean {
  const canonical = (h: HeadConfig) =>
    JSON.stringify(Object.keys(h).sort().map((k) => [k, h[k as keyof HeadConfig]]));
  return canonical(a) === canonical(b);
}

/** A deep copy (a checkpoint that later training steps do not touch). */
export function cloneWeights(weights: HeadWeights): HeadWeights {
  const params: Record<string, Float32Array> = {};
  for (const [name, data] of Object.entries(weights.params)) params[name] = data.slice();
  return { head: weights.head, numClasses: weights.numClasses, params };
}

/**
 * Wraps every parameter in a tfjs tensor for one pass. On the cpu-based backends (`blas`, `cpu`)
 * the tensor shares the array (no copy); elsewhere it is uploaded. Dispose the tensors (e.g. with
 * `tf.tidy`) before the arrays are next updated.
 */
export function paramTensors(weights: HeadWeights): ParamTensors {
  const out: Record<string, tf.Tensor> = {};
  for (const spec of headParamSpecs(weights.head, weights.numClasses)) {
    out[spec.name] = tf.tensor(weights.params[spec.name], spec.shape as number[], "float32");
  }
  return out;
}
