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
import * as tf from "@tensorflow/tfjs";

/** A projection's layers and its dropout, as {@linkcode projectionLayout} gives them. */
export interface ProjectionLayout {
  /** Its Linears in order: `<prefix>.proj.0` (unmappedDim → mapDim), `.proj.3`, … (mapDim → mapDim). */
  readonly linears: readonly LinearLayer[];
  /** p0, the Dropout after each Linear. */
  readonly dropout: number;
}

/** The layers of one projection (`prefix` = `image_map` or `text_map`). */
export function projectionLayout(prefix: string, head: HeadConfig): ProjectionLayout {
  const linears: LinearLayer[] = [];
  for (let k = 0; k < head.numMappingLayers; k++) {
    // The k-th Linear's index in the reference's `nn.Sequential` (Linear, Dropout, ReLU, …).
    const inDim = k === 0 ? head.unmappedDim : head.mapDim;
    linears.push(linearLayer(`${prefix}.proj.${3 * k}`, inDim, head.mapDim));
  }
  return { linears, dropout: head.dropProbs[0] };
}

/** Parameters of one projection (`prefix` = `image_map` or `text_map`). */
export function projectionSpecs(prefix: string, head: HeadConfig): ParamSpec[] {
  return projectionLayout(prefix, head).linears.flatMap((layer) => linearSpecs(layer));
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
  const layout = projectionLayout(prefix, head);
  const inputs: Matrix[] = [];
  const masks: (Matrix | null)[] = [];
  let h = x;
  for (const [k, layer] of layout.linears.entries()) {
    if (k > 0) h = tf.relu(h);
    inputs.push(h);
    const z = linearForward(h, params[layer.weight] as Matrix, params[layer.bias!] as Vector);
    const mask = dropout ? dropoutMask(dropout, z.shape[0], z.shape[1], layout.dropout) : null;
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
  const { linears } = projectionLayout(prefix, head);
  let d = dy;
  for (let k = linears.length - 1; k >= 0; k--) {
    const layer = linears[k];
    const dz = applyMask(d, tape.masks[k]);
    grads[layer.weight] = linearWeightGrad(dz, tape.inputs[k]);
    grads[layer.bias!] = linearBiasGrad(dz);
    // Layer 0's input is the frozen CLIP feature: its gradient is never needed.
    if (k > 0) {
      d = reluGrad(linearInputGrad(dz, params[layer.weight] as Matrix), tape.inputs[k]);
    }
  }
}
