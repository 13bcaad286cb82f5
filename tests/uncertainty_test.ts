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
import { runReport } from "../lib/outputs/_run_report.ts";
import { seedMajority } from "../lib/analysis/uncertainty.ts";
import { writeCellPredictions } from "../lib/run/predictions.ts";
import { writeCellResult } from "../lib/run/integrity.ts";
import { makeConfig } from "../lib/config/mod.ts";
import { evaluateLogits } from "../lib/metrics/mod.ts";
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

/**
 * A run directory with the cells' predictions and, unless `records` is false, their records (the
 * metrics of the saved logits, the config's head ratio), under a minimal config.json.
 */
async function fakeRun(
  cells: CellPredictions[],
  meta: Record<string, unknown> = {},
  records = true,
): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "memesense-uncertainty-" });
  const record = {
    name: "fake",
    featureStore: "store-1",
    config: { head: { ratio: 0.2 } },
    ...meta,
  } as { config: { head: { ratio: number } } };
  await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(record));
  for (const c of cells) {
    await writeCellPredictions(dir, c);
    if (!records) continue;
    const score = (protocol: "reference" | "clean", split: "val" | "test") =>
      evaluateLogits(c.logits[protocol][split], c.rows[split].labels, 2);
    const curves = [1, 2, 3].map((epoch) => ({
      epoch,
      trainLoss: 0.5,
      val: score(epoch === 3 ? "clean" : "reference", "val"),
      test: score(epoch === 3 ? "clean" : "reference", "test"),
      seconds: 1,
      evalSeconds: 0.1,
      referenceMonitor: 0.5,
    }));
    await writeCellResult(dir, {
      key: c.key,
      variant: c.variant,
      task: c.task,
      seed: c.seed,
      config: makeConfig({ head: { ratio: record.config.head.ratio }, train: { seed: c.seed } }),
      backend: "blas",
      numParams: 1,
      seconds: 3,
      curves,
      reference: { epoch: 2, test: score("reference", "test") },
      clean: { epoch: 3, val: score("clean", "val"), test: score("clean", "test") },
      excluded: { train: 0, val: 0, test: 0 },
    });
  }
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

Deno.test("deno task compare: config diff, paired table, refusals; a new folder with the page and long file", async () => {
  const a = await fakeRun([1, 2].map((s) => cell("memeclip", s, 0.6)));
  const b = await fakeRun([1, 2].map((s) => cell("memeclip", s, 0.9)), {
    config: { head: { ratio: 0.4 } },
  });
  const c = await fakeRun([1, 2].map((s) => cell("memeclip", s, 0.9)), { featureStore: "store-2" });
  const d = await fakeRun([1, 2].map((s) => cell("memeclip", s, 0.9, 120)));
  const e = await fakeRun([1, 2].map((s) => cell("memeclip", s, 0.6)), {
    config: { head: { ratio: 0.6 } },
  });
  const out = await Deno.makeTempDir({ prefix: "memesense-compare-" });
  try {
    const ok = await runScript("compare", [a, b, "--replicates", "300", "--out", out]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(
      ok.stdout,
      /Settings that differ \(A → B\):\n {2}config\.head\.ratio: 0\.2 → 0\.4/,
    );
    const rows = ok.stdout.split("\n").filter((l) => l.startsWith("| A:memeclip"));
    assert.equal(rows.length, 2 * 3);
    assert.ok(rows.every((r) => r.includes("✓")), rows.join("\n"));
    // Written into a new folder: the page with the paired tests, the text, every cell long.
    const [first] = [...Deno.readDirSync(`${out}/comparisons`)].map((x) => x.name);
    assert.match(first, /^\d{8}-\d{6}-compare$/);
    const folder = `${out}/comparisons/${first}`;
    assert.ok(ok.stdout.includes(`written to ${folder}/`), ok.stdout);
    assert.deepEqual(
      [...Deno.readDirSync(folder)].map((x) => x.name).sort(),
      ["comparison.html", "comparison.md", "metrics_long.csv"],
    );
    const html = await Deno.readTextFile(`${folder}/comparison.html`);
    for (const r of rows) {
      // Each printed row's numbers are in the page: Δ, interval, p and Holm's p.
      for (const cellText of r.split("|").slice(6, 10).map((x) => x.trim())) {
        assert.ok(html.includes(cellText), cellText);
      }
    }
    assert.ok(html.includes("config.head.ratio"));
    const long = (await Deno.readTextFile(`${folder}/metrics_long.csv`)).trimEnd().split("\n");
    assert.equal(long[0], "run,variant,ratio,task,seed,protocol,epoch,split,metric,class,value");
    const runNames = new Set(long.slice(1).map((l) => l.split(",")[0]));
    assert.deepEqual(runNames, new Set([a, b].map((dir) => dir.split("/").at(-1))));
    // 2 runs × 2 seeds × 2 protocols × 2 splits × (9 metrics + 4 per class × 2) + 4 on test.
    assert.equal(long.length - 1, 2 * 2 * 2 * (2 * (9 + 8) + 4));
    assert.ok(long.some((l) => l.includes(",0.4,hate,2,clean,3,test,accuracy,,")));
    // A second comparison never writes over the first.
    const again = await runScript("compare", [a, b, e, "--replicates", "300", "--out", out]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal([...Deno.readDirSync(`${out}/comparisons`)].length, 2);
    assert.deepEqual(
      (await Deno.readTextFile(`${folder}/comparison.md`)).trimEnd(),
      ok.stdout.slice(0, ok.stdout.indexOf("\nwritten to")).trimEnd(),
    );
    // Three runs: every pair, with its settings, in one Holm family per protocol.
    assert.match(again.stdout, /^C = .*$/m);
    assert.match(
      again.stdout,
      /Settings that differ \(A → C\):\n {2}config\.head\.ratio: 0\.2 → 0\.6/,
    );
    assert.match(
      again.stdout,
      /Settings that differ \(B → C\):\n {2}config\.head\.ratio: 0\.4 → 0\.6/,
    );
    const pairs = again.stdout.split("\n").filter((l) => /^\| [ABC]:memeclip/.test(l))
      .map((l) => l.split("|").slice(1, 3).map((x) => x.trim()).join(" vs "));
    assert.deepEqual(
      [...new Set(pairs)],
      ["A:memeclip vs B:memeclip", "A:memeclip vs C:memeclip", "B:memeclip vs C:memeclip"],
    );
    assert.equal(pairs.length, 3 * 3 * 2);

    const store = await runScript("compare", [a, c, "--out", out]);
    assert.equal(store.code, 2);
    assert.match(store.stderr, /different feature stores \(store-1 vs store-2\)/);
    // Flags may come first: the run directories are found among them.
    const allowed = await runScript("compare", [
      "--allow-different-features",
      "--protocol",
      "clean",
      a,
      "--out",
      out,
      c,
    ]);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.match(allowed.stdout, /featureStore: "store-1" → "store-2"/);
    assert.ok(!allowed.stdout.includes("| reference |"));

    const memes = await runScript("compare", [a, d, "--out", out]);
    assert.equal(memes.code, 2);
    assert.match(memes.stderr, /tested on different memes/);
    const one = await runScript("compare", [a, "--out", out]);
    assert.equal(one.code, 2);
    assert.match(one.stderr, /give two or more run directories/);
    assert.equal([...Deno.readDirSync(`${out}/comparisons`)].length, 3, "refusals write nothing");
  } finally {
    for (const dir of [a, b, c, d, e, out]) await Deno.remove(dir, { recursive: true });
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
    uncertainty: {
      bootstrap: { replicates: 2000, seed: 0, level: 0.95 },
      groups: [],
      missing: [],
      reference: "ratio=0.2,depth=1",
      comparisons: [
        paired("ratio=0.4,depth=1", 0.03, true),
        paired("ratio=0.2,depth=2", -0.02, true),
        paired("ratio=0.4,depth=2", 0.01, false),
      ],
    },
  });
  const json = JSON.stringify(report);
  assert.ok(json.includes('"71.0 ▲"'), "ratio 0.4, depth 1 holds upwards");
  assert.ok(json.includes('"72.0 ▼"'), "ratio 0.2, depth 2 holds downwards");
  assert.ok(json.includes('"73.0"') && !json.includes("73.0 ▲"), "not holding: no mark");
});
