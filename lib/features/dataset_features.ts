/**
 * A loaded dataset on top of the generic store: its memes as extraction items, its tasks' prompt
 * names, its identity as the store's dataset key; and loaded features split into train / val /
 * test.
 *
 * @module
 */
import { type Dataset, datasetPreset, type Split, SPLITS } from "../data/mod.ts";
import {
  consolidateFeatures,
  extractFeatures,
  type ExtractOptions,
  type ExtractResult,
} from "./extract.ts";
import type { FeatureItem } from "./_inspect.ts";
import { type FeatureTable, selectRows, type StoreManifest } from "./store.ts";

/** The memes of a dataset as extraction items, in dataset order. */
export function datasetItems(ds: Dataset): FeatureItem[] {
  return ds.memes.map((m) => ({ name: m.name, imagePath: m.image, text: m.text }));
}

/** Options of {@linkcode extractDataset}: extraction options less what the dataset gives. */
export type DatasetExtractOptions = Omit<
  ExtractOptions,
  "items" | "datasetHash" | "textEncoding" | "imageDir" | "prompts" | "formerDatasetHash"
>;

/**
 * The extraction options of a dataset: its memes, its identity (the store's dataset key), the
 * encoding its files were read with, its images folder and each task's prompt names. A store
 * built before datasets were described was keyed by the CSV's SHA-256 alone: for PrideMM's
 * layout and tasks (the `pridemm` preset), that store is still found.
 */
export function datasetExtractOptions(
  ds: Dataset,
  opts: DatasetExtractOptions = {},
): ExtractOptions {
  const files = ds.identity.files;
  const former = files.length === 1 && samePrideMMDescription(ds) ? files[0].sha256 : undefined;
  return {
    ...opts,
    items: datasetItems(ds),
    datasetHash: ds.identity.hash,
    textEncoding: ds.description.encoding,
    imageDir: ds.imageDir,
    prompts: Object.fromEntries(ds.tasks.map((t) => [t.name, t.prompts])),
    ...(former === undefined ? {} : { formerDatasetHash: former }),
  };
}

/** Whether a dataset was loaded with the `pridemm` preset as it is (its default splits). */
function samePrideMMDescription(ds: Dataset): boolean {
  const preset = datasetPreset("pridemm");
  const { encoding: _e, ...loaded } = ds.description;
  const { encoding: _p, ...described } = preset;
  return JSON.stringify(loaded) === JSON.stringify(described);
}

/**
 * Extracts (or finds, or brings up to date) the features of a loaded dataset's memes; with
 * `shard`, only that shard's memes.
 */
export async function extractDataset(
  ds: Dataset,
  opts: DatasetExtractOptions = {},
): Promise<ExtractResult> {
  return await extractFeatures(datasetExtractOptions(ds, opts));
}

/** Consolidates a dataset's store once every shard has been extracted (`consolidateFeatures`). */
export async function consolidateDataset(
  ds: Dataset,
  opts: DatasetExtractOptions = {},
): Promise<StoreManifest> {
  return await consolidateFeatures(datasetExtractOptions(ds, opts));
}

/**
 * Splits a dataset's feature table (rows in dataset order, as a store holds it) by split: each
 * split's rows in dataset order, with no labels and no row left out (see `taskData` in lib/run
 * for a task's labelled training inputs). Throws when the table was extracted for a different
 * list of memes.
 */
export function featuresBySplit(f: FeatureTable, ds: Dataset): Record<Split, FeatureTable> {
  if (f.n !== ds.memes.length || ds.memes.some((m, i) => f.names[i] !== m.name)) {
    const i = ds.memes.findIndex((m, k) => f.names[k] !== m.name);
    throw new Error(
      `features do not match ${ds.description.title} (${ds.root}): ${f.n} vs ` +
        `${ds.memes.length} memes` +
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
