/**
 * Descriptions of the published meme datasets, by name: `pridemm` (the released CSV), `harmeme`
 * (Harm-C) and `harmeme-p` (Harm-P) in MMF's memes layout, and `fhm` (Facebook's Hateful Memes);
 * and `synthetic`, the generated meme set of the offline demo, in PrideMM's layout.
 * `docs/datasets.md` explains each, with the binarisations and prompt names chosen.
 *
 * @module
 */
import { resolve } from "node:path";
import { UsageError } from "../config/mod.ts";
import {
  type DatasetDescription,
  type DatasetDescriptionInput,
  parseDatasetDescription,
  readDatasetDescription,
} from "./description.ts";

/** The names of the presets. */
export type PresetName = "pridemm" | "harmeme" | "harmeme-p" | "fhm" | "synthetic";

/** The presets' names, in listing order. */
export const PRESET_NAMES: readonly PresetName[] = Object.freeze([
  "pridemm",
  "harmeme",
  "harmeme-p",
  "fhm",
  "synthetic",
]);

/** PrideMM's four tasks, in the order the paper reports them (also its CSV columns). */
export type PrideMMTask = "hate" | "target" | "stance" | "humour";

/** PrideMM's tasks in the paper's order: hate, target, stance, humour. */
export const PRIDEMM_TASKS: readonly PrideMMTask[] = Object.freeze([
  "hate",
  "target",
  "stance",
  "humour",
]);

/**
 * PrideMM's tasks as MemeCLIP names them: the class names are also the prompt names, spelled
 * exactly as the reference prompts them (`a photo of a {class name}.`), since changing one
 * changes the prompt-initialised classifier.
 */
const PRIDEMM_TASK_NAMES: Readonly<Record<PrideMMTask, { title: string; classes: string[] }>> = {
  hate: { title: "Hate speech detection", classes: ["Benign Meme", "Harmful Meme"] },
  target: {
    title: "Target identification",
    classes: ["No particular target", "Individual", "Community", "Organization"],
  },
  stance: { title: "Stance classification", classes: ["Neutral", "Support", "Oppose"] },
  humour: { title: "Humour recognition", classes: ["No Humour", "Humour"] },
};

/** PrideMM's layout (`PrideMM.csv` and `Images/`) and tasks, under a name and title. */
function pridemmLayout(name: string, title: string, about: string): DatasetDescriptionInput {
  return {
    name,
    title,
    about,
    format: "csv",
    image: { field: "name", dir: "Images", folders: false },
    text: "text",
    splits: {
      train: { file: "PrideMM.csv", field: "split", value: "train" },
      val: { file: "PrideMM.csv", field: "split", value: "val" },
      test: { file: "PrideMM.csv", field: "split", value: "test" },
    },
    tasks: [
      { ...pridemmTask("hate"), values: "index" },
      {
        ...pridemmTask("target"),
        values: "index",
        // The target is annotated on hateful memes only; the others hold NA.
        missing: ["NA", ""],
        rows: { task: "hate", classes: [1], noun: "hateful meme" },
      },
      { ...pridemmTask("stance"), values: "index" },
      { ...pridemmTask("humour"), values: "index" },
    ],
  };
}

function pridemmTask(name: PrideMMTask) {
  const { title, classes } = PRIDEMM_TASK_NAMES[name];
  return { name, title, field: name, classes };
}

const pridemm = pridemmLayout(
  "pridemm",
  "PrideMM",
  "The PrideMM release (PrideMM.csv and Images/), as MemeCLIP reads it. Class and prompt " +
    "names are MemeCLIP's, spelled exactly so: they set the classifier's initialisation.",
);

const synthetic = pridemmLayout(
  "synthetic",
  "Synthetic memes",
  "The generated meme set of the offline demo (lib/synthetic): PrideMM's layout and tasks, " +
    "labels drawn as visible properties and caption words. Its numbers say whether the " +
    "pipeline learns, not how a model performs on memes.",
);

/** HarMeme's three harmfulness levels, as its annotations spell them. */
const HARM_LEVELS = ["not harmful", "somewhat harmful", "very harmful"];

function harmeme(
  name: "harmeme" | "harmeme-p",
  title: string,
  topic: string,
): DatasetDescriptionInput {
  return {
    name,
    title,
    about: `HarMeme's ${topic} memes in MMF's memes layout: annotations/{train,val,test}.jsonl, ` +
      'one {"id", "image", "labels": [level, target?], "text"} per line, images under images/.',
    format: "jsonl",
    image: { field: "image", dir: "images", folders: false },
    text: "text",
    splits: {
      train: { file: "annotations/train.jsonl" },
      val: { file: "annotations/val.jsonl" },
      test: { file: "annotations/test.jsonl" },
    },
    tasks: [
      {
        name: "harmful",
        title: "Harmful meme detection",
        field: "labels[0]",
        // The binarisation of the HarMeme and MOMENTA papers: somewhat and very harmful are harmful.
        values: { "not harmful": 0, "somewhat harmful": 1, "very harmful": 1 },
        classes: ["not harmful", "harmful"],
        prompts: ["not harmful meme", "harmful meme"],
        about:
          "Two classes: somewhat harmful and very harmful are both harmful (the binarisation " +
          "used by the HarMeme and MOMENTA papers and those comparing with them).",
        transfer: { "pridemm:hate": [0, 1], "fhm:hateful": [0, 1] },
      },
      {
        name: "harm-level",
        title: "Harmfulness level",
        field: "labels[0]",
        values: Object.fromEntries(HARM_LEVELS.map((level, c) => [level, c])),
        classes: HARM_LEVELS,
        prompts: HARM_LEVELS.map((level) => `${level} meme`),
        // Both harmful levels are harmful, as in the binary task.
        transfer: { "pridemm:hate": [0, 1, 1], "fhm:hateful": [0, 1, 1] },
      },
      {
        name: "target",
        title: "Target identification",
        field: "labels[1]",
        values: { individual: 0, organization: 1, community: 2, society: 3 },
        classes: ["individual", "organization", "community", "society"],
        // PrideMM's spellings where the concept is the same, so one prompt means one thing.
        prompts: ["Individual", "Organization", "Community", "Society"],
        rows: { task: "harmful", classes: [1], noun: "harmful meme" },
      },
    ],
  };
}

const fhm: DatasetDescriptionInput = {
  name: "fhm",
  title: "Hateful Memes (FHM)",
  about: "Facebook's Hateful Memes: train.jsonl, dev_seen.jsonl, dev_unseen.jsonl, " +
    'test_seen.jsonl and test_unseen.jsonl, one {"id", "img": "img/<id>.png", "label", "text"} ' +
    "per line, images under img/. The test files as first released have no labels: choose " +
    "dev_seen for test (and val_from_train for val) to evaluate without them.",
  format: "jsonl",
  image: { field: "img", dir: "", folders: true },
  text: "text",
  splits: {
    train: { file: "train.jsonl" },
    dev_seen: { file: "dev_seen.jsonl" },
    dev_unseen: { file: "dev_unseen.jsonl" },
    test_seen: { file: "test_seen.jsonl" },
    test_unseen: { file: "test_unseen.jsonl" },
    // As large as dev_seen, for when dev_seen is the test split.
    val_from_train: { from: "train", count: 500, seed: 0, stratify: "hateful" },
  },
  use: { train: "train", val: "dev_seen", test: "test_seen" },
  tasks: [
    {
      name: "hateful",
      title: "Hateful meme detection",
      field: "label",
      values: "index",
      classes: ["not hateful", "hateful"],
      prompts: ["not hateful meme", "hateful meme"],
      transfer: { "pridemm:hate": [0, 1] },
    },
  ],
};

const PRESETS: Readonly<Record<PresetName, DatasetDescriptionInput>> = {
  pridemm,
  harmeme: harmeme("harmeme", "HarMeme (Harm-C)", "COVID-19 (Harm-C)"),
  "harmeme-p": harmeme("harmeme-p", "HarMeme (Harm-P)", "US politics (Harm-P)"),
  fhm,
  synthetic,
};

const validated = new Map<PresetName, DatasetDescription>();

/** Whether `name` is a preset's name. */
export function isPresetName(name: string): name is PresetName {
  return (PRESET_NAMES as readonly string[]).includes(name);
}

/** The validated description of a preset. Throws `UsageError` for an unknown name. */
export function datasetPreset(name: string): DatasetDescription {
  if (!isPresetName(name)) {
    throw new UsageError(`unknown dataset "${name}": expected ${PRESET_NAMES.join(", ")}`);
  }
  let desc = validated.get(name);
  if (desc === undefined) {
    desc = parseDatasetDescription(structuredClone(PRESETS[name]), `preset ${name}`);
    validated.set(name, desc);
  }
  return desc;
}

/**
 * The description a user names: a preset's name, or the path of a description file (ending in
 * `.json`, resolved against `cwd`). Throws `UsageError` for a name that is neither, and
 * `DataError` for a description file that is missing or does not validate.
 */
export function resolveDatasetDescription(
  ref: string,
  cwd: string = Deno.cwd(),
): Promise<DatasetDescription> {
  if (isPresetName(ref)) return Promise.resolve(datasetPreset(ref));
  if (ref.endsWith(".json")) return readDatasetDescription(resolve(cwd, ref));
  return Promise.reject(
    new UsageError(
      `unknown dataset "${ref}": expected ${PRESET_NAMES.join(", ")} or a description file (.json)`,
    ),
  );
}
