/**
 * What datasets are available here: each description's tasks and classes, its annotation files
 * found or not, the split sizes of what loads, the images present, and what is missing. The value
 * behind `deno task datasets`.
 *
 * @module
 */
import { join, relative } from "node:path";
import { UsageError } from "../config/mod.ts";
import { decodeCsvBytes } from "./_csv.ts";
import { fieldGetter, readRecords } from "./_records.ts";
import { chooseSplits, type Dataset, datasetTaskView, loadDataset } from "./dataset.ts";
import { type DatasetDescription, isCarved, type Split, SPLITS } from "./description.ts";
import { DataError } from "./data_error.ts";
import { type DatasetLocation, defaultLocation } from "./location.ts";
import { datasetPreset, PRESET_NAMES } from "./presets.ts";

/** One annotation file of a description, as found here. */
export interface FileListing {
  /** Its path in the description. */
  readonly file: string;
  /** Where it was looked for. */
  readonly path: string;
  /** The description's splits it holds. */
  readonly splits: readonly string[];
  /** Whether it exists. */
  readonly present: boolean;
  /** Its rows, when present and readable. */
  readonly rows?: number;
  /** Whether any row has a label, when present and readable. */
  readonly labelled?: boolean;
  /** Why it could not be read, when present but not readable. */
  readonly problem?: string;
}

/** One dataset: its description, files, split sizes, images and what is missing. */
export interface DatasetListing {
  /** The description. */
  readonly description: DatasetDescription;
  /** Where it was looked for. */
  readonly location: DatasetLocation;
  /** Every annotation file the description names. */
  readonly files: readonly FileListing[];
  /** The dataset as loaded, when it loads (splits without labels allowed). */
  readonly dataset?: Dataset;
  /** Examples per task and split, when it loads. */
  readonly examples?: Readonly<Record<string, Readonly<Record<Split, number>>>>;
  /** Images of the loaded memes: present and missing (a `stat` each). */
  readonly images?: {
    readonly present: number;
    readonly missing: number;
    /** The first missing image's path, if any. */
    readonly firstMissing?: string;
  };
  /** What stops it from being used as described, one line each (empty: nothing). */
  readonly missing: readonly string[];
}

/** Options of {@linkcode describeDatasets}. */
export interface DescribeOptions {
  /** The descriptions to list; default every preset. */
  readonly descriptions?: readonly DatasetDescription[];
  /** Where each is, by name; default {@linkcode defaultLocation}. */
  readonly locations?: Readonly<Record<string, DatasetLocation>>;
  /** Check that every image exists (a `stat` each); default true. */
  readonly checkImages?: boolean;
}

/** Lists datasets: the presets by default, each where it is looked for by default. */
export async function describeDatasets(opts: DescribeOptions = {}): Promise<DatasetListing[]> {
  const descriptions = opts.descriptions ?? PRESET_NAMES.map((n) => datasetPreset(n));
  const listings: DatasetListing[] = [];
  for (const desc of descriptions) {
    const location = opts.locations?.[desc.name] ?? defaultLocation(desc.name);
    listings.push(await describeOne(desc, location, opts.checkImages ?? true));
  }
  return listings;
}

async function describeOne(
  desc: DatasetDescription,
  location: DatasetLocation,
  checkImages: boolean,
): Promise<DatasetListing> {
  const files: FileListing[] = [];
  for (const [name, source] of Object.entries(desc.splits)) {
    if (isCarved(source)) continue;
    const known = files.find((f) => f.file === source.file);
    if (known !== undefined) {
      (known.splits as string[]).push(name);
      continue;
    }
    files.push(await describeFile(desc, source.file, [name], location));
  }
  const missing: string[] = [];
  const use = chooseSplits(desc);
  for (const role of SPLITS) {
    const source = desc.splits[use[role]];
    const base = isCarved(source) ? source.from : use[role];
    const file = files.find((f) => f.splits.includes(base))!;
    if (!file.present) missing.push(`${role} split ${use[role]}: ${file.path} not found`);
    else if (file.labelled === false) {
      missing.push(`${role} split ${use[role]}: ${file.file} has no labels (choose another split)`);
    }
  }
  let dataset: Dataset | undefined;
  if (missing.length === 0) {
    try {
      dataset = await loadDataset(desc, location.root, {
        files: location.files,
        imageDir: location.imageDir,
        allowUnlabelled: true,
      });
    } catch (e) {
      if (!(e instanceof DataError || e instanceof UsageError)) throw e;
      missing.push(e.message);
    }
  }
  let examples: Record<string, Record<Split, number>> | undefined;
  let images: DatasetListing["images"];
  if (dataset !== undefined) {
    const ds = dataset;
    examples = Object.fromEntries(
      ds.tasks.map((t) => [
        t.name,
        Object.fromEntries(
          SPLITS.map((s) => [s, datasetTaskView(ds, t.name, s).memes.length]),
        ) as Record<Split, number>,
      ]),
    );
    if (checkImages) {
      const found = await imagesPresent(ds.memes.map((m) => m.image));
      const absent = ds.memes.filter((_, i) => !found[i]);
      images = {
        present: ds.memes.length - absent.length,
        missing: absent.length,
        ...(absent.length === 0 ? {} : { firstMissing: absent[0].image }),
      };
      if (absent.length > 0) {
        missing.push(
          `images: ${count(absent.length)} of ${count(ds.memes.length)} not found (the first: ${
            absent[0].image
          })`,
        );
      }
    }
  }
  return { description: desc, location, files, dataset, examples, images, missing };
}

async function describeFile(
  desc: DatasetDescription,
  file: string,
  splits: string[],
  location: DatasetLocation,
): Promise<FileListing> {
  const path = location.files?.[file] ?? join(location.root, file);
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch {
    return { file, path, splits, present: false };
  }
  try {
    const table = readRecords(decodeCsvBytes(bytes, path, desc.encoding), path, desc);
    const getters = desc.tasks.map((t) => fieldGetter(t.field, table));
    const labelled = getters.some((g) =>
      g !== null && table.records.some((r) => {
        const v = g(r.value);
        return v !== undefined && v !== null && v !== "";
      })
    );
    return { file, path, splits, present: true, rows: table.records.length, labelled };
  } catch (e) {
    if (!(e instanceof DataError)) throw e;
    return { file, path, splits, present: true, problem: e.message };
  }
}

const count = (x: number) => x.toLocaleString("en-US");

/** Whether each path is a file (a `stat` each, 64 at a time). */
async function imagesPresent(paths: readonly string[]): Promise<boolean[]> {
  const found: boolean[] = [];
  const batch = 64;
  for (let start = 0; start < paths.length; start += batch) {
    found.push(
      ...await Promise.all(
        paths.slice(start, start + batch).map((p) =>
          Deno.stat(p).then((s) => s.isFile, () => false)
        ),
      ),
    );
  }
  return found;
}

/**
 * Formats listings as plain text: per dataset its title, folder, tasks with classes (and prompt
 * names where they differ), the splits in use with their sizes, every annotation file, the images
 * and what is missing.
 */
export function formatDatasetListings(listings: readonly DatasetListing[]): string {
  const n = (x: number) => x.toLocaleString("en-US");
  const blocks = listings.map((l) => {
    const d = l.description;
    const lines = [`${d.name}: ${d.title}`, `  folder   ${l.location.root}`];
    d.tasks.forEach((t, i) => {
      const rows = t.rows === undefined ? "" : `, ${t.rows.noun}s only`;
      const sizes = l.examples === undefined
        ? ""
        : ` — ${SPLITS.map((s) => `${s} ${n(l.examples![t.name][s])}`).join(", ")}`;
      lines.push(
        `${
          i === 0 ? "  tasks    " : "           "
        }${t.name} (${t.classes.length} classes${rows})${sizes}`,
      );
      lines.push(`             classes: ${t.classes.join(" | ")}`);
      if (t.prompts.some((p, c) => p !== t.classes[c])) {
        lines.push(`             prompts: ${t.prompts.join(" | ")}`);
      }
    });
    const ds = l.dataset;
    const use = ds?.description.use ?? d.use;
    SPLITS.forEach((role, i) => {
      const info = ds?.splits[role];
      const source = d.splits[use[role]];
      const how = isCarved(source)
        ? ` (carved from ${source.from}: ${
          source.count ?? `${source.fraction! * 100} %`
        }, seed ${source.seed}, stratified on ${source.stratify})`
        : "";
      const size = info === undefined
        ? ""
        : `: ${n(info.memes)} ${info.memes === 1 ? "meme" : "memes"}${
          info.labelled ? "" : ", no labels"
        }`;
      lines.push(`${i === 0 ? "  splits   " : "           "}${role} = ${use[role]}${size}${how}`);
    });
    l.files.forEach((f, i) => {
      const shown = relative(l.location.root, f.path).startsWith("..") ? f.path : f.file;
      const state = !f.present
        ? "not found"
        : f.problem !== undefined
        ? f.problem
        : `${n(f.rows!)} rows${f.labelled ? "" : ", no labels"}`;
      lines.push(
        `${i === 0 ? "  files    " : "           "}${shown} (${f.splits.join(", ")}): ${state}`,
      );
    });
    const drops = ds === undefined ? [] : Object.entries(ds.drops).flatMap(([task, d]) => {
      const parts = [
        ...(d.skipped > 0 ? [`${n(d.skipped)} rows without a label skipped`] : []),
        ...(d.ignored > 0 ? [`${n(d.ignored)} labels outside its rows ignored`] : []),
      ];
      return parts.length === 0 ? [] : [`${task}: ${parts.join(", ")}`];
    });
    drops.forEach((line, i) => lines.push(`${i === 0 ? "  drops    " : "           "}${line}`));
    if (l.images !== undefined) {
      lines.push(
        `  images   ${n(l.images.present)} of ${
          n(l.images.present + l.images.missing)
        } found (default folder ${ds!.imageDir})`,
      );
    }
    lines.push(
      l.missing.length === 0
        ? "  ready"
        : l.missing.map((m, i) => `${i === 0 ? "  missing  " : "           "}${m}`).join("\n"),
    );
    return lines.join("\n");
  });
  return blocks.join("\n\n");
}
