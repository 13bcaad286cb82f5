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
import { type Grads, linearSpecs, type ParamSpec, type ParamTensors } from "./params.ts";

/** Parameters of one adapter (`prefix` = `img_adapter` or `text_adapter`). */
export function adapterSpecs(prefix: string, head: HeadConfig): ParamSpec[] {
  const hidden = head.mapDim / head.adapterReduction;
  return [
    ...linearSpecs(`${prefix}.fc.0`, head.mapDim, hidden, false),
    ...linearSpecs(`${prefix}.fc.2`, hidden, head.mapDim, false),
  ];
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
  const hidden = tf.relu(linearForward(x, params[`${prefix}.fc.0.weight`] as Matrix));
  const y = tf.relu(linearForward(hidden, params[`${prefix}.fc.2.weight`] as Matrix));
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
  const dOut = reluGrad(dy, tape.y);
  grads[`${prefix}.fc.2.weight`] = linearWeightGrad(dOut, tape.hidden);
  const dHidden = reluGrad(
    linearInputGrad(dOut, params[`${prefix}.fc.2.weight`] as Matrix),
    tape.hidden,
  );
  grads[`${prefix}.fc.0.weight`] = linearWeightGrad(dHidden, tape.x);
  return linearInputGrad(dHidden, params[`${prefix}.fc.0.weight`] as Matrix);
}
