/**
 * `deno task bench:store`: what the feature store's integrity checks cost at PrideMM's size
 * (5,063 memes, 768-d image and text features, tiny CLIP to make them), in a temporary cache:
 *
 * - the check every run starts with (a `stat` per image and per chunk; nothing hashed): the store
 *   found current;
 * - loading with size/time checks, and with `--verify` (every chunk hashed);
 * - one image changed: found, re-extracted (one meme) and consolidated;
 * - extraction in 3 shards plus consolidation, against one run (same bytes).
 *
 *   deno task bench:store [--memes 5063]
 *
 * @module
 */
import sharp from "sharp";
import { defineFlags, parseFlagsOrExit } from "../lib/config/mod.ts";
import {
  consolidateFeatures,
  extractFeatures,
  type ExtractOptions,
  loadFeatures,
} from "../lib/features/mod.ts";
import { Rng } from "../lib/util/mod.ts";

const FLAGS = defineFlags([
  { name: "memes", type: "integer", default: 5063, help: "memes in the store" },
  { name: "help", type: "boolean", help: "show this help" },
]);
const flags = parseFlagsOrExit(Deno.args, FLAGS, "deno task bench:store [flags]");
const n = flags.memes;
const work = await Deno.makeTempDir({ prefix: "memesense-bench-store-" });
const seconds = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const t = performance.now();
  const out = await fn();
  return [out, (performance.now() - t) / 1000];
};
try {
  const images = `${work}/Images`;
  await Deno.mkdir(images);
  const rng = new Rng(7);
  const pngs = await Promise.all(Array.from({ length: 64 }, () => {
    const raw = Uint8Array.from({ length: 32 * 32 * 3 }, () => rng.int(256));
    return sharp(raw, { raw: { width: 32, height: 32, channels: 3 } }).png().toBuffer();
  }));
  for (let i = 0; i < n; i++) await Deno.writeFile(`${images}/img_${i}.png`, pngs[i % 64]);
  const options = (cache: string, extra: Partial<ExtractOptions> = {}): ExtractOptions => ({
    items: Array.from({ length: n }, (_, i) => ({
      name: `img_${i}.png`,
      imagePath: `${images}/img_${i}.png`,
      text: `meme number ${i}`,
    })),
    imageDir: images,
    datasetHash: "bench".padEnd(64, "0"),
    cacheDir: `${work}/${cache}`,
    model: "tiny",
    batchSize: 32,
    progress: null,
    log: () => {},
    ...extra,
  });
  console.log(
    `bench:store: ${n} memes, tiny CLIP (768-d features), ${navigator.hardwareConcurrency} cores`,
  );
  const [whole, tWhole] = await seconds(() => extractFeatures(options("one")));
  const m = whole.manifest!;
  const bytes = m.chunks.reduce((s, c) => s + c.size, 0);
  console.log(
    `extraction, one run:               ${tWhole.toFixed(1)} s (${m.chunks.length} chunks, ` +
      `${(bytes / 2 ** 20).toFixed(1)} MiB)`,
  );
  const [, tCheck] = await seconds(() => extractFeatures(options("one")));
  console.log(`start-up check, store current:     ${(1000 * tCheck).toFixed(0)} ms`);
  const [, tLoad] = await seconds(() => loadFeatures(whole.dir));
  console.log(`load (size/time checks):           ${(1000 * tLoad).toFixed(0)} ms`);
  const [, tVerify] = await seconds(() => loadFeatures(whole.dir, { verify: true }));
  console.log(`load --verify (every chunk hashed): ${(1000 * tVerify).toFixed(0)} ms`);
  await Deno.writeFile(`${images}/img_17.png`, pngs[63 - (17 % 64)]);
  const [changed, tChanged] = await seconds(() => extractFeatures(options("one")));
  console.log(
    `one image changed:                 ${(1000 * tChanged).toFixed(0)} ms ` +
      `(${changed.computed} meme re-extracted, consolidated)`,
  );
  await Deno.writeFile(`${images}/img_17.png`, pngs[17 % 64]);
  const restored = (await extractFeatures(options("one"))).manifest!;
  let tShards = 0;
  for (let k = 1; k <= 3; k++) {
    tShards += (await seconds(() =>
      extractFeatures(options("sharded", { shard: { index: k, count: 3 } }))
    ))[1];
  }
  const [sharded, tConsolidate] = await seconds(() => consolidateFeatures(options("sharded")));
  const same = sharded.chunks.length === restored.chunks.length &&
    sharded.chunks.every((c, i) => c.sha256 === restored.chunks[i].sha256);
  console.log(
    `3 shards (one after another):      ${tShards.toFixed(1)} s; consolidation ` +
      `${(1000 * tConsolidate).toFixed(0)} ms; chunks identical to one run: ${same ? "yes" : "NO"}`,
  );
  if (!same) Deno.exitCode = 1;
} finally {
  await Deno.remove(work, { recursive: true });
}
