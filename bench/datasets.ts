/**
 * `deno task bench:datasets`: time to load and validate a dataset of FHM's size with the generic
 * loader and the `fhm` preset — 12,000 labelled rows in FHM's JSON-lines layout (10,000 train,
 * 1,000 dev_seen, 1,000 test_seen), generated in a temporary folder — and the same at twice the
 * size, to show the cost grows linearly with the rows. Reading, decoding, hashing, parsing and
 * validating are all in the time; images are not touched (their check is the feature store's).
 *
 *   deno task bench:datasets [--rows 12000] [--repeats 5]
 *
 * @module
 */
import { join } from "node:path";
import { defineFlags, parseFlagsOrExit } from "../lib/config/mod.ts";
import { datasetPreset, loadDataset } from "../lib/data/mod.ts";
import { Rng } from "../lib/util/mod.ts";
import { cpuSeconds, loadAverage } from "./_common.ts";

const FLAGS = defineFlags([
  { name: "rows", type: "integer", default: 12000, help: "labelled rows (10/12 train)" },
  { name: "repeats", type: "integer", default: 5, help: "timed loads per size (median)" },
  { name: "help", type: "boolean", help: "show this help" },
]);
const flags = parseFlagsOrExit(Deno.args, FLAGS, "deno task bench:datasets [flags]");

const WORDS = "when you the meme is about my friend and then they said look at this face".split(
  " ",
);

/** Writes an FHM-layout set of `rows` labelled memes (10/12 train, 1/12 dev_seen and test_seen). */
async function writeFhm(dir: string, rows: number, rng: Rng): Promise<void> {
  const dev = Math.round(rows / 12);
  const parts: [string, number][] = [
    ["train.jsonl", rows - 2 * dev],
    ["dev_seen.jsonl", dev],
    ["test_seen.jsonl", dev],
  ];
  let id = 10000;
  for (const [file, n] of parts) {
    const lines: string[] = [];
    for (let i = 0; i < n; i++, id++) {
      const text = Array.from({ length: 6 + rng.int(14) }, () => WORDS[rng.int(WORDS.length)])
        .join(" ");
      lines.push(
        JSON.stringify({ id, img: `img/${id}.png`, label: rng.int(3) === 0 ? 1 : 0, text }),
      );
    }
    await Deno.writeTextFile(join(dir, file), lines.join("\n") + "\n");
  }
  for (const file of ["dev_unseen.jsonl", "test_unseen.jsonl"]) {
    await Deno.writeTextFile(join(dir, file), "");
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const work = await Deno.makeTempDir({ prefix: "memesense-bench-datasets-" });
try {
  const fhm = datasetPreset("fhm");
  console.log(
    `Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} CPUs; load ${loadAverage()}`,
  );
  const results: [number, number][] = [];
  for (const rows of [flags.rows, 2 * flags.rows]) {
    const dir = join(work, String(rows));
    await Deno.mkdir(dir);
    await writeFhm(dir, rows, new Rng(rows));
    await loadDataset(fhm, dir); // warm-up: compile the loader's code paths
    const times: number[] = [];
    const cpu0 = cpuSeconds();
    for (let r = 0; r < flags.repeats; r++) {
      const t0 = performance.now();
      const ds = await loadDataset(fhm, dir);
      times.push((performance.now() - t0) / 1000);
      if (ds.memes.length !== rows) throw new Error(`loaded ${ds.memes.length} of ${rows} rows`);
    }
    const cpu = (cpuSeconds() - cpu0) / flags.repeats;
    const t = median(times);
    results.push([rows, t]);
    console.log(
      `${rows.toLocaleString("en-US")} rows (FHM layout): load + validate ${
        (t * 1000).toFixed(0)
      } ms ` +
        `median of ${flags.repeats} (${
          (rows / t).toLocaleString("en-US", { maximumFractionDigits: 0 })
        } ` +
        `rows/s; CPU ${(cpu * 1000).toFixed(0)} ms per load)`,
    );
  }
  const [[r1, t1], [r2, t2]] = results;
  console.log(
    `×${(r2 / r1).toFixed(0)} rows: ×${(t2 / t1).toFixed(2)} time ` +
      `(linear is ×${(r2 / r1).toFixed(0)}); load after: ${loadAverage()}`,
  );
} finally {
  await Deno.remove(work, { recursive: true });
}
