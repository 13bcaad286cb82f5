/**
 * What the stages declare and the passes exchange: one `nn.Linear` of the head (its `state_dict`
 * names and widths), a parameter's spec (name, shape, initialisation), and the by-name maps of
 * parameter and gradient tensors. The bottom of the model module: the stage files, the layout and
 * `params.ts` import it; it imports none of them.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";

/** How a parameter starts. */
export type ParamInit =
  /** PyTorch's `nn.Linear` default for weight and bias: `kaiming_uniform_(a=√5)` ⇒ U(±1/√fan_in). */
  | { readonly kind: "uniform"; readonly bound: number }
  /** `kaiming_normal_` (the reference's `LinearClassifier` weight): N(0, 2/fan_in). */
  | { readonly kind: "normal"; readonly std: number }
  /** Zeros (the reference's `LinearClassifier` bias). */
  | { readonly kind: "zeros" }
  /**
   * The reference `Classifier` constructor: `uniform_(-1, 1).renorm_(2, 0, 1e-5).mul_(1e5)`, i.e.
   * each row scaled by `1e-5/(‖row‖ + 1e-7)` then by `1e5` — rows of (almost exactly) unit norm.
   */
  | { readonly kind: "unit-rows" };

/** One trainable tensor. */
export interface ParamSpec {
  /** The PyTorch `state_dict` name. */
  readonly name: string;
  /** PyTorch's shape (`[out, in]` for Linear weights). */
  readonly shape: readonly number[];
  /** Its initialisation. */
  readonly init: ParamInit;
}

/** A tensor of any rank: a parameter or its gradient. */
export type AnyTensor = tf.Tensor;

/** Parameter tensors of one forward/backward pass, by PyTorch name. */
export type ParamTensors = Readonly<Record<string, AnyTensor>>;

/** Gradients collected by the backward passes, by PyTorch name. */
export type Grads = Record<string, AnyTensor>;

/** One `nn.Linear(inDim, outDim, bias)` of the head, named as in the reference's `state_dict`. */
export interface LinearLayer {
  /** The module's name (`image_map.proj.0`). */
  readonly name: string;
  /** Its weight's name (`image_map.proj.0.weight`), PyTorch's layout `[outDim, inDim]`. */
  readonly weight: string;
  /** Its bias's name (`image_map.proj.0.bias`), or null for a Linear without bias. */
  readonly bias: string | null;
  /** Input width. */
  readonly inDim: number;
  /** Output width. */
  readonly outDim: number;
}

/** The names of a Linear module's tensors: `<module>.weight` and `<module>.bias`. */
export function linearNames(module: string): { weight: string; bias: string } {
  return { weight: `${module}.weight`, bias: `${module}.bias` };
}

/** The layer `nn.Linear(inDim, outDim, bias)` named `module`. */
export function linearLayer(
  module: string,
  inDim: number,
  outDim: number,
  bias = true,
): LinearLayer {
  const names = linearNames(module);
  return { name: module, weight: names.weight, bias: bias ? names.bias : null, inDim, outDim };
}

/**
 * The specs of a Linear layer's tensors. Both start as PyTorch's `nn.Linear` default,
 * U(±1/√inDim), unless `init` says otherwise.
 */
export function linearSpecs(
  layer: LinearLayer,
  init: { readonly weight?: ParamInit; readonly bias?: ParamInit } = {},
): ParamSpec[] {
  const uniform = { kind: "uniform", bound: 1 / Math.sqrt(layer.inDim) } as const;
  const specs: ParamSpec[] = [
    { name: layer.weight, shape: [layer.outDim, layer.inDim], init: init.weight ?? uniform },
  ];
  if (layer.bias) {
    specs.push({ name: layer.bias, shape: [layer.outDim], init: init.bias ?? uniform });
  }
  return specs;
}
