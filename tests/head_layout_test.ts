import assert from "node:assert/strict";
import { DEFAULT_CONFIG, type HeadConfig, makeConfig } from "../lib/config/mod.ts";
import {
  BRANCH_MODULES,
  type HeadLayout,
  headLayout,
  headParamSpecs,
  type LinearLayer,
} from "../lib/model/mod.ts";
import { HeadTrainer, initBackend } from "../lib/train/mod.ts";
import { REPO_ROOT, Rng } from "../lib/util/mod.ts";

/** `name [out, in]` (`+ bias`) per Linear: the table in a form checked by eye. */
const show = (l: LinearLayer) => `${l.name} [${l.outDim}, ${l.inDim}]${l.bias ? " + bias" : ""}`;

/** Every Linear of a layout, in the order of `headParamSpecs`. */
function linears(layout: HeadLayout): LinearLayer[] {
  const branches = [layout.image, layout.text].filter((b) => b !== null);
  return [
    ...branches.flatMap((b) => b.projection.linears),
    ...branches.flatMap((b) => [b.adapter.down, b.adapter.up]),
    ...layout.preOutput.linears,
    layout.classifier.linear,
  ];
}

Deno.test("headLayout: the default head's stages, layers and constants", () => {
  const layout = headLayout(DEFAULT_CONFIG.head, 2);
  assert.deepEqual(linears(layout).map(show), [
    "image_map.proj.0 [1024, 768] + bias",
    "text_map.proj.0 [1024, 768] + bias",
    "img_adapter.fc.0 [256, 1024]",
    "img_adapter.fc.2 [1024, 256]",
    "text_adapter.fc.0 [256, 1024]",
    "text_adapter.fc.2 [1024, 256]",
    "pre_output.1 [1024, 1024] + bias",
    "classifier [2, 1024]",
  ]);
  assert.deepEqual(layout.image!.modules, { projection: "image_map", adapter: "img_adapter" });
  assert.deepEqual(layout.text!.modules, BRANCH_MODULES.text);
  assert.equal(layout.image!.projection.dropout, 0.1);
  assert.equal(layout.image!.ratio, 0.2);
  assert.deepEqual(layout.fusion, { kind: "product", dim: 1024 });
  assert.equal(layout.preOutput.inputDropout, 0.4);
  assert.equal(layout.preOutput.dropout, 0.2);
  assert.equal(layout.classifier.kind, "cosine");
  assert.equal(layout.classifier.scale, 30);
  const w = layout.image!.projection.linears[0];
  assert.equal(w.weight, "image_map.proj.0.weight");
  assert.equal(w.bias, "image_map.proj.0.bias");
});

Deno.test("headLayout: ablations change the table as the reference's modules do", () => {
  const head: HeadConfig = {
    ...DEFAULT_CONFIG.head,
    modality: "both",
    fusion: "concat",
    numMappingLayers: 2,
    numPreOutputLayers: 2,
    classifier: "linear",
    dropProbs: [0.3, 0.5, 0],
    ratio: 0.6,
  };
  const layout = headLayout(head, 4);
  assert.deepEqual(linears(layout).map(show), [
    "image_map.proj.0 [1024, 768] + bias",
    "image_map.proj.3 [1024, 1024] + bias",
    "text_map.proj.0 [1024, 768] + bias",
    "text_map.proj.3 [1024, 1024] + bias",
    "img_adapter.fc.0 [256, 1024]",
    "img_adapter.fc.2 [1024, 256]",
    "text_adapter.fc.0 [256, 1024]",
    "text_adapter.fc.2 [1024, 256]",
    "pre_output.1 [1024, 2048] + bias",
    "pre_output.4 [1024, 1024] + bias",
    "classifier [4, 1024] + bias",
  ]);
  assert.deepEqual(layout.fusion, { kind: "concat", dim: 2048 });
  assert.equal(layout.text!.projection.dropout, 0.3);
  assert.equal(layout.text!.ratio, 0.6);
  assert.equal(layout.preOutput.inputDropout, 0.5);
  assert.equal(layout.preOutput.dropout, 0);

  const textOnly = headLayout({ ...DEFAULT_CONFIG.head, modality: "text-only" }, 3);
  assert.equal(textOnly.image, null);
  assert.deepEqual(textOnly.fusion.dim, 1024);
  assert.deepEqual(linears(textOnly).map((l) => l.name), [
    "text_map.proj.0",
    "text_adapter.fc.0",
    "text_adapter.fc.2",
    "pre_output.1",
    "classifier",
  ]);
  assert.throws(
    () => headLayout(DEFAULT_CONFIG.head, 1),
    /numClasses must be an integer ≥ 2, got 1/,
  );
});

Deno.test("headParamSpecs lists exactly the layout's tensors, [out, in] and [out]", () => {
  for (
    const [head, C] of [
      [DEFAULT_CONFIG.head, 2],
      [{ ...DEFAULT_CONFIG.head, fusion: "sum", classifier: "linear", numMappingLayers: 3 }, 4],
      [{ ...DEFAULT_CONFIG.head, modality: "image-only", numPreOutputLayers: 2 }, 3],
    ] as [HeadConfig, number][]
  ) {
    const expected = linears(headLayout(head, C)).flatMap((l) => [
      `${l.weight} [${l.outDim},${l.inDim}]`,
      ...(l.bias ? [`${l.bias} [${l.outDim}]`] : []),
    ]);
    assert.deepEqual(headParamSpecs(head, C).map((s) => `${s.name} [${s.shape}]`), expected);
  }
});

Deno.test("the fused step spells no parameter name and no head setting of its own", () => {
  // Its layers, names and constants come from lib/model's headLayout, NORM_EPS and
  // drawDropoutMask; only the arithmetic of the passes is written out there.
  const source = Deno.readTextFileSync(`${REPO_ROOT}/lib/train/_fused_step.ts`)
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/\/\/.*$/gm, "");
  const forbidden: [RegExp, string][] = [
    [/["'`][^"'`]*\.(weight|bias)\b/, "a tensor name"],
    [/\b(image_map|text_map|img_adapter|text_adapter|pre_output)\b/, "a module name"],
    [/\.(proj|fc)\.(\$\{|\d)/, "a layer index"],
    [/["'`]classifier["'`]/, "the classifier's name"],
    [/\bhead\.\w|#head\b|\bdropProbs\b/, "a field of the head config"],
    [/1e-12|\bEPS\b(?!_)/, "the normalisation epsilon"],
    [/rng\.next\(\)/, "a mask drawn by hand"],
  ];
  for (const [pattern, what] of forbidden) {
    const hit = source.split("\n").find((line) => pattern.test(line));
    assert.equal(hit, undefined, `lib/train/_fused_step.ts spells ${what}: ${hit?.trim()}`);
  }
});

Deno.test("the fused step's profile: every part timed once, nothing counted twice", async (t) => {
  try {
    await initBackend("blas", { quiet: true });
  } catch (e) {
    t.step({ name: `(blas unavailable: ${(e as Error).message})`, ignore: true, fn: () => {} });
    return;
  }
  const head: HeadConfig = { ...DEFAULT_CONFIG.head, unmappedDim: 32, mapDim: 64 };
  const config = makeConfig({ head, train: { batchSize: 8, seed: 1 } });
  const trainer = new HeadTrainer(config, 2, { gradients: "fused" });
  const rng = new Rng(2);
  const n = 40;
  const split = {
    image: Float32Array.from({ length: n * 32 }, () => rng.normal()),
    text: Float32Array.from({ length: n * 32 }, () => rng.normal()),
    labels: Int32Array.from({ length: n }, (_, i) => i % 2),
    n,
  };
  trainer.resetProfile();
  const t0 = performance.now();
  await trainer.epoch(split);
  const wall = performance.now() - t0;
  const p = trainer.profile();
  assert.equal(p.steps, 5);
  for (const part of ["gemm", "elementwise", "dropout", "loss", "adamw"] as const) {
    assert.ok(p[part] > 0, `${part} = ${p[part]}`);
  }
  assert.equal(p.readback, 0);
  // Timed sections that nested or overlapped would add up to more than the epoch took.
  const parts = p.gemm + p.elementwise + p.dropout + p.loss + p.adamw;
  assert.ok(parts <= wall, `parts ${parts.toFixed(3)} ms > the epoch's ${wall.toFixed(3)} ms`);
  trainer.resetProfile();
  assert.deepEqual(Object.values(trainer.profile()), [0, 0, 0, 0, 0, 0, 0]);
});
