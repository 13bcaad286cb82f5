/**
 * Evaluation: logits of a trained head in eval mode, in large batches.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { HeadConfig, MemeSenseConfig } from "../config/mod.ts";
import {
  headForward,
  type HeadWeights,
  paramTensors,
  sameHeadConfig,
  usesImage,
  usesText,
  validateWeights,
} from "../model/mod.ts";
import { FusedStep } from "./_fused_step.ts";
import { BLAS_BACKEND } from "./_blas_kernels.ts";

/** Rows per forward pass when evaluating (large batches: evaluation has no gradients). */
const EVAL_BATCH = 1024;
/** Rows per pass of the fused kernel: its activations stay in cache-sized buffers. */
const FUSED_EVAL_BATCH = 256;

/**
 * Logits of `n` rows in eval mode (no dropout), row-major `n × numClasses`, computed in batches
 * on the active backend (call `initBackend` first; `trainHead` does): the fused kernel on `blas`,
 * `headForward` elsewhere.
 * `config` (or its `head` section) must describe the same architecture as `weights`.
 */
export function predictLogits(
  weights: HeadWeights,
  config: MemeSenseConfig | HeadConfig,
  image: Float32Array,
  text: Float32Array,
  n: number,
): Float32Array {
  const head = "head" in config ? config.head : config;
  if (!sameHeadConfig(head, weights.head)) {
    throw new Error(
      "predictLogits: the config's head differs from the one the weights were built with",
    );
  }
  validateWeights(weights);
  const dim = head.unmappedDim;
  const C = weights.numClasses;
  const checkWidth = (field: string, x: Float32Array) => {
    if (x.length !== n * dim) {
      throw new Error(
        `predictLogits: ${field} features have ${x.length} values, expected ${n} × ${dim}`,
      );
    }
  };
  if (usesImage(head)) checkWidth("image", image);
  if (usesText(head)) checkWidth("text", text);
  const out = new Float32Array(n * C);
  if (tf.getBackend() === BLAS_BACKEND) {
    // The blas backend's direct kernel: no tensors, activations reused batch after batch.
    const fused = new FusedStep(weights, Math.min(n, FUSED_EVAL_BATCH), { evalOnly: true });
    for (let start = 0; start < n; start += FUSED_EVAL_BATCH) {
      const end = Math.min(n, start + FUSED_EVAL_BATCH);
      const rows = (x: Float32Array, used: boolean) =>
        used ? x.subarray(start * dim, end * dim) : null;
      const logits = fused.forward(
        rows(image, usesImage(head)),
        rows(text, usesText(head)),
        end - start,
        null,
      );
      out.set(logits, start * C);
    }
    return out;
  }
  const params = paramTensors(weights);
  try {
    for (let start = 0; start < n; start += EVAL_BATCH) {
      const end = Math.min(n, start + EVAL_BATCH);
      tf.tidy(() => {
        // slice() copies: the tensors never alias the caller's (possibly shared) arrays.
        const rows = (x: Float32Array, used: boolean) =>
          used ? tf.tensor2d(x.slice(start * dim, end * dim), [end - start, dim]) : null;
        const { logits } = headForward(
          params,
          head,
          rows(image, usesImage(head)),
          rows(text, usesText(head)),
          null,
        );
        out.set(logits.dataSync() as Float32Array, start * C);
      });
    }
  } finally {
    tf.dispose(Object.values(params));
  }
  return out;
}
