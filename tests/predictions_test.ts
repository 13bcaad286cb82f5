/** The per-cell predictions file: round trip, CSV export, and errors that name file and field. */
import assert from "node:assert/strict";
import {
  type CellPredictions,
  loadRunPredictions,
  predictionsCsv,
  PredictionsError,
} from "../lib/run/mod.ts";
import {
  decodeCellPredictions,
  encodeCellPredictions,
  splitProbabilities,
  writeCellPredictions,
} from "../lib/run/predictions.ts";
import { encodeSafetensors } from "../lib/util/mod.ts";

function sample(seed = 1): CellPredictions {
  return {
    key: `memeclip__hate__seed${seed}`,
    variant: "memeclip",
    task: "hate",
    seed,
    classNames: ["Benign Meme", "Harmful Meme"],
    epochs: { reference: 3, clean: 5 },
    rows: {
      val: { names: ["a.png", "b.png"], labels: Int32Array.of(0, 1) },
      test: { names: ["c.png", 'd,"e".png', "f.png"], labels: Int32Array.of(1, 0, 1) },
    },
    logits: {
      reference: {
        val: Float32Array.of(1, 0, 0, 2),
        test: Float32Array.of(0, 1, 3, 0, 0, 0),
      },
      clean: { val: Float32Array.of(0, 0, 1, 1), test: Float32Array.of(2, 1, 0, 5, -1, 1) },
    },
  };
}

Deno.test("a cell's predictions round-trip through the file exactly", async () => {
  const p = sample();
  const back = decodeCellPredictions(encodeCellPredictions(p), "x.safetensors");
  assert.deepEqual(back, p);
  const dir = await Deno.makeTempDir({ prefix: "memesense-predictions-" });
  try {
    await writeCellPredictions(dir, sample(2));
    await writeCellPredictions(dir, p);
    const all = await loadRunPredictions(dir);
    assert.deepEqual(all.map((c) => c.seed), [1, 2]);
    assert.deepEqual(await loadRunPredictions(dir, { task: "stance" }), []);
    assert.deepEqual(await loadRunPredictions(`${dir}/nothing`), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("probabilities are the float64 softmax of the saved logits; the CSV has one row per meme", () => {
  const p = sample();
  const probs = splitProbabilities(p, "reference", "test");
  assert.deepEqual([...probs.subarray(0, 2)], [1 / (1 + Math.E), Math.E / (1 + Math.E)]);
  assert.deepEqual([...probs.subarray(4, 6)], [0.5, 0.5]);
  const lines = predictionsCsv([p]).trimEnd().split("\n");
  assert.equal(lines.length, 1 + 2 * (2 + 3));
  assert.equal(
    lines[0],
    "variant,task,seed,protocol,epoch,split,meme,true_class,predicted_class,p_Benign Meme,p_Harmful Meme",
  );
  // Ties go to the first class, as argmax in every metric.
  assert.equal(lines[5], `memeclip,hate,1,reference,3,test,f.png,Harmful Meme,Benign Meme,0.5,0.5`);
  assert.ok(lines[4].includes(`"d,""e"".png",Benign Meme,Benign Meme,`), lines[4]);
});

Deno.test("a damaged predictions file is refused with its name and the field", () => {
  const bad = sample();
  (bad.logits.clean.test as Float32Array)[3] = NaN;
  assert.throws(
    () => encodeCellPredictions(bad),
    /encodeCellPredictions: clean\.test row 1 \(d,"e"\.png\), class 1 is NaN/,
  );
  const wrongLabel = sample();
  (wrongLabel.rows.val.labels as Int32Array)[1] = 2;
  assert.throws(
    () => encodeCellPredictions(wrongLabel),
    (e) =>
      e instanceof PredictionsError &&
      /val\.labels row 1 \(b\.png\) is 2, outside \[0, 2\)/.test(e.message),
  );
  const bytes = encodeCellPredictions(sample());
  assert.throws(
    () => decodeCellPredictions(bytes.subarray(0, 40), "p.safetensors"),
    /p\.safetensors/,
  );
  const other = encodeSafetensors({}, { format: "something-else" });
  assert.throws(
    () => decodeCellPredictions(other, "q.safetensors"),
    /q\.safetensors: metadata format is "something-else", expected "memesense-predictions\/1"/,
  );
});
