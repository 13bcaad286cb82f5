/**
 * The training inputs: one split's frozen features and labels, and their validation.
 *
 * @module
 */
import type { HeadConfig } from "../config/mod.ts";
import { usesImage, usesText } from "../model/mod.ts";

/**
 * One split's training inputs: the labelled rows of a feature table (`FeatureTable` in
 * lib/features; `taskData` in lib/experiment gathers them, leaving out memes without image
 * features), `image` and `text` row-major `n × unmappedDim`.
 */
export interface SplitData {
  /** Image features, `n × dim`, row-major. */
  readonly image: Float32Array;
  /** Text features, `n × dim`, row-major. */
  readonly text: Float32Array;
  /** Class labels. */
  readonly labels: Int32Array;
  /** Number of rows. */
  readonly n: number;
}

/** Thrown for unusable training data; the message names the split, field and row. */
export class TrainInputError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "TrainInputError";
  }
}

/**
 * Checks one split against the head: non-empty, feature arrays of `n × unmappedDim` finite values
 * for each modality the head uses, `n` labels in `[0, numClasses)`. Throws
 * {@linkcode TrainInputError} naming the split, the field and the first bad row.
 */
export function validateSplit(
  name: string,
  split: SplitData,
  head: HeadConfig,
  numClasses: number,
): void {
  if (!split || !Number.isInteger(split.n) || split.n < 0) {
    throw new TrainInputError(`${name} split: n must be a non-negative integer, got ${split?.n}`);
  }
  if (split.n === 0) throw new TrainInputError(`${name} split is empty (n = 0)`);
  const dim = head.unmappedDim;
  const fields = [
    ...(usesImage(head) ? [["image", split.image] as const] : []),
    ...(usesText(head) ? [["text", split.text] as const] : []),
  ];
  for (const [field, x] of fields) {
    if (!(x instanceof Float32Array)) {
      throw new TrainInputError(`${name} split: ${field} features must be a Float32Array`);
    }
    if (x.length !== split.n * dim) {
      const width = x.length / split.n;
      throw new TrainInputError(
        `${name} split: ${field} features have ${x.length} values, expected n × unmappedDim = ` +
          `${split.n} × ${dim} = ${split.n * dim}` +
          (Number.isInteger(width) ? ` (they look ${width} wide)` : ""),
      );
    }
    for (let i = 0; i < x.length; i++) {
      if (!Number.isFinite(x[i])) {
        throw new TrainInputError(
          `${name} split: ${field} features row ${Math.floor(i / dim)}, column ${i % dim} is ` +
            `${x[i]}`,
        );
      }
    }
  }
  if (!(split.labels instanceof Int32Array) || split.labels.length !== split.n) {
    throw new TrainInputError(
      `${name} split: labels must be an Int32Array of n = ${split.n} values, got ` +
        `${split.labels?.length ?? "none"}`,
    );
  }
  for (let i = 0; i < split.n; i++) {
    const y = split.labels[i];
    if (y < 0 || y >= numClasses) {
      throw new TrainInputError(
        `${name} split: label of row ${i} is ${y}, outside [0, ${numClasses})`,
      );
    }
  }
}
