/**
 * PrideMM on top of the generic store: the memes as extraction items, and loaded features split
 * into train / val / test for training.
 *
 * @module
 */
import { imagePath, loadPrideMM, type PrideMM, type Split, SPLITS } from "../data/mod.ts";
import { sha256Hex } from "../util/mod.ts";
import {
  consolidateFeatures,
  extractFeatures,
  type ExtractOptions,
  type ExtractResult,
} from "./extract.ts";
import type { FeatureItem } from "./_inspect.ts";
import { type FeatureTable, selectRows, type StoreManifest } from "./store.ts";

/** The memes of a dataset as extraction items, in CSV order. */
export function pridemmItems(ds: PrideMM): FeatureItem[] {
  return ds.memes.map((m) => ({ name: m.name, imagePath: imagePath(ds, m), text: m.text }));
}

/** Options of {@linkcode extractPrideMM}: extraction options plus where the images are. */
export type PrideMMExtractOptions = Omit<ExtractOptions, "items" | "datasetHash" | "imageDir"> & {
  /** Image directory; default `Images/` beside the CSV. */
  readonly imageDir?: string;
  /** The CSV's text encoding (default `utf-8`, strict). */
  readonly encoding?: string;
};

async function pridemmOptions(
  csvPath: string,
  opts: PrideMMExtractOptions,
): Promise<{ dataset: PrideMM; options: ExtractOptions }> {
  const dataset = await loadPrideMM(csvPath, { imageDir: opts.imageDir, encoding: opts.encoding });
  const datasetHash = await sha256Hex({ path: dataset.csvPath });
  const { encoding: _, ...rest } = opts;
  return {
    dataset,
    options: {
      ...rest,
      items: pridemmItems(dataset),
      datasetHash,
      textEncoding: opts.encoding ?? "utf-8",
      imageDir: dataset.imageDir,
    },
  };
}

/**
 * Loads the CSV, hashes it and extracts (or finds, or brings up to date) its features; with
 * `shard`, only that shard's memes.
 */
export async function extractPrideMM(
  csvPath: string,
  opts: PrideMMExtractOptions = {},
): Promise<ExtractResult & { readonly dataset: PrideMM }> {
  const { dataset, options } = await pridemmOptions(csvPath, opts);
  const result = await extractFeatures(options);
  return { ...result, dataset };
}

/** Consolidates a PrideMM store once every shard has been extracted (see `consolidateFeatures`). */
export async function consolidatePrideMM(
  csvPath: string,
  opts: PrideMMExtractOptions = {},
): Promise<StoreManifest> {
  const { options } = await pridemmOptions(csvPath, opts);
  return await consolidateFeatures(options);
}

/**
 * Splits a dataset's feature table (rows in dataset order, as a store holds it) by the dataset's
 * `split` column: each split's rows in dataset order, with no labels and no row left out (see
 * `taskData` in lib/experiment for a task's labelled training inputs). Throws when the table was
 * extracted for a different list of memes.
 */
export function featuresBySplit(f: FeatureTable, ds: PrideMM): Record<Split, FeatureTable> {
  if (f.n !== ds.memes.length || ds.memes.some((m, i) => f.names[i] !== m.name)) {
    const i = ds.memes.findIndex((m, k) => f.names[k] !== m.name);
    throw new Error(
      `features do not match ${ds.csvPath}: ${f.n} vs ${ds.memes.length} memes` +
        (i >= 0 ? `, row ${i} is ${f.names[i]} vs ${ds.memes[i].name}` : ""),
    );
  }
  const out = {} as Record<Split, FeatureTable>;
  for (const split of SPLITS) {
    const rows = ds.memes.filter((m) => m.split === split).map((m) => m.index);
    out[split] = selectRows(f, rows);
  }
  return out;
}
