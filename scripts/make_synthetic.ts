/**
 * Generates the synthetic meme set (PrideMM layout: `Images/` + `PrideMM.csv`) used by the offline
 * demo, the tests and the notebooks.
 *
 *   deno task synthetic [--out DIR] [--count 480] [--seed 42] [--size 224]
 *
 * Without `--out` the set goes to the cache (`$MEMESENSE_CACHE/synthetic`, else
 * `.cache/synthetic`); an existing, up-to-date set is reused.
 *
 * @module
 */
import { defineFlags, parseFlagsOrExit } from "../lib/config/mod.ts";
import {
  DEFAULT_SYNTHETIC_COUNT,
  DEFAULT_SYNTHETIC_SEED,
  DEFAULT_SYNTHETIC_SIZE,
  ensureSyntheticMemes,
} from "../lib/synthetic/mod.ts";
import { formatDuration } from "../lib/util/mod.ts";

const FLAGS = defineFlags([
  { name: "out", type: "string", help: "output directory (default: the cache)" },
  { name: "count", type: "number", help: "number of memes", default: DEFAULT_SYNTHETIC_COUNT },
  { name: "seed", type: "number", help: "random seed", default: DEFAULT_SYNTHETIC_SEED },
  { name: "size", type: "number", help: "image side in pixels", default: DEFAULT_SYNTHETIC_SIZE },
  { name: "help", type: "boolean", help: "show this help" },
]);

if (import.meta.main) {
  const usage = "deno task synthetic [flags]";
  const flags = parseFlagsOrExit(Deno.args, FLAGS, usage);
  const t0 = performance.now();
  try {
    const set = await ensureSyntheticMemes({
      dir: flags.out,
      count: flags.count,
      seed: flags.seed,
      size: flags.size,
    });
    console.log(
      `${set.count} synthetic memes in ${set.dir} (${
        formatDuration((performance.now() - t0) / 1000)
      })\n  annotations: ${set.csvPath}\n  images:      ${set.imageDir}`,
    );
  } catch (e) {
    console.error(`synthetic: ${e instanceof Error ? e.message : e}`);
    Deno.exit(1);
  }
}
