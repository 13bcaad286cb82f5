/**
 * The MemeSense head (everything after the frozen CLIP encoders), one module per stage, on
 * TensorFlow.js with explicit forward and backward passes: LinearProjection → Adapter → residual
 * mix → L2 norm + fusion → pre-output → cosine (or linear) classifier. Parameters carry the
 * reference PyTorch module's names and layouts, and save as `head.safetensors` + `head.json`.
 *
 * ```ts
 * import { DEFAULT_CONFIG } from "../config/mod.ts";
 * import { countParams, initHeadWeights } from "./mod.ts";
 * console.log(countParams(DEFAULT_CONFIG.head, 2)); // 3675136
 * const weights = initHeadWeights(DEFAULT_CONFIG.head, 2, 42);
 * console.log(weights.params["image_map.proj.0.weight"].length); // 786432 = 1024 × 768
 * ```
 *
 * @module
 */
export * from "./params.ts";
export * from "./layers.ts";
export * from "./projection.ts";
export * from "./adapter.ts";
export * from "./residual.ts";
export * from "./fusion.ts";
export * from "./pre_output.ts";
export * from "./classifier.ts";
export * from "./head.ts";
export * from "./head_file.ts";
export * from "./inspect.ts";
