/**
 * The head as a table: which stages a configuration has, in data-flow order, each with its
 * Linear layers (the reference's `state_dict` names and widths) and its constants (dropout
 * probabilities, residual ratio, fusion, classifier kind and scale).
 *
 * Each stage's file defines its own rows (`projectionLayout`, `adapterLayout`, …) and its
 * forward and backward passes read them; {@linkcode headLayout} gathers them for the whole head.
 * `headParamSpecs` derives every parameter's name, shape and initialisation from it, and the
 * `blas` backend's fused kernel (lib/train) builds its buffers and takes its constants from it,
 * so an architecture is declared once, here and in the stage files, and `headForward` stays the
 * one definition of what the stages compute.
 *
 * @module
 */
import type { Fusion, HeadConfig } from "../config/mod.ts";
import { type AdapterLayout, adapterLayout } from "./adapter.ts";
import { type ClassifierLayout, classifierLayout } from "./classifier.ts";
import { fusedDim, usesImage, usesText } from "./fusion.ts";
import { type PreOutputLayout, preOutputLayout } from "./pre_output.ts";
import { type ProjectionLayout, projectionLayout } from "./projection.ts";

/** The module names of one modality's branch in the reference. */
export interface BranchModules {
  /** Its LinearProjection (`image_map`, `text_map`). */
  readonly projection: string;
  /** Its Adapter (`img_adapter`, `text_adapter`). */
  readonly adapter: string;
}

/** The reference module's names of the two branches (its own spellings: `img_`, `text_`). */
export const BRANCH_MODULES: {
  readonly image: BranchModules;
  readonly text: BranchModules;
} = {
  image: { projection: "image_map", adapter: "img_adapter" },
  text: { projection: "text_map", adapter: "text_adapter" },
};

/** One modality's branch: projection → adapter → residual mix (then its L2 normalisation). */
export interface BranchLayout {
  /** The modules' names. */
  readonly modules: BranchModules;
  /** LinearProjection: Linear → Dropout(p0), then [ReLU → Linear → Dropout(p0)] per extra layer. */
  readonly projection: ProjectionLayout;
  /** Adapter: Linear → ReLU → Linear → ReLU, no bias. */
  readonly adapter: AdapterLayout;
  /** α of the residual mix `α·adapted + (1 − α)·projected`. */
  readonly ratio: number;
}

/** How the normalised modalities are combined. */
export interface FusionLayout {
  /** `product` (the reference), `sum` or `concat`; unused when the head keeps one modality. */
  readonly kind: Fusion;
  /** Width of the fused vector: `2·mapDim` for `concat` of both modalities, else `mapDim`. */
  readonly dim: number;
}

/** Every stage of a head, in data-flow order. */
export interface HeadLayout {
  /** The image branch, or null when the head does not use the image. */
  readonly image: BranchLayout | null;
  /** The text branch, or null when the head does not use the text. */
  readonly text: BranchLayout | null;
  /** The fusion of the normalised modalities (no parameters). */
  readonly fusion: FusionLayout;
  /** Dropout(p1), then [Linear → ReLU → Dropout(p2)] per layer. */
  readonly preOutput: PreOutputLayout;
  /** The cosine (or linear) classifier. */
  readonly classifier: ClassifierLayout;
}

/** The layout of `head` with `numClasses` outputs. */
export function headLayout(head: HeadConfig, numClasses: number): HeadLayout {
  if (!Number.isInteger(numClasses) || numClasses < 2) {
    throw new Error(`numClasses must be an integer ≥ 2, got ${numClasses}`);
  }
  const branch = (modules: BranchModules): BranchLayout => ({
    modules,
    projection: projectionLayout(modules.projection, head),
    adapter: adapterLayout(modules.adapter, head),
    ratio: head.ratio,
  });
  return {
    image: usesImage(head) ? branch(BRANCH_MODULES.image) : null,
    text: usesText(head) ? branch(BRANCH_MODULES.text) : null,
    fusion: { kind: head.fusion, dim: fusedDim(head) },
    preOutput: preOutputLayout(head),
    classifier: classifierLayout(head, numClasses),
  };
}
