/**
 * `deno task predict`: class probabilities for one meme (an image and its text) from trained
 * heads — one head directory, or every task of a run's `heads/` folder.
 *
 *   deno task predict --heads results/<run>/heads --image meme.png --text "the meme's text"
 *   deno task predict --heads results/<run>/heads/hate --image meme.png --text ""
 *
 * A head directory holds `head.safetensors` (tensor names and [out, in] layouts of MemeCLIP's
 * PyTorch module) and `head.json` (config, dataset, task, class names, CLIP model, feature-store
 * key). `--dataset NAME|file.json` checks that the heads were trained on that dataset.
 *
 * @module
 */
import { defineFlags, type ParsedFlags, parseFlagsOrExit, UsageError } from "../lib/config/mod.ts";
import { loadClip } from "../lib/clip/mod.ts";
import {
  checkRunHeads,
  readRunRecord,
  resumeCommand,
  RunIntegrityError,
  runOfHeads,
} from "../lib/run/mod.ts";
import { CACHE_FLAG, describedDataset, OFFLINE_FLAG, runMain } from "../lib/experiment/mod.ts";
import { softmax } from "../lib/metrics/mod.ts";
import { loadHead, SafetensorsError } from "../lib/model/mod.ts";
import { initBackend, predictLogits } from "../lib/train/mod.ts";
import { exists } from "../lib/util/mod.ts";

const FLAGS = defineFlags([
  { name: "heads", type: "string", help: "a head directory, or a folder of them (a run's heads/)" },
  {
    name: "dataset",
    type: "string",
    help: "the dataset the heads must have been trained on: a preset or a description file " +
      "(default: whichever they were)",
  },
  { name: "image", type: "string", help: "the meme's image file" },
  { name: "text", type: "string", default: "", help: 'the meme\'s text ("" = no text)' },
  {
    name: "model",
    type: "string",
    help: "CLIP model (default: the one the heads were trained with)",
  },
  OFFLINE_FLAG,
  CACHE_FLAG,
  { name: "json", type: "boolean", help: "print JSON instead of a table" },
  { name: "help", type: "boolean", help: "show this help" },
]);

if (import.meta.main) {
  const flags = parseFlagsOrExit(
    Deno.args,
    FLAGS,
    "deno task predict --heads DIR --image FILE [--text TEXT]",
  );
  await runMain(() => predict(flags));
}

async function predict(flags: ParsedFlags<typeof FLAGS>): Promise<void> {
  const headsArg = flags.heads;
  const image = flags.image;
  if (!headsArg) {
    throw new UsageError("--heads is required (a head directory or a run's heads/ folder)");
  }
  if (!image) throw new UsageError("--image is required");
  if (!(await exists(headsArg))) throw new UsageError(`${headsArg}: no such head directory`);
  if (!(await exists(image))) throw new UsageError(`${image}: no such image file`);
  // Heads of a run are checked against the records of the cells that own them.
  const runDir = await runOfHeads(headsArg.replace(/\/+$/, ""));
  if (runDir) await checkRunHeads(runDir);
  const repair = async () =>
    runDir
      ? `; to write the run's heads again: ${resumeCommand(runDir, await readRunRecord(runDir))}`
      : "";

  const dirs = (await exists(`${headsArg}/head.json`))
    ? [headsArg]
    : [...Deno.readDirSync(headsArg)]
      .filter((e) => e.isDirectory && Deno.statSync(`${headsArg}/${e.name}`).isDirectory)
      .map((e) => `${headsArg}/${e.name}`)
      .filter((d) => {
        try {
          return Deno.statSync(`${d}/head.json`).isFile;
        } catch {
          return false;
        }
      })
      .sort();
  if (dirs.length === 0) {
    const message = `${headsArg}: no head.json here or in its subfolders${await repair()}`;
    throw runDir ? new RunIntegrityError(message) : new UsageError(message);
  }
  const heads = [];
  for (const d of dirs) {
    try {
      heads.push({ dir: d, ...(await loadHead(d)) });
    } catch (e) {
      if (!(e instanceof SafetensorsError)) throw e;
      throw new SafetensorsError(`${e.message}${await repair()}`);
    }
  }

  if (flags.dataset !== undefined) {
    const { description } = await describedDataset({ value: flags.dataset, source: "flag" });
    for (const h of heads) {
      // Heads saved before datasets were described were PrideMM's.
      const trainedOn = h.meta.dataset ?? "pridemm";
      if (trainedOn !== description.name) {
        throw new UsageError(
          `${h.dir}/head.json: this head was trained on ${trainedOn}, not ${description.name}; ` +
            "its classes are another dataset's",
        );
      }
    }
  }
  const models = [...new Set(heads.map((h) => h.meta.clipModel))];
  const model = flags.model ?? models[0];
  for (const h of heads) {
    if (h.meta.clipModel !== model) {
      throw new UsageError(
        `${h.dir}/head.json: this head was trained on features of CLIP model "${h.meta.clipModel}", ` +
          `not "${model}"; its predictions would be meaningless. Use --model ${h.meta.clipModel}.`,
      );
    }
  }
  const clip = await loadClip({
    model,
    offline: flags.offline === true ? true : undefined,
    cacheDir: flags.cache,
  });
  try {
    const { embeds, ok, errors } = await clip.encodeImages([image]);
    if (!ok[0]) throw new UsageError(`${image}: cannot read the image (${errors[0]})`);
    const text = flags.text;
    const { features } = await clip.encodeTexts([text.length > 0 ? text : null]);
    await initBackend(undefined, { quiet: true });
    const out: Record<string, Record<string, number>> = {};
    for (const h of heads) {
      if (h.meta.config.head.unmappedDim !== clip.dim) {
        throw new UsageError(
          `${h.dir}: head expects ${h.meta.config.head.unmappedDim}-d features, ${model} gives ${clip.dim}-d`,
        );
      }
      const probs = softmax(
        predictLogits(h.weights, h.meta.config, embeds, features, 1),
        h.meta.classNames.length,
      );
      out[h.meta.task] = Object.fromEntries(h.meta.classNames.map((c, i) => [c, probs[i]]));
    }
    if (flags.json) console.log(JSON.stringify(out, null, 2));
    else {
      const width = Math.max(7, ...Object.keys(out).map((t) => t.length));
      for (const [task, probs] of Object.entries(out)) {
        const best = Object.entries(probs).sort((a, b) => b[1] - a[1])[0][0];
        const cols = Object.entries(probs).map(([c, p]) => `${c} ${(100 * p).toFixed(1)}%`).join(
          "  ",
        );
        console.log(`${task.padEnd(width)} → ${best.padEnd(22)} (${cols})`);
      }
    }
  } finally {
    await clip.dispose();
  }
}
