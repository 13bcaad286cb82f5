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
import type { HeadConfig } from "../config/mod.ts";
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
import type { Grads, ParamSpec, ParamTensors } from "./params.ts";

/** Parameters of the output layer. */
export function classifierSpecs(head: HeadConfig, numClasses: number): ParamSpec[] {
  const shape = [numClasses, head.mapDim];
  if (head.classifier === "cosine") {
    return [{ name: "classifier.weight", shape, init: { kind: "unit-rows" } }];
  }
  return [
    // kaiming_normal_ defaults: fan_in mode, gain √2 ⇒ std = √(2 / fan_in).
    { name: "classifier.weight", shape, init: { kind: "normal", std: Math.sqrt(2 / head.mapDim) } },
    { name: "classifier.bias", shape: [numClasses], init: { kind: "zeros" } },
  ];
}

/** What the backward pass needs from the forward pass. */
export interface ClassifierTape {
  /** The classifier input. */
  readonly x: Matrix;
  /** Cosine only: the normalised input and weight rows. */
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
  const w = params["classifier.weight"] as Matrix;
  if (head.classifier === "linear") {
    const logits = linearForward(x, w, params["classifier.bias"] as tf.Tensor1D);
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
  if (head.classifier === "linear") {
    grads["classifier.weight"] = linearWeightGrad(dLogits, tape.x);
    grads["classifier.bias"] = linearBiasGrad(dLogits);
    return linearInputGrad(dLogits, params["classifier.weight"] as Matrix);
  }
  const nx = tape.nx!;
  const nw = tape.nw!;
  const dCos = tf.mul(dLogits, head.scale) as Matrix;
  grads["classifier.weight"] = l2NormalizeGrad(linearWeightGrad(dCos, nx.y), nw);
  return l2NormalizeGrad(linearInputGrad(dCos, nw.y), nx);
}
