/**
 * Experiments as users drive them: set-up errors that say what to do, resumption that skips
 * finished cells and recomputes the rest identically, and run directories that never overwrite.
 */
import assert from "node:assert/strict";
import { DEFAULT_DATA_DIR, makeConfig } from "../lib/config/mod.ts";
import {
  type CellResult,
  type ExperimentInputs,
  loadRunPredictions,
  PROTOCOLS,
  REFERENCE_VARIANT,
  taskData,
} from "../lib/run/mod.ts";
import { runExperiment } from "../lib/experiment/mod.ts";
import { ensureSyntheticMemes } from "../lib/synthetic/mod.ts";
import { exists, writeSealedJson } from "../lib/util/mod.ts";
import { readRunComparison } from "../lib/analysis/mod.ts";
import { evaluateLogits } from "../lib/metrics/mod.ts";
import { syntheticInputs } from "./_runs.ts";
import { runScript } from "../scripts/run_script.ts";

const script = (name: string, ...args: string[]) =>
  runScript(name, args, { MEMESENSE_PRIDEMM_CSV: "" });

Deno.test("reproduce explains a missing dataset or model and points to the offline demo", async () => {
  const noData = await script("reproduce", "--data", "/nonexistent/PrideMM.csv");
  assert.equal(noData.code, 2);
  assert.match(noData.stderr, /PrideMM annotations not found at \/nonexistent\/PrideMM\.csv/);
  assert.match(noData.stderr, /deno task fetch-data/);
  assert.match(noData.stderr, /deno task demo/);

  if (!(await exists(`${DEFAULT_DATA_DIR}/PrideMM.csv`))) {
    // No dataset and downloads off: nothing is fetched, and the message says how to get it.
    const offline = await script("reproduce", "--offline");
    assert.equal(offline.code, 2);
    assert.match(offline.stderr, /PrideMM is not in .*data\/PrideMM and downloads are off/);
    assert.match(offline.stderr, /deno task fetch-data --archive/);
    assert.match(offline.stderr, /deno task demo/);
  }

  const memes = await ensureSyntheticMemes();
  const noModel = await script(
    "reproduce",
    "--data",
    memes.csvPath,
    "--offline",
    "--model",
    "/nonexistent/clip-model",
  );
  assert.equal(noModel.code, 2);
  assert.match(
    noModel.stderr,
    /could not prepare CLIP features with model "\/nonexistent\/clip-model"/,
  );
  assert.match(noModel.stderr, /deno task demo/);
});

Deno.test("--help lists every flag with its default; bad flags are named", async () => {
  const help = await script("reproduce", "--help");
  assert.equal(help.code, 0);
  for (
    const flag of [
      "--tasks",
      "--seeds",
      "--epochs",
      "--protocol",
      "--model",
      "--data",
      "--out",
      "--backend",
      "--resume",
    ]
  ) {
    assert.ok(help.stdout.includes(flag), `${flag} missing from --help`);
  }
  assert.match(help.stdout, /--seeds\s+.*\(default: 3\)/);
  assert.match(help.stdout, /--epochs\s+.*\(default: 10\)/);
  const ablate = await script("ablate", "--help");
  assert.match(ablate.stdout, /--ratios\s+.*\(default: 0,0\.2,0\.4,0\.6,0\.8,1\)/);
  assert.match(ablate.stdout, /--depths\s+.*\(default: 1,2,3\)/);
  const unknown = await script("ablate", "--ratio", "0.4", "--bogus");
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^unknown flag --bogus \(see --help\)\n\nusage: deno task ablate/);
  const bad = await script("reproduce", "--ratio", "1.5", "--data", "/nonexistent.csv");
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, "error: --ratio 1.5: expected a number in [0, 1]\n");
});

Deno.test({
  name: "an interrupted run resumes: finished cells are skipped, the rest recomputed identically",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const out = await Deno.makeTempDir({ prefix: "memesense-resume-" });
    try {
      const spec = {
        name: "resume-check",
        title: "resume check",
        tasks: ["hate", "stance"] as const,
        seeds: [1, 2],
        variants: [REFERENCE_VARIANT],
        baseConfig: makeConfig({ clip: { model: "tiny" }, train: { epochs: 2 } }),
        inputs: await syntheticInputs(),
        outRoot: out,
        workers: 2,
        log: () => {},
      };
      const first = await runExperiment({ ...spec, tasks: [...spec.tasks] });
      assert.equal(first.results.length, 4);
      // Each cell records what computed it, as the backend describes itself.
      const saved: CellResult = JSON.parse(
        await Deno.readTextFile(`${first.runDir}/cells/memeclip__hate__seed1.json`),
      );
      assert.ok(saved.backendDetail?.startsWith(`${saved.backend} (`), String(saved.backendDetail));
      if (saved.backend === "blas") {
        assert.match(saved.backendDetail!, /OpenBLAS cblas_sgemm .*, \w+ kernels, 1 thread\)$/);
      }
      await checkSavedPredictions(first.runDir, first.results, spec.inputs);

      // Simulate an interruption: one cell and the final files never got written.
      const lost = "memeclip__stance__seed2";
      await Deno.remove(`${first.runDir}/cells/${lost}.json`);
      await Deno.remove(`${first.runDir}/metrics.json`);
      const lines: string[] = [];
      const resumed = await runExperiment({
        ...spec,
        tasks: [...spec.tasks],
        resume: "latest",
        log: (l) => lines.push(l),
      });
      assert.equal(resumed.runDir, first.runDir);
      assert.ok(
        lines.some((l) => l.includes("resuming: 3 cells finished, 1 to run")),
        lines.join("\n"),
      );
      const key = (r: CellResult) => r.key;
      assert.deepEqual(resumed.results.map(key), first.results.map(key));
      const again = resumed.results.find((r) => r.key === lost)!;
      const before = first.results.find((r) => r.key === lost)!;
      assert.deepEqual(again.clean, before.clean, "same seed, same backend: identical metrics");
      assert.deepEqual(again.reference, before.reference);
      JSON.parse(await Deno.readTextFile(`${first.runDir}/metrics.json`));

      // Resuming with other settings is refused: old and new cells would not compare.
      await assert.rejects(
        runExperiment({ ...spec, tasks: [...spec.tasks], seeds: [1, 2, 3], resume: first.runDir }),
        (e: Error) => {
          assert.equal(e.name, "ResumeError");
          assert.equal(
            e.message,
            `cannot resume ${first.runDir}: seeds is [1,2] in its config.json but [1,2,3] here; ` +
              "resume with the run's settings, or start a new run",
          );
          return true;
        },
      );

      // A new run never writes into an earlier one.
      const second = await runExperiment({ ...spec, tasks: ["hate"], seeds: [1] });
      assert.notEqual(second.runDir, first.runDir);
      assert.equal([...Deno.readDirSync(`${first.runDir}/cells`)].length, 4);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

/**
 * Every cell saved its predictions, and they are what its metrics were computed from: the
 * metrics recomputed from the saved logits equal the reported ones exactly, for both protocols;
 * the memes are the split's, in order. The CSV export has one row per (cell, protocol, split,
 * meme) and honours its filters.
 */
async function checkSavedPredictions(
  runDir: string,
  results: readonly CellResult[],
  inputs: ExperimentInputs,
): Promise<void> {
  const saved = await loadRunPredictions(runDir);
  assert.deepEqual(saved.map((p) => p.key), results.map((r) => r.key));
  let rows = 0;
  for (const r of results) {
    const p = saved.find((x) => x.key === r.key)!;
    const data = taskData(inputs.dataset, inputs.features, r.task);
    assert.deepEqual(p.rows.test.names, data.memes.test.map((m) => m.name));
    assert.deepEqual(p.rows.val.labels, data.splits.val.labels);
    const C = p.classNames.length;
    assert.deepEqual(p.epochs, { reference: r.reference.epoch, clean: r.clean.epoch });
    assert.deepEqual(
      evaluateLogits(p.logits.reference.test, p.rows.test.labels, C),
      r.reference.test,
    );
    assert.deepEqual(evaluateLogits(p.logits.clean.test, p.rows.test.labels, C), r.clean.test);
    assert.deepEqual(evaluateLogits(p.logits.clean.val, p.rows.val.labels, C), r.clean.val);
    rows += PROTOCOLS.length * (data.splits.val.n + data.splits.test.n);
  }
  const csv = `${runDir}/export.csv`;
  const all = await script("predictions", runDir, "--csv", csv);
  assert.equal(all.code, 0, all.stderr);
  const lines = (await Deno.readTextFile(csv)).trimEnd().split("\n");
  assert.equal(lines.length, 1 + rows);
  assert.match(
    lines[0],
    /^variant,task,seed,protocol,epoch,split,meme,true_class,predicted_class,p_/,
  );
  const hate = await script("predictions", runDir, "--task", "hate", "--csv", csv);
  assert.equal(hate.code, 0, hate.stderr);
  const hateLines = (await Deno.readTextFile(csv)).trimEnd().split("\n").slice(1);
  assert.ok(hateLines.length > 0 && hateLines.every((l) => l.split(",")[1] === "hate"));
  const bad = await script("predictions", runDir, "--task", "sarcasm");
  assert.equal(bad.code, 2);
  assert.match(
    bad.stderr,
    /^error: --task sarcasm: expected a task of the run: hate, stance$/m,
  );
}

Deno.test({
  name:
    "a split a task needs is empty or of one class: one line, exit 2, before the run folder exists",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const work = await Deno.makeTempDir({ prefix: "memesense-splits-" });
    try {
      const memes = await ensureSyntheticMemes();
      const [header, ...rows] = (await Deno.readTextFile(memes.csvPath)).trimEnd().split("\n");
      const of = (split: string, hate?: string) =>
        rows.filter((r) => r.split(",")[5] === split && (!hate || r.split(",")[1] === hate));
      const write = async (name: string, picked: string[]) => {
        const csv = `${work}/${name}.csv`;
        await Deno.writeTextFile(csv, [header, ...picked].join("\n") + "\n");
        return csv;
      };
      const noVal = await write("no-val", [...of("train").slice(0, 8), ...of("test").slice(0, 4)]);
      const oneClass = await write("one-class", [
        ...of("train").slice(0, 8),
        ...of("val", "0").slice(0, 4),
        ...of("test").slice(0, 4),
      ]);
      const env = { MEMESENSE_PRIDEMM_CSV: "", MEMESENSE_CLIP_MODEL: "", MEMESENSE_CACHE: work };
      const run = (csv: string) =>
        runScript("reproduce", [
          "--data",
          csv,
          "--images",
          memes.imageDir,
          "--model",
          "tiny",
          "--offline",
          "--tasks",
          "hate",
          "--epochs",
          "1",
          "--out",
          `${work}/results`,
        ], env);
      const empty = await run(noVal);
      assert.equal(empty.code, 2, empty.stderr);
      assert.equal(
        empty.stderr.trimEnd().split("\n").at(-1),
        `error: ${noVal}: field "split": task hate, val split is empty (no meme in it); every ` +
          "split must have memes",
      );
      const single = await run(oneClass);
      assert.equal(single.code, 2, single.stderr);
      assert.equal(
        single.stderr.trimEnd().split("\n").at(-1),
        `error: ${oneClass}: field "hate": task hate, val split holds only class "Benign Meme" ` +
          "(4 memes); a split cells are evaluated on needs at least two classes",
      );
      assert.ok(!(await exists(`${work}/results`)), "no run folder was created");
    } finally {
      await Deno.remove(work, { recursive: true });
    }
  },
});

Deno.test({
  name: "a run's comparison with the paper is read back as its tables hold it, never recomputed",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const out = await Deno.makeTempDir({ prefix: "memesense-comparison-" });
    try {
      // Generated memes on the tiny CLIP, asked to compare: the tables refuse, and so does the
      // reader (a notebook used to put PrideMM-named tasks beside the paper regardless).
      const run = await runExperiment({
        name: "comparison-check",
        title: "comparison check",
        tasks: ["hate"],
        seeds: [1],
        variants: [REFERENCE_VARIANT],
        baseConfig: makeConfig({ clip: { model: "tiny" }, train: { epochs: 1 } }),
        inputs: await syntheticInputs(),
        outRoot: out,
        workers: 1,
        compareWithPaper: true,
        log: () => {},
      });
      assert.deepEqual(await readRunComparison(run.runDir), []);
      const table = await Deno.readTextFile(`${run.runDir}/table.md`);
      assert.match(table, /not compared with the paper: the memes are generated/);

      // What a compared run's metrics.json holds comes back as it is.
      const row = { task: "hate", protocol: "reference", n: 1, paper: { accuracy: 76.06 } };
      const dir = `${out}/compared`;
      await Deno.mkdir(dir);
      await writeSealedJson(`${dir}/metrics.json`, { comparison: [row] });
      assert.deepEqual(await readRunComparison(dir), [row]);

      // Missing or altered: the file named, and what to run.
      const missing = await readRunComparison(`${out}/nowhere`).catch((e) => e);
      assert.match(missing.message, /nowhere\/metrics\.json: missing; .*deno task aggregate/);
      const text = await Deno.readTextFile(`${dir}/metrics.json`);
      await Deno.writeTextFile(`${dir}/metrics.json`, text.replace("76.06", "86.06"));
      const altered = await readRunComparison(dir).catch((e) => e);
      assert.equal(altered.name, "RunIntegrityError");
      assert.match(altered.message, /metrics\.json: checksum mismatch/);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});
