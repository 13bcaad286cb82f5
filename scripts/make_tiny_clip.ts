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
import { ensureTinyClip, type TinyClipShape, writeTinyClip } from "../lib/clip/mod.ts";
import { FlagError, parseFlagsOrExit } from "../lib/config/mod.ts";

const FLAGS = [
  { name: "out", type: "string", help: "output directory (default: <cache>/models/tiny-clip)" },
  { name: "shape", type: "string", help: "tiny | vit-l-14", default: "tiny" },
  { name: "seed", type: "number", help: "random seed", default: 42 },
  { name: "help", type: "boolean", help: "show this help" },
] as const;

try {
  const flags = parseFlagsOrExit(Deno.args, FLAGS, "deno task tiny-clip [flags]");
  const shape = flags.shape as TinyClipShape;
  if (shape !== "tiny" && shape !== "vit-l-14") {
    throw new FlagError(`--shape: "${shape}" is not tiny or vit-l-14`);
  }
  const t0 = performance.now();
  let dir: string;
  if (flags.out === undefined && shape === "tiny" && flags.seed === 42) {
    dir = await ensureTinyClip();
  } else {
    if (flags.out === undefined) {
      throw new FlagError("--out is required with --shape vit-l-14 or --seed");
    }
    dir = (await writeTinyClip(flags.out as string, { shape, seed: flags.seed as number })).dir;
  }
  console.log(`${shape} CLIP at ${dir} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
} catch (e) {
  if (e instanceof FlagError) {
    console.error(`error: ${e.message}`);
    Deno.exit(2);
  }
  throw e;
}
