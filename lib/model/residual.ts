/**
 * Residual mix of the adapted and the projected features:
 * `ratio · adapted + (1 − ratio) · projected` (ratio α = 0.2 in the reference, so 80% of the
 * feature stays the projected CLIP feature). No parameters.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Matrix } from "./layers.ts";

/** The mix. `ratio` ∈ [0, 1]. */
export function residualForward(adapted: Matrix, projected: Matrix, ratio: number): Matrix {
  return tf.add(tf.mul(adapted, ratio), tf.mul(projected, 1 - ratio));
}

/** Gradients of the mix with respect to the adapted and the projected features. */
export function residualBackward(
  dy: Matrix,
  ratio: number,
): { dAdapted: Matrix; dProjected: Matrix } {
  return { dAdapted: tf.mul(dy, ratio), dProjected: tf.mul(dy, 1 - ratio) };
}
