/**
 * Where a dataset's files are: its folder, annotation files kept elsewhere (PrideMM's CSV named
 * by itself) and its images folder — by default, or from what `--data` and `--images` name.
 *
 * @module
 */
import { dirname, extname, resolve } from "node:path";
import { defaultDatasetRoot, pridemmCsvSetting, UsageError } from "../config/mod.ts";
import type { DatasetDescription } from "./description.ts";

/** Where to look for one dataset. */
export interface DatasetLocation {
  /** The dataset's folder. */
  readonly root: string;
  /** Annotation files not under the root, by their path in the description. */
  readonly files?: Readonly<Record<string, string>>;
  /** The images folder, when not the description's under the root. */
  readonly imageDir?: string;
}

/**
 * Where a dataset is looked for by default: `data/<name>/` in the repository (the generated set,
 * `synthetic`: its folder in the cache); for PrideMM the CSV `pridemmCsvSetting` finds, with
 * `Images/` beside it.
 */
export function defaultLocation(name: string): DatasetLocation {
  if (name === "pridemm") {
    const csv = pridemmCsvSetting().value;
    if (csv !== null) return { root: dirname(csv), files: { "PrideMM.csv": resolve(csv) } };
  }
  return { root: defaultDatasetRoot(name) };
}

/** The annotation files a description names, each once, in the order its splits name them. */
export function annotationFiles(desc: DatasetDescription): string[] {
  return [...new Set(Object.values(desc.splits).flatMap((s) => "file" in s ? [s.file] : []))];
}

/** File endings taken for an annotation file when `--data` names a path that does not exist. */
const ANNOTATION_ENDINGS = [".csv", ".tsv", ".jsonl", ".json", ".txt"];

/**
 * The location `--data` and `--images` name for `desc` (resolved against `cwd`): `data` is the
 * dataset's folder, or — for a description with one annotation file, such as PrideMM's CSV —
 * that file, the folder being the file's. Absent, the default ({@linkcode defaultLocation}).
 * Throws `UsageError` when `data` is a file but the description reads several. A path that does
 * not exist is taken as it is meant (a file by its ending, else a folder): loading then names
 * the annotation file that is missing.
 */
export async function locateDataset(
  desc: DatasetDescription,
  given: { readonly data?: string; readonly images?: string },
  cwd: string = Deno.cwd(),
): Promise<DatasetLocation> {
  let location = defaultLocation(desc.name);
  if (given.data !== undefined) {
    const data = resolve(cwd, given.data);
    const files = annotationFiles(desc);
    const stat = await Deno.stat(data).catch(() => null);
    const isFile = stat?.isFile ??
      ANNOTATION_ENDINGS.includes(extname(data).toLowerCase());
    if (isFile && files.length !== 1) {
      throw new UsageError(
        `--data ${given.data}: ${desc.title} reads ${files.length} annotation files ` +
          `(${files.join(", ")}); name the dataset's folder`,
      );
    }
    location = isFile ? { root: dirname(data), files: { [files[0]]: data } } : { root: data };
  }
  if (given.images !== undefined) location = { ...location, imageDir: resolve(cwd, given.images) };
  return location;
}
