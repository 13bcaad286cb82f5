/**
 * `deno task extract`: computes the CLIP features of a dataset's memes once and stores them under
 * `<cache>/features/<key>/` (resumable: re-run after an interruption to continue; re-run after
 * images changed to re-extract exactly those memes).
 *
 *   deno task extract [--dataset pridemm|harmeme|…|file.json] [--data data/PrideMM/PrideMM.csv]
 *                     [--images DIR] [--model ID|DIR|tiny]
 *                     [--preprocess squash|crop] [--image-mode pillow|managed] [--batch-size 16] [--threads N] [--cache DIR]
 *                     [--force] [--verify] [--max-missing 1] [--csv-encoding utf-8]
 *   deno task extract --shard K/N ...     one shard of the memes (e.g. one cluster job each)
 *   deno task extract --consolidate ...   then, once: assemble the shards' chunks into the store
 *
 * @module
 */
import { join } from "node:path";
import {
  CLIP_DEVICES,
  clipModelSetting,
  defineFlags,
  deviceSetting,
  MODEL_FLAG,
  offlineSetting,
  parseFlagsOrExit,
  SettingError,
  UsageError,
} from "../lib/config/mod.ts";
import {
  asModelError,
  CACHE_FLAG,
  CLUSTER_FLAGS,
  DATASET_FLAGS,
  datasetFromFlags,
  executionFromFlags,
  EXTRACTION_FLAGS,
  OFFLINE_FLAG,
  runMain,
  submitExtraction,
} from "../lib/experiment/mod.ts";
import { consolidateDataset, extractDataset } from "../lib/features/mod.ts";
import { formatDuration, parseShard, type Shard } from "../lib/util/mod.ts";

const FLAGS = defineFlags([
  ...DATASET_FLAGS,
  MODEL_FLAG,
  ...EXTRACTION_FLAGS,
  { name: "batch-size", type: "integer", help: "memes per onnxruntime call", default: 16 },
  {
    name: "threads",
    type: "integer",
    help: "onnxruntime intra-op threads (default: one per core)",
  },
  {
    name: "device",
    type: "choice",
    choices: CLIP_DEVICES,
    help: "where CLIP runs (default: $MEMESENSE_DEVICE, else cpu)",
  },
  OFFLINE_FLAG,
  CACHE_FLAG,
  { name: "force", type: "boolean", help: "discard the store and extract everything again" },
  {
    name: "verify",
    type: "boolean",
    help: "hash every stored chunk, even where size and time are unchanged",
  },
  {
    name: "max-missing",
    type: "number",
    default: 1,
    help: "largest percentage of images that may be missing or unreadable before it is an error",
  },
  {
    name: "shard",
    type: "string",
    help: "extract only shard K of N (K/N) into chunk files of its own; then --consolidate",
  },
  {
    name: "consolidate",
    type: "boolean",
    help: "assemble the chunks of all shards into the store (idempotent; needs no CLIP model)",
  },
  // --shard is declared above; the rest submits the shards to Slurm.
  ...CLUSTER_FLAGS.filter((f) => f.name !== "shard"),
  { name: "help", type: "boolean", help: "show this help" },
]);

async function main(args: string[]): Promise<number> {
  const flags = parseFlagsOrExit(args, FLAGS, "deno task extract [flags]");
  if (flags["batch-size"] < 1) {
    throw new SettingError("--batch-size", flags["batch-size"], "an integer ≥ 1");
  }
  if (flags.threads !== undefined && flags.threads < 1) {
    throw new SettingError("--threads", flags.threads, "an integer ≥ 1");
  }
  const maxMissing = flags["max-missing"];
  if (!(maxMissing >= 0 && maxMissing <= 100)) {
    throw new SettingError("--max-missing", maxMissing, "a percentage 0–100");
  }
  let shard: Shard | undefined;
  if (flags.shard !== undefined) {
    try {
      shard = parseShard(String(flags.shard));
    } catch {
      throw new SettingError("--shard", flags.shard, "K/N with 1 ≤ K ≤ N (e.g. 2/4)");
    }
  }
  if (flags.force && (shard || flags.consolidate)) {
    throw new UsageError("--force rebuilds the whole store: not with --shard or --consolidate");
  }
  if (shard && flags.consolidate) {
    throw new UsageError("--consolidate runs once after every shard: not with --shard");
  }
  const offline = offlineSetting(flags.offline).value;
  // Every row validated before anything is created; PrideMM is not downloaded here.
  const { dataset } = await datasetFromFlags(flags, { download: false });
  const options = {
    model: clipModelSetting(flags.model).value,
    preprocess: flags.preprocess,
    imageMode: flags["image-mode"],
    batchSize: flags["batch-size"],
    threads: flags.threads,
    device: deviceSetting(flags.device).value,
    offline,
    cacheDir: flags.cache,
    force: flags.force === true,
    verify: flags.verify === true,
    maxMissing: maxMissing / 100,
    shard,
  };
  const execution = executionFromFlags(flags);
  if (execution.executor === "slurm") {
    if (flags.consolidate) {
      throw new UsageError("--consolidate runs here: not with --executor slurm");
    }
    const { dir, submission } = await submitExtraction({
      args,
      shards: execution.shards,
      options: execution.slurm,
      cacheDir: flags.cache,
    });
    const s = submission;
    console.log(
      [
        `submitted array job ${s.arrayJob}: ${s.count} extraction shards`,
        `submitted consolidation job ${s.reportJob}: runs once the array job has ended`,
        `  follow:  squeue -j ${s.arrayJob},${s.reportJob}`,
        `  logs:    ${dir}/slurm/logs/`,
        "  if a task fails: submit the same command again (finished memes are kept)",
      ].join("\n"),
    );
    return 0;
  }
  if (flags.consolidate) {
    const m = await consolidateDataset(dataset, options).catch((e) => {
      throw asModelError(e, options.model);
    });
    console.log(`consolidated: ${m.count} memes, ${m.chunks.length} chunks (key ${m.key})`);
    return 0;
  }
  const r = await extractDataset(dataset, options).catch((e) => {
    throw asModelError(e, options.model);
  });
  const m = r.manifest;
  if (!m) {
    console.log(
      `shard ${shard!.index}/${shard!.count}: extracted ${r.computed} memes (${r.resumed} found ` +
        `done) in ${formatDuration(r.loopSeconds)}: ${r.dir}\n` +
        "when every shard has finished: deno task extract --consolidate (same flags, no --shard)",
    );
    return 0;
  }
  console.log(
    r.cached
      ? `features already extracted and current: ${r.dir}`
      : `extracted ${r.computed} memes (${r.reextracted} because their image changed, appeared ` +
        `or their chunk was damaged; ${r.resumed} resumed) in ${formatDuration(r.loopSeconds)}: ` +
        r.dir,
  );
  console.log(
    `key ${r.key}\n${m.count} memes: image ${m.imageDim}-d (${m.imagesOk} read, ${m.imagesMissing} ` +
      `missing/unreadable — excluded from training, see ${
        join(r.dir, m.files.missingImages)
      }), text ${m.textDim}-d`,
  );
  return 0;
}

if (import.meta.main) await runMain(() => main(Deno.args));
