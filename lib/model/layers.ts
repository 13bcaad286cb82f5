/**
 * The building blocks every stage of the head uses, each with its forward and its backward pass
 * written out: Linear, ReLU, inverted dropout and L2 normalisation.
 *
 * The backward passes are explicit rather than taped by tfjs's autograd so that (1) no gradient is
 * ever computed for the frozen CLIP features, (2) each matrix product can take the form the active
 * backend runs fastest, and (3) every stage can be checked by hand in isolation.
 *
 * Weights keep PyTorch's `nn.Linear` layout `[out, in]`, so the forward pass is `y = x·Wᵀ + b`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../util/mod.ts";

/** A rank-2 tensor `[rows, features]`. */
export type Matrix = tf.Tensor2D;

/** A bias vector. */
export type Vector = tf.Tensor1D;

/**
 * tfjs-wasm multiplies transposed operands with a naive loop (~1 GFLOP/s against ~40 for plain
 * `a·b`), so on wasm every product is rewritten with explicit (cheap, small) transposes. OpenBLAS
 * and native TensorFlow handle the transpose flags at full speed and skip the copies.
 */
function transposeExplicitly(): boolean {
  return tf.getBackend() === "wasm";
}

/** `y = x·Wᵀ + b` for `x: [B, in]`, `W: [out, in]`, `b: [out]` (or no bias). */
export function linearForward(x: Matrix, w: Matrix, b?: Vector): Matrix {
  if (transposeExplicitly()) {
    const y = tf.transpose(tf.matMul(w, tf.transpose(x))) as Matrix;
    return b ? tf.add(y, b) : y;
  }
  return tf.fused.matMul({ a: x, b: w, transposeB: true, bias: b }) as Matrix;
}

/** Gradient of `x·Wᵀ` with respect to `x`: `dX = dY·W`, `[B, in]`. */
export function linearInputGrad(dy: Matrix, w: Matrix): Matrix {
  return tf.matMul(dy, w);
}

/** Gradient with respect to `W` in its `[out, in]` layout: `dW = dYᵀ·x`. */
export function linearWeightGrad(dy: Matrix, x: Matrix): Matrix {
  return transposeExplicitly() ? tf.matMul(tf.transpose(dy), x) : tf.matMul(dy, x, true, false);
}

/** Gradient with respect to the bias: the column sums of `dY`. */
export function linearBiasGrad(dy: Matrix): Vector {
  return tf.sum(dy, 0);
}

/** Gradient of `y = relu(x)` given the output `y`: `dy` where `y > 0`, else 0 (as PyTorch). */
export function reluGrad(dy: Matrix, y: Matrix): Matrix {
  return tf.mul(dy, tf.step(y));
}

/**
 * An inverted-dropout mask as PyTorch builds it: each element kept with probability `1 − p` and
 * scaled by `1/(1 − p)` (rounded to float32, as torch's CPU kernel does), else 0. Masks are drawn
 * from the run's seeded generator, not from the backend, so every backend sees the same masks.
 * Returns null when nothing is dropped (`p = 0`).
 */
export function dropoutMask(rng: Rng, rows: number, cols: number, p: number): Matrix | null {
  if (p <= 0) return null;
  const mask = new Float32Array(rows * cols);
  drawDropoutMask(rng, mask, p);
  return tf.tensor2d(mask, [rows, cols]);
}

/**
 * Fills `mask` with an inverted-dropout mask, one draw per element in order: what
 * {@linkcode dropoutMask} wraps in a tensor, and what the fused kernel (lib/train) draws into its
 * own buffers, so both see the same masks from the same stream.
 */
export function drawDropoutMask(rng: Rng, mask: Float32Array, p: number): void {
  const keep = Math.fround(1 / (1 - p));
  for (let i = 0; i < mask.length; i++) mask[i] = rng.next() < p ? 0 : keep;
}

/** Applies a dropout mask (or nothing when `mask` is null); its backward is the same product. */
export function applyMask(x: Matrix, mask: Matrix | null): Matrix {
  return mask ? tf.mul(x, mask) : x;
}

/** `F.normalize`'s epsilon: rows with a smaller norm are divided by it instead. */
export const NORM_EPS = 1e-12;

/** The result of {@linkcode l2Normalize}, with what its backward pass needs. */
export interface Normalized {
  /** `x / max(‖x‖, eps)`, row-wise. */
  readonly y: Matrix;
  /** `max(‖x‖, eps)` per row, `[rows, 1]`. */
  readonly norm: Matrix;
  /** 1 where `‖x‖ > eps` (the norm is differentiable there), else 0, `[rows, 1]`. */
  readonly active: Matrix;
}

/** Row-wise L2 normalisation, `F.normalize(x, dim=-1)`. */
export function l2Normalize(x: Matrix): Normalized {
  const raw = tf.norm(x, "euclidean", 1, true) as Matrix;
  const norm = tf.maximum(raw, NORM_EPS) as Matrix;
  return { y: tf.div(x, norm), norm, active: tf.cast(tf.greater(raw, NORM_EPS), "float32") };
}

/**
 * Backward of {@linkcode l2Normalize}: `dx = (dy − y·⟨y, dy⟩) / ‖x‖` where the norm is above eps;
 * `dx = dy / eps` where it was clamped (then the divisor is a constant, as in PyTorch).
 */
export function l2NormalizeGrad(dy: Matrix, n: Normalized): Matrix {
  const radial = tf.mul(n.y, tf.mul(tf.sum(tf.mul(n.y, dy), 1, true), n.active));
  return tf.div(tf.sub(dy, radial), n.norm);
}
