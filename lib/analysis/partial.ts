/**
 * What data a run actually used, and whether its numbers may stand beside the paper's: the
 * paper's table is for ViT-L/14 features of all of PrideMM, so a run on generated memes or on the
 * tiny model is never compared with it, and a run that lost memes of a split (images missing or
 * unreadable) is compared only when asked for explicitly, with the counts on every table.
 *
 * @module
 */
import { type Split, SPLITS } from "../data/mod.ts";
import type { ExperimentInputs } from "../run/mod.ts";

/** The largest share of a split's memes that may be lost before a comparison needs consent. */
export const MAX_SPLIT_LOSS = 0.01;

/** Memes of one split: in the CSV, and used (with a readable image). */
export interface SplitUsage {
  /** Memes of the split in the CSV. */
  readonly total: number;
  /** Memes with a readable image, used for training or evaluation. */
  readonly used: number;
}

/** Per split: memes in the CSV and memes used. */
export function splitUsage(inputs: ExperimentInputs): Record<Split, SplitUsage> {
  const out = {} as Record<Split, SplitUsage>;
  for (const split of SPLITS) {
    const total = inputs.dataset.memes.filter((m) => m.split === split).length;
    out[split] = { total, used: total - inputs.missingImages[split] };
  }
  return out;
}

/** `memes used: train 480 of 3,000 (16.0 % lost), val …`, or null when no split lost any. */
export function usageLine(inputs: ExperimentInputs): string | null {
  const usage = splitUsage(inputs);
  if (SPLITS.every((s) => usage[s].used === usage[s].total)) return null;
  const fmt = (n: number) => n.toLocaleString("en-US");
  return "Memes used per split (the others have no readable image): " + SPLITS.map((s) => {
    const { total, used } = usage[s];
    const lost = total === 0 ? 0 : (total - used) / total;
    return `${s} ${fmt(used)} of ${fmt(total)}${
      used < total ? ` (${(100 * lost).toFixed(1)} % lost)` : ""
    }`;
  }).join(", ") + ".";
}

/**
 * Why these inputs cannot be compared with the paper at all (generated memes, the tiny model),
 * or null when they can.
 */
export function notComparableReason(inputs: ExperimentInputs): string | null {
  const reasons: string[] = [];
  if (inputs.synthetic) reasons.push("the memes are generated, not PrideMM");
  if (inputs.modelId === "tiny") reasons.push("the CLIP model is the tiny test model");
  return reasons.length > 0 ? `not compared with the paper: ${reasons.join(" and ")}` : null;
}

/** Thrown when a split lost more memes than {@linkcode MAX_SPLIT_LOSS} and consent is missing. */
export class PartialDataError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "PartialDataError";
  }
}

/**
 * Refuses a comparison with the paper when a split lost more than {@linkcode MAX_SPLIT_LOSS} of
 * its memes, unless `allowMissing`; says per split how many memes are left, and where the list
 * of missing images is.
 */
export function checkPartialData(inputs: ExperimentInputs, allowMissing: boolean): void {
  if (allowMissing || notComparableReason(inputs) !== null) return;
  const usage = splitUsage(inputs);
  const over = SPLITS.filter((s) =>
    usage[s].total - usage[s].used > MAX_SPLIT_LOSS * usage[s].total
  );
  if (over.length === 0) return;
  throw new PartialDataError(
    `${over.join(", ")} lost more than ${100 * MAX_SPLIT_LOSS} % of their memes (images missing ` +
      `or unreadable), so the numbers would not be comparable with the paper's.\n  ${
        usageLine(inputs)
      }\n  The images: ${inputs.featureDir}/missing-images.tsv\n` +
      "  - fix the images (--images, or deno task fetch-data) and run again: only the memes " +
      "whose image changed are extracted\n" +
      "  - or run anyway with --allow-missing: every table then starts with these counts",
  );
}
