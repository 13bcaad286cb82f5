/**
 * LinearProjection, one per modality: `Linear(unmappedDim→mapDim) → Dropout(p0)`, and for each
 * extra layer `ReLU → Linear(mapDim→mapDim) → Dropout(p0)` — the reference's `nn.Sequential`
 * `proj`, whose Linear layers sit at indices 0, 3, 6, … (`image_map.proj.0.weight`, …).
 *
 * Its input is a frozen CLIP feature: the backward pass computes no gradient for it.
 *
 * @module
 */
import type { HeadConfig } from "../config/mod.ts";
import type { Rng } from "../util/mod.ts";
import {
  applyMask,
  dropoutMask,
  linearBiasGrad,
  linearForward,
  linearInputGrad,
  linearWeightGrad,
  type Matrix,
  reluGrad,
} from "./layers.ts";
import { type Grads, linearSpecs, type ParamSpec, type ParamTensors } from "./params.ts";
import * as tf from "@tensorflow/tfjs";

/** The `nn.Sequential` index of the k-th Linear layer of the projection. */
function linearName(prefix: string, k: number): string {
  return `${prefix}.proj.${3 * k}`;
}

/** Parameters of one projection (`prefix` = `image_map` or `text_map`). */
export function projectionSpecs(prefix: string, head: HeadConfig): ParamSpec[] {
  const specs: ParamSpec[] = [];
  for (let k = 0; k < head.numMappingLayers; k++) {
    const inDim = k === 0 ? head.unmappedDim : head.mapDim;
    specs.push(...linearSpecs(linearName(prefix, k), inDim, head.mapDim));
  }
  return specs;
}

/** What the backward pass needs from the forward pass. */
export interface ProjectionTape {
  /** The input of each Linear layer (the frozen features, then ReLU outputs). */
  readonly inputs: Matrix[];
  /** The dropout mask after each Linear layer (null in eval mode or when p0 = 0). */
  readonly masks: (Matrix | null)[];
}

/** Forward pass; `dropout` is the run's mask generator in training mode, null in eval mode. */
export function projectionForward(
  params: ParamTensors,
  prefix: string,
  head: HeadConfig,
  x: Matrix,
  dropout: Rng | null,
): { y: Matrix; tape: ProjectionTape } {
  const inputs: Matrix[] = [];
  const masks: (Matrix | null)[] = [];
  let h = x;
  for (let k = 0; k < head.numMappingLayers; k++) {
    if (k > 0) h = tf.relu(h);
    inputs.push(h);
    const name = linearName(prefix, k);
    const z = linearForward(
      h,
      params[`${name}.weight`] as Matrix,
      params[`${name}.bias`] as tf.Tensor1D,
    );
    const mask = dropout ? dropoutMask(dropout, z.shape[0], z.shape[1], head.dropProbs[0]) : null;
    masks.push(mask);
    h = applyMask(z, mask);
  }
  return { y: h, tape: { inputs, masks } };
}

/** Backward pass: adds the projection's weight and bias gradients to `grads`. */
export function projectionBackward(
  params: ParamTensors,
  prefix: string,
  head: HeadConfig,
  tape: ProjectionTape,
  dy: Matrix,
  grads: Grads,
): void {
  let d = dy;
  for (let k = head.numMappingLayers - 1; k >= 0; k--) {
    const name = linearName(prefix, k);
    const dz = applyMask(d, tape.masks[k]);
    grads[`${name}.weight`] = linearWeightGrad(dz, tape.inputs[k]);
    grads[`${name}.bias`] = linearBiasGrad(dz);
    // Layer 0's input is the frozen CLIP feature: its gradient is never needed.
    if (k > 0) {
      d = reluGrad(linearInputGrad(dz, params[`${name}.weight`] as Matrix), tape.inputs[k]);
    }
  }
}
