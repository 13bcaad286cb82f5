import assert from "node:assert/strict";
import { makeConfig } from "../lib/config/mod.ts";
import { rowNorms, zeroFraction } from "../lib/features/mod.ts";
import {
  countParams,
  headActivations,
  headForwardSource,
  headParamSpecs,
  headStageParams,
  initHeadWeights,
  pipelineDiagram,
} from "../lib/model/mod.ts";
import { initBackend, predictLogits } from "../lib/train/mod.ts";
import { Rng } from "../lib/util/mod.ts";

await initBackend("cpu", { quiet: true });

const small = (head: Record<string, unknown> = {}) =>
  makeConfig({
    head: { unmappedDim: 6, mapDim: 8, adapterReduction: 4, ...head },
  }).head;

function features(n: number, dim: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n * dim }, () => rng.normal());
}

const n = 5;
const image = features(n, 6, 1);
const text = features(n, 6, 2);

Deno.test("headActivations: stage outputs fit together and match predictLogits", () => {
  const head = small({ ratio: 0.3 });
  const weights = initHeadWeights(head, 3, 7);
  const a = headActivations(weights, image, text, n);
  assert.equal(a.n, n);
  assert.equal(a.fusedDim, 8);
  for (const branch of [a.image!, a.text!]) {
    assert.equal(branch.projected.length, n * 8);
    assert.equal(branch.hidden.length, n * 2);
    assert.ok(branch.hidden.every((v) => v >= 0) && branch.adapted.every((v) => v >= 0));
    for (let i = 0; i < n * 8; i++) {
      const want = 0.3 * branch.adapted[i] + 0.7 * branch.projected[i];
      assert.ok(Math.abs(branch.mixed[i] - want) < 1e-6);
    }
    for (const norm of rowNorms(branch.normalized, 8)) assert.ok(Math.abs(norm - 1) < 1e-6);
  }
  for (let i = 0; i < n * 8; i++) {
    const want = a.image!.normalized[i] * a.text!.normalized[i];
    assert.ok(Math.abs(a.fused[i] - want) < 1e-6);
  }
  assert.ok(a.preOutput.every((v) => v >= 0));
  const logits = predictLogits(weights, head, image, text, n);
  assert.equal(a.logits.length, n * 3);
  a.logits.forEach((v, i) => assert.ok(Math.abs(v - logits[i]) < 1e-5, `logit ${i}`));
  // Cosine logits lie within ±scale.
  assert.ok(a.logits.every((v) => Math.abs(v) <= head.scale + 1e-4));
});

Deno.test("headActivations: dropout on drops units, concat doubles the fused width", () => {
  const head = small({ dropProbs: [0.5, 0, 0], fusion: "concat" });
  const weights = initHeadWeights(head, 2, 3);
  const off = headActivations(weights, image, text, n);
  const on = headActivations(weights, image, text, n, { dropout: new Rng(9) });
  assert.equal(zeroFraction(off.image!.projected), 0);
  const dropped = zeroFraction(on.image!.projected);
  assert.ok(dropped > 0.2 && dropped < 0.8, `dropped ${dropped}`);
  // Kept units are scaled by 1/(1 − p) = 2.
  on.image!.projected.forEach((v, i) => {
    if (v !== 0) assert.ok(Math.abs(v - 2 * off.image!.projected[i]) < 1e-5);
  });
  assert.equal(off.fusedDim, 16);
  assert.equal(off.fused.length, n * 16);
});

Deno.test("headActivations: a modality ablation leaves its branch out; bad input is named", () => {
  const head = small({ modality: "text-only" });
  const weights = initHeadWeights(head, 2, 3);
  const a = headActivations(weights, null, text, n);
  assert.equal(a.image, null);
  assert.deepEqual([...a.fused], [...a.text!.normalized]);
  assert.throws(
    () => headActivations(weights, null, text.subarray(1), n),
    /text features have 29 values, expected n × unmappedDim = 5 × 6/,
  );
});

Deno.test("headStageParams: the reference head's 3,675,136 parameters, stage by stage", () => {
  const reference = makeConfig({}).head;
  const stages = headStageParams(reference, 2);
  assert.deepEqual(stages.map((s) => [s.stage, s.count]), [
    ["image projection", 768 * 1024 + 1024],
    ["text projection", 768 * 1024 + 1024],
    ["image adapter", 2 * 1024 * 256],
    ["text adapter", 2 * 1024 * 256],
    ["pre-output", 1024 * 1024 + 1024],
    ["classifier", 2 * 1024],
  ]);
  assert.equal(stages.reduce((a, s) => a + s.count, 0), 3_675_136);
  assert.deepEqual(stages[2].specs.map((s) => s.name), [
    "img_adapter.fc.0.weight",
    "img_adapter.fc.2.weight",
  ]);
  // Every tensor of headParamSpecs in exactly one stage, whatever the architecture.
  for (
    const head of [
      makeConfig({ head: { numMappingLayers: 3, numPreOutputLayers: 2 } }).head,
      makeConfig({ head: { classifier: "linear", fusion: "concat" } }).head,
      small({ modality: "image-only" }),
    ]
  ) {
    for (const classes of [2, 4]) {
      const names = headStageParams(head, classes).flatMap((s) => s.specs.map((p) => p.name));
      assert.deepEqual(names.toSorted(), headParamSpecs(head, classes).map((p) => p.name).sort());
      const total = headStageParams(head, classes).reduce((a, s) => a + s.count, 0);
      assert.equal(total, countParams(head, classes));
    }
  }
  const imageOnly = headStageParams(small({ modality: "image-only" }), 2).map((s) => s.stage);
  assert.deepEqual(imageOnly, ["image projection", "image adapter", "pre-output", "classifier"]);
  const deep = headStageParams(makeConfig({ head: { numMappingLayers: 2 } }).head, 2);
  assert.equal(deep[0].count, 768 * 1024 + 1024 + 1024 * 1024 + 1024);
});

Deno.test("pipelineDiagram: drawn from the head's layout, so a change to the head redraws it", () => {
  const tasks = [{ name: "hate", numClasses: 2 }, { name: "stance", numClasses: 3 }];
  const reference = pipelineDiagram(makeConfig({}).head, { clipModel: "tiny", tasks }).split("\n");
  assert.equal(
    reference[0],
    "  CLIP model: tiny (the generated test model: random weights, ViT-L/14's widths)",
  );
  for (
    const line of [
      "  │ 768                                     │ 768",
      "  projection 768→1024                       projection (own weights)",
      "  │ Linear + Dropout 0.1                    │",
      "  ├─ adapter 1024→256→1024                  ├─ adapter (own weights)",
      "  mix 0.8·projected + 0.2·adapted           mix, same α = 0.2",
      "                      fusion: ⊙ element-wise product → 1024",
      "                      Dropout 0.4, then pre-output: 1 ×",
      "                      [Linear 1024→1024, ReLU, Dropout 0.2]",
      "                      cosine classifier (prompt-initialised)",
      "                      logits = 30 · cos(x, w)",
      "                      hate 2 · stance 3 classes",
    ]
  ) assert.ok(reference.includes(line), `no line "${line}" in:\n${reference.join("\n")}`);
  const changed = pipelineDiagram(
    makeConfig({
      head: {
        numMappingLayers: 2,
        adapterReduction: 8,
        ratio: 0.6,
        fusion: "concat",
        numPreOutputLayers: 3,
        classifier: "linear",
      },
    }).head,
    { clipModel: "Xenova/clip-vit-large-patch14", tasks },
  ).split("\n");
  for (
    const line of [
      "  CLIP model: Xenova/clip-vit-large-patch14",
      "  │ 2 × Linear (ReLU between), Dropout 0.1  │",
      "  ├─ adapter 1024→128→1024                  ├─ adapter (own weights)",
      "  mix 0.4·projected + 0.6·adapted           mix, same α = 0.6",
      "                      fusion: ⧺ concatenation → 2048",
      "                      Dropout 0.4, then pre-output: 3 ×",
      "                      [Linear 2048→1024, ReLU, Dropout 0.2]",
      "                      logits = W·x + b",
    ]
  ) assert.ok(changed.includes(line), `no line "${line}" in:\n${changed.join("\n")}`);
  assert.throws(
    () => pipelineDiagram(small({ modality: "text-only" }), { clipModel: "tiny", tasks }),
    /pipelineDiagram draws a head that uses both image and text/,
  );
});

Deno.test("headForwardSource: headForward as written in head.ts, with its doc comment", async () => {
  const source = await headForwardSource();
  const file = await Deno.readTextFile(new URL("../lib/model/head.ts", import.meta.url));
  assert.ok(file.includes(source), "a verbatim slice of head.ts");
  assert.match(source, /^\/\*\*\n \* The whole forward pass/);
  assert.match(source, /\*\/\nexport function headForward\(\n/);
  assert.ok(source.endsWith("\n}\n"));
  assert.ok(!source.includes("export function headBackward"), "the next function is not part");
  for (
    const stage of [
      "projectionForward",
      "adapterForward",
      "residualForward",
      "fusionForward",
      "preOutputForward",
      "classifierForward",
    ]
  ) assert.ok(source.includes(`${stage}(`), `${stage} is called in the source shown`);
});
