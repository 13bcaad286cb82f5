import assert from "node:assert/strict";
import { DEFAULT_CONFIG, makeConfig } from "../lib/config/mod.ts";
import { datasetPreset, datasetTask } from "../lib/data/mod.ts";

const STANCE = datasetTask(datasetPreset("pridemm"), "stance").classes;
import {
  headParamSpecs,
  initHeadWeights,
  loadHead,
  SafetensorsError,
  saveHead,
} from "../lib/model/mod.ts";
import { loadHeadWeights } from "../lib/model/head_file.ts";
import { decodeSafetensors, encodeSafetensors, type SafeTensor } from "../lib/util/mod.ts";

const FIXTURES = new URL("./fixtures/model/", import.meta.url).pathname;

Deno.test("a saved head loads back identical, with its head.json", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const config = makeConfig({ head: { ratio: 0.4 } });
    const weights = initHeadWeights(config.head, 3, 5);
    await saveHead(dir, weights, {
      config,
      task: "stance",
      classNames: STANCE,
      clipModel: config.clip.model,
      featureStoreKey: "abc123",
    });
    const loaded = await loadHead(dir);
    assert.deepEqual(loaded.weights, weights);
    assert.deepEqual(loaded.meta.classNames, ["Neutral", "Support", "Oppose"]);
    assert.equal(loaded.meta.task, "stance");
    assert.equal(loaded.meta.featureStoreKey, "abc123");
    assert.equal(loaded.meta.config.head.ratio, 0.4);
    const json = JSON.parse(await Deno.readTextFile(`${dir}/head.json`));
    assert.deepEqual(json.tensors["image_map.proj.0.weight"], [1024, 768]);
    assert.deepEqual(json.tensors["classifier.weight"], [3, 1024]);
    // The file itself: 8-byte length, a space-padded JSON header, then data; 3,676,160 floats.
    const bytes = await Deno.readFile(`${dir}/head.safetensors`);
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.equal(headerLength % 8, 0);
    assert.equal(bytes.length, 8 + headerLength + 4 * 3_676_160);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
    assert.deepEqual(header["pre_output.1.weight"].shape, [1024, 1024]);
    assert.equal(header["pre_output.1.weight"].dtype, "F32");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a head written by PyTorch loads with its state_dict names and [out, in] layouts", async () => {
  const fixture = JSON.parse(await Deno.readTextFile(`${FIXTURES}/torch_head_deep.json`));
  const c = fixture.config;
  const config = makeConfig({
    head: {
      unmappedDim: c.unmappedDim,
      mapDim: c.mapDim,
      adapterReduction: c.adapterReduction,
      numMappingLayers: 2,
      numPreOutputLayers: 2,
      ratio: c.ratio,
    },
  });
  const { weights, ignored } = await loadHeadWeights(
    `${FIXTURES}/torch_head_deep.safetensors`,
    config,
    4,
  );
  assert.deepEqual(ignored, ["clip_model.unrelated"]);
  assert.deepEqual(Object.keys(weights.params).sort(), [
    "classifier.weight",
    "image_map.proj.0.bias",
    "image_map.proj.0.weight",
    "image_map.proj.3.bias",
    "image_map.proj.3.weight",
    "img_adapter.fc.0.weight",
    "img_adapter.fc.2.weight",
    "pre_output.1.bias",
    "pre_output.1.weight",
    "pre_output.4.bias",
    "pre_output.4.weight",
    "text_adapter.fc.0.weight",
    "text_adapter.fc.2.weight",
    "text_map.proj.0.bias",
    "text_map.proj.0.weight",
    "text_map.proj.3.bias",
    "text_map.proj.3.weight",
  ]);
  // nn.Linear(6, 8).weight is [8, 6]; torch's init bounds it by 1/√6.
  const w = weights.params["image_map.proj.0.weight"];
  assert.equal(w.length, 48);
  assert.ok(w.every((v) => Math.abs(v) <= 1 / Math.sqrt(6)));
});

Deno.test("clear errors for missing, mis-shaped and non-float32 tensors and broken files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const config = makeConfig({ head: { unmappedDim: 6, mapDim: 8 } });
    const weights = initHeadWeights(config.head, 2, 1);
    const tensors: Record<string, SafeTensor> = Object.fromEntries(
      headParamSpecs(config.head, 2).map((spec) => [
        spec.name,
        { dtype: "F32", shape: spec.shape, data: weights.params[spec.name] },
      ]),
    );
    const write = async (file: string, t: Record<string, SafeTensor>) => {
      await Deno.writeFile(`${dir}/${file}`, encodeSafetensors(t));
      return `${dir}/${file}`;
    };
    // The complete set loads.
    const ok = await loadHeadWeights(await write("ok.safetensors", tensors), config, 2);
    assert.deepEqual(ok.weights.params, weights.params);

    const missing = { ...tensors };
    delete missing["text_adapter.fc.2.weight"];
    await assert.rejects(
      loadHeadWeights(await write("missing.safetensors", missing), config, 2),
      (e: Error) =>
        e instanceof SafetensorsError && e.message.includes("missing.safetensors") &&
        e.message.includes("text_adapter.fc.2.weight [8,2] is missing"),
    );

    // An [in, out] weight (transposed) is refused by name, with both shapes.
    const transposed: Record<string, SafeTensor> = {
      ...tensors,
      "pre_output.1.weight": {
        dtype: "F32",
        shape: [8, 8],
        data: weights.params["pre_output.1.weight"],
      },
      "image_map.proj.0.weight": {
        dtype: "F32",
        shape: [6, 8],
        data: weights.params["image_map.proj.0.weight"],
      },
    };
    await assert.rejects(
      loadHeadWeights(await write("transposed.safetensors", transposed), config, 2),
      /image_map\.proj\.0\.weight has shape \[6,8\], expected \[8,6\]/,
    );

    // The wrong number of classes.
    await assert.rejects(
      loadHeadWeights(`${dir}/ok.safetensors`, config, 3),
      /classifier\.weight has shape \[2,8\], expected \[3,8\]/,
    );

    // A float16 tensor is named with its dtype.
    const bytes = encodeSafetensors(tensors);
    const text = new TextDecoder().decode(bytes);
    const f16 = new TextEncoder().encode(
      text.replace('"classifier.weight":{"dtype":"F32"', '"classifier.weight":{"dtype":"F16"'),
    );
    await Deno.writeFile(`${dir}/f16.safetensors`, f16);
    await assert.rejects(
      loadHeadWeights(`${dir}/f16.safetensors`, config, 2),
      /classifier\.weight is F16, expected F32/,
    );

    assert.throws(
      () => decodeSafetensors(new Uint8Array(4), "tiny.safetensors"),
      /tiny\.safetensors: too short/,
    );
    assert.throws(
      () => decodeSafetensors(bytes.subarray(0, 100), "cut.safetensors"),
      /cut\.safetensors: header length \d+ exceeds the file/,
    );
    const truncated = bytes.subarray(0, bytes.length - 8);
    assert.throws(
      () => decodeSafetensors(truncated, "short.safetensors"),
      /classifier\.weight \[2,8\] has data offsets/,
    );
    await assert.rejects(loadHead(`${dir}/nowhere`), /nowhere\/head\.json: cannot read/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("saveHead refuses class names that do not match the head", async () => {
  const weights = initHeadWeights({ ...DEFAULT_CONFIG.head, unmappedDim: 4, mapDim: 8 }, 2, 1);
  await assert.rejects(
    saveHead("/nonexistent-never-created", weights, {
      config: DEFAULT_CONFIG,
      task: "stance",
      classNames: STANCE,
      clipModel: "x",
      featureStoreKey: null,
    }),
    /3 class names for a head with 2 classes/,
  );
});
