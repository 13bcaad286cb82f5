/**
 * Writes a random-weight CLIP in transformers.js layout.
 *
 *   deno task tiny-clip                       # the tiny test model into <cache>/models/tiny-clip
 *   deno task tiny-clip --out DIR [--shape tiny|vit-l-14] [--seed 42]
 *
 * `--shape vit-l-14` has ViT-L/14's widths and depths (same FLOPs, ≈1.6 GB) for benchmarks.
 *
 * @module
 */
import { ensureTinyClip, writeTinyClip } from "../lib/clip/mod.ts";
import { defineFlags, exitOnUsageError, parseFlagsOrExit, UsageError } from "../lib/config/mod.ts";

const FLAGS = defineFlags([
  { name: "out", type: "string", help: "output directory (default: <cache>/models/tiny-clip)" },
  {
    name: "shape",
    type: "choice",
    choices: ["tiny", "vit-l-14"],
    help: "the model's sizes",
    default: "tiny",
  },
  { name: "seed", type: "integer", help: "random seed", default: 42 },
  { name: "help", type: "boolean", help: "show this help" },
]);

const flags = parseFlagsOrExit(Deno.args, FLAGS, "deno task tiny-clip [flags]");
await exitOnUsageError(async () => {
  const shape = flags.shape;
  const t0 = performance.now();
  let dir: string;
  if (flags.out === undefined && shape === "tiny" && flags.seed === 42) {
    dir = await ensureTinyClip();
  } else {
    if (flags.out === undefined) {
      throw new UsageError("--out is required with --shape vit-l-14 or --seed");
    }
    dir = (await writeTinyClip(flags.out, { shape, seed: flags.seed })).dir;
  }
  console.log(`${shape} CLIP at ${dir} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
});
