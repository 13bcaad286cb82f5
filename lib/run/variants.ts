/**
 * Named head variants for ablations: the residual-ratio and mapping-depth sweeps, their grid, and
 * the architectural ablations (fusion, modality, classifier kind and initialisation).
 *
 * @module
 */
import type { ConfigOverrides } from "../config/mod.ts";

/** A named change to the base config. */
export interface Variant {
  /** Stable identifier, used in file names and cell keys (`ratio=0.4,depth=2`). */
  readonly name: string;
  /** Short human label for tables and figures. */
  readonly label: string;
  /** The overrides applied on top of the base config. */
  readonly overrides: ConfigOverrides;
  /** Sweep coordinates, for heatmaps and line plots. */
  readonly coords?: { readonly ratio?: number; readonly depth?: number };
}

/** The unmodified reference head. */
export const REFERENCE_VARIANT: Variant = {
  name: "memeclip",
  label: "MemeCLIP head",
  overrides: {},
};

/** Default residual ratios swept by `deno task ablate`. */
export const DEFAULT_RATIOS: readonly number[] = [0, 0.2, 0.4, 0.6, 0.8, 1.0];
/** Default mapping depths swept by `deno task ablate`. */
export const DEFAULT_DEPTHS: readonly number[] = [1, 2, 3];

/** One variant per (ratio, depth) pair. */
export function gridVariants(ratios: readonly number[], depths: readonly number[]): Variant[] {
  return depths.flatMap((depth) => ratios.map((ratio) => sweepVariant(ratio, depth)));
}

/**
 * Two one-dimensional sweeps through the reference point: ratio at the reference depth, then depth
 * at the reference ratio. The reference point itself appears once, first (also when the lists
 * leave it out: it is what the sweeps are compared against).
 */
export function sweepVariants(
  ratios: readonly number[],
  depths: readonly number[],
  reference = { ratio: 0.2, depth: 1 },
): Variant[] {
  // The reference point first: it is the main variant of a report.
  const first = sweepVariant(reference.ratio, reference.depth);
  const out = new Map<string, Variant>([[first.name, first]]);
  for (const ratio of ratios) {
    const v = sweepVariant(ratio, reference.depth);
    out.set(v.name, v);
  }
  for (const depth of depths) {
    const v = sweepVariant(reference.ratio, depth);
    out.set(v.name, v);
  }
  return [...out.values()];
}

function sweepVariant(ratio: number, depth: number): Variant {
  return {
    name: `ratio=${ratio},depth=${depth}`,
    label: `α=${ratio}, depth ${depth}`,
    overrides: { head: { ratio, numMappingLayers: depth } },
    coords: { ratio, depth },
  };
}

/** The architectural ablations, each one change from the reference head. */
export const NAMED_ABLATIONS: readonly Variant[] = [
  { name: "fusion=concat", label: "concat fusion", overrides: { head: { fusion: "concat" } } },
  { name: "fusion=sum", label: "sum fusion", overrides: { head: { fusion: "sum" } } },
  { name: "image-only", label: "image only", overrides: { head: { modality: "image-only" } } },
  { name: "text-only", label: "text only", overrides: { head: { modality: "text-only" } } },
  {
    name: "classifier=linear",
    label: "linear classifier",
    overrides: { head: { classifier: "linear" } },
  },
  {
    name: "init=random",
    label: "random classifier init",
    overrides: { head: { classifierInit: "random" } },
  },
];
