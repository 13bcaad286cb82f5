/**
 * The MemeSense head (everything after the frozen CLIP encoders), one module per stage, on
 * TensorFlow.js with explicit forward and backward passes: LinearProjection → Adapter → residual
 * mix → L2 norm + fusion → pre-output → cosine (or linear) classifier. {@linkcode headLayout}
 * tables the stages of a configuration, their layers and constants; parameters carry the
 * reference PyTorch module's names and layouts, and save as `head.safetensors` + `head.json`.
 *
 * ```ts
 * import { DEFAULT_CONFIG } from "../config/mod.ts";
 * import { countParams, headLayout, initHeadWeights } from "./mod.ts";
 * console.log(countParams(DEFAULT_CONFIG.head, 2)); // 3675136
 * const weights = initHeadWeights(DEFAULT_CONFIG.head, 2, 42);
 * console.log(weights.params["image_map.proj.0.weight"].length); // 786432 = 1024 × 768
 * const { image } = headLayout(DEFAULT_CONFIG.head, 2);
 * console.log(image?.adapter.down); // { name: "img_adapter.fc.0", …, inDim: 1024, outDim: 256 }
 * ```
 *
 * @module
 */
export {
  cloneWeights,
  countParams,
  headParamSpecs,
  type HeadWeights,
  initHeadWeights,
  paramTensors,
  sameHeadConfig,
  shapeSize,
  validateWeights,
} from "./params.ts";
export type { AnyTensor, Grads, LinearLayer, ParamInit, ParamSpec, ParamTensors } from "./specs.ts";
export {
  BRANCH_MODULES,
  type BranchLayout,
  type BranchModules,
  type FusionLayout,
  type HeadLayout,
  headLayout,
} from "./layout.ts";
export { drawDropoutMask, type Matrix, NORM_EPS, type Normalized } from "./layers.ts";
export { type ProjectionLayout, projectionSpecs, type ProjectionTape } from "./projection.ts";
export type { PreOutputLayout, PreOutputTape } from "./pre_output.ts";
export type { ClassifierLayout, ClassifierTape } from "./classifier.ts";
export { type AdapterLayout, adapterSpecs, type AdapterTape } from "./adapter.ts";
export { fusedDim, type FusionTape, usesImage, usesText } from "./fusion.ts";
export { type BranchTape, headBackward, headForward, type HeadTape } from "./head.ts";
export { type HeadMeta, loadHead, SafetensorsError, saveHead } from "./head_file.ts";
export {
  headForwardSource,
  headStageParams,
  pipelineDiagram,
  type PipelineDiagramOptions,
  type StageParams,
} from "./anatomy.ts";
export {
  type ActivationOptions,
  type BranchActivations,
  type HeadActivations,
  headActivations,
} from "./inspect.ts";
