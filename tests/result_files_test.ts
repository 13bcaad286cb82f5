/**
 * The result files a researcher loads in pandas: `metrics.csv`, `metrics_long.csv` and
 * `metrics_summary.csv` read with Debian's python3-pandas as docs/outputs.md shows, their dtypes,
 * and table.md's numbers rebuilt from them with pivots. Plus the files' exact content on a
 * hand-checked case.
 */
import assert from "node:assert/strict";
import {
  LONG_METRICS,
  metricsCsv,
  metricsLongCsv,
  metricsLongRows,
  metricsSummaryCsv,
  metricsSummaryRows,
} from "../lib/outputs/mod.ts";
import { makeConfig } from "../lib/config/mod.ts";
import type { Metrics } from "../lib/metrics/mod.ts";
import {
  type CellPredictions,
  type CellResult,
  gridVariants,
  NAMED_ABLATIONS,
  REFERENCE_VARIANT,
  settingValues,
  sweepVariants,
  variedSettings,
} from "../lib/run/mod.ts";
import { parseMarkdownTable } from "../lib/report/table.ts";
import { smallAblation } from "./_runs.ts";

const READER = new URL("./fixtures/result_files/read_metrics.py", import.meta.url).pathname;

Deno.test("variedSettings: the settings that differ, ratio and depth first, named for the columns", () => {
  const configs = (variants: { overrides: Parameters<typeof makeConfig>[0] }[]) =>
    variants.map((v) => makeConfig(v.overrides));
  assert.deepEqual(variedSettings(configs(sweepVariants([0, 0.4], [1, 3]))), [
    { name: "ratio", path: ["head", "ratio"], type: "number" },
    { name: "depth", path: ["head", "numMappingLayers"], type: "integer" },
  ]);
  assert.deepEqual(
    variedSettings(configs([REFERENCE_VARIANT, ...NAMED_ABLATIONS])).map((s) => s.name),
    ["fusion", "modality", "classifier", "classifier_init"],
  );
  // Seeds are a column of their own; a single config varies nothing.
  assert.deepEqual(
    variedSettings([makeConfig({ train: { seed: 1 } }), makeConfig({ train: { seed: 2 } })]),
    [],
  );
  const mixed = [makeConfig({ train: { lr: 1e-3 } }), makeConfig({ clip: { model: "tiny" } })];
  const varied = variedSettings(mixed);
  assert.deepEqual(varied.map((s) => s.name), ["clip_model", "lr"]);
  assert.deepEqual(settingValues(mixed[0], varied), {
    clip_model: "Xenova/clip-vit-large-patch14",
    lr: 0.001,
  });
  const drops = [makeConfig(), makeConfig({ head: { dropProbs: [0, 0.5, 0] } })];
  assert.deepEqual(settingValues(drops[1], variedSettings(drops)), { drop_probs: "0,0.5,0" });
});

/** A split's metrics as a record holds them. */
function metrics(m: Partial<Metrics>): Metrics {
  return {
    n: 4,
    numClasses: 2,
    accuracy: 0.5,
    macroF1: 0.5,
    auroc: 0.5,
    aurocReference: 0.5,
    confusion: [[1, 1], [1, 1]],
    loss: 0.7,
    ...m,
  };
}

Deno.test("metrics files: exact rows, units, quoting and the summary over seeds, hand-checked", () => {
  const variants = gridVariants([0, 0.2], [1]);
  // Val: classes [0, 0, 1, 1]; test: [0, 1, 1, 1]. Logits chosen so every number is by hand.
  const cell = (variant: number, seed: number, testLogits: number[]) => {
    const v = variants[variant];
    const key = `${v.name}__hate__seed${seed}`;
    const config = makeConfig({ ...v.overrides, train: { seed } });
    const test = metrics({ accuracy: seed === 1 ? 0.75 : 0.5, auroc: 1, loss: 0.25 });
    const result: CellResult = {
      key,
      variant: v.name,
      task: "hate",
      seed,
      config,
      backend: "blas",
      numParams: 1,
      seconds: 1.234,
      curves: [1, 2].map((epoch) => ({
        epoch,
        trainLoss: 1,
        val: metrics({ accuracy: 0.1 * epoch }),
        test,
        seconds: 0.5,
        evalSeconds: 0.1,
        referenceMonitor: 0.5,
      })),
      reference: { epoch: 2, test },
      clean: { epoch: 1, val: metrics({ accuracy: 0.1 }), test },
      excluded: { train: 0, val: 0, test: 0 },
    };
    const val = Float32Array.from([2, 0, 2, 0, 0, 2, 0, 2]); // all right, p = 0.881
    const logits = { val, test: Float32Array.from(testLogits) };
    const predictions: CellPredictions = {
      key,
      variant: v.name,
      task: "hate",
      seed,
      classNames: ["Benign Meme", "Harmful Meme"],
      epochs: { reference: 2, clean: 1 },
      rows: {
        val: { names: ["a", "b", "c", "d"], labels: Int32Array.from([0, 0, 1, 1]) },
        test: { names: ["e", "f", "g", "h"], labels: Int32Array.from([0, 1, 1, 1]) },
      },
      logits: { reference: logits, clean: logits },
    };
    return { result, predictions };
  };
  // Test: seed 1 predicts [0, 1, 1, 0] (3 of 4 right), seed 2 [0, 0, 1, 0] (2 of 4).
  const cells = [
    cell(0, 1, [1, 0, 0, 1, 0, 1, 1, 0]),
    cell(0, 2, [1, 0, 1, 0, 0, 1, 1, 0]),
    cell(1, 1, [1, 0, 0, 1, 0, 1, 1, 0]),
  ];
  const input = {
    run: "20260101-000000-x",
    results: cells.map((c) => c.result),
    predictions: cells.map((c) => c.predictions),
    settings: variedSettings(cells.map((c) => c.result.config)),
  };
  const long = metricsLongRows(input);
  // Per cell, protocol and split: 9 task metrics + 4 per-class × 2 classes, + 4 more on test.
  assert.equal(long.length, 3 * 2 * (2 * (9 + 8) + 4));
  const pick = (seed: number, protocol: string, split: string, metric: string, cls = "") =>
    long.filter((r) =>
      r.variant === "ratio=0,depth=1" && r.seed === seed && r.protocol === protocol &&
      r.split === split && r.metric === metric && r.className === cls
    ).map((r) => r.value);
  assert.deepEqual(pick(1, "reference", "val", "accuracy"), [0.2], "the reference epoch's val");
  assert.deepEqual(pick(1, "clean", "val", "accuracy"), [0.1]);
  assert.deepEqual(pick(1, "clean", "test", "accuracy"), [0.75], "from the record");
  assert.deepEqual(pick(1, "clean", "test", "n"), [4]);
  assert.deepEqual(pick(1, "clean", "test", "loss"), [0.25]);
  // Seed 2 on test: class 0 recall 1 (1/1), class 1 recall 1/3; precision 1/3 and 1.
  assert.deepEqual(pick(2, "clean", "test", "balanced_accuracy"), [(1 + 1 / 3) / 2]);
  assert.deepEqual(pick(2, "clean", "test", "precision", "Benign Meme"), [1 / 3]);
  assert.deepEqual(pick(2, "clean", "test", "recall", "Harmful Meme"), [1 / 3]);
  assert.deepEqual(pick(2, "clean", "test", "support", "Harmful Meme"), [3]);
  // Every test prediction has confidence sigmoid(1) = 0.731: ECE |acc − 0.731| in one bin.
  const conf = 1 / (1 + Math.exp(-1));
  assert.ok(Math.abs(pick(1, "clean", "test", "ece")[0] - Math.abs(0.75 - conf)) < 1e-6);
  const brier = (3 * 2 * (1 - conf) ** 2 + 2 * conf ** 2) / 4;
  assert.ok(Math.abs(pick(1, "clean", "test", "brier")[0] - brier) < 1e-6);
  assert.equal(pick(1, "clean", "test", "temperature").length, 1);
  assert.deepEqual(pick(1, "clean", "val", "temperature"), [], "the temperature is a test row");
  // Every metric of the rows is in the schema, with the splits the schema gives it.
  for (const r of long) {
    const m = LONG_METRICS.find((x) => x.name === r.metric);
    assert.ok(m && m.splits.includes(r.split) && m.perClass === (r.className !== ""), r.metric);
  }

  const text = metricsLongCsv(long, input.settings).split("\n");
  assert.equal(text[0], "run,variant,ratio,task,seed,protocol,epoch,split,metric,class,value");
  // A float setting and every measured value with a decimal point, so pandas reads floats.
  assert.equal(text[1], '20260101-000000-x,"ratio=0,depth=1",0.0,hate,1,reference,2,val,n,,4.0');
  assert.ok(
    text.includes(
      '20260101-000000-x,"ratio=0,depth=1",0.0,hate,2,clean,1,test,support,Harmful Meme,3.0',
    ),
  );

  const wide = metricsCsv(input, long).split("\n");
  assert.equal(
    wide[0],
    "variant,ratio,task,seed,protocol,epoch,n,accuracy,auroc,auroc_reference,macro_f1," +
      "balanced_accuracy,ece,brier,temperature,ece_scaled,brier_scaled,seconds,backend",
  );
  assert.match(
    wide[1],
    /^"ratio=0,depth=1",0\.0,hate,1,reference,2,4,0\.75,1\.0,0\.5,0\.5,0\.8333333333333333,/,
  );
  assert.match(wide[1], /,1\.23,blas$/);
  assert.equal(wide.length, 3 * 2 + 2, "a row per cell and protocol, a header, a final newline");

  const summary = metricsSummaryRows(long);
  const acc = summary.find((r) =>
    r.variant === "ratio=0,depth=1" && r.protocol === "clean" && r.split === "test" &&
    r.metric === "accuracy"
  )!;
  assert.equal(acc.stats.n, 2);
  assert.equal(acc.stats.mean, 0.625);
  assert.equal(acc.stats.std, Math.sqrt(0.03125));
  assert.deepEqual([acc.min, acc.max, acc.meanEpoch], [0.5, 0.75, 1]);
  const lines = metricsSummaryCsv(summary, input.settings).split("\n");
  assert.equal(
    lines[0],
    "run,variant,ratio,task,protocol,split,metric,class,seeds,mean,std,min,max,seed_ci_low," +
      "seed_ci_high,bootstrap_low,bootstrap_high,mean_epoch",
  );
  const one = lines.find((l) =>
    l.startsWith('20260101-000000-x,"ratio=0.2,depth=1",0.2,hate,clean,test,accuracy,,')
  )!;
  assert.equal(
    one.split(",").slice(-10).join(","),
    "1,0.75,,0.75,0.75,,,,,1.0",
    "one seed: no std",
  );
});

const DOCS = new URL("../docs/outputs.md", import.meta.url);

/** The Python block under docs/outputs.md's pandas-example marker. */
function docsPandasExample(): string {
  const text = Deno.readTextFileSync(DOCS);
  const at = text.indexOf("<!-- pandas example");
  assert.ok(at >= 0, "docs/outputs.md has its pandas example");
  const block = /```python\n([\s\S]*?)```/.exec(text.slice(at));
  return block![1];
}

Deno.test("docs/outputs.md lists every metric of the long file with its unit, splits and meaning", () => {
  const text = Deno.readTextFileSync(DOCS);
  const table = text.slice(text.indexOf("<!-- long-metrics"), text.indexOf("<!-- /long-metrics"));
  const rows = table.split("\n").filter((l) => l.startsWith("| `")).map((l) =>
    l.split("|").slice(1, -1).map((c) => c.trim())
  );
  assert.deepEqual(
    rows,
    LONG_METRICS.map((m) => [
      `\`${m.name}\``,
      m.unit,
      m.splits.join(", "),
      m.perClass ? "yes" : "",
      m.description,
    ]),
  );
});

const PYTHON = "/usr/bin/python3";
const pandas = await new Deno.Command(PYTHON, { args: ["-c", "import pandas"] }).output()
  .then((o) => o.success, () => false);

Deno.test({
  name:
    "pandas reads the result files with numeric settings, and its pivots give table.md's numbers",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    assert.ok(
      pandas,
      `${PYTHON} cannot import pandas: run \`bash scripts/bootstrap.sh test\` (apt: python3-pandas)`,
    );
    const work = await Deno.makeTempDir({ prefix: "memesense-result-files-" });
    try {
      const { runDir } = await smallAblation(work, `${work}/results`);
      const out = await new Deno.Command(PYTHON, {
        args: [READER, runDir],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.ok(out.success, stderr);
      const read = JSON.parse(new TextDecoder().decode(out.stdout));

      const settings = { ratio: "float64", depth: "int64" };
      const floats = (names: string[]) => Object.fromEntries(names.map((n) => [n, "float64"]));
      assert.deepEqual(read.dtypes.metrics, {
        variant: "object",
        ...settings,
        task: "object",
        seed: "int64",
        protocol: "object",
        epoch: "int64",
        n: "int64",
        ...floats([
          "accuracy",
          "auroc",
          "auroc_reference",
          "macro_f1",
          "balanced_accuracy",
          "ece",
          "brier",
          "temperature",
          "ece_scaled",
          "brier_scaled",
          "seconds",
        ]),
        backend: "object",
      });
      assert.deepEqual(read.dtypes.long, {
        run: "object",
        variant: "object",
        ...settings,
        task: "object",
        seed: "int64",
        protocol: "object",
        epoch: "int64",
        split: "object",
        metric: "object",
        class: "object",
        value: "float64",
      });
      assert.deepEqual(read.dtypes.summary, {
        run: "object",
        variant: "object",
        ...settings,
        task: "object",
        protocol: "object",
        split: "object",
        metric: "object",
        class: "object",
        seeds: "int64",
        ...floats([
          "mean",
          "std",
          "min",
          "max",
          "seed_ci_low",
          "seed_ci_high",
          "bootstrap_low",
          "bootstrap_high",
          "mean_epoch",
        ]),
      });
      // 4 variants × 2 seeds × 2 protocols; per cell, protocol and split 9 + 4 × 2 rows, +4 on test.
      assert.equal(read.rows.metrics, 4 * 2 * 2);
      assert.equal(read.rows.long, 4 * 2 * 2 * (2 * (9 + 8) + 4));
      assert.equal(read.rows.summary, 4 * 2 * (2 * (9 + 8) + 4));

      // table.md's tables, each row found among pandas' with the same text in every cell.
      const tables = (await Deno.readTextFile(`${runDir}/table.md`)).split(/\n\s*\n/)
        .filter((b) => b.startsWith("|")).map(parseMarkdownTable);
      const [summaryTable, intervals, , calibration, perClass] = tables;
      assert.equal(
        tables.length,
        5,
        "summary, intervals, paired comparisons, calibration, per-class",
      );
      const check = (
        table: typeof tables[number],
        rebuilt: Record<string, string[]>,
        width: number,
      ) => {
        assert.equal(table.rows.length, Object.keys(rebuilt).length);
        for (const row of table.rows) {
          const cells = row.map(String);
          const key = cells.slice(0, width).join("|");
          assert.deepEqual(rebuilt[key], cells, key);
        }
      };
      check(summaryTable, read.tables.summary, 3);
      check(intervals, read.tables.interval, 3);
      check(calibration, read.tables.calibration, 3);
      check(perClass, read.tables.per_class, 4);

      // The example of docs/outputs.md runs as printed on this run's files.
      const example = docsPandasExample().replace(
        /^run = .*$/m,
        `run = ${JSON.stringify(runDir)}`,
      );
      const script = `${work}/example.py`;
      await Deno.writeTextFile(script, example);
      const ran = await new Deno.Command(PYTHON, {
        args: [script],
        stdout: "piped",
        stderr: "piped",
      })
        .output();
      const printed = new TextDecoder().decode(ran.stdout);
      assert.ok(ran.success, new TextDecoder().decode(ran.stderr));
      // The ratio × depth grid: depth rows 1 and 2, ratio columns 0.2 and 0.6.
      assert.match(printed, /ratio\s+0\.2\s+0\.6\s*\ndepth\s*\n1\s+\S+\s+\S+\s*\n2\s+\S+\s+\S+/);
      assert.match(printed, /bootstrap_low/);
    } finally {
      await Deno.remove(work, { recursive: true });
    }
  },
});
