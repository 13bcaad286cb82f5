import assert from "node:assert/strict";
import { DEFAULT_CLIP_MODEL, SettingError } from "../lib/config/mod.ts";
import { REPO_ROOT } from "../lib/util/mod.ts";
import { prepareFromEnvironment, resolveInputSources } from "../lib/experiment/mod.ts";
import { defaultSyntheticDir } from "../lib/synthetic/generator.ts";

const tmp = await Deno.makeTempDir({ prefix: "memesense-sources-" });
globalThis.addEventListener("unload", () => Deno.removeSync(tmp, { recursive: true }));
const ROWS = "name,hate,target,stance,humour,split,text\n" +
  "img_1.png,0,NA,0,1,train,a\nimg_2.png,1,1,2,0,val,b\nimg_3.png,0,NA,1,0,test,c\n";
const csv = `${tmp}/PrideMM.csv`;
await Deno.writeTextFile(csv, ROWS);
const noImagesCsv = `${tmp}/bare/PrideMM.csv`;
await Deno.mkdir(`${tmp}/bare`);
await Deno.writeTextFile(noImagesCsv, ROWS);
await Deno.mkdir(`${tmp}/Images`);
await Deno.writeFile(`${tmp}/Images/img_1.png`, new Uint8Array([1]));
const harmeme = `${REPO_ROOT}/tests/fixtures/datasets/harmeme`;

const envOf = (vars: Record<string, string>) => (name: string) => vars[name];
const synthetic = defaultSyntheticDir();

Deno.test("offline: tiny CLIP and the synthetic set, real annotations still found", async () => {
  const s = await resolveInputSources({
    env: envOf({ MEMESENSE_OFFLINE: "1", MEMESENSE_PRIDEMM_CSV: csv }),
  });
  assert.equal(s.offline, true);
  assert.equal(s.clipModel, "tiny");
  assert.equal(s.dataset.description.name, "synthetic");
  assert.equal(s.source.data, synthetic);
  assert.equal(s.dataset.memes[0].image, `${synthetic}/Images/${s.dataset.memes[0].name}`);
  assert.equal(s.images, `${synthetic}/Images`);
  assert.equal(s.pridemmCsv, csv);
  assert.equal(s.datasetReason, "offline (MEMESENSE_OFFLINE=1)");
  assert.equal(s.task, "stance");
});

Deno.test("online: ViT-L/14 and PrideMM when its images exist, else the synthetic set", async () => {
  const s = await resolveInputSources({ env: envOf({ MEMESENSE_PRIDEMM_CSV: csv }) });
  assert.equal(s.clipModel, DEFAULT_CLIP_MODEL);
  assert.equal(s.dataset.description.name, "pridemm");
  assert.equal(s.source.data, csv);
  assert.equal(s.dataset.memes.length, 3);
  assert.equal(s.images, `${tmp}/Images`);
  assert.equal(s.task, "hate");
  const bare = await resolveInputSources({ env: envOf({ MEMESENSE_PRIDEMM_CSV: noImagesCsv }) });
  assert.equal(bare.dataset.description.name, "synthetic");
  assert.equal(bare.pridemmCsv, noImagesCsv);
  assert.equal(bare.datasetReason, `no PrideMM images in ${tmp}/bare/Images`);
});

Deno.test("explicit settings win; bad ones are named", async () => {
  const s = await resolveInputSources({
    env: envOf({
      MEMESENSE_OFFLINE: "1",
      MEMESENSE_DATASET: "pridemm",
      MEMESENSE_PRIDEMM_CSV: noImagesCsv,
      MEMESENSE_PRIDEMM_IMAGES: `${tmp}/Images`,
      MEMESENSE_CLIP_MODEL: "/models/clip",
    }),
  });
  assert.equal(s.dataset.description.name, "pridemm");
  assert.equal(s.images, `${tmp}/Images`);
  assert.equal(s.clipModel, "/models/clip");
  assert.equal(s.datasetReason, "MEMESENSE_DATASET=pridemm");
  await assert.rejects(
    resolveInputSources({ env: envOf({ MEMESENSE_DATASET: "coco" }) }),
    (e: Error) =>
      e instanceof SettingError &&
      e.message === "MEMESENSE_DATASET=coco: expected a preset (pridemm, harmeme, harmeme-p, " +
          "fhm, synthetic) or a description file (.json)",
  );
  await assert.rejects(
    resolveInputSources({ env: envOf({ MEMESENSE_DATA: "synthetic" }) }),
    /^SettingError: MEMESENSE_DATA=synthetic: expected nothing: the setting is now MEMESENSE_DATASET/,
  );
  const forced = await resolveInputSources({
    env: envOf({ MEMESENSE_DATASET: "synthetic", MEMESENSE_PRIDEMM_CSV: csv }),
  });
  assert.equal(forced.dataset.description.name, "synthetic");
  assert.equal(forced.clipModel, DEFAULT_CLIP_MODEL);
  const humour = await resolveInputSources({ env: envOf({ MEMESENSE_TASK: "humour" }) });
  assert.equal(humour.task, "humour");
  await assert.rejects(
    resolveInputSources({ env: envOf({ MEMESENSE_TASK: "sarcasm" }) }),
    (e: Error) =>
      e.message === "MEMESENSE_TASK=sarcasm: expected one of synthetic's tasks: hate, target, " +
          "stance, humour",
  );
});

Deno.test("any described dataset: MEMESENSE_DATASET and MEMESENSE_DATA_DIR, its own tasks", async () => {
  const env = { MEMESENSE_DATASET: "harmeme", MEMESENSE_DATA_DIR: harmeme };
  const s = await resolveInputSources({ env: envOf(env) });
  assert.equal(s.dataset.description.title, "HarMeme (Harm-C)");
  assert.equal(s.source.data, harmeme);
  assert.equal(s.images, `${harmeme}/images`);
  assert.deepEqual([s.dataset.splits.train.memes, s.dataset.splits.test.memes], [6, 3]);
  assert.equal(s.task, "harmful", "its first task");
  assert.equal(s.datasetReason, "MEMESENSE_DATASET=harmeme");
  const level = await resolveInputSources({
    env: envOf({ ...env, MEMESENSE_TASK: "harm-level" }),
  });
  assert.equal(level.task, "harm-level");
  await assert.rejects(
    resolveInputSources({ env: envOf({ ...env, MEMESENSE_TASK: "hate" }) }),
    (e: Error) =>
      e.message === "MEMESENSE_TASK=hate: expected one of harmeme's tasks: harmful, harm-level, " +
          "target",
  );
  // Not where the variables say: the loader names the annotation file it lacks.
  await assert.rejects(
    resolveInputSources({ env: envOf({ MEMESENSE_DATASET: "harmeme", MEMESENSE_DATA_DIR: tmp }) }),
    (e: Error) =>
      e.message ===
        `${tmp}/annotations/train.jsonl: annotation file not found (HarMeme (Harm-C)'s split train)`,
  );
});

Deno.test("prepareFromEnvironment: offline gives tiny-CLIP features of the synthetic set", async () => {
  const { sources, inputs } = await prepareFromEnvironment({
    env: envOf({ MEMESENSE_OFFLINE: "1" }),
  });
  assert.equal(inputs.modelId, "tiny");
  assert.equal(inputs.dataset, sources.dataset);
  assert.equal(inputs.features.names.length, inputs.dataset.memes.length);
  assert.equal(inputs.features.dim, 768);
  assert.equal(inputs.prompts.target.promptWeights.length, 4 * 1024);
  assert.deepEqual(inputs.missingImages, { train: 0, val: 0, test: 0 });
});
