/**
 * Training MemeSense heads: backend selection (`blas` = tfjs cpu + OpenBLAS, `wasm`, `cpu`, and
 * optional native TensorFlow), torch-exact fused AdamW, the trainer with its two checkpoint
 * protocols (`reference`: MemeCLIP's selection on the test split; `clean`: selection on val), and
 * parallel runs in workers with results identical to sequential ones.
 *
 * ```ts
 * import { DEFAULT_CONFIG } from "../config/mod.ts";
 * import { type SplitData, trainHead } from "./mod.ts";
 * declare const train: SplitData, val: SplitData, test: SplitData;
 * const result = await trainHead({ config: DEFAULT_CONFIG, numClasses: 2, train, val, test });
 * console.log(result.backend, result.reference.test.auroc, result.clean.test.auroc);
 * ```
 *
 * @module
 */
export * from "./trainer.ts";
export * from "./split.ts";
export * from "./predict.ts";
export * from "./backend.ts";
export * from "./adamw.ts";
export * from "./loss.ts";
export * from "./workers.ts";
export {
  type BlasStats,
  blasStats,
  blasThreads,
  loadOpenBlas,
  resetBlasStats,
  setBlasThreads,
  sgemm,
} from "./blas_kernels.ts";
