/**
 * The CLIP feature store: extract image embeddings and unprojected text features once per
 * (model, preprocessing, dataset), resumably and, on a cluster, in shards; re-extract only the
 * rows whose image changed; check every chunk's checksum; load them as typed arrays in dataset
 * order.
 *
 * ```ts
 * import { extractPrideMM, loadFeatures } from "./mod.ts";
 * const { key, dataset } = await extractPrideMM("data/PrideMM/PrideMM.csv", { model: "tiny" });
 * const features = await loadFeatures(key); // rows in dataset order
 * console.log(features.n === dataset.memes.length, features.dim, features.textDim);
 * ```
 *
 * @module
 */
export {
  consolidateFeatures,
  extractFeatures,
  type ExtractOptions,
  type ExtractResult,
} from "./extract.ts";
export { type FeatureItem, MissingImagesError } from "./_inspect.ts";
export {
  type ChunkEntry,
  featureStoreDir,
  FeatureStoreError,
  type FeatureTable,
  type LoadedFeatures,
  loadFeatures,
  type LoadFeaturesOptions,
  type PromptEmbeddings,
  STORE_LAYOUT,
  type StoredFile,
  storedPrompts,
  type StoreIdentity,
  type StoreLayoutEntry,
  type StoreManifest,
} from "./store.ts";
export {
  cosineMatrix,
  describeValues,
  meanPairwiseCosine,
  pairedCosines,
  rowNorms,
  rowSums,
  type ValueSummary,
  zeroFraction,
} from "./feature_stats.ts";
export {
  consolidatePrideMM,
  extractPrideMM,
  type PrideMMExtractOptions,
} from "./pridemm_features.ts";
export type { ImageRecord } from "./_chunks.ts";
export type { FeatureStoreKeyParts } from "./_key.ts";
