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
export {
  type EpochRecord,
  GRADIENT_METHODS,
  type GradientMethod,
  HeadTrainer,
  type Protocol,
  PROTOCOLS,
  type SplitLogits,
  type StepProfile,
  trainHead,
  type TrainOptions,
  type TrainResult,
  type TrainWarning,
} from "./trainer.ts";
export { type SplitData, TrainInputError } from "./split.ts";
export { predictLogits } from "./predict.ts";
export { BackendUnavailableError, describeBackend, initBackend, probeBackends } from "./backend.ts";
export { type TrainJob, trainMany, type TrainManyOptions } from "./workers.ts";
export { blasKernelNote, loadOpenBlas, sgemm } from "./_blas_kernels.ts";
