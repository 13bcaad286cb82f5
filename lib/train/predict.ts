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

/** Rows per forward pass when evaluating (large batches: evaluation has no gradients). */
const EVAL_BATCH = 1024;

/**
 * Logits of `n` rows in eval mode (no dropout), row-major `n × numClasses`, computed in batches
 * of 1024 on the active tfjs backend (call `initBackend` first; `trainHead` does).
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
