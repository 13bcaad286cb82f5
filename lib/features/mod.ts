/**
 * The CLIP feature store: extract image embeddings and unprojected text features once per
 * (model, preprocessing, dataset), resumably and, on a cluster, in shards; re-extract only the
 * rows whose image changed; check every chunk's checksum; load them as typed arrays in dataset
 * order.
 *
 * ```ts
 * import { datasetPreset, loadDataset } from "../data/mod.ts";
 * import { extractDataset, loadFeatures } from "./mod.ts";
 * const dataset = await loadDataset(datasetPreset("harmeme"), "data/harmeme");
 * const { dir } = await extractDataset(dataset, { model: "tiny" });
 * const features = await loadFeatures(dir); // rows in dataset order
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
  consolidateDataset,
  type DatasetExtractOptions,
  datasetExtractOptions,
  datasetItems,
  extractDataset,
  featuresBySplit,
} from "./dataset_features.ts";
export type { ImageRecord } from "./_chunks.ts";
export type { FeatureStoreKeyParts } from "./_key.ts";
