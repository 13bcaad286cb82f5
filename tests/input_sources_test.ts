import assert from "node:assert/strict";
import { DEFAULT_CLIP_MODEL } from "../lib/config/mod.ts";
import { prepareFromEnvironment, resolveInputSources } from "../lib/experiment/mod.ts";
import { defaultSyntheticDir } from "../lib/synthetic/generator.ts";

const tmp = await Deno.makeTempDir({ prefix: "memesense-sources-" });
globalThis.addEventListener("unload", () => Deno.removeSync(tmp, { recursive: true }));
const csv = `${tmp}/PrideMM.csv`;
await Deno.writeTextFile(csv, "name,hate,target,stance,humour,split,text\n");
const noImagesCsv = `${tmp}/bare/PrideMM.csv`;
await Deno.mkdir(`${tmp}/bare`);
await Deno.writeTextFile(noImagesCsv, "name,hate,target,stance,humour,split,text\n");
await Deno.mkdir(`${tmp}/Images`);
await Deno.writeFile(`${tmp}/Images/img_1.png`, new Uint8Array([1]));

const envOf = (vars: Record<string, string>) => (name: string) => vars[name];
const synthetic = defaultSyntheticDir();

Deno.test("offline: tiny CLIP and the synthetic set, real annotations still found", async () => {
  const s = await resolveInputSources({
    env: envOf({ MEMESENSE_OFFLINE: "1", MEMESENSE_PRIDEMM_CSV: csv }),
  });
  assert.deepEqual(s, {
    offline: true,
    clipModel: "tiny",
    data: "synthetic",
    csv: `${synthetic}/PrideMM.csv`,
    images: `${synthetic}/Images`,
    pridemmCsv: csv,
    dataReason: "offline (MEMESENSE_OFFLINE=1)",
    task: "stance",
  });
});

Deno.test("online: ViT-L/14 and PrideMM when its images exist, else the synthetic set", async () => {
  const s = await resolveInputSources({ env: envOf({ MEMESENSE_PRIDEMM_CSV: csv }) });
  assert.equal(s.clipModel, DEFAULT_CLIP_MODEL);
  assert.equal(s.data, "pridemm");
  assert.equal(s.csv, csv);
  assert.equal(s.images, `${tmp}/Images`);
  assert.equal(s.task, "hate");
  const bare = await resolveInputSources({ env: envOf({ MEMESENSE_PRIDEMM_CSV: noImagesCsv }) });
  assert.equal(bare.data, "synthetic");
  assert.equal(bare.pridemmCsv, noImagesCsv);
  assert.equal(bare.dataReason, `no PrideMM images in ${tmp}/bare/Images`);
});

Deno.test("explicit settings win; bad ones are named", async () => {
  const s = await resolveInputSources({
    env: envOf({
      MEMESENSE_OFFLINE: "1",
      MEMESENSE_DATA: "pridemm",
      MEMESENSE_PRIDEMM_CSV: noImagesCsv,
      MEMESENSE_PRIDEMM_IMAGES: `${tmp}/Images`,
      MEMESENSE_CLIP_MODEL: "/models/clip",
    }),
  });
  assert.equal(s.data, "pridemm");
  assert.equal(s.images, `${tmp}/Images`);
  assert.equal(s.clipModel, "/models/clip");
  assert.equal(s.dataReason, "MEMESENSE_DATA=pridemm");
  await assert.rejects(
    resolveInputSources({ env: envOf({ MEMESENSE_DATA: "coco" }) }),
    /MEMESENSE_DATA=coco: expected one of pridemm, synthetic/,
  );
  const forced = await resolveInputSources({
    env: envOf({ MEMESENSE_DATA: "synthetic", MEMESENSE_PRIDEMM_CSV: csv }),
  });
  assert.equal(forced.data, "synthetic");
  assert.equal(forced.clipModel, DEFAULT_CLIP_MODEL);
  const humour = await resolveInputSources({ env: envOf({ MEMESENSE_TASK: "humour" }) });
  assert.equal(humour.task, "humour");
  await assert.rejects(
    resolveInputSources({ env: envOf({ MEMESENSE_TASK: "sarcasm" }) }),
    /MEMESENSE_TASK=sarcasm: expected one of hate, target, stance, humour/,
  );
});

Deno.test("prepareFromEnvironment: offline gives tiny-CLIP features of the synthetic set", async () => {
  const { sources, inputs } = await prepareFromEnvironment({
    env: envOf({ MEMESENSE_OFFLINE: "1" }),
  });
  assert.equal(inputs.modelId, "tiny");
  assert.equal(inputs.dataset.csvPath, sources.csv);
  assert.equal(inputs.features.names.length, inputs.dataset.memes.length);
  assert.equal(inputs.features.dim, 768);
  assert.equal(inputs.prompts.target.promptWeights.length, 4 * 1024);
  assert.deepEqual(inputs.missingImages, { train: 0, val: 0, test: 0 });
});
