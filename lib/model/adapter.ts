/**
 * Adapter, one per modality: `Linear(mapDim→mapDim/r, no bias) → ReLU → Linear(mapDim/r→mapDim,
 * no bias) → ReLU` with reduction r = 4 (CLIP-Adapter's bottleneck). The reference's
 * `nn.Sequential` `fc` holds the Linears at indices 0 and 2 (`img_adapter.fc.0.weight`, …). The
 * residual connection lives outside, in `residual.ts`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { HeadConfig } from "../config/mod.ts";
import {
  linearForward,
  linearInputGrad,
  linearWeightGrad,
  type Matrix,
  reluGrad,
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

/** The two Linears' modules in the reference's `nn.Sequential` `fc` (Linear, ReLU, Linear, ReLU). */
function modules(prefix: string): { down: string; up: string } {
  return { down: `${prefix}.fc.0`, up: `${prefix}.fc.2` };
}

/** An adapter's two layers, as {@linkcode adapterLayout} gives them. */
export interface AdapterLayout {
  /** `<prefix>.fc.0`: mapDim → mapDim / r, no bias. */
  readonly down: LinearLayer;
  /** `<prefix>.fc.2`: mapDim / r → mapDim, no bias. */
  readonly up: LinearLayer;
}

/** The layers of one adapter (`prefix` = `img_adapter` or `text_adapter`). */
export function adapterLayout(prefix: string, head: HeadConfig): AdapterLayout {
  const { down, up } = modules(prefix);
  const hidden = head.mapDim / head.adapterReduction;
  return {
    down: linearLayer(down, head.mapDim, hidden, false),
    up: linearLayer(up, hidden, head.mapDim, false),
  };
}

/** Parameters of one adapter (`prefix` = `img_adapter` or `text_adapter`). */
export function adapterSpecs(prefix: string, head: HeadConfig): ParamSpec[] {
  const { down, up } = adapterLayout(prefix, head);
  return [...linearSpecs(down), ...linearSpecs(up)];
}

/** The weights' names (the forward and backward passes take their widths from the tensors). */
function weights(prefix: string): { down: string; up: string } {
  const { down, up } = modules(prefix);
  return { down: linearNames(down).weight, up: linearNames(up).weight };
}

/** What the backward pass needs from the forward pass. */
export interface AdapterTape {
  /** The adapter input. */
  readonly x: Matrix;
  /** Output of the first ReLU (the bottleneck). */
  readonly hidden: Matrix;
  /** Output of the second ReLU (the adapter's output). */
  readonly y: Matrix;
}

/** Forward pass (no dropout in the adapter). */
export function adapterForward(
  params: ParamTensors,
  prefix: string,
  x: Matrix,
): { y: Matrix; tape: AdapterTape } {
  const w = weights(prefix);
  const hidden = tf.relu(linearForward(x, params[w.down] as Matrix));
  const y = tf.relu(linearForward(hidden, params[w.up] as Matrix));
  return { y, tape: { x, hidden, y } };
}

/** Backward pass: adds the adapter's weight gradients to `grads`, returns the input gradient. */
export function adapterBackward(
  params: ParamTensors,
  prefix: string,
  tape: AdapterTape,
  dy: Matrix,
  grads: Grads,
): Matrix {
  const w = weights(prefix);
  const dOut = reluGrad(dy, tape.y);
  grads[w.up] = linearWeightGrad(dOut, tape.hidden);
  const dHidden = reluGrad(linearInputGrad(dOut, params[w.up] as Matrix), tape.hidden);
  grads[w.down] = linearWeightGrad(dHidden, tape.x);
  return linearInputGrad(dHidden, params[w.down] as Matrix);
}
