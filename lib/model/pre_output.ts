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
  type Vector,
} from "./layers.ts";
import {
  type Grads,
  type LinearLayer,
  linearLayer,
  linearSpecs,
  type ParamSpec,
  type ParamTensors,
} from "./specs.ts";

/** The block's layers and dropouts, as {@linkcode preOutputLayout} gives them. */
export interface PreOutputLayout {
  /** p1, the Dropout on the block's input (the fused vector). */
  readonly inputDropout: number;
  /** Its Linears in order: `pre_output.1` (fusedDim → mapDim), `pre_output.4`, … (mapDim → mapDim). */
  readonly linears: readonly LinearLayer[];
  /** p2, the Dropout after each Linear's ReLU. */
  readonly dropout: number;
}

/** The layers of the pre-output block. */
export function preOutputLayout(head: HeadConfig): PreOutputLayout {
  const linears: LinearLayer[] = [];
  for (let k = 0; k < head.numPreOutputLayers; k++) {
    // The k-th Linear's index in the reference's `nn.Sequential` (Dropout, Linear, ReLU, Dropout, …).
    const inDim = k === 0 ? fusedDim(head) : head.mapDim;
    linears.push(linearLayer(`pre_output.${1 + 3 * k}`, inDim, head.mapDim));
  }
  return { inputDropout: head.dropProbs[1], linears, dropout: head.dropProbs[2] };
}

/** Parameters of the pre-output block. */
export function preOutputSpecs(head: HeadConfig): ParamSpec[] {
  return preOutputLayout(head).linears.flatMap((layer) => linearSpecs(layer));
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
  const layout = preOutputLayout(head);
  const [rows, cols] = x.shape;
  const inputMask = dropout ? dropoutMask(dropout, rows, cols, layout.inputDropout) : null;
  let h = applyMask(x, inputMask);
  const inputs: Matrix[] = [];
  const activations: Matrix[] = [];
  const masks: (Matrix | null)[] = [];
  for (const layer of layout.linears) {
    inputs.push(h);
    const a = tf.relu(
      linearForward(h, params[layer.weight] as Matrix, params[layer.bias!] as Vector),
    );
    activations.push(a);
    const mask = dropout ? dropoutMask(dropout, rows, layer.outDim, layout.dropout) : null;
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
  const { linears } = preOutputLayout(head);
  let d = dy;
  for (let k = linears.length - 1; k >= 0; k--) {
    const layer = linears[k];
    const dz = reluGrad(applyMask(d, tape.masks[k]), tape.activations[k]);
    grads[layer.weight] = linearWeightGrad(dz, tape.inputs[k]);
    grads[layer.bias!] = linearBiasGrad(dz);
    d = linearInputGrad(dz, params[layer.weight] as Matrix);
  }
  return applyMask(d, tape.inputMask);
}
