/**
 * What the experiment-run tests share: the synthetic memes' inputs prepared once per test file,
 * a directory listing, and a cell file without its timings for comparing two runs.
 */
import { makeConfig } from "../lib/config/mod.ts";
import { datasetFromFlags, type ExperimentOutcome, runExperiment } from "../lib/experiment/mod.ts";
import { type ExperimentInputs, gridVariants, prepareInputs } from "../lib/run/mod.ts";
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
 * share, nor its checksum, which covers them, nor its TensorBoard event file, whose name and
 * content hold the time the cell trained.
 */
export function withoutTimings(text: string): string {
  return JSON.stringify(
    JSON.parse(text, (k, v) => {
      if (/^seconds$|Seconds$|^checksum$/.test(k)) return undefined;
      if (k === "files" && Array.isArray(v)) {
        return v.filter((f: { path?: string }) => !f.path?.startsWith("tensorboard/"));
      }
      return v;
    }),
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

/** A small ablation run on {@linkcode smallCsv}'s memes, and where it lies. */
export interface SmallAblation {
  /** The run directory. */
  readonly runDir: string;
  /** What the run wrote and returned. */
  readonly outcome: ExperimentOutcome;
}

/**
 * A 2 × 2 ratio × depth grid (ratio 0.2 and 0.6, depth 1 and 2) on the hate task of
 * {@linkcode smallCsv}'s 24 memes, 2 seeds, 2 epochs, tiny CLIP, 20 bootstrap replicates: 8
 * cells in a few seconds, written under `outRoot`. Features go to `<work>/cache`.
 */
export async function smallAblation(
  work: string,
  outRoot: string,
  options: { readonly name?: string; readonly ratios?: readonly number[] } = {},
): Promise<SmallAblation> {
  const { csv, images } = await smallCsv(work);
  const inputs = await csvInputs({ csv, images, cacheDir: `${work}/cache` });
  const outcome = await runExperiment({
    name: options.name ?? "small-ablation",
    title: "small ablation",
    tasks: ["hate"],
    seeds: [1, 2],
    variants: gridVariants(options.ratios ?? [0.2, 0.6], [1, 2]),
    baseConfig: makeConfig({ clip: { model: "tiny" }, train: { epochs: 2 } }),
    inputs,
    outRoot,
    workers: 1,
    gallery: false,
    bootstrap: { replicates: 20 },
    log: () => {},
  });
  return { runDir: outcome.runDir, outcome };
}

/** The visible text of an HTML page: scripts and styles dropped, tags removed, entities read. */
export function htmlText(html: string): string {
  return html.replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, " ")
    .replace(/<br\s*\/?>/gi, "\n").replace(/<[^>]+>/g, " ")
    .replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&quot;", '"')
    .replaceAll("&#39;", "'").replaceAll("&amp;", "&");
}

/** The numbers written in a text: `76.06`, `+2.08`, `-0.78`, `0.0232`, `2,000`, `1.0e-4`. */
export function numbersIn(text: string): string[] {
  return text.match(/[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:e[+-]?\d+)?/g) ?? [];
}

/**
 * Where `table.md`'s numbers are not in a report: for each row of each of its tables, the row when
 * no row of the HTML's tables holds all its numbers (each found whole, not inside a longer
 * number); for its text outside tables, each number the page's text lacks. Empty when every
 * number is found.
 */
export function tableNumbersMissingFromHtml(tableMd: string, html: string): string[] {
  const has = (text: string, n: string) =>
    new RegExp(`(^|[^\\d.])${n.replace(/[.+]/g, "\\$&")}(?![\\d]|\\.\\d)`).test(text);
  const rows = [...html.matchAll(/<tr\b[\s\S]*?<\/tr>/gi)].map((m) => htmlText(m[0]));
  const text = htmlText(html);
  const missing: string[] = [];
  for (const block of tableMd.split(/\n\s*\n/)) {
    if (block.startsWith("|")) {
      for (const line of block.split("\n").slice(2)) {
        const numbers = numbersIn(line.replaceAll("\\|", " "));
        if (!rows.some((row) => numbers.every((n) => has(row, n)))) missing.push(line);
      }
    } else {
      for (const n of numbersIn(block.replace(/^#+ .*$/m, ""))) {
        if (!has(text, n)) missing.push(`${n} in "${block.slice(0, 60)}…"`);
      }
    }
  }
  return missing;
}
