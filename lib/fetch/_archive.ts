/**
 * The PrideMM release archive: find the annotation CSV and the images it names inside the zip,
 * verify them, and unpack them into the `data/PrideMM/` layout.
 *
 * The archive's inner layout is not assumed: the CSV is whichever `.csv` has the PrideMM columns,
 * and each image is found by its file name wherever it sits. Output paths come from the CSV's
 * validated names only, never from paths inside the archive.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { PRIDEMM_IMAGES_FOLDER } from "../config/mod.ts";
import { Progress, writeFileAtomic } from "../util/mod.ts";
import {
  hasPrideMMColumns,
  type Meme,
  missingImagesReport,
  parsePrideMM,
  type PrideMM,
  PRIDEMM_COLUMNS,
} from "../data/mod.ts";
import { type ZipEntry, type ZipReader } from "./_zip.ts";

/** What an archive lacks: the annotation CSV, a unique one, or images the CSV names. */
export type ArchiveProblem = "no-csv" | "ambiguous-csv" | "missing-images";

/** The archive lacks what a PrideMM release must contain. */
export class ArchiveError extends Error {
  /** Creates the error; the message starts with the archive path. */
  constructor(readonly archive: string, readonly problem: ArchiveProblem, detail: string) {
    super(`${archive}: ${detail}`);
    this.name = "ArchiveError";
  }
}

/** What a PrideMM archive holds. */
export interface ArchiveContents {
  /** Path of the archive. */
  readonly archive: string;
  /** The annotation CSV's entry. */
  readonly csvEntry: ZipEntry;
  /** The CSV's bytes, unpacked as they are. */
  readonly csvBytes: Uint8Array;
  /** The validated annotations (`csvPath` is `archive!entry`). */
  readonly dataset: PrideMM;
  /** The image entry for each meme name that has one. */
  readonly images: ReadonlyMap<string, ZipEntry>;
  /** Memes whose image the archive lacks, in CSV order. */
  readonly missing: readonly Meme[];
  /** Files in the archive that are neither the CSV nor a named image (left out when unpacking). */
  readonly unused: number;
}

/** Names tools add beside real content: macOS resource forks and their `__MACOSX/` folder. */
function isJunk(name: string): boolean {
  return name.startsWith("__MACOSX/") || basename(name).startsWith("._");
}

/**
 * Finds the CSV with the PrideMM columns, validates it (a {@linkcode DataError} names the entry,
 * line and field) and matches every meme to an image entry. Throws {@linkcode ArchiveError} when
 * there is no such CSV or more than one.
 */
export async function inspectArchive(zip: ZipReader, archive: string): Promise<ArchiveContents> {
  const files = zip.entries.filter((e) => !e.isDirectory && !isJunk(e.name));
  const csvs = files.filter((e) => e.name.toLowerCase().endsWith(".csv"));
  const candidates: { entry: ZipEntry; bytes: Uint8Array }[] = [];
  for (const entry of csvs) {
    const bytes = await zip.read(entry);
    if (hasPrideMMColumns(new TextDecoder().decode(bytes), entry.name)) {
      candidates.push({ entry, bytes });
    }
  }
  if (candidates.length === 0) {
    throw new ArchiveError(
      archive,
      "no-csv",
      `no CSV with the columns ${PRIDEMM_COLUMNS.join(", ")} (CSV files in the archive: ${
        csvs.length ? csvs.map((e) => e.name).join(", ") : "none"
      })`,
    );
  }
  let chosen = candidates;
  if (chosen.length > 1) {
    chosen = candidates.filter((c) => basename(c.entry.name).toLowerCase() === "pridemm.csv");
  }
  if (chosen.length !== 1) {
    throw new ArchiveError(
      archive,
      "ambiguous-csv",
      `several annotation CSVs, cannot tell which to use: ${
        candidates.map((c) => c.entry.name).join(", ")
      }`,
    );
  }
  const { entry: csvEntry, bytes: csvBytes } = chosen[0];
  const dataset = parsePrideMM(
    new TextDecoder().decode(csvBytes),
    `${archive}!${csvEntry.name}`,
    `${archive}!${dirname(csvEntry.name)}/${PRIDEMM_IMAGES_FOLDER}`,
  );

  const byName = new Map<string, ZipEntry[]>();
  for (const e of files) {
    const list = byName.get(basename(e.name)) ?? [];
    list.push(e);
    byName.set(basename(e.name), list);
  }
  // A name found in several folders goes to the folder most of the unambiguous images are in.
  const folderVotes = new Map<string, number>();
  for (const m of dataset.memes) {
    const found = byName.get(m.name);
    if (found?.length === 1) {
      const folder = dirname(found[0].name);
      folderVotes.set(folder, (folderVotes.get(folder) ?? 0) + 1);
    }
  }
  const images = new Map<string, ZipEntry>();
  const missing: Meme[] = [];
  for (const m of dataset.memes) {
    const found = byName.get(m.name) ?? [];
    if (found.length === 0) {
      missing.push(m);
      continue;
    }
    const best = found.reduce((a, b) =>
      (folderVotes.get(dirname(b.name)) ?? 0) > (folderVotes.get(dirname(a.name)) ?? 0) ? b : a
    );
    images.set(m.name, best);
  }
  return {
    archive,
    csvEntry,
    csvBytes,
    dataset,
    images,
    missing,
    unused: files.length - 1 - images.size,
  };
}

/** Options for {@linkcode unpackArchive}. */
export interface UnpackOptions {
  /** Unpack even if images are missing (they are listed in `missing_images.csv`). */
  readonly allowMissingImages?: boolean;
  /** Progress output; `null` for silence (default: stderr). */
  readonly progressWrite?: ((line: string) => void) | null;
}

/** Where {@linkcode unpackArchive} put the dataset. */
export interface UnpackResult {
  /** `<outDir>/PrideMM.csv`. */
  readonly csvPath: string;
  /** `<outDir>/Images`. */
  readonly imageDir: string;
  /** Memes in the CSV. */
  readonly memes: number;
  /** Images written. */
  readonly images: number;
  /** Memes whose image the archive lacked. */
  readonly missing: number;
  /** Path of the missing-images report, when images were missing. */
  readonly missingReport?: string;
}

/**
 * Writes `<outDir>/Images/<name>` for every meme (each entry's size and CRC-32 checked) and then
 * `<outDir>/PrideMM.csv`. Images go to a staging folder renamed into place at the end, and the CSV
 * is written last, so an interrupted unpack never looks complete. Throws {@linkcode ArchiveError}
 * if images are missing (unless allowed) and {@linkcode ZipError} for a damaged entry.
 */
export async function unpackArchive(
  zip: ZipReader,
  contents: ArchiveContents,
  outDir: string,
  opts: UnpackOptions = {},
): Promise<UnpackResult> {
  const { missing, dataset } = contents;
  if (missing.length > 0 && !opts.allowMissingImages) {
    const shown = missing.slice(0, 5).map((m) => `${m.name} (line ${m.line})`).join(", ");
    throw new ArchiveError(
      contents.archive,
      "missing-images",
      `the CSV names ${missing.length} of ${dataset.memes.length} images that the archive lacks: ${shown}${
        missing.length > 5 ? ", …" : ""
      }`,
    );
  }
  await Deno.mkdir(outDir, { recursive: true });
  const imageDir = join(outDir, PRIDEMM_IMAGES_FOLDER);
  const staging = `${imageDir}.partial`;
  await Deno.remove(staging, { recursive: true }).catch(() => {});
  await Deno.mkdir(staging);
  const progress = new Progress({
    label: "unpacking images",
    total: contents.images.size,
    unit: "images",
    write: opts.progressWrite,
  });
  try {
    for (const m of dataset.memes) {
      const entry = contents.images.get(m.name);
      if (!entry) continue;
      await Deno.writeFile(join(staging, m.name), await zip.read(entry));
      progress.tick();
    }
  } catch (e) {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
    throw e;
  }
  progress.finish();
  await Deno.remove(imageDir, { recursive: true }).catch(() => {});
  await Deno.rename(staging, imageDir);
  const reportPath = join(outDir, "missing_images.csv");
  const csvPath = join(outDir, "PrideMM.csv");
  const unpacked: PrideMM = { ...dataset, csvPath, imageDir };
  if (missing.length > 0) {
    await writeFileAtomic(reportPath, missingImagesReport(unpacked, missing));
  } else {
    await Deno.remove(reportPath).catch(() => {});
  }
  await writeFileAtomic(csvPath, contents.csvBytes);
  return {
    csvPath,
    imageDir,
    memes: dataset.memes.length,
    images: contents.images.size,
    missing: missing.length,
    missingReport: missing.length > 0 ? reportPath : undefined,
  };
}
