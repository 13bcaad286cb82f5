/**
 * PrideMM on top of the generic store: the memes as extraction items, and loaded features split
 * into train / val / test for training.
 *
 * @module
 */
import {
  imagePath,
  loadPrideMM,
  type Meme,
  type PrideMM,
  type Split,
  SPLITS,
} from "../data/mod.ts";
import { sha256Hex } from "../util/mod.ts";
import {
  extractFeatures,
  type ExtractOptions,
  type ExtractResult,
  type FeatureItem,
} from "./extract.ts";
import { type LoadedFeatures, selectRows } from "./store.ts";

/** The memes of a dataset as extraction items, in CSV order. */
export function pridemmItems(ds: PrideMM): FeatureItem[] {
  return ds.memes.map((m) => ({ name: m.name, imagePath: imagePath(ds, m), text: m.text }));
}

/** Loads the CSV, hashes it and extracts (or finds) its features. */
export async function extractPrideMM(
  csvPath: string,
  opts: Omit<ExtractOptions, "items" | "datasetHash"> & { readonly imageDir?: string } = {},
): Promise<ExtractResult & { readonly dataset: PrideMM }> {
  const dataset = await loadPrideMM(csvPath, { imageDir: opts.imageDir });
  const datasetHash = await sha256Hex({ path: dataset.csvPath });
  const result = await extractFeatures({ ...opts, items: pridemmItems(dataset), datasetHash });
  return { ...result, dataset };
}

/** The features of one split, rows in dataset order. */
export interface SplitFeatures {
  /** Dataset indices of the split's memes. */
  readonly rows: Int32Array;
  readonly memes: readonly Meme[];
  /** `rows.length × dim`. */
  readonly image: Float32Array;
  /** `rows.length × textDim`. */
  readonly text: Float32Array;
  /** 1 where the image was read. */
  readonly imageOk: Uint8Array;
}

/**
 * Splits loaded features by the dataset's `split` column. Throws when the store was extracted
 * for a different list of memes.
 */
export function featuresBySplit(f: LoadedFeatures, ds: PrideMM): Record<Split, SplitFeatures> {
  if (f.count !== ds.memes.length || ds.memes.some((m, i) => f.names[i] !== m.name)) {
    const i = ds.memes.findIndex((m, k) => f.names[k] !== m.name);
    throw new Error(
      `feature store ${f.dir} does not match ${ds.csvPath}: ${f.count} vs ${ds.memes.length} memes` +
        (i >= 0 ? `, row ${i} is ${f.names[i]} vs ${ds.memes[i].name}` : ""),
    );
  }
  const out = {} as Record<Split, SplitFeatures>;
  for (const split of SPLITS) {
    const memes = ds.memes.filter((m) => m.split === split);
    const rows = Int32Array.from(memes, (m) => m.index);
    out[split] = { rows, memes, ...selectRows(f, rows) };
  }
  return out;
}
