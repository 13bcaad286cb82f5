/**
 * `deno task fetch-data`: download the PrideMM release, verify it and unpack it into
 * `data/PrideMM/` (`PrideMM.csv` + `Images/`).
 *
 * @module
 */
import { join } from "node:path";
import { ArchiveError, inspectArchive, unpackArchive } from "./_archive.ts";
import { DownloadError, downloadResumable } from "./_download.ts";
import { DEFAULT_DATA_DIR, PRIDEMM_IMAGES_FOLDER } from "../config/mod.ts";
import { checkImages, DataError, loadPrideMM } from "../data/mod.ts";
import { ZipError, ZipReader } from "./_zip.ts";
import { exists } from "../util/mod.ts";

/** The Google Drive file of the PrideMM release, linked from the MemeCLIP README. */
export const PRIDEMM_DRIVE_ID = "17WozXiXfq44Z6kkWsPPDHRzqIH2daUaQ";

/** The file's page, for downloading by hand in a browser. */
export const PRIDEMM_VIEW_URL = `https://drive.google.com/file/d/${PRIDEMM_DRIVE_ID}/view`;

/**
 * The direct download URL. `confirm=t` skips Drive's "too large to scan for viruses" page; should
 * Drive still answer with that page, its form is followed.
 */
export const PRIDEMM_URL =
  `https://drive.usercontent.google.com/download?id=${PRIDEMM_DRIVE_ID}&export=download&confirm=t`;

/** Why fetching failed: the network, the file (gone, private, quota), or a bad archive. */
export type FetchFailure = "network" | "unavailable" | "corrupt";

/** Fetching did not produce a verified dataset. */
export class FetchError extends Error {
  /** Creates the error. */
  constructor(readonly kind: FetchFailure, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "FetchError";
  }
}

/** Options for {@linkcode fetchPrideMM}. */
export interface FetchOptions {
  /** Source URL (default {@linkcode PRIDEMM_URL}). */
  readonly url?: string;
  /** Destination (default `<repo>/data/PrideMM`). */
  readonly outDir?: string;
  /** Use this already-downloaded archive instead of downloading (it is never deleted). */
  readonly archive?: string;
  /** Fetch and unpack even if a complete dataset is already there. */
  readonly force?: boolean;
  /** Keep the downloaded `PrideMM.zip` after unpacking (default: delete it). */
  readonly keepArchive?: boolean;
  /** Unpack although the archive lacks some images (listed in `missing_images.csv`). */
  readonly allowMissingImages?: boolean;
  /** Network attempts before giving up (default 5). */
  readonly attempts?: number;
  /** First retry delay in ms, doubled per retry (default 1000). */
  readonly retryDelayMs?: number;
  /** Status messages (default: stderr). */
  readonly log?: (line: string) => void;
  /** Progress output; `null` for silence (default: stderr). */
  readonly progressWrite?: ((line: string) => void) | null;
}

/** What {@linkcode fetchPrideMM} produced. */
export interface FetchResult {
  /** `<outDir>/PrideMM.csv`. */
  readonly csvPath: string;
  /** `<outDir>/Images`. */
  readonly imageDir: string;
  /** Memes in the CSV. */
  readonly memes: number;
  /** Images on disk. */
  readonly images: number;
  /** Memes whose image is missing (listed in `<outDir>/missing_images.csv`). */
  readonly missing: number;
  /** True when a complete dataset was already there and nothing was done. */
  readonly alreadyPresent: boolean;
  /** Bytes downloaded in this run (0 when nothing was downloaded). */
  readonly downloadedBytes: number;
}

/**
 * Makes `<outDir>` hold a verified PrideMM: skips the work if it already does, else downloads the
 * archive (resumably, into `<outDir>/PrideMM.zip.part`), verifies it (a CSV with the PrideMM
 * columns whose rows validate, every image it names present, each entry's CRC-32) and unpacks it.
 * A damaged download is deleted so the next run starts afresh. Throws {@linkcode FetchError}.
 */
export async function fetchPrideMM(opts: FetchOptions = {}): Promise<FetchResult> {
  const outDir = opts.outDir ?? DEFAULT_DATA_DIR;
  const log = opts.log ?? ((line: string) => console.error(line));
  const csvPath = join(outDir, "PrideMM.csv");
  const imageDir = join(outDir, PRIDEMM_IMAGES_FOLDER);

  if (!opts.force) {
    const present = await existingDataset(csvPath);
    // With --allow-missing-images, a dataset unpacked with its missing-images report is complete.
    const accepted = present !== null && present.missing > 0 && opts.allowMissingImages === true &&
      await isFile(join(outDir, "missing_images.csv"));
    if (present && (present.missing === 0 || accepted)) {
      log(
        `${csvPath}: ${present.memes} memes, ${
          present.missing
            ? `${present.missing} images missing (listed in missing_images.csv)`
            : "all images present"
        }; nothing to do (--force refetches)`,
      );
      return { csvPath, imageDir, ...present, alreadyPresent: true, downloadedBytes: 0 };
    }
    if (present) {
      log(`${csvPath}: ${present.missing} of ${present.memes} images missing; fetching again`);
    }
  }

  const created = !(await exists(outDir));
  await Deno.mkdir(outDir, { recursive: true });
  try {
    return await fetchInto(outDir, opts, log);
  } catch (e) {
    // A failed first fetch leaves no empty data folder behind (a partial download stays, to
    // be resumed): an empty folder would look like a dataset that is there.
    if (created) await Deno.remove(outDir).catch(() => {});
    throw e;
  }
}

async function fetchInto(
  outDir: string,
  opts: FetchOptions,
  log: (line: string) => void,
): Promise<FetchResult> {
  let archive = opts.archive;
  let downloadedBytes = 0;
  const downloaded = join(outDir, "PrideMM.zip");
  if (archive === undefined) {
    archive = downloaded;
    if (await isFile(downloaded)) {
      log(`using the archive already downloaded: ${downloaded}`);
    } else {
      const url = opts.url ?? PRIDEMM_URL;
      log(`downloading ${url}`);
      try {
        const r = await downloadResumable(url, downloaded, {
          attempts: opts.attempts,
          retryDelayMs: opts.retryDelayMs,
          log,
          progressWrite: opts.progressWrite,
        });
        downloadedBytes = r.bytes - r.resumedFrom;
        log(
          `downloaded ${r.bytes} bytes${r.resumedFrom ? ` (resumed from ${r.resumedFrom})` : ""}`,
        );
      } catch (e) {
        if (e instanceof DownloadError) throw new FetchError(e.kind, e.message, { cause: e });
        throw e;
      }
    }
  }

  let result;
  try {
    using zip = await ZipReader.open(archive);
    const contents = await inspectArchive(zip, archive);
    log(
      `verified ${contents.csvEntry.name}: ${contents.dataset.memes.length} memes, ${contents.images.size} images found${
        contents.missing.length ? `, ${contents.missing.length} missing` : ""
      }`,
    );
    result = await unpackArchive(zip, contents, outDir, {
      allowMissingImages: opts.allowMissingImages,
      progressWrite: opts.progressWrite,
    });
    if (contents.unused > 0) log(`left out ${contents.unused} archive files the CSV does not name`);
  } catch (e) {
    if (e instanceof ArchiveError && e.problem === "missing-images") {
      // The archive is intact, only incomplete: downloading it again would not help.
      throw new FetchError(
        "corrupt",
        `${e.message}\n(--allow-missing-images unpacks it anyway and lists them in missing_images.csv)`,
        { cause: e },
      );
    }
    if (e instanceof ZipError || e instanceof ArchiveError || e instanceof DataError) {
      let note = "";
      if (archive === downloaded) {
        await Deno.remove(downloaded).catch(() => {});
        note = "\n(the damaged download was deleted; run again to download it afresh)";
      }
      throw new FetchError("corrupt", `archive verification failed: ${e.message}${note}`, {
        cause: e,
      });
    }
    throw e;
  }
  if (archive === downloaded && !opts.keepArchive) await Deno.remove(downloaded);
  if (result.missingReport) {
    log(`${result.missing} memes have no image: listed in ${result.missingReport}`);
  }
  return {
    csvPath: result.csvPath,
    imageDir: result.imageDir,
    memes: result.memes,
    images: result.images,
    missing: result.missing,
    alreadyPresent: false,
    downloadedBytes,
  };
}

async function existingDataset(
  csvPath: string,
): Promise<{ memes: number; images: number; missing: number } | null> {
  if (!(await isFile(csvPath))) return null;
  try {
    const ds = await loadPrideMM(csvPath);
    const { present, missing } = await checkImages(ds);
    return { memes: ds.memes.length, images: present.length, missing: missing.length };
  } catch (e) {
    if (e instanceof DataError) return null; // a damaged CSV is replaced by the fetched one
    throw e;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** How to get the dataset by hand, for when the download is not possible. */
export function manualInstructions(outDir: string = DEFAULT_DATA_DIR): string {
  return [
    "To get PrideMM by hand (content warning: the memes include hateful and offensive content about",
    "LGBTQ+ people):",
    `  1. Open ${PRIDEMM_VIEW_URL} in a browser and download the archive.`,
    "  2. Let this tool verify and unpack it:",
    "       deno task fetch-data --archive /path/to/the/downloaded.zip",
    "     or unpack it yourself so that these exist:",
    `       ${join(outDir, "PrideMM.csv")}`,
    `       ${
      join(outDir, PRIDEMM_IMAGES_FOLDER)
    }/img_1.png, img_2.png, … (one file per name in the CSV)`,
  ].join("\n");
}
