/**
 * `deno task extract`: computes the CLIP features of a PrideMM CSV once and stores them under
 * `<cache>/features/<key>/` (resumable: re-run after an interruption to continue).
 *
 *   deno task extract [--data data/PrideMM/PrideMM.csv] [--images DIR] [--model ID|DIR|tiny]
 *                     [--preprocess squash|crop] [--image-mode pillow|managed] [--batch-size 16] [--threads N] [--cache DIR]
 *
 * @module
 */
import { join } from "node:path";
import {
  DEFAULT_CLIP_MODEL,
  FlagError,
  type FlagSpec,
  helpText,
  type ImageMode,
  parseFlags,
  type Preprocess,
} from "../lib/config/mod.ts";
import { DEFAULT_DATA_DIR } from "../lib/data/mod.ts";
import { extractPrideMM } from "../lib/features/mod.ts";
import { formatDuration } from "../lib/util/mod.ts";

const FLAGS: readonly FlagSpec[] = [
  {
    name: "data",
    type: "string",
    help: "PrideMM CSV",
    default: join(DEFAULT_DATA_DIR, "PrideMM.csv"),
  },
  { name: "images", type: "string", help: "image directory (default: <CSV directory>/Images)" },
  {
    name: "model",
    type: "string",
    help:
      `CLIP model: Hugging Face id, local directory or "tiny" (default: $MEMESENSE_CLIP_MODEL or ${DEFAULT_CLIP_MODEL})`,
  },
  {
    name: "preprocess",
    type: "string",
    help: "image preprocessing: squash | crop",
    default: "squash",
  },
  {
    name: "image-mode",
    type: "string",
    help:
      'image decoding: pillow (the reference\'s convert("RGB")) | managed (EXIF, ICC, alpha on white)',
    default: "pillow",
  },
  { name: "batch-size", type: "number", help: "memes per onnxruntime call", default: 16 },
  { name: "threads", type: "number", help: "onnxruntime intra-op threads (default: one per core)" },
  { name: "device", type: "string", help: "cpu | cuda | auto (default: $MEMESENSE_DEVICE or cpu)" },
  { name: "offline", type: "boolean", help: "never download (also MEMESENSE_OFFLINE=1)" },
  {
    name: "cache",
    type: "string",
    help: "cache directory (default: $MEMESENSE_CACHE or <repo>/.cache)",
  },
  { name: "help", type: "boolean", help: "show this help" },
];

async function main(args: string[]): Promise<number> {
  const flags = parseFlags(args, FLAGS);
  if (flags.help) {
    console.log(helpText("deno task extract [flags]", FLAGS));
    return 0;
  }
  const preprocess = flags.preprocess as Preprocess;
  if (preprocess !== "squash" && preprocess !== "crop") {
    throw new FlagError(`--preprocess: "${preprocess}" is not squash or crop`);
  }
  const imageMode = flags["image-mode"] as ImageMode;
  if (imageMode !== "pillow" && imageMode !== "managed") {
    throw new FlagError(`--image-mode: "${imageMode}" is not pillow or managed`);
  }
  const device = flags.device as string | undefined;
  if (device !== undefined && !["cpu", "cuda", "auto"].includes(device)) {
    throw new FlagError(`--device: "${device}" is not cpu, cuda or auto`);
  }
  const r = await extractPrideMM(flags.data as string, {
    imageDir: flags.images as string | undefined,
    model: flags.model as string | undefined,
    preprocess,
    imageMode,
    batchSize: flags["batch-size"] as number,
    threads: flags.threads as number | undefined,
    device: device as "cpu" | "cuda" | "auto" | undefined,
    offline: flags.offline ? true : undefined,
    cacheDir: flags.cache as string | undefined,
  });
  const m = r.manifest;
  console.log(
    r.cached
      ? `features already extracted: ${r.dir}`
      : `extracted ${r.computed} memes (${r.resumed} resumed) in ${
        formatDuration(r.loopSeconds)
      }: ${r.dir}`,
  );
  console.log(
    `key ${r.key}\n${m.count} memes: image ${m.imageDim}-d (${m.imagesOk} read, ${m.imagesMissing} ` +
      `missing/unreadable — excluded from training, see ${
        join(r.dir, m.files.missingImages)
      }), text ${m.textDim}-d`,
  );
  return 0;
}

try {
  Deno.exit(await main(Deno.args));
} catch (e) {
  if (e instanceof FlagError) {
    console.error(`error: ${e.message}`);
    Deno.exit(2);
  }
  if (e instanceof Error) {
    console.error(`error: ${e.message}`);
    Deno.exit(1);
  }
  throw e;
}
