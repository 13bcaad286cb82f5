/**
 * The output layer. `cosine` (the reference's `CosineClassifier`):
 * `logits = scale · normalize(x) · normalize(W)ᵀ`, scale 30, no bias, `W: [numClasses, mapDim]`
 * initialised from the prompt embeddings (or, without them, as the reference's constructor does:
 * uniform[-1, 1] rows renormalised to unit norm). `linear` (ablation; the reference's
 * `LinearClassifier`): `x·Wᵀ + b`, W kaiming-normal, b zero.
 *
 * The cosine classifier's input normalisation is the only normalisation of the fused vector
 * (after the pre-output block), as in the reference.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ClassifierKind, HeadConfig } from "../config/mod.ts";
import {
  l2Normalize,
  l2NormalizeGrad,
  linearBiasGrad,
  linearForward,
  linearInputGrad,
  linearWeightGrad,
  type Matrix,
  type Normalized,
} from "./layers.ts";
import {
  type Grads,
  type LinearLayer,
  linearLayer,
  linearNames,
  linearSpecs,
  type ParamSpec,
  type ParamTensors,
} from "./specs.ts";

/** The reference's module name: `classifier.weight` (and, for the linear one, `classifier.bias`). */
const MODULE = "classifier";

/** The output layer, as {@linkcode classifierLayout} gives it. */
export interface ClassifierLayout {
  /** `cosine` (the reference's) or `linear` (ablation). */
  readonly kind: ClassifierKind;
  /** mapDim → numClasses; a bias only for the linear classifier. */
  readonly linear: LinearLayer;
  /** The cosine classifier's logit scale (30). */
  readonly scale: number;
}

/** The output layer for `numClasses` classes. */
export function classifierLayout(head: HeadConfig, numClasses: number): ClassifierLayout {
  const linear = linearLayer(MODULE, head.mapDim, numClasses, head.classifier === "linear");
  return { kind: head.classifier, linear, scale: head.scale };
}

/** Parameters of the output layer. */
export function classifierSpecs(classifier: ClassifierLayout): ParamSpec[] {
  if (classifier.kind === "cosine") {
    return linearSpecs(classifier.linear, { weight: { kind: "unit-rows" } });
  }
  // kaiming_normal_ defaults: fan_in mode, gain √2 ⇒ std = √(2 / fan_in).
  const std = Math.sqrt(2 / classifier.linear.inDim);
  return linearSpecs(classifier.linear, {
    weight: { kind: "normal", std },
    bias: { kind: "zeros" },
  });
}

/** What the backward pass needs from the forward pass. */
export interface ClassifierTape {
  /** The classifier input. */
  readonly x: Matrix;
  /** Cosine only: the normalised input rows. */
  readonly nx: Normalized | null;
  /** Cosine only: the normalised weight rows. */
  readonly nw: Normalized | null;
}

/** Forward pass: logits `[B, numClasses]`. */
export function classifierForward(
  params: ParamTensors,
  head: HeadConfig,
  x: Matrix,
): { logits: Matrix; tape: ClassifierTape } {
  const names = linearNames(MODULE);
  const w = params[names.weight] as Matrix;
  if (head.classifier === "linear") {
    const logits = linearForward(x, w, params[names.bias] as tf.Tensor1D);
    return { logits, tape: { x, nx: null, nw: null } };
  }
  const nx = l2Normalize(x);
  const nw = l2Normalize(w);
  return { logits: tf.mul(linearForward(nx.y, nw.y), head.scale), tape: { x, nx, nw } };
}

/** Backward pass: adds the classifier's gradients to `grads`, returns the input gradient. */
export function classifierBackward(
  params: ParamTensors,
  head: HeadConfig,
  tape: ClassifierTape,
  dLogits: Matrix,
  grads: Grads,
): Matrix {
  const names = linearNames(MODULE);
  if (head.classifier === "linear") {
    grads[names.weight] = linearWeightGrad(dLogits, tape.x);
    grads[names.bias] = linearBiasGrad(dLogits);
    return linearInputGrad(dLogits, params[names.weight] as Matrix);
  }
  const nx = tape.nx!;
  const nw = tape.nw!;
  const dCos = tf.mul(dLogits, head.scale) as Matrix;
  grads[names.weight] = l2NormalizeGrad(linearWeightGrad(dCos, nx.y), nw);
  return l2NormalizeGrad(linearInputGrad(dCos, nw.y), nx);
}
