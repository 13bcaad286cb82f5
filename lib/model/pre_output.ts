/**
 * The pre-output block: `Dropout(p1)`, then numPreOutputLayers × `[Linear → ReLU → Dropout(p2)]`
 * — the reference's `nn.Sequential` `pre_output`, whose Linears sit at indices 1, 4, 7, …
 * (`pre_output.1.weight`). The first Linear takes the fused width (2·mapDim for `concat`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { HeadConfig } from "../config/mod.ts";
import type { Rng } from "../util/mod.ts";
import { fusedDim } from "./fusion.ts";
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

function linearName(k: number): string {
  return `pre_output.${1 + 3 * k}`;
}

/** Parameters of the pre-output block. */
export function preOutputSpecs(head: HeadConfig): ParamSpec[] {
  const specs: ParamSpec[] = [];
  for (let k = 0; k < head.numPreOutputLayers; k++) {
    specs.push(...linearSpecs(linearName(k), k === 0 ? fusedDim(head) : head.mapDim, head.mapDim));
  }
  return specs;
}

/** What the backward pass needs from the forward pass. */
export interface PreOutputTape {
  /** Mask of the leading Dropout(p1). */
  readonly inputMask: Matrix | null;
  /** The input of each Linear. */
  readonly inputs: Matrix[];
  /** The ReLU output of each layer. */
  readonly activations: Matrix[];
  /** The Dropout(p2) mask of each layer. */
  readonly masks: (Matrix | null)[];
}

/** Forward pass; `dropout` is the run's mask generator in training mode, null in eval mode. */
export function preOutputForward(
  params: ParamTensors,
  head: HeadConfig,
  x: Matrix,
  dropout: Rng | null,
): { y: Matrix; tape: PreOutputTape } {
  const [rows, cols] = x.shape;
  const inputMask = dropout ? dropoutMask(dropout, rows, cols, head.dropProbs[1]) : null;
  let h = applyMask(x, inputMask);
  const inputs: Matrix[] = [];
  const activations: Matrix[] = [];
  const masks: (Matrix | null)[] = [];
  for (let k = 0; k < head.numPreOutputLayers; k++) {
    inputs.push(h);
    const name = linearName(k);
    const a = tf.relu(linearForward(
      h,
      params[`${name}.weight`] as Matrix,
      params[`${name}.bias`] as tf.Tensor1D,
    ));
    activations.push(a);
    const mask = dropout ? dropoutMask(dropout, rows, head.mapDim, head.dropProbs[2]) : null;
    masks.push(mask);
    h = applyMask(a, mask);
  }
  return { y: h, tape: { inputMask, inputs, activations, masks } };
}

/** Backward pass: adds weight and bias gradients to `grads`, returns the input gradient. */
export function preOutputBackward(
  params: ParamTensors,
  head: HeadConfig,
  tape: PreOutputTape,
  dy: Matrix,
  grads: Grads,
): Matrix {
  let d = dy;
  for (let k = head.numPreOutputLayers - 1; k >= 0; k--) {
    const name = linearName(k);
    const dz = reluGrad(applyMask(d, tape.masks[k]), tape.activations[k]);
    grads[`${name}.weight`] = linearWeightGrad(dz, tape.inputs[k]);
    grads[`${name}.bias`] = linearBiasGrad(dz);
    d = linearInputGrad(dz, params[`${name}.weight`] as Matrix);
  }
  return applyMask(d, tape.inputMask);
}
