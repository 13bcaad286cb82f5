/**
 * `deno task bench:extract`: feature-extraction speed on synthetic memes (600 × 600 JPEGs with
 * ~30-word texts), for each onnxruntime thread count and batch size:
 *
 * - **ORT**: onnxruntime's own time for one vision + one text call on a prepared batch (median of
 *   3), per meme — the floor;
 * - **resize**: first, the Pillow-exact resampler alone beside sharp's resize (`bench/resample.ts`);
 * - **pipeline**: the full `extractFeatures` loop (decode, resize, normalise, tokenise, infer,
 *   write) per meme, and its overhead over the ORT floor — against the separately timed calls
 *   ("vs ORT") and against the onnxruntime time inside the same run ("in-run", less sensitive to
 *   other load on the machine).
 *
 *   deno task bench:extract                      # the tiny CLIP
 *   deno task bench:extract --vit-l-14           # a random model with ViT-L/14's shapes (≈1.6 GB,
 *                                                # generated once into <cache>/models; minutes)
 *   deno task bench:extract --memes 64 --batch-sizes 1,8,32 --threads 1,2
 *
 * @module
 */
import sharp from "sharp";
import { type ClipEncoder, loadClip, writeTinyClip } from "../lib/clip/mod.ts";
import {
  cacheSetting,
  defineFlags,
  exitOnUsageError,
  parseFlagsOrExit,
  type Preprocess,
  UsageError,
} from "../lib/config/mod.ts";
import { EXTRACTION_FLAGS } from "../lib/experiment/mod.ts";
import { extractFeatures, type FeatureItem } from "../lib/features/mod.ts";
import { resampleBench } from "./resample.ts";
import { exists, Rng } from "../lib/util/mod.ts";

const FLAGS = defineFlags([
  {
    name: "vit-l-14",
    type: "boolean",
    help: "benchmark a random model with ViT-L/14's shapes and FLOPs",
  },
  {
    name: "model",
    type: "string",
    help: "benchmark this model instead (hub id, directory or tiny)",
  },
  {
    name: "memes",
    type: "integer",
    help: "synthetic memes per pipeline run (default: 256 tiny, 16 ViT-L/14)",
  },
  {
    name: "batch-sizes",
    type: "numbers",
    help: "batch sizes (default: 1,8,16,32 tiny; 1,8 ViT-L/14)",
  },
  {
    name: "threads",
    type: "numbers",
    help: "onnxruntime intra-op thread counts (default: 1,<cores>)",
  },
  ...EXTRACTION_FLAGS,
  { name: "help", type: "boolean", help: "show this help" },
]);

/** Synthetic memes: a coloured gradient with shapes, as JPEG, and a caption-like text. */
async function makeMemes(dir: string, n: number): Promise<FeatureItem[]> {
  const rng = new Rng(7);
  const words = [
    "love",
    "is",
    "love",
    "pride",
    "when",
    "you",
    "the",
    "meme",
    "me",
    "they",
    "say",
    "trans",
    "rights",
  ];
  const items: FeatureItem[] = [];
  for (let i = 0; i < n; i++) {
    const path = `${dir}/meme_${i}.jpg`;
    const [r, g, b] = [rng.int(256), rng.int(256), rng.int(256)];
    const svg = `<svg width="600" height="600" xmlns="http://www.w3.org/2000/svg">
      <defs><linearGradient id="g"><stop offset="0" stop-color="rgb(${r},${g},${b})"/>
      <stop offset="1" stop-color="rgb(${b},${r},${g})"/></linearGradient></defs>
      <rect width="600" height="600" fill="url(#g)"/>
      <circle cx="${rng.int(600)}" cy="${rng.int(600)}" r="${
      50 + rng.int(150)
    }" fill="rgb(${g},${b},${r})"/>
      <rect x="${rng.int(400)}" y="${
      rng.int(400)
    }" width="180" height="120" fill="white" opacity="0.7"/>
    </svg>`;
    await sharp(new TextEncoder().encode(svg)).jpeg({ quality: 90 }).toFile(path);
    const text = Array.from({ length: 20 + rng.int(20) }, () => words[rng.int(words.length)]).join(
      " ",
    );
    items.push({ name: `meme_${i}.jpg`, imagePath: path, text });
  }
  return items;
}

async function ortPerMeme(
  clip: ClipEncoder,
  items: FeatureItem[],
  batch: number,
  preprocess: Preprocess,
) {
  const rows = Array.from({ length: batch }, (_, i) => items[i % items.length]);
  const pixels = await clip.preprocessImages(rows.map((r) => r.imagePath), preprocess);
  const tokens = clip.tokenize(rows.map((r) => r.text));
  await clip.runVision(pixels.pixels, batch); // warm-up
  const vision: number[] = [], text: number[] = [];
  for (let k = 0; k < 3; k++) {
    let t = performance.now();
    await clip.runVision(pixels.pixels, batch);
    vision.push(performance.now() - t);
    t = performance.now();
    await clip.runText(tokens);
    text.push(performance.now() - t);
  }
  const median = (a: number[]) => a.sort((x, y) => x - y)[1] / batch;
  return { vision: median(vision), text: median(text) };
}

async function main(): Promise<void> {
  const flags = parseFlagsOrExit(Deno.args, FLAGS, "deno task bench:extract [flags]");
  const big = flags["vit-l-14"] === true;
  let model = flags.model ?? "tiny";
  if (big) {
    model = `${cacheSetting().value}/models/random-vit-l-14`;
    if (!(await exists(`${model}/memesense.json`))) {
      console.error(`writing a random ViT-L/14-shaped CLIP to ${model} (≈1.6 GB, once)…`);
      const t = performance.now();
      const tmp = `${model}.${Deno.pid}.tmp`;
      await writeTinyClip(tmp, { shape: "vit-l-14", seed: 1 });
      await Deno.rename(tmp, model);
      console.error(`  written in ${((performance.now() - t) / 1000).toFixed(0)} s`);
    }
  }
  const preprocess = flags.preprocess;
  const imageMode = flags["image-mode"];
  const memes = flags.memes ?? (big ? 16 : 256);
  const batches = flags["batch-sizes"] ?? (big ? [1, 8] : [1, 8, 16, 32]);
  const cores = navigator.hardwareConcurrency;
  const threads = flags.threads ?? [...new Set([1, cores])];
  if (memes < 1 || batches.some((b) => b < 1) || threads.some((t) => t < 1)) {
    throw new UsageError("--memes, --batch-sizes and --threads must be positive");
  }

  for (const line of await resampleBench(2)) console.log(line);
  const work = await Deno.makeTempDir({ prefix: "memesense-bench-" });
  try {
    const items = await makeMemes(work, memes);
    console.log(
      `model ${big ? "random ViT-L/14 shapes" : model}, ${memes} synthetic 600×600 JPEG memes, ` +
        `${preprocess}, ${imageMode} images, ${cores} cores`,
    );
    console.log(
      "threads  batch  ORT vision ms/meme  ORT text ms/meme  ORT memes/s  pipeline memes/s  vs ORT  in-run",
    );
    for (const t of threads) {
      const clip = await loadClip({ model, threads: t, preprocess, imageMode, log: () => {} });
      try {
        for (const b of batches) {
          const ort = await ortPerMeme(clip, items, b, preprocess);
          const ortPerMemeMs = ort.vision + ort.text;
          const r = await extractFeatures({
            items,
            datasetHash: `bench-${t}-${b}`,
            cacheDir: `${work}/cache`,
            batchSize: b,
            clip,
            preprocess,
            imageMode,
            progress: null,
            log: () => {},
          });
          const pipelineMs = (r.loopSeconds * 1000) / memes;
          console.log([
            String(t).padStart(7),
            String(b).padStart(5),
            ort.vision.toFixed(1).padStart(18),
            ort.text.toFixed(1).padStart(16),
            (1000 / ortPerMemeMs).toFixed(1).padStart(11),
            (1000 / pipelineMs).toFixed(1).padStart(16),
            `${(100 * (pipelineMs / ortPerMemeMs - 1)).toFixed(1)}%`.padStart(6),
            `${(100 * (r.loopSeconds / r.inferenceSeconds - 1)).toFixed(1)}%`.padStart(6),
          ].join("  "));
        }
      } finally {
        await clip.dispose();
      }
    }
    console.log(
      "vs ORT = pipeline time per meme / ORT single-call time per meme − 1; in-run = the loop's " +
        "wall time / time inside onnxruntime in the same run − 1 (decode, resize, tokenise and " +
        "writes not hidden behind inference; less sensitive to other load on the machine)",
    );
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}

await exitOnUsageError(main);
