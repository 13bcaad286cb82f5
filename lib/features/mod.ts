/**
 * The CLIP feature store: extract image embeddings and unprojected text features once per
 * (model, preprocessing, dataset), resumably and, on a cluster, in shards; re-extract only the
 * rows whose image changed; check every chunk's checksum; load them as typed arrays in dataset
 * order.
 *
 * ```ts
 * import { extractPrideMM, featuresBySplit, loadFeatures } from "./mod.ts";
 * const { key, dataset } = await extractPrideMM("data/PrideMM/PrideMM.csv", { model: "tiny" });
 * const features = await loadFeatures(key);
 * const { train, val, test } = featuresBySplit(features, dataset);
 * console.log(train.image.length / features.dim, "training memes");
 * ```
 *
 * @module
 */
export {
  CHUNK_ROWS,
  consolidateFeatures,
  extractFeatures,
  type ExtractOptions,
  type ExtractResult,
  type FeatureItem,
  MissingImagesError,
} from "./extract.ts";
export {
  FEATURE_STORE_FORMAT,
  featureStoreKey,
  type FeatureStoreKeyParts,
  modelContentHash,
  sha256File,
} from "./key.ts";
export {
  checkStoredFile,
  type ChunkEntry,
  featureStoreDir,
  FeatureStoreError,
  type FeatureTable,
  type ImageRecord,
  type LoadedFeatures,
  loadFeatures,
  type LoadFeaturesOptions,
  type PromptEmbeddings,
  readManifest,
  selectRows,
  type StoredFile,
  storedPrompts,
  type StoreIdentity,
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
} from "./stats.ts";
export {
  consolidatePrideMM,
  extractPrideMM,
  featuresBySplit,
  type PrideMMExtractOptions,
  pridemmItems,
} from "./pridemm.ts";
