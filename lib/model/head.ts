/**
 * The whole head, composed from its stages:
 *
 * ```
 * image ─► projection ─┬─► adapter ─► residual mix ─┐
 *                      └────────────────►──────────┘─► L2 norm ─┐
 * text  ─► projection ─┬─► adapter ─► residual mix ─┐           ├─► fusion ─► pre-output ─► classifier
 *                      └────────────────►──────────┘─► L2 norm ─┘
 * ```
 *
 * {@linkcode headForward} is the whole forward pass, top to bottom in one function; it returns
 * every stage's output (the tape), which {@linkcode headBackward} differentiates explicitly and
 * `headActivations` (inspect.ts) reads for the notebooks. Both run inside the caller's
 * `tf.tidy`. Each stage reads its layers and constants from its own `…Layout` function, which
 * `headLayout` (layout.ts) gathers into one table; the `blas` backend's fused kernel (lib/train)
 * builds from that table and computes the same pass without tensors, checked against these two
 * functions.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { HeadConfig } from "../config/mod.ts";
import type { Rng } from "../util/mod.ts";
import { adapterBackward, adapterForward, type AdapterTape } from "./adapter.ts";
import { classifierBackward, classifierForward, type ClassifierTape } from "./classifier.ts";
import { fusionBackward, fusionForward, type FusionTape, usesImage, usesText } from "./fusion.ts";
import type { Matrix } from "./layers.ts";
import { BRANCH_MODULES, type BranchModules } from "./layout.ts";
import { preOutputBackward, preOutputForward, type PreOutputTape } from "./pre_output.ts";
import { projectionBackward, projectionForward, type ProjectionTape } from "./projection.ts";
import { residualBackward, residualForward } from "./residual.ts";
import type { Grads, ParamTensors } from "./specs.ts";

/** The branches' module names in the reference: `image_map`, `img_adapter`; `text_map`, `text_adapter`. */
const { image: IMAGE, text: TEXT } = BRANCH_MODULES;

/** What one modality's branch computed: projection → adapter → residual mix. */
export interface BranchTape {
  /** The projection's layer inputs and dropout masks. */
  readonly projection: ProjectionTape;
  /** The projection's output (after its dropout), `[B, mapDim]`. */
  readonly projected: Matrix;
  /** The adapter's input, bottleneck and output. */
  readonly adapter: AdapterTape;
  /** `ratio · adapted + (1 − ratio) · projected`. */
  readonly mixed: Matrix;
}

/** Every stage's output, named: what the backward pass and `headActivations` read. */
export interface HeadTape {
  /** The image branch (null when the head does not use the image). */
  readonly image: BranchTape | null;
  /** The text branch (null when the head does not use the text). */
  readonly text: BranchTape | null;
  /** The normalised modalities (`fusion.image.y`, `fusion.text.y`) and their norms. */
  readonly fusion: FusionTape;
  /** The fused vector, `[B, fusedDim]`. */
  readonly fused: Matrix;
  /** The pre-output block's inputs, activations and masks. */
  readonly preOutput: PreOutputTape;
  /** The pre-output block's output, `[B, mapDim]`. */
  readonly preOutputY: Matrix;
  /** The classifier's input and, for the cosine classifier, the normalised rows. */
  readonly classifier: ClassifierTape;
}

/**
 * The whole forward pass over a batch of frozen features (`[B, unmappedDim]` each; the unused
 * one may be null under a modality ablation). `dropout` is the seeded mask generator in
 * training mode, null in eval mode (no dropout). Masks are drawn in the order the stages run:
 * image projection, text projection, pre-output.
 */
export function headForward(
  params: ParamTensors,
  head: HeadConfig,
  image: Matrix | null,
  text: Matrix | null,
  dropout: Rng | null,
): { logits: Matrix; tape: HeadTape } {
  // 1. Image branch: LinearProjection → Adapter → residual mix (α·adapted + (1 − α)·projected).
  let img: BranchTape | null = null;
  if (usesImage(head)) {
    const projection = projectionForward(params, IMAGE.projection, head, need(image), dropout);
    const adapter = adapterForward(params, IMAGE.adapter, projection.y);
    const mixed = residualForward(adapter.y, projection.y, head.ratio);
    img = { projection: projection.tape, projected: projection.y, adapter: adapter.tape, mixed };
  }
  // 2. Text branch: the same stages with their own weights.
  let txt: BranchTape | null = null;
  if (usesText(head)) {
    const projection = projectionForward(params, TEXT.projection, head, need(text), dropout);
    const adapter = adapterForward(params, TEXT.adapter, projection.y);
    const mixed = residualForward(adapter.y, projection.y, head.ratio);
    txt = { projection: projection.tape, projected: projection.y, adapter: adapter.tape, mixed };
  }
  // 3. L2-normalise each modality and fuse them (element-wise product in the reference).
  const fusion = fusionForward(head, img?.mixed ?? null, txt?.mixed ?? null);
  // 4. Pre-output block: Dropout → [Linear → ReLU → Dropout] × numPreOutputLayers.
  const preOutput = preOutputForward(params, head, fusion.y, dropout);
  // 5. Classifier: scale · cos(x, w_c) per class (or a plain Linear under the ablation).
  const classifier = classifierForward(params, head, preOutput.y);
  return {
    logits: classifier.logits,
    tape: {
      image: img,
      text: txt,
      fusion: fusion.tape,
      fused: fusion.y,
      preOutput: preOutput.tape,
      preOutputY: preOutput.y,
      classifier: classifier.tape,
    },
  };
}

/** Backward through one branch, from the gradient of its residual mix. */
function branchBackward(
  params: ParamTensors,
  head: HeadConfig,
  modules: BranchModules,
  tape: BranchTape,
  dy: Matrix,
  grads: Grads,
): void {
  const { dAdapted, dProjected } = residualBackward(dy, head.ratio);
  const viaAdapter = adapterBackward(params, modules.adapter, tape.adapter, dAdapted, grads);
  const dProjection = tf.add(viaAdapter, dProjected) as Matrix;
  projectionBackward(params, modules.projection, head, tape.projection, dProjection, grads);
}

/** Backward pass from the loss gradient `dLogits`: the gradient of every parameter. */
export function headBackward(
  params: ParamTensors,
  head: HeadConfig,
  tape: HeadTape,
  dLogits: Matrix,
): Grads {
  const grads: Grads = {};
  const dPre = classifierBackward(params, head, tape.classifier, dLogits, grads);
  const dFused = preOutputBackward(params, head, tape.preOutput, dPre, grads);
  const { dImage, dText } = fusionBackward(head, tape.fusion, dFused);
  if (tape.image && dImage) {
    branchBackward(params, head, IMAGE, tape.image, dImage, grads);
  }
  if (tape.text && dText) {
    branchBackward(params, head, TEXT, tape.text, dText, grads);
  }
  return grads;
}

function need(x: tf.Tensor2D | null): tf.Tensor2D {
  if (!x) throw new Error("headForward: features of a modality the head uses are missing");
  return x;
}
