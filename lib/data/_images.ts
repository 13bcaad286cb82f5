/**
 * Image presence: memes whose image file is missing are skipped *and counted*, and listed in a
 * report, never dropped silently.
 *
 * @module
 */
import { writeFileAtomic } from "../util/mod.ts";
import { imagePath, type Meme, type PrideMM } from "./pridemm.ts";

/** The memes split by whether their image file exists. */
export interface ImageCheck {
  /** Memes whose image is a readable file, in CSV order. */
  readonly present: Meme[];
  /** Memes whose image is absent (or not a regular file), in CSV order. */
  readonly missing: Meme[];
}

/** Checks every meme's image file (a `stat` each, 64 at a time). */
export async function checkImages(ds: PrideMM): Promise<ImageCheck> {
  const found = new Array<boolean>(ds.memes.length);
  const batch = 64;
  for (let start = 0; start < ds.memes.length; start += batch) {
    await Promise.all(
      ds.memes.slice(start, start + batch).map(async (m, k) => {
        found[start + k] = await isFile(imagePath(ds, m));
      }),
    );
  }
  return {
    present: ds.memes.filter((_, i) => found[i]),
    missing: ds.memes.filter((_, i) => !found[i]),
  };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return false;
    throw e;
  }
}

/** The dataset restricted to memes whose image exists; report `check.missing` alongside it. */
export function withImages(ds: PrideMM, check: ImageCheck): PrideMM {
  return Object.freeze({ ...ds, memes: Object.freeze([...check.present]) });
}

/** A one-line account of a check, e.g. `skipped 3 of 5063 memes whose image is missing`. */
export function describeImageCheck(check: ImageCheck): string {
  const total = check.present.length + check.missing.length;
  return check.missing.length === 0
    ? `all ${total} images present`
    : `skipped ${check.missing.length} of ${total} memes whose image is missing`;
}

/** The missing-images report as CSV text: `name,line,split,expected_path`, one row per meme. */
export function missingImagesReport(ds: PrideMM, missing: readonly Meme[]): string {
  const quote = (s: string) => /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  const rows = missing.map((m) =>
    [m.name, String(m.line), m.split, imagePath(ds, m)].map(quote).join(",")
  );
  return ["name,line,split,expected_path", ...rows].join("\n") + "\n";
}

/** Writes {@linkcode missingImagesReport} to `path` atomically. */
export function writeMissingImagesReport(
  path: string,
  ds: PrideMM,
  check: ImageCheck,
): Promise<void> {
  return writeFileAtomic(path, missingImagesReport(ds, check.missing));
}
