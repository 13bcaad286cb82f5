/**
 * Intervals and paired comparisons from saved predictions: constructed runs where the answer is
 * known, determinism under the seed, `deno task compare` with its config diff and refusals.
 */
import assert from "node:assert/strict";
import { type CellPredictions, gridVariants } from "../lib/run/mod.ts";
import {
  analyseRunPredictions,
  type PairedComparison,
  type SummaryRow,
} from "../lib/analysis/mod.ts";
import { runReport } from "../lib/analysis/_run_report.ts";
import { seedMajority } from "../lib/analysis/uncertainty.ts";
import { writeCellPredictions } from "../lib/run/predictions.ts";
import { Rng } from "../lib/util/mod.ts";
import { datasetPreset } from "../lib/data/mod.ts";
import { runScript } from "../scripts/run_script.ts";

/** Two-class logits that are right on about `skill` of the rows. */
function cell(variant: string, seed: number, skill: number, n = 240): CellPredictions {
  const rng = new Rng(seed * 1000 + Math.round(skill * 100));
  const make = (split: string, rows: number) => {
    const names = Array.from({ length: rows }, (_, i) => `${split}_${i}.png`);
    const labels = Int32Array.from({ length: rows }, (_, i) => (i % 3 === 0 ? 1 : 0));
    const logits = new Float32Array(rows * 2);
    labels.forEach((y, i) => {
      const right = rng.next() < skill;
      const margin = 1 + 3 * rng.next();
      logits[2 * i + (right ? y : 1 - y)] = margin;
    });
    return { names, labels, logits };
  };
  const val = make("val", 120), test = make("test", n);
  return {
    key: `${variant}__hate__seed${seed}`,
    variant,
    task: "hate",
    seed,
    classNames: ["Benign Meme", "Harmful Meme"],
    epochs: { reference: 2, clean: 3 },
    rows: { val: { names: val.names, labels: val.labels }, test: test },
    logits: {
      reference: { val: val.logits, test: test.logits },
      clean: { val: val.logits, test: test.logits },
    },
  };
}

async function fakeRun(
  cells: CellPredictions[],
  meta: Record<string, unknown> = {},
): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "memesense-uncertainty-" });
  await Deno.writeTextFile(
    `${dir}/config.json`,
    JSON.stringify({
      name: "fake",
      featureStore: "store-1",
      config: { head: { ratio: 0.2 } },
      ...meta,
    }),
  );
  for (const c of cells) await writeCellPredictions(dir, c);
  return dir;
}

Deno.test("a clearly better variant holds after Holm; an identical one does not; deterministic", async () => {
  const cells = [1, 2, 3].flatMap((s) => [
    cell("ref", s, 0.6),
    cell("better", s, 0.95),
    { ...cell("ref", s, 0.6), key: `same__hate__seed${s}`, variant: "same" },
  ]);
  const dir = await fakeRun(cells);
  try {
    const opts = { reference: "ref", replicates: 400, seed: 3 };
    const u = await analyseRunPredictions(dir, opts);
    assert.equal(u.groups.length, 3 * 2);
    assert.equal(u.comparisons.length, 2 * 3 * 2);
    for (const c of u.comparisons.filter((c) => c.a === "better")) {
      assert.ok(c.diff > 0.2 || c.metric !== "accuracy", `${c.metric} ${c.diff}`);
      assert.ok(c.holds, `${c.protocol} ${c.metric}: p ${c.p}, Holm ${c.pHolm}`);
      assert.ok(c.interval.lo > 0);
      if (c.metric === "accuracy") assert.ok(c.mcnemar!.onlyA > 5 * c.mcnemar!.onlyB);
    }
    for (const c of u.comparisons.filter((c) => c.a === "same")) {
      assert.equal(c.diff, 0);
      assert.deepEqual(c.interval, { lo: 0, hi: 0 });
      assert.equal(c.p, 1);
      assert.equal(c.holds, false);
    }
    // Each group's interval brackets its point; 240 memes give a few points either side.
    for (const g of u.groups) {
      for (const m of ["accuracy", "macroF1", "auroc"] as const) {
        assert.ok(g.interval[m].lo <= g.point[m] && g.point[m] <= g.interval[m].hi);
      }
      const width = g.interval.accuracy.hi - g.interval.accuracy.lo;
      assert.ok(width > 0.02 && width < 0.15, `width ${width}`);
      // Temperature scaling leaves accuracy alone and, for two classes, AUROC.
      assert.equal(g.calibration.after.accuracy, g.calibration.before.accuracy);
      assert.equal(g.calibration.after.auroc, g.calibration.before.auroc);
      assert.equal(g.calibration.temperatures.length, 3);
    }
    // Same seed, same numbers; the point estimates do not depend on the seed.
    assert.deepEqual(await analyseRunPredictions(dir, opts), u);
    const other = await analyseRunPredictions(dir, { ...opts, seed: 4 });
    assert.deepEqual(other.groups.map((g) => g.point), u.groups.map((g) => g.point));
    assert.notDeepEqual(other.groups.map((g) => g.interval), u.groups.map((g) => g.interval));
    // Cells asked for but without predictions are named, not silently dropped.
    const partial = await analyseRunPredictions(dir, {
      ...opts,
      keys: ["ref__hate__seed1", "ref__hate__seed9"],
    });
    assert.deepEqual(partial.missing, ["ref__hate__seed9"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("seed-majority predictions: most votes, ties to the higher mean probability", () => {
  const base = cell("v", 1, 0.5, 3);
  const withTest = (test: number[]): CellPredictions => ({
    ...base,
    logits: { ...base.logits, clean: { ...base.logits.clean, test: Float32Array.from(test) } },
  });
  // Rows: (0 wins 2 of 3), (1 wins 2 of 3), (a 1–1 tie decided by probability).
  const cells = [
    withTest([1, 0, 0, 1, 0, 3]),
    withTest([1, 0, 0, 1, 1, 0]),
    withTest([0, 1, 1, 0, 0, 0]),
  ];
  assert.deepEqual([...seedMajority(cells.slice(0, 3), "clean")].slice(0, 2), [0, 1]);
  assert.deepEqual([...seedMajority(cells.slice(0, 2), "clean")][2], 1);
});

Deno.test("deno task compare: config diff, paired table, refusals", async () => {
  const a = await fakeRun([1, 2].map((s) => cell("memeclip", s, 0.6)));
  const b = await fakeRun([1, 2].map((s) => cell("memeclip", s, 0.9)), {
    config: { head: { ratio: 0.4 } },
  });
  const c = await fakeRun([1, 2].map((s) => cell("memeclip", s, 0.9)), { featureStore: "store-2" });
  const d = await fakeRun([1, 2].map((s) => cell("memeclip", s, 0.9, 120)));
  try {
    const ok = await runScript("compare", [a, b, "--replicates", "300"]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(
      ok.stdout,
      /Settings that differ \(A → B\):\n {2}config\.head\.ratio: 0\.2 → 0\.4/,
    );
    const rows = ok.stdout.split("\n").filter((l) => l.startsWith("| A:memeclip"));
    assert.equal(rows.length, 2 * 3);
    assert.ok(rows.every((r) => r.includes("✓")), rows.join("\n"));

    const store = await runScript("compare", [a, c]);
    assert.equal(store.code, 2);
    assert.match(store.stderr, /different feature stores \(store-1 vs store-2\)/);
    const allowed = await runScript("compare", [
      a,
      c,
      "--allow-different-features",
      "--protocol",
      "clean",
    ]);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.match(allowed.stdout, /featureStore: "store-1" → "store-2"/);
    assert.ok(!allowed.stdout.includes("| reference |"));

    const memes = await runScript("compare", [a, d]);
    assert.equal(memes.code, 2);
    assert.match(memes.stderr, /tested on different memes/);
    const one = await runScript("compare", [a]);
    assert.equal(one.code, 2);
  } finally {
    for (const dir of [a, b, c, d]) await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ablation heatmaps mark the differences that hold after Holm's adjustment", () => {
  const variants = gridVariants([0.2, 0.4], [1, 2]);
  const ms = (mean: number) => ({ mean, std: 0.01, ci95: 0.02, n: 3 });
  const summary: SummaryRow[] = variants.map((v, i) => ({
    variant: v.name,
    task: "hate",
    protocol: "clean",
    seeds: [1, 2, 3],
    metrics: {
      accuracy: ms(0.7 + 0.01 * i),
      auroc: ms(0.8),
      macroF1: ms(0.6),
      aurocReference: ms(0.8),
    },
    meanEpoch: 3,
  }));
  const paired = (a: string, diff: number, holds: boolean): PairedComparison => ({
    task: "hate",
    protocol: "clean",
    metric: "accuracy",
    a,
    b: "ratio=0.2,depth=1",
    diff,
    interval: { lo: diff - 0.01, hi: diff + 0.01 },
    p: holds ? 0.001 : 0.5,
    pHolm: holds ? 0.003 : 1,
    holds,
  });
  const report = runReport({
    title: "t",
    tasks: datasetPreset("pridemm").tasks,
    meta: {},
    results: [],
    summary,
    variants,
    pairedComparisons: [
      paired("ratio=0.4,depth=1", 0.03, true),
      paired("ratio=0.2,depth=2", -0.02, true),
      paired("ratio=0.4,depth=2", 0.01, false),
    ],
  });
  const json = JSON.stringify(report);
  assert.ok(json.includes('"71.0 ▲"'), "ratio 0.4, depth 1 holds upwards");
  assert.ok(json.includes('"72.0 ▼"'), "ratio 0.2, depth 2 holds downwards");
  assert.ok(json.includes('"73.0"') && !json.includes("73.0 ▲"), "not holding: no mark");
});
