/**
 * The head's intermediate activations, stage by stage, as plain arrays: what the projection, the
 * adapter, the residual mix, the normalisation, the fusion, the pre-output block and the
 * classifier each produce for a batch of frozen features. It runs {@linkcode headForward} itself
 * and reads the stage outputs it records, so it shows exactly what training sees; it is meant for
 * inspection — the notebooks and diagnostics — not for training.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../util/mod.ts";
import { fusedDim, usesImage, usesText } from "./fusion.ts";
import { type BranchTape, headForward } from "./head.ts";
import type { Matrix } from "./layers.ts";
import { type HeadWeights, paramTensors, validateWeights } from "./params.ts";

/** One modality's activations, each `n × mapDim` row-major except `hidden`. */
export interface BranchActivations {
  /** LinearProjection output (after its dropout, when dropout is on). */
  readonly projected: Float32Array;
  /** The adapter's bottleneck after its first ReLU, `n × mapDim / adapterReduction`. */
  readonly hidden: Float32Array;
  /** The adapter's output (after its second ReLU). */
  readonly adapted: Float32Array;
  /** The residual mix `ratio · adapted + (1 − ratio) · projected`. */
  readonly mixed: Float32Array;
  /** The mix, L2-normalised row by row (the fusion's input). */
  readonly normalized: Float32Array;
}

/** Every stage's output for a batch of `n` rows. */
export interface HeadActivations {
  /** Rows in the batch. */
  readonly n: number;
  /** Null when the head does not use the image (text-only ablation). */
  readonly image: BranchActivations | null;
  /** Null when the head does not use the text (image-only ablation). */
  readonly text: BranchActivations | null;
  /** The fused vector, `n × fusedDim` (`2·mapDim` for concat). */
  readonly fused: Float32Array;
  /** Width of the fused vector. */
  readonly fusedDim: number;
  /** The pre-output block's output, `n × mapDim` (after its ReLU and dropout). */
  readonly preOutput: Float32Array;
  /** `n × numClasses`. */
  readonly logits: Float32Array;
}

/** Options of {@linkcode headActivations}. */
export interface ActivationOptions {
  /**
   * A mask generator to run in training mode (dropout on, as a training step draws it); omitted
   * or null: eval mode, no dropout.
   */
  readonly dropout?: Rng | null;
}

/**
 * Runs the head on `n` rows of frozen features (`n × unmappedDim` each; the modality a head does
 * not use may be null) and returns every stage's output. Uses the active tfjs backend.
 */
export function headActivations(
  weights: HeadWeights,
  image: Float32Array | null,
  text: Float32Array | null,
  n: number,
  options: ActivationOptions = {},
): HeadActivations {
  validateWeights(weights);
  const head = weights.head;
  const dim = head.unmappedDim;
  for (
    const [field, x, used] of [["image", image, usesImage(head)], [
      "text",
      text,
      usesText(head),
    ]] as const
  ) {
    if (used && (!x || x.length !== n * dim)) {
      throw new Error(
        `headActivations: ${field} features have ${x?.length ?? 0} values, expected ` +
          `n × unmappedDim = ${n} × ${dim}`,
      );
    }
  }
  const dropout = options.dropout ?? null;
  const params = paramTensors(weights);
  const read = (t: tf.Tensor) => Float32Array.from(t.dataSync() as Float32Array);
  let result: HeadActivations | undefined;
  try {
    // tidy frees every intermediate tensor; the arrays read out of them survive it.
    tf.tidy(() => {
      const rows = (x: Float32Array | null, used: boolean) =>
        used ? tf.tensor2d(x!, [n, dim]) : null;
      const { logits, tape } = headForward(
        params,
        head,
        rows(image, usesImage(head)),
        rows(text, usesText(head)),
        dropout,
      );
      const branch = (b: BranchTape | null, normalized: { y: Matrix } | null) =>
        b && normalized
          ? {
            projected: read(b.projected),
            hidden: read(b.adapter.hidden),
            adapted: read(b.adapter.y),
            mixed: read(b.mixed),
            normalized: read(normalized.y),
          }
          : null;
      result = {
        n,
        image: branch(tape.image, tape.fusion.image),
        text: branch(tape.text, tape.fusion.text),
        fused: read(tape.fused),
        fusedDim: fusedDim(head),
        preOutput: read(tape.preOutputY),
        logits: read(logits),
      };
    });
  } finally {
    tf.dispose(Object.values(params));
  }
  return result!;
}
