/**
 * `deno task predict`: class probabilities for one meme (an image and its text) from trained
 * heads — one head directory, or every task of a run's `heads/` folder.
 *
 *   deno task predict --heads results/<run>/heads --image meme.png --text "the meme's text"
 *   deno task predict --heads results/<run>/heads/hate --image meme.png --text ""
 *
 * A head directory holds `head.safetensors` (tensor names and [out, in] layouts of MemeCLIP's
 * PyTorch module) and `head.json` (config, task, class names, CLIP model, feature-store key).
 *
 * @module
 */
import { defineFlags, parseFlagsOrExit } from "../lib/config/mod.ts";
import { loadClip } from "../lib/clip/mod.ts";
import { softmax } from "../lib/metrics/mod.ts";
import { loadHead } from "../lib/model/mod.ts";
import { initBackend, predictLogits } from "../lib/train/mod.ts";
import { exists } from "../lib/util/mod.ts";

const FLAGS = defineFlags([
  { name: "heads", type: "string", help: "a head directory, or a folder of them (a run's heads/)" },
  { name: "image", type: "string", help: "the meme's image file" },
  { name: "text", type: "string", default: "", help: 'the meme\'s text ("" = no text)' },
  {
    name: "model",
    type: "string",
    help: "CLIP model (default: the one the heads were trained with)",
  },
  { name: "offline", type: "boolean", help: "never contact the model hub" },
  { name: "json", type: "boolean", help: "print JSON instead of a table" },
  { name: "help", type: "boolean", help: "show this help" },
]);

function fail(message: string): never {
  console.error(`error: ${message}`);
  Deno.exit(2);
}

if (import.meta.main) {
  const flags = parseFlagsOrExit(
    Deno.args,
    FLAGS,
    "deno task predict --heads DIR --image FILE [--text TEXT]",
  );
  const headsArg = flags.heads;
  const image = flags.image;
  if (!headsArg) fail("--heads is required (a head directory or a run's heads/ folder)");
  if (!image) fail("--image is required");
  if (!(await exists(headsArg))) fail(`${headsArg}: no such head directory`);
  if (!(await exists(image))) fail(`${image}: no such image file`);

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
  if (dirs.length === 0) fail(`${headsArg}: no head.json here or in its subfolders`);
  const heads = await Promise.all(dirs.map(async (d) => ({ dir: d, ...(await loadHead(d)) })));

  const models = [...new Set(heads.map((h) => h.meta.clipModel))];
  const model = flags.model ?? models[0];
  for (const h of heads) {
    if (h.meta.clipModel !== model) {
      fail(
        `${h.dir}/head.json: this head was trained on features of CLIP model "${h.meta.clipModel}", ` +
          `not "${model}"; its predictions would be meaningless. Use --model ${h.meta.clipModel}.`,
      );
    }
  }
  const clip = await loadClip({ model, offline: flags.offline === true ? true : undefined });
  try {
    const { embeds, ok, errors } = await clip.encodeImages([image]);
    if (!ok[0]) fail(`${image}: cannot read the image (${errors[0]})`);
    const text = flags.text;
    const { features } = await clip.encodeTexts([text.length > 0 ? text : null]);
    await initBackend(undefined, { quiet: true });
    const out: Record<string, Record<string, number>> = {};
    for (const h of heads) {
      if (h.meta.config.head.unmappedDim !== clip.dim) {
        fail(
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
      for (const [task, probs] of Object.entries(out)) {
        const best = Object.entries(probs).sort((a, b) => b[1] - a[1])[0][0];
        const cols = Object.entries(probs).map(([c, p]) => `${c} ${(100 * p).toFixed(1)}%`).join(
          "  ",
        );
        console.log(`${task.padEnd(7)} → ${best.padEnd(22)} (${cols})`);
      }
    }
  } finally {
    await clip.dispose();
  }
}
