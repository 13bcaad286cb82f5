/**
 * What data a run actually used, and whether its numbers may stand beside the paper's: the
 * paper's table is for CLIP ViT-L/14 features of PrideMM's released annotations with their split,
 * so a run on any other data (recognised by content, not by file name) or any other model
 * (recognised from its ONNX graphs, not by its name) is never compared with it — its tables say
 * what it is instead —, and a run that lost memes of a split (images missing or unreadable) is
 * compared only when asked for explicitly, with the counts on every table.
 *
 * @module
 */
import { describeClipModel, isClipViTL14 } from "../clip/mod.ts";
import { isPrideMMRelease, type Split, SPLITS } from "../data/mod.ts";
import type { ExperimentInputs } from "../run/mod.ts";

/** The largest share of a split's memes that may be lost before a comparison needs consent. */
export const MAX_SPLIT_LOSS = 0.01;

/** Memes of one split: in the annotations, and used (with a readable image). */
export interface SplitUsage {
  /** Memes of the split in the annotations. */
  readonly total: number;
  /** Memes with a readable image, used for training or evaluation. */
  readonly used: number;
}

/** Per split: memes in the annotations and memes used. */
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

/** The CLIP model in words, from its architecture (`CLIP ViT-L/14`, `tiny CLIP`). */
export function clipModelName(inputs: Pick<ExperimentInputs, "clipShape" | "modelId">): string {
  return inputs.clipShape === null
    ? `${inputs.modelId} (its architecture unknown)`
    : describeClipModel(inputs.clipShape);
}

/**
 * Why these inputs cannot be compared with the paper at all, or null when they can: the data
 * must be PrideMM's released annotations with their split (by content:
 * `isPrideMMRelease`) and the model CLIP ViT-L/14 (by its graphs' architecture). For another
 * dataset the reason says what the run is instead: `HarMeme (Harm-C), tiny CLIP: no published
 * reference`.
 */
export function notComparableReason(
  inputs: Pick<ExperimentInputs, "dataset" | "clipShape" | "modelId">,
): string | null {
  const { dataset, clipShape } = inputs;
  const pridemmData = isPrideMMRelease(dataset);
  const vitL14 = clipShape !== null && isClipViTL14(clipShape);
  if (pridemmData && vitL14) return null;
  const name = dataset.description.name;
  if (!pridemmData && name !== "pridemm" && name !== "synthetic") {
    return `${dataset.description.title}, ${clipModelName(inputs)}: no published reference`;
  }
  const reasons: string[] = [];
  if (name === "synthetic") reasons.push("the memes are generated, not PrideMM");
  else if (!pridemmData) {
    reasons.push(
      "the annotations are not PrideMM's released ones with their split (their content differs)",
    );
  }
  if (clipShape !== null && describeClipModel(clipShape) === "tiny CLIP") {
    reasons.push("the CLIP model is the tiny test model");
  } else if (!vitL14) reasons.push(`the CLIP model is ${clipModelName(inputs)}, not ViT-L/14`);
  return `not compared with the paper: ${reasons.join(" and ")}`;
}

/**
 * The title of a reproduce run: beside the paper when the inputs compare with it; for another
 * dataset, the dataset's title; else saying why not.
 */
export function reproduceTitle(inputs: ExperimentInputs): string {
  const notComparable = notComparableReason(inputs);
  const name = inputs.dataset.description.name;
  if (notComparable === null) return "MemeSense: MemeCLIP head on PrideMM, beside the paper";
  if (!isPrideMMRelease(inputs.dataset) && name !== "pridemm" && name !== "synthetic") {
    return `MemeSense: MemeCLIP head on ${inputs.dataset.description.title}`;
  }
  return `MemeSense: MemeCLIP head (${notComparable})`;
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
