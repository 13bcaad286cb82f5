/**
 * L2 normalisation of each modality, then fusion. The reference divides each mixed feature by its
 * norm (`x / x.norm(dim=-1, keepdim=True)`) and multiplies the two element-wise; `concat` and
 * `sum` are ablations, as are `image-only` and `text-only`, which normalise the one modality they
 * keep and pass it on (no fusion). No parameters.
 *
 * Normalisation here uses `F.normalize`'s clamp (divide by `max(‖x‖, 1e-12)`); the reference's
 * plain division differs only for an all-zero row, where it would produce NaN.
 *
 * The fused vector itself is not normalised here: in the reference, the next normalisation is
 * the cosine classifier's, after the pre-output block.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { HeadConfig } from "../config/mod.ts";
import { l2Normalize, l2NormalizeGrad, type Matrix, type Normalized } from "./layers.ts";

/** Whether the image branch is used. */
export function usesImage(head: HeadConfig): boolean {
  return head.modality !== "text-only";
}

/** Whether the text branch is used. */
export function usesText(head: HeadConfig): boolean {
  return head.modality !== "image-only";
}

/** Width of the fused vector: `2·mapDim` for `concat` of both modalities, else `mapDim`. */
export function fusedDim(head: HeadConfig): number {
  return head.modality === "both" && head.fusion === "concat" ? 2 * head.mapDim : head.mapDim;
}

/** What the backward pass needs from the forward pass. */
export interface FusionTape {
  /** The normalised image vector; null when the image is not used. */
  readonly image: Normalized | null;
  /** The normalised text vector; null when the text is not used. */
  readonly text: Normalized | null;
}

/** Normalises the modalities present (null when the ablation drops one) and fuses them. */
export function fusionForward(
  head: HeadConfig,
  image: Matrix | null,
  text: Matrix | null,
): { y: Matrix; tape: FusionTape } {
  const ni = usesImage(head) ? l2Normalize(need(image, "image")) : null;
  const nt = usesText(head) ? l2Normalize(need(text, "text")) : null;
  let y: Matrix;
  if (!ni) y = nt!.y;
  else if (!nt) y = ni.y;
  else if (head.fusion === "product") y = tf.mul(ni.y, nt.y);
  else if (head.fusion === "sum") y = tf.add(ni.y, nt.y);
  else y = tf.concat([ni.y, nt.y], 1);
  return { y, tape: { image: ni, text: nt } };
}

/** Gradients with respect to the (un-normalised) image and text inputs. */
export function fusionBackward(
  head: HeadConfig,
  tape: FusionTape,
  dy: Matrix,
): { dImage: Matrix | null; dText: Matrix | null } {
  const { image: ni, text: nt } = tape;
  let di: Matrix | null = null;
  let dt: Matrix | null = null;
  if (!ni) dt = dy;
  else if (!nt) di = dy;
  else if (head.fusion === "product") {
    di = tf.mul(dy, nt.y);
    dt = tf.mul(dy, ni.y);
  } else if (head.fusion === "sum") {
    di = dy;
    dt = dy;
  } else {
    [di, dt] = tf.split(dy, 2, 1) as [Matrix, Matrix];
  }
  return {
    dImage: ni && di ? l2NormalizeGrad(di, ni) : null,
    dText: nt && dt ? l2NormalizeGrad(dt, nt) : null,
  };
}

function need(x: Matrix | null, what: string): Matrix {
  if (!x) throw new Error(`fusion: the ${what} features are missing`);
  return x;
}
