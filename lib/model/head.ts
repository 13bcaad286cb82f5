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
 * `headForward` records what `headBackward` needs; both run inside the caller's `tf.tidy`.
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
import type { Grads, ParamTensors } from "./params.ts";
import { preOutputBackward, preOutputForward, type PreOutputTape } from "./pre_output.ts";
import { projectionBackward, projectionForward, type ProjectionTape } from "./projection.ts";
import { residualBackward, residualForward } from "./residual.ts";

/** One modality's branch: projection → adapter → residual mix. */
interface BranchTape {
  readonly projection: ProjectionTape;
  readonly adapter: AdapterTape;
}

/** Everything the backward pass needs. */
export interface HeadTape {
  readonly image: BranchTape | null;
  readonly text: BranchTape | null;
  readonly fusion: FusionTape;
  readonly preOutput: PreOutputTape;
  readonly classifier: ClassifierTape;
}

const BRANCHES = {
  image: { map: "image_map", adapter: "img_adapter" },
  text: { map: "text_map", adapter: "text_adapter" },
} as const;

function branchForward(
  params: ParamTensors,
  head: HeadConfig,
  modality: keyof typeof BRANCHES,
  x: Matrix,
  dropout: Rng | null,
): { y: Matrix; tape: BranchTape } {
  const names = BRANCHES[modality];
  const projection = projectionForward(params, names.map, head, x, dropout);
  const adapter = adapterForward(params, names.adapter, projection.y);
  return {
    y: residualForward(adapter.y, projection.y, head.ratio),
    tape: { projection: projection.tape, adapter: adapter.tape },
  };
}

function branchBackward(
  params: ParamTensors,
  head: HeadConfig,
  modality: keyof typeof BRANCHES,
  tape: BranchTape,
  dy: Matrix,
  grads: Grads,
): void {
  const names = BRANCHES[modality];
  const { dAdapted, dProjected } = residualBackward(dy, head.ratio);
  const viaAdapter = adapterBackward(params, names.adapter, tape.adapter, dAdapted, grads);
  const dProjection = tf.add(viaAdapter, dProjected) as Matrix;
  projectionBackward(params, names.map, head, tape.projection, dProjection, grads);
}

/**
 * Forward pass over a batch of frozen features (`[B, unmappedDim]` each; the unused one may be
 * null under a modality ablation). `dropout` is the seeded mask generator in training mode, null
 * in eval mode (no dropout).
 */
export function headForward(
  params: ParamTensors,
  head: HeadConfig,
  image: Matrix | null,
  text: Matrix | null,
  dropout: Rng | null,
): { logits: Matrix; tape: HeadTape } {
  const img = usesImage(head) ? branchForward(params, head, "image", need(image), dropout) : null;
  const txt = usesText(head) ? branchForward(params, head, "text", need(text), dropout) : null;
  const fusion = fusionForward(head, img?.y ?? null, txt?.y ?? null);
  const preOutput = preOutputForward(params, head, fusion.y, dropout);
  const classifier = classifierForward(params, head, preOutput.y);
  return {
    logits: classifier.logits,
    tape: {
      image: img?.tape ?? null,
      text: txt?.tape ?? null,
      fusion: fusion.tape,
      preOutput: preOutput.tape,
      classifier: classifier.tape,
    },
  };
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
  if (tape.image && dImage) branchBackward(params, head, "image", tape.image, dImage, grads);
  if (tape.text && dText) branchBackward(params, head, "text", tape.text, dText, grads);
  return grads;
}

function need(x: tf.Tensor2D | null): tf.Tensor2D {
  if (!x) throw new Error("headForward: features of a modality the head uses are missing");
  return x;
}
