/**
 * When a table stands beside the paper's numbers: PrideMM's released annotations with their split
 * (recognised by content, whatever the file is called) and CLIP ViT-L/14 (recognised from its ONNX
 * graphs, whatever its folder is called). The two rules are tested apart: the data rule on the
 * real `PrideMM.csv` copied under another name and with one row edited, the model rule on a
 * renamed copy of the tiny model and on a graph outline with ViT-L/14's dimensions.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  CLIP_VIT_L_14,
  type ClipModelShape,
  clipModelShape,
  describeClipModel,
  ensureTinyClip,
  type GraphOutline,
  isClipViTL14,
  type OutlineNode,
  readClipModelShape,
  readGraphOutline,
} from "../lib/clip/mod.ts";
import {
  contentHash,
  datasetPreset,
  isPrideMMRelease,
  loadDataset,
  loadPrideMM,
  PRIDEMM_RELEASE_CONTENT,
} from "../lib/data/mod.ts";
import { notComparableReason } from "../lib/analysis/mod.ts";
import { REPO_ROOT } from "../lib/util/mod.ts";

const REAL_CSV = Deno.env.get("MEMESENSE_PRIDEMM_CSV") ??
  join(REPO_ROOT, "..", "shared", "data", "PrideMM.csv");
const realCsvPresent = await Deno.stat(REAL_CSV).then((s) => s.isFile, () => false);
if (!realCsvPresent) {
  console.log(`comparability_test: ${REAL_CSV} is absent: the data rule on it is skipped`);
}

Deno.test({
  name: "the data rule: PrideMM's released rows are recognised by content, renamed or not",
  ignore: !realCsvPresent,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "memesense-release-" });
    try {
      const bytes = await Deno.readFile(REAL_CSV);
      const released = await loadPrideMM(REAL_CSV);
      assert.equal(released.dataset.identity.content, PRIDEMM_RELEASE_CONTENT);
      assert.ok(isPrideMMRelease(released.dataset));

      // A copy under another name, in another folder: the same content.
      await Deno.mkdir(join(dir, "renamed"));
      const renamed = join(dir, "renamed", "annotations-copy.csv");
      await Deno.writeFile(renamed, bytes);
      const copy = await loadPrideMM(renamed);
      assert.ok(isPrideMMRelease(copy.dataset), "a renamed copy is PrideMM's release");
      // Its line ends rewritten (the bytes, and so the file hash, differ): still the content.
      const text = new TextDecoder().decode(bytes);
      assert.ok(text.includes("\r\n"), "the released file has CRLF line ends");
      const lf = join(dir, "lf.csv");
      await Deno.writeTextFile(lf, text.replaceAll("\r\n", "\n"));
      const relined = await loadPrideMM(lf);
      assert.notEqual(
        relined.dataset.identity.files[0].sha256,
        released.dataset.identity.files[0].sha256,
      );
      assert.ok(isPrideMMRelease(relined.dataset), "the same rows with other line ends");
      // Loaded through a description file with the preset's tasks under another name: the same.
      const desc = join(dir, "mine.json");
      await Deno.writeTextFile(
        desc,
        JSON.stringify({ ...datasetPreset("pridemm"), name: "my-pridemm", title: "Mine" }),
      );
      const { readDatasetDescription } = await import("../lib/data/mod.ts");
      const described = await loadDataset(
        await readDatasetDescription(desc),
        join(dir, "renamed"),
        {
          files: { "PrideMM.csv": renamed },
        },
      );
      assert.ok(isPrideMMRelease(described));

      // One edited label, one row moved to another split, one edited text: not the release.
      const lines = text.split("\r\n");
      const row = 10; // a data row: name,hate,target,stance,humour,split,text
      const fields = lines[row].split(",");
      const edit = async (name: string, change: (f: string[]) => void) => {
        const f = [...fields];
        change(f);
        const edited = [...lines];
        edited[row] = f.join(",");
        const path = join(dir, name);
        await Deno.writeTextFile(path, edited.join("\r\n"));
        return (await loadPrideMM(path)).dataset;
      };
      const humour = await edit("humour.csv", (f) => (f[4] = f[4] === "1" ? "0" : "1"));
      assert.equal(humour.memes.length, 5063);
      assert.ok(!isPrideMMRelease(humour), "one humour label changed");
      const moved = await edit("split.csv", (f) => (f[5] = f[5] === "train" ? "val" : "train"));
      assert.ok(!isPrideMMRelease(moved), "one meme in another split");
      const retexted = await edit("text.csv", (f) => (f[6] = `${f[6]}!`));
      assert.ok(!isPrideMMRelease(retexted), "one text changed");
      // Another prompt name for a class changes the classifier's initialisation: not MemeCLIP's.
      const prompts = structuredClone(datasetPreset("pridemm")) as unknown as {
        tasks: { prompts: string[] }[];
      };
      prompts.tasks[0].prompts = ["benign meme", "hateful meme"];
      assert.notEqual(
        contentHash(prompts.tasks as never, released.dataset.memes),
        PRIDEMM_RELEASE_CONTENT,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** `count` nodes of an operator, each with fresh names. */
function nodes(op: string, count: number, prefix: string): OutlineNode[] {
  return Array.from({ length: count }, (_, i) => ({
    op,
    inputs: [`${prefix}_in${i}`],
    outputs: [`${prefix}_out${i}`],
  }));
}

/**
 * Outlines of a CLIP vision and text graph of the given dimensions, laid out as the Hugging Face
 * exports are: the patch convolution on `pixel_values`, one Softmax per attention layer, a
 * position table, the projection MatMul producing `image_embeds` through a Reshape; the token
 * table looked up by `input_ids`. No weights: only names and dimensions.
 */
function outlines(s: ClipModelShape, symbolicSize = true): [GraphOutline, GraphOutline] {
  const grid = s.imageSize / s.patchSize;
  const vision: GraphOutline = {
    inputs: [{
      name: "pixel_values",
      shape: [
        "batch_size",
        3,
        symbolicSize ? "height" : s.imageSize,
        symbolicSize ? "width" : s.imageSize,
      ],
    }],
    outputs: [{ name: "image_embeds", shape: ["batch_size", s.projectionDim] }],
    nodes: [
      { op: "Conv", inputs: ["pixel_values", "patch.weight"], outputs: ["patches"] },
      ...nodes("Softmax", s.visionLayers, "attn"),
      ...nodes("LayerNormalization", 2 * s.visionLayers + 2, "ln"),
      { op: "MatMul", inputs: ["pooled", "onnx::MatMul_9000"], outputs: ["projected"] },
      { op: "Reshape", inputs: ["projected", "shape"], outputs: ["image_embeds"] },
    ],
    initializers: [
      { name: "patch.weight", dims: [s.visionWidth, 3, s.patchSize, s.patchSize] },
      { name: "class_embedding", dims: [s.visionWidth] },
      { name: "position_embedding.weight", dims: [grid * grid + 1, s.visionWidth] },
      { name: "fc1", dims: [s.visionWidth, 4 * s.visionWidth] },
      { name: "onnx::MatMul_9000", dims: [s.visionWidth, s.projectionDim] },
    ],
  };
  const text: GraphOutline = {
    inputs: [{ name: "input_ids", shape: ["batch_size", "sequence_length"] }],
    outputs: [{ name: "text_embeds", shape: ["batch_size", s.projectionDim] }],
    nodes: [
      { op: "Gather", inputs: ["token_embedding.weight", "input_ids"], outputs: ["tokens"] },
      ...nodes("Softmax", s.textLayers, "text_attn"),
    ],
    initializers: [{ name: "token_embedding.weight", dims: [49408, s.textWidth] }],
  };
  return [vision, text];
}

Deno.test("the model rule: a renamed copy of the tiny model is tiny, by its graphs", async () => {
  const tiny = await ensureTinyClip();
  const dir = await Deno.makeTempDir({ prefix: "memesense-renamed-clip-" });
  try {
    // The tiny model copied, memesense.json included, into a folder named like ViT-L/14.
    const copy = join(dir, "clip-vit-large-patch14");
    await Deno.mkdir(join(copy, "onnx"), { recursive: true });
    for await (const e of Deno.readDir(tiny)) {
      if (e.isFile) await Deno.copyFile(join(tiny, e.name), join(copy, e.name));
    }
    for await (const e of Deno.readDir(join(tiny, "onnx"))) {
      await Deno.copyFile(join(tiny, "onnx", e.name), join(copy, "onnx", e.name));
    }
    const files = {
      visionModel: join(copy, "onnx", "vision_model.onnx"),
      textModel: join(copy, "onnx", "text_model.onnx"),
    };
    const shape = await readClipModelShape(files);
    assert.deepEqual(shape, {
      visionWidth: 1024,
      visionLayers: 1,
      patchSize: 14,
      imageSize: 224,
      projectionDim: 768,
      textWidth: 768,
      textLayers: 1,
    });
    assert.equal(describeClipModel(shape), "tiny CLIP");
    assert.equal(isClipViTL14(shape), false);
    // The outline read from the file: the tiny graph's own inputs, outputs and tables.
    const vision = await readGraphOutline(files.visionModel);
    assert.deepEqual(vision.inputs, [
      { name: "pixel_values", shape: ["batch_size", 3, 224, 224] },
    ]);
    assert.deepEqual(vision.outputs.map((o) => o.name), ["image_embeds", "last_hidden_state"]);
    assert.deepEqual(
      vision.initializers.find((t) => t.name === "visual_projection")?.dims,
      [1024, 768],
    );
    assert.equal(vision.nodes.filter((n) => n.op === "Softmax").length, 1);
    // Not a model at all.
    const junk = join(dir, "junk.onnx");
    await Deno.writeFile(junk, new Uint8Array([0x0a, 0xff, 0xff, 0xff]));
    await assert.rejects(readGraphOutline(junk), /junk\.onnx: not an ONNX model/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the model rule: ViT-L/14's dimensions in a graph are ViT-L/14; one off is not", () => {
  const [vision, text] = outlines(CLIP_VIT_L_14);
  const shape = clipModelShape(vision, text);
  assert.deepEqual(shape, CLIP_VIT_L_14);
  assert.ok(isClipViTL14(shape));
  assert.equal(describeClipModel(shape), "CLIP ViT-L/14");
  // The input size declared by the graph, when it is, rather than read from the position table.
  assert.deepEqual(clipModelShape(...outlines(CLIP_VIT_L_14, false)), CLIP_VIT_L_14);
  const others: [Partial<ClipModelShape>, string][] = [
    [{ visionLayers: 23 }, "CLIP (vision 23 × 1024, patch 14, 224 px)"],
    [{ patchSize: 16, imageSize: 224 }, "CLIP ViT-L/16"],
    [{ imageSize: 336 }, "CLIP ViT-L/14@336px"],
    [{ visionWidth: 768, visionLayers: 12, patchSize: 32, textWidth: 512 }, "CLIP ViT-B/32"],
    [{ textLayers: 6 }, "CLIP ViT-L/14 (text 6 × 768)"],
  ];
  for (const [change, name] of others) {
    const other = clipModelShape(...outlines({ ...CLIP_VIT_L_14, ...change }));
    assert.deepEqual(other, { ...CLIP_VIT_L_14, ...change });
    assert.equal(isClipViTL14(other), false, JSON.stringify(change));
    assert.equal(describeClipModel(other), name);
  }
  // A graph without a patch convolution is no CLIP vision tower.
  assert.throws(
    () => clipModelShape({ ...vision, nodes: vision.nodes.slice(1) }, text),
    /the vision graph is not a CLIP vision tower as expected: no patch convolution/,
  );
});

Deno.test("notComparableReason: both rules, and what any other table is", async () => {
  const harmeme = await loadDataset(
    datasetPreset("harmeme"),
    join(REPO_ROOT, "tests", "fixtures", "datasets", "harmeme"),
  );
  const pridemmFixture = (await loadPrideMM(
    join(REPO_ROOT, "tests", "fixtures", "datasets", "pridemm", "PrideMM.csv"),
  )).dataset;
  const release = {
    ...pridemmFixture,
    identity: { ...pridemmFixture.identity, content: PRIDEMM_RELEASE_CONTENT },
  };
  const tiny = clipModelShape(...outlines({
    ...CLIP_VIT_L_14,
    visionLayers: 1,
    textLayers: 1,
  }));
  const of = (dataset: typeof release, clipShape: ClipModelShape | null) =>
    notComparableReason({ dataset, clipShape, modelId: "/models/clip-vit-large-patch14" });
  assert.equal(of(release, CLIP_VIT_L_14), null);
  assert.equal(
    of(release, tiny),
    "not compared with the paper: the CLIP model is the tiny test model",
  );
  assert.equal(
    of(release, null),
    "not compared with the paper: the CLIP model is /models/clip-vit-large-patch14 (its " +
      "architecture unknown), not ViT-L/14",
  );
  assert.equal(
    of(pridemmFixture, CLIP_VIT_L_14),
    "not compared with the paper: the annotations are not PrideMM's released ones with their " +
      "split (their content differs)",
  );
  assert.equal(of(harmeme, tiny), "HarMeme (Harm-C), tiny CLIP: no published reference");
  assert.equal(
    of(harmeme, CLIP_VIT_L_14),
    "HarMeme (Harm-C), CLIP ViT-L/14: no published reference",
  );
});
