/**
 * Writes a synthetic meme set in PrideMM's layout (`Images/` + `PrideMM.csv`), so the offline
 * demo, the tests and the notebooks run the same loader and pipeline as the real data.
 *
 * @module
 */
import { PRIDEMM_COLUMNS } from "../data/mod.ts";
import { defaultDatasetRoot } from "../config/mod.ts";
import { exists, Progress, writeFileAtomic, writeJsonAtomic } from "../util/mod.ts";
import { renderMemePng } from "./_draw.ts";
import { planSyntheticMemes, type SyntheticMeme } from "./_rules.ts";

/**
 * Version of the drawing and labelling rules. Part of the cache key: bump it whenever a change
 * alters the CSV or a single pixel, so cached sets are regenerated.
 */
export const SYNTHETIC_VERSION = 1;

/** Default number of memes (within the 300–600 the offline demo's time budget allows). */
export const DEFAULT_SYNTHETIC_COUNT = 480;
/** Default seed. */
export const DEFAULT_SYNTHETIC_SEED = 42;
/** Default image side in pixels (CLIP's input size, so no resampling blurs the signal). */
export const DEFAULT_SYNTHETIC_SIZE = 224;

/** Options for {@linkcode generateSyntheticMemes}. */
export interface SyntheticOptions {
  /** Number of memes (default 480). */
  readonly count?: number;
  /** Seed: equal seeds give byte-identical files (default 42). */
  readonly seed?: number;
  /** Image side in pixels (default 224). */
  readonly size?: number;
  /** Shows a progress line on stderr (default true). */
  readonly progress?: boolean;
}

/** Where a generated set lives. */
export interface SyntheticDataset {
  /** The set's root directory (holds `Images/`, `PrideMM.csv`, `synthetic.json`). */
  readonly dir: string;
  /** Path of the PrideMM-format annotation file. */
  readonly csvPath: string;
  /** Directory of the images named in the CSV's `name` column. */
  readonly imageDir: string;
  /** Number of memes. */
  readonly count: number;
}

/** The `synthetic.json` manifest written beside the CSV. */
export interface SyntheticManifest {
  /** Generator version: a set from another version is regenerated. */
  readonly version: number;
  /** Number of memes. */
  readonly count: number;
  /** Seed it was drawn with. */
  readonly seed: number;
  /** Image side in pixels. */
  readonly size: number;
}

/**
 * Formats memes as PrideMM.csv does: CRLF line ends, no quoting (captions never contain commas,
 * quotes or newlines, which is checked), `NA` as the target of benign memes.
 */
export function syntheticCsv(memes: readonly SyntheticMeme[]): string {
  const rows = [PRIDEMM_COLUMNS.join(",")];
  for (const m of memes) {
    if (/[,"\r\n]/.test(m.text)) throw new Error(`${m.name}: caption needs CSV quoting`);
    const target = m.target === null ? "NA" : String(m.target);
    rows.push([m.name, m.hate, target, m.stance, m.humour, m.split, m.text].join(","));
  }
  return rows.join("\r\n") + "\r\n";
}

/**
 * Generates the synthetic set into `outDir` (created if missing): `Images/img_<n>.png`,
 * `PrideMM.csv` and `synthetic.json`. Deterministic for a seed. Writes in place; use
 * {@linkcode ensureSyntheticMemes} for an atomic, cached copy.
 */
export async function generateSyntheticMemes(
  outDir: string,
  opts: SyntheticOptions = {},
): Promise<SyntheticDataset> {
  const { count, seed, size } = resolveOptions(opts);
  const memes = planSyntheticMemes(count, seed);
  const imageDir = `${outDir}/Images`;
  await Deno.mkdir(imageDir, { recursive: true });

  const progress = new Progress({
    label: "synthetic memes",
    total: count,
    unit: "memes",
    write: opts.progress === false ? null : undefined,
  });
  // sharp rasterises on libuv's thread pool: a few renders in flight keep both cores busy.
  let next = 0;
  const worker = async () => {
    while (next < memes.length) {
      const meme = memes[next++];
      await Deno.writeFile(`${imageDir}/${meme.name}`, await renderMemePng(meme, size));
      progress.tick();
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  progress.finish();

  const csvPath = `${outDir}/PrideMM.csv`;
  await writeFileAtomic(csvPath, syntheticCsv(memes));
  const manifest: SyntheticManifest = { version: SYNTHETIC_VERSION, count, seed, size };
  await writeJsonAtomic(`${outDir}/synthetic.json`, manifest);
  return { dir: outDir, csvPath, imageDir, count };
}

/**
 * Returns the cached synthetic set for these options, generating it first when missing or made
 * by another generator version. The default options live in `<cache>/synthetic`, others in
 * `<cache>/synthetic-n<count>-s<seed>-px<size>` (or `opts.dir`), the cache being
 * `cacheSetting()`'s. Generation goes to a temporary directory renamed into place, so a reader
 * never sees a half-written set and two processes racing to create it both end up with one
 * complete copy.
 */
export async function ensureSyntheticMemes(
  opts: SyntheticOptions & { readonly dir?: string } = {},
): Promise<SyntheticDataset> {
  const resolved = resolveOptions(opts);
  const dir = opts.dir ?? defaultSyntheticDir(resolved);
  const dataset = { dir, csvPath: `${dir}/PrideMM.csv`, imageDir: `${dir}/Images` };
  if (await isComplete(dir, resolved)) return { ...dataset, count: resolved.count };
  if (await isForeign(dir)) {
    // Checked before generating too, so a mistyped --out fails at once.
    throw new Error(`${dir} exists and is not a synthetic meme set; refusing to replace it`);
  }

  const parent = dir.slice(0, dir.lastIndexOf("/")) || "/";
  await Deno.mkdir(parent, { recursive: true });
  const tmp = `${dir}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    await generateSyntheticMemes(tmp, opts);
    if (await exists(dir)) {
      if (await isComplete(dir, resolved)) return { ...dataset, count: resolved.count };
      if (await isForeign(dir)) {
        throw new Error(`${dir} exists and is not a synthetic meme set; refusing to replace it`);
      }
      // A stale set (older generator or other options) is moved aside, then removed.
      const stale = `${tmp}.stale`;
      await Deno.rename(dir, stale);
      await Deno.remove(stale, { recursive: true });
    }
    try {
      await Deno.rename(tmp, dir);
    } catch (e) {
      if (!(await isComplete(dir, resolved))) throw e; // someone else finished first: fine
    }
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
  return { ...dataset, count: resolved.count };
}

/** The cache directory {@linkcode ensureSyntheticMemes} uses for these options. */
export function defaultSyntheticDir(opts: SyntheticOptions = {}): string {
  const { count, seed, size } = resolveOptions(opts);
  const isDefault = count === DEFAULT_SYNTHETIC_COUNT && seed === DEFAULT_SYNTHETIC_SEED &&
    size === DEFAULT_SYNTHETIC_SIZE;
  return `${defaultDatasetRoot("synthetic")}${isDefault ? "" : `-n${count}-s${seed}-px${size}`}`;
}

function resolveOptions(opts: SyntheticOptions): { count: number; seed: number; size: number } {
  const count = opts.count ?? DEFAULT_SYNTHETIC_COUNT;
  const seed = opts.seed ?? DEFAULT_SYNTHETIC_SEED;
  const size = opts.size ?? DEFAULT_SYNTHETIC_SIZE;
  if (!Number.isInteger(count) || count < 1) {
    throw new Error(`synthetic memes: count must be a positive integer, got ${count}`);
  }
  if (!Number.isInteger(seed) || seed < 0) {
    throw new Error(`synthetic memes: seed must be a non-negative integer, got ${seed}`);
  }
  if (!Number.isInteger(size) || size < 112) {
    throw new Error(
      `synthetic memes: size must be an integer ≥ 112 pixels (the caption must fit), got ${size}`,
    );
  }
  return { count, seed, size };
}

async function isComplete(
  dir: string,
  want: { count: number; seed: number; size: number },
): Promise<boolean> {
  try {
    const m = JSON.parse(await Deno.readTextFile(`${dir}/synthetic.json`)) as SyntheticManifest;
    return m.version === SYNTHETIC_VERSION && m.count === want.count && m.seed === want.seed &&
      m.size === want.size && await exists(`${dir}/PrideMM.csv`);
  } catch {
    return false;
  }
}

/** Whether `dir` exists, is not empty and holds no synthetic set (so must not be replaced). */
async function isForeign(dir: string): Promise<boolean> {
  if (!(await exists(dir)) || await exists(`${dir}/synthetic.json`)) return false;
  for await (const _ of Deno.readDir(dir)) return true;
  return false;
}
