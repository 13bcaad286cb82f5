/**
 * The experiment config: a plain typed object with MemeCLIP's reference defaults written once.
 *
 * Every result the suite writes carries the full config it ran with (`config.json`), so a number
 * can always be traced back to the exact settings that produced it.
 *
 * @module
 */

import { ConfigError } from "./errors.ts";

/** How the image and text vectors are combined after L2 normalisation. */
export type Fusion = "product" | "concat" | "sum";
/** Every fusion, reference first. */
export const FUSIONS = ["product", "concat", "sum"] as const satisfies readonly Fusion[];
/** Which modalities reach the fusion step (the image-only / text-only ablations). */
export type Modality = "both" | "image-only" | "text-only";
/** Every modality setting, reference first. */
export const MODALITIES = [
  "both",
  "image-only",
  "text-only",
] as const satisfies readonly Modality[];
/** The output layer: MemeCLIP's cosine classifier, or a plain linear layer (ablation). */
export type ClassifierKind = "cosine" | "linear";
/** Every output layer kind, reference first. */
export const CLASSIFIER_KINDS = ["cosine", "linear"] as const satisfies readonly ClassifierKind[];
/** How the classifier weights start: CLIP prompt embeddings (reference) or random rows. */
export type ClassifierInit = "prompt" | "random";
/** Every classifier initialisation, reference first. */
export const CLASSIFIER_INITS = ["prompt", "random"] as const satisfies readonly ClassifierInit[];
/** Image preprocessing before CLIP: squash to 224×224 (reference) or CLIP's resize + centre crop. */
export type Preprocess = "squash" | "crop";
/** Every image preprocessing mode, reference first. */
export const PREPROCESS_MODES = ["squash", "crop"] as const satisfies readonly Preprocess[];
/**
 * How an image file becomes RGB pixels: `pillow` (reference) as `PIL.Image.open(p).convert("RGB")`
 * — alpha dropped, EXIF orientation and ICC profile ignored; `managed` as a viewer shows it —
 * EXIF orientation applied, colour-managed to sRGB, transparency composited on white.
 */
export type ImageMode = "pillow" | "managed";
/** Every image decoding mode, reference first. */
export const IMAGE_MODES = ["pillow", "managed"] as const satisfies readonly ImageMode[];

/** The trainable head (everything after the frozen CLIP encoders). */
export interface HeadConfig {
  /** Width of the frozen CLIP features (768 for ViT-L/14). */
  readonly unmappedDim: number;
  /** Width of the projected features (1024 in MemeCLIP). */
  readonly mapDim: number;
  /** Depth of each LinearProjection: 1 = Linear + Dropout; each extra adds ReLU → Linear → Dropout. */
  readonly numMappingLayers: number;
  /** Number of [Linear → ReLU → Dropout] blocks before the classifier. */
  readonly numPreOutputLayers: number;
  /** Dropout after projection, before the pre-output block, and inside it. */
  readonly dropProbs: readonly [number, number, number];
  /** Residual ratio α: features = α·adapted + (1 − α)·projected. */
  readonly ratio: number;
  /** Cosine-classifier temperature: logits = scale · cos(x, w). */
  readonly scale: number;
  /** Adapter bottleneck reduction (1024 → 1024 / reduction → 1024). */
  readonly adapterReduction: number;
  /** Fusion of the two modalities. */
  readonly fusion: Fusion;
  /** Modalities used. */
  readonly modality: Modality;
  /** Output layer kind. */
  readonly classifier: ClassifierKind;
  /** Initialisation of the output layer. */
  readonly classifierInit: ClassifierInit;
}

/** Optimisation settings. */
export interface TrainConfig {
  /** AdamW learning rate. */
  readonly lr: number;
  /** AdamW decoupled weight decay. */
  readonly weightDecay: number;
  /** Number of passes over the training split. */
  readonly epochs: number;
  /** Mini-batch size. */
  readonly batchSize: number;
  /** Seed for initialisation, shuffling and dropout. */
  readonly seed: number;
}

/** The frozen feature extractor. */
export interface ClipConfig {
  /** The architecture the features come from, as MemeCLIP names it. */
  readonly variant: string;
  /** Hugging Face model id or local directory of a transformers.js CLIP model. */
  readonly model: string;
  /** Image preprocessing mode. */
  readonly preprocess: Preprocess;
  /** How image files are decoded to RGB. */
  readonly imageMode: ImageMode;
}

/** One complete experiment config. */
export interface MemeSenseConfig {
  /** The frozen feature extractor. */
  readonly clip: ClipConfig;
  /** The trainable head. */
  readonly head: HeadConfig;
  /** Optimisation. */
  readonly train: TrainConfig;
}

/** A partial config, for overrides. */
export type ConfigOverrides = {
  readonly clip?: Partial<ClipConfig>;
  readonly head?: Partial<HeadConfig>;
  readonly train?: Partial<TrainConfig>;
};

/** The default CLIP model: ViT-L/14 exported to ONNX in transformers.js layout (fp32). */
export const DEFAULT_CLIP_MODEL = "Xenova/clip-vit-large-patch14";

/** MemeCLIP's reference settings (its `configs.py` for PrideMM). */
export const DEFAULT_CONFIG: MemeSenseConfig = deepFreeze({
  clip: {
    variant: "ViT-L/14",
    model: DEFAULT_CLIP_MODEL,
    preprocess: "squash",
    imageMode: "pillow",
  },
  head: {
    unmappedDim: 768,
    mapDim: 1024,
    numMappingLayers: 1,
    numPreOutputLayers: 1,
    dropProbs: [0.1, 0.4, 0.2],
    ratio: 0.2,
    scale: 30,
    adapterReduction: 4,
    fusion: "product",
    modality: "both",
    classifier: "cosine",
    classifierInit: "prompt",
  },
  train: { lr: 1e-4, weightDecay: 1e-4, epochs: 10, batchSize: 16, seed: 42 },
});

/** Returns `base` with `overrides` applied, validated. */
export function makeConfig(
  overrides: ConfigOverrides = {},
  base: MemeSenseConfig = DEFAULT_CONFIG,
): MemeSenseConfig {
  return validateConfig({
    clip: { ...base.clip, ...overrides.clip },
    head: { ...base.head, ...overrides.head },
    train: { ...base.train, ...overrides.train },
  });
}

/**
 * Checks every field and returns a frozen copy; throws {@linkcode ConfigError} naming the first
 * bad field. Accepts parsed JSON, so a saved `config.json` can be validated on load.
 */
export function validateConfig(value: unknown): MemeSenseConfig {
  const c = value as MemeSenseConfig;
  if (typeof c !== "object" || c === null) throw new ConfigError("(root)", c, "an object");
  for (const part of ["clip", "head", "train"] as const) {
    if (typeof c[part] !== "object" || c[part] === null) {
      throw new ConfigError(part, c[part], "a section object");
    }
  }
  const { clip, head, train } = c;
  nonEmptyString("clip.variant", clip.variant);
  nonEmptyString("clip.model", clip.model);
  oneOf("clip.preprocess", clip.preprocess, PREPROCESS_MODES);
  oneOf("clip.imageMode", clip.imageMode, IMAGE_MODES);

  integer("head.unmappedDim", head.unmappedDim, 1);
  integer("head.mapDim", head.mapDim, 1);
  integer("head.numMappingLayers", head.numMappingLayers, 1);
  integer("head.numPreOutputLayers", head.numPreOutputLayers, 1);
  integer("head.adapterReduction", head.adapterReduction, 1);
  if (head.mapDim % head.adapterReduction !== 0) {
    throw new ConfigError(
      "head.adapterReduction",
      head.adapterReduction,
      `a divisor of head.mapDim ${head.mapDim}`,
    );
  }
  if (!Array.isArray(head.dropProbs) || head.dropProbs.length !== 3) {
    throw new ConfigError("head.dropProbs", head.dropProbs, "3 probabilities");
  }
  head.dropProbs.forEach((p, i) => inRange(`head.dropProbs[${i}]`, p, 0, 1, false));
  inRange("head.ratio", head.ratio, 0, 1, true);
  positive("head.scale", head.scale);
  oneOf("head.fusion", head.fusion, FUSIONS);
  oneOf("head.modality", head.modality, MODALITIES);
  oneOf("head.classifier", head.classifier, CLASSIFIER_KINDS);
  oneOf("head.classifierInit", head.classifierInit, CLASSIFIER_INITS);

  positive("train.lr", train.lr);
  if (!Number.isFinite(train.weightDecay) || train.weightDecay < 0) {
    throw new ConfigError("train.weightDecay", train.weightDecay, "a number ≥ 0");
  }
  integer("train.epochs", train.epochs, 1);
  integer("train.batchSize", train.batchSize, 1);
  integer("train.seed", train.seed, 0);
  return deepFreeze(structuredClone(c));
}

/** Serialises a config as pretty JSON (the form written into every result directory). */
export function configToJson(config: MemeSenseConfig): string {
  return JSON.stringify(config, null, 2);
}

function nonEmptyString(field: string, v: unknown): void {
  if (typeof v !== "string" || v.length === 0) {
    throw new ConfigError(field, v, "a non-empty string");
  }
}

function oneOf(field: string, v: unknown, allowed: readonly string[]): void {
  if (!allowed.includes(v as string)) {
    throw new ConfigError(field, v, `one of ${allowed.join(", ")}`);
  }
}

function integer(field: string, v: unknown, min: number): void {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
    throw new ConfigError(field, v, `an integer ≥ ${min}`);
  }
}

function positive(field: string, v: unknown): void {
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
    throw new ConfigError(field, v, "a number > 0");
  }
}

function inRange(field: string, v: unknown, lo: number, hi: number, hiInclusive: boolean): void {
  const ok = typeof v === "number" && Number.isFinite(v) && v >= lo &&
    (hiInclusive ? v <= hi : v < hi);
  if (!ok) {
    throw new ConfigError(field, v, `a number in [${lo}, ${hi}${hiInclusive ? "]" : ")"}`);
  }
}

function deepFreeze<T>(o: T): T {
  if (typeof o === "object" && o !== null) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
