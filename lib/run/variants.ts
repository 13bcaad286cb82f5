/**
 * Named head variants for ablations: the residual-ratio and mapping-depth sweeps, their grid, and
 * the architectural ablations (fusion, modality, classifier kind and initialisation).
 *
 * @module
 */
import {
  CONFIG_FLAGS,
  configFlagField,
  type ConfigOverrides,
  DEFAULT_CONFIG,
  type MemeSenseConfig,
} from "../config/mod.ts";

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

/** A setting's value as a column of the result files and a TensorBoard hparam. */
export type SettingValue = number | string | boolean;

/** A config setting that differs between cells: its name in the result files, and its place. */
export interface VariedSetting {
  /**
   * Its column name in `metrics.csv` and the long and summary files, and its hparam name in
   * TensorBoard: `ratio` and `depth` (`head.numMappingLayers`, the ablation's mapping depth),
   * else the field in snake case (`fusion`, `classifier_init`, `lr`, `batch_size`); CLIP's
   * fields with a `clip_` prefix (`clip_model`), since `variant` is a column of its own.
   */
  readonly name: string;
  /** Its section and field in the config: `["head", "ratio"]`. */
  readonly path: readonly [keyof MemeSenseConfig, string];
  /**
   * What its values are: `integer` (`depth`, `epochs`), `number` (`ratio`, `lr`: written with a
   * decimal point, so that pandas reads them as floats even where every value is whole), or
   * `string` (choices, and lists such as `drop_probs` as `0.1,0.4,0.2`).
   */
  readonly type: "integer" | "number" | "string";
}

// The type of each config field, from the flag that sets it (fields without one are strings).
const SETTING_TYPES = new Map(
  CONFIG_FLAGS.map((f) => [
    configFlagField(f.name).join("."),
    f.type === "integer"
      ? "integer" as const
      : f.type === "number"
      ? "number" as const
      : "string" as const,
  ]),
);

// The seed is a column of its own; the sweep's two axes first, the rest in the config's order.
const SETTING_ORDER: readonly (readonly [keyof MemeSenseConfig, string])[] = [
  ["head", "ratio"],
  ["head", "numMappingLayers"],
  ...(Object.keys(DEFAULT_CONFIG) as (keyof MemeSenseConfig)[]).flatMap((section) =>
    Object.keys(DEFAULT_CONFIG[section]).map((field) => [section, field] as const)
  ).filter(([s, f]) =>
    !(s === "head" && (f === "ratio" || f === "numMappingLayers")) &&
    !(s === "train" && f === "seed")
  ),
];

function settingName([section, field]: readonly [keyof MemeSenseConfig, string]): string {
  if (section === "head" && field === "numMappingLayers") return "depth";
  const snake = field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return section === "clip" ? `clip_${snake}` : snake;
}

function settingOf(config: MemeSenseConfig, [section, field]: VariedSetting["path"]): SettingValue {
  const value = (config[section] as unknown as Record<string, unknown>)[field];
  if (Array.isArray(value)) return value.join(",");
  if (typeof value === "number" || typeof value === "string" || typeof value === "boolean") {
    return value;
  }
  throw new Error(`settingOf: ${section}.${field} is ${JSON.stringify(value)}`);
}

/**
 * The settings whose values differ between `configs` (the cells of a run, or of several runs),
 * the seed aside: the ratio and the depth first when they differ, then the others in the
 * config's order. None when every config is the same.
 *
 * ```ts
 * import { gridCells, sweepVariants, variedSettings } from "./mod.ts";
 * import { makeConfig } from "../config/mod.ts";
 * const cells = gridCells({
 *   variants: sweepVariants([0, 0.4], [1, 2]),
 *   tasks: ["hate"],
 *   seeds: [1, 2],
 *   config: makeConfig(),
 * });
 * console.log(variedSettings(cells.map((c) => c.config)).map((s) => s.name)); // ["ratio", "depth"]
 * ```
 */
export function variedSettings(configs: readonly MemeSenseConfig[]): VariedSetting[] {
  return SETTING_ORDER.filter((path) => {
    const values = new Set(configs.map((c) => JSON.stringify(settingOf(c, path))));
    return values.size > 1;
  }).map((path) => ({
    name: settingName(path),
    path,
    type: SETTING_TYPES.get(path.join(".")) ?? "string",
  }));
}

/** A config's values of the given settings, by name: a row's setting columns, a cell's hparams. */
export function settingValues(
  config: MemeSenseConfig,
  settings: readonly VariedSetting[],
): Record<string, SettingValue> {
  return Object.fromEntries(settings.map((s) => [s.name, settingOf(config, s.path)]));
}
