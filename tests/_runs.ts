/**
 * What the experiment-run tests share: the synthetic memes' inputs prepared once per test file,
 * a directory listing, and a cell file without its timings for comparing two runs.
 */
import { type ExperimentInputs, prepareInputs } from "../lib/run/mod.ts";
import { datasetFromFlags } from "../lib/experiment/mod.ts";
import { ensureSyntheticMemes } from "../lib/synthetic/mod.ts";

let cached: Promise<ExperimentInputs> | undefined;

/**
 * The generated memes with the tiny CLIP's features (extracted on first use), offline; prepared
 * once and shared by every test of the file.
 */
export function syntheticInputs(): Promise<ExperimentInputs> {
  cached ??= ensureSyntheticMemes().then((memes) =>
    csvInputs({ csv: memes.csvPath, images: memes.imageDir })
  );
  return cached;
}

/**
 * The tiny CLIP's features (extracted on first use, offline) of annotations in PrideMM's layout,
 * read as the `synthetic` dataset unless another is named.
 */
export async function csvInputs(opts: {
  readonly csv: string;
  readonly images: string;
  readonly dataset?: string;
  readonly cacheDir?: string;
  readonly log?: (line: string) => void;
}): Promise<ExperimentInputs> {
  const { dataset, source } = await datasetFromFlags(
    { dataset: opts.dataset ?? "synthetic", data: opts.csv, images: opts.images },
    { offline: true, cwd: Deno.cwd(), log: () => {} },
  );
  return await prepareInputs({
    dataset,
    source,
    model: "tiny",
    offline: true,
    cacheDir: opts.cacheDir,
    log: opts.log ?? (() => {}),
  });
}

/** The sorted names in `dir`; empty when it does not exist. */
export function listing(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  } catch {
    return [];
  }
}

/**
 * A cell file without its wall-clock timings (`seconds`, `evalSeconds`, …), which no two runs
 * share, nor its checksum, which covers them.
 */
export function withoutTimings(text: string): string {
  return JSON.stringify(
    JSON.parse(text, (k, v) => (/^seconds$|Seconds$|^checksum$/.test(k) ? undefined : v)),
  );
}

/** 24 of the synthetic memes (12 train, 6 val, 6 test, both hate classes in each), as a CSV. */
export async function smallCsv(dir: string): Promise<{ csv: string; images: string }> {
  const memes = await ensureSyntheticMemes();
  const [header, ...rows] = (await Deno.readTextFile(memes.csvPath)).trimEnd().split("\n");
  const of = (split: string, hate: string, n: number) =>
    rows.filter((r) => r.split(",")[5] === split && r.split(",")[1] === hate).slice(0, n);
  const picked = [
    ...of("train", "0", 6),
    ...of("train", "1", 6),
    ...of("val", "0", 3),
    ...of("val", "1", 3),
    ...of("test", "0", 3),
    ...of("test", "1", 3),
  ];
  const csv = `${dir}/PrideMM.csv`;
  await Deno.writeTextFile(csv, [header, ...picked].join("\n") + "\n");
  return { csv, images: memes.imageDir };
}
