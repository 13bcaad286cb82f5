/**
 * Any described dataset through the whole pipeline, as a user runs it: `--dataset` on the
 * scripts (HarMeme and Hateful Memes fixtures, the tiny CLIP: extraction, training, a table that
 * names the dataset and has no published reference), every data error of a script as one line
 * with exit status 2 before any folder is created, and a transfer run (its test sets' exact
 * counts, the class maps applied, intervals, the within-dataset rows, resumed after a damaged
 * file).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  datasetPreset,
  type DatasetTaskView,
  datasetTaskView,
  loadDataset,
} from "../lib/data/mod.ts";
import { readCellPredictions } from "../lib/run/mod.ts";
import { argmax } from "../lib/metrics/mod.ts";
import { ensureSyntheticMemes } from "../lib/synthetic/mod.ts";
import { exists, REPO_ROOT } from "../lib/util/mod.ts";
import { runScript, type ScriptRun } from "../scripts/run_script.ts";

const FIXTURES = join(REPO_ROOT, "tests", "fixtures", "datasets");
const HARMEME = join(FIXTURES, "harmeme");
const TINY_RUN = ["--model", "tiny", "--offline", "--seeds", "1", "--epochs", "2"];

/** A temporary folder, with the environment a run there needs (nothing inherited). */
async function workspace(prefix: string) {
  const work = await Deno.makeTempDir({ prefix });
  const env = {
    MEMESENSE_CACHE: `${work}/cache`,
    MEMESENSE_DATASET: "",
    MEMESENSE_DATA_DIR: "",
    MEMESENSE_CLIP_MODEL: "",
    MEMESENSE_PRIDEMM_CSV: "",
    MEMESENSE_PRIDEMM_IMAGES: "",
    MEMESENSE_RESULTS: "",
    MEMESENSE_TASK: "",
  };
  return { work, env, out: `${work}/results` };
}

/** Hateful Memes in its layout, with labelled test files (as the later release has them). */
async function labelledFhm(dir: string): Promise<string> {
  const root = join(dir, "fhm");
  await Deno.mkdir(join(root, "img"), { recursive: true });
  for await (const e of Deno.readDir(join(FIXTURES, "fhm"))) {
    if (e.isFile) await Deno.copyFile(join(FIXTURES, "fhm", e.name), join(root, e.name));
  }
  for await (const e of Deno.readDir(join(FIXTURES, "fhm", "img"))) {
    await Deno.copyFile(join(FIXTURES, "fhm", "img", e.name), join(root, "img", e.name));
  }
  const line = (id: number, label: number) =>
    JSON.stringify({ id, img: `img/000${id}.png`, label, text: `test meme ${id}` });
  await Deno.writeTextFile(
    join(root, "test_seen.jsonl"),
    [line(50, 0), line(51, 1), line(52, 1)].join("\n") + "\n",
  );
  return root;
}

/** The only run folder under `out` whose name ends with `name`. */
function runDir(out: string, name: string): string {
  const dirs = [...Deno.readDirSync(out)].map((e) => e.name).filter((n) => n.endsWith(`-${name}`));
  assert.equal(dirs.length, 1, `one ${name} run under ${out}: ${dirs}`);
  return `${out}/${dirs[0]}`;
}

/** The rows of the Markdown table whose header starts with `first`. */
function tableRows(markdown: string, first: string): string[][] {
  const block = markdown.split(/\n\s*\n/).find((b) => b.startsWith(`| ${first}`));
  assert.ok(block, `a table starting with "${first}"`);
  return block.split("\n").slice(2).map((l) => l.split("|").slice(1, -1).map((c) => c.trim()));
}

function ok(run: ScriptRun, what: string): void {
  assert.equal(run.code, 0, `${what}: exit ${run.code}\n${run.stdout}\n${run.stderr.slice(-3000)}`);
}

Deno.test({
  name: "reproduce on HarMeme: extract, train, a table naming the dataset without a reference",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { work, env, out } = await workspace("memesense-harmeme-");
    try {
      const data = ["--dataset", "harmeme", "--data", HARMEME];
      const extract = await runScript("extract", [...data, "--model", "tiny", "--offline"], env);
      ok(extract, "extract");
      assert.match(extract.stdout, /extracted 11 memes/);
      const run = await runScript("reproduce", [
        ...data,
        ...TINY_RUN,
        "--tasks",
        "harmful,harm-level",
        "--baselines",
        "false",
        "--out",
        out,
        "--workers",
        "1",
      ], env);
      ok(run, "reproduce");
      assert.match(run.stderr, /features already extracted|resuming|run directory/);
      const dir = runDir(out, "reproduce");
      const table = await Deno.readTextFile(`${dir}/table.md`);
      const lines = table.split("\n");
      assert.equal(lines[0], "# MemeSense: MemeCLIP head on HarMeme (Harm-C)");
      assert.equal(lines[2], "HarMeme (Harm-C), tiny CLIP: no published reference.");
      assert.ok(!table.includes("paper (MemeCLIP)"), "no paper row");
      // The summary names the dataset's tasks; the intervals count its 3 test memes per task.
      const summary = tableRows(table, "Variant  | Task ");
      assert.deepEqual(
        summary.map((r) => `${r[1]} ${r[2]}`),
        ["harmful reference", "harmful clean", "harm-level reference", "harm-level clean"],
      );
      const intervals = tableRows(table, "Variant  | Task       | Protocol  | Seeds | Test memes");
      assert.deepEqual(intervals.map((r) => r[4]), ["3", "3", "3", "3"]);
      // Its classes and titles, in the report's per-class table and baselines' absence.
      const perClass = tableRows(table, "Variant  | Task       | Protocol  | Class");
      assert.deepEqual(
        perClass.filter((r) => r[1] === "harm-level" && r[2] === "clean").map((r) => r[3]),
        ["not harmful", "somewhat harmful", "very harmful", "balanced accuracy"],
      );
      const html = await Deno.readTextFile(`${dir}/report.html`);
      assert.ok(html.includes("Harmfulness level: seed 42"), "the task's title in the report");
      // The record: the dataset as loaded, its identity, the store keyed by it.
      const config = JSON.parse(await Deno.readTextFile(`${dir}/config.json`));
      const ds = await loadDataset(datasetPreset("harmeme"), HARMEME);
      assert.equal(config.dataset.ref, "harmeme");
      assert.equal(config.dataset.data, HARMEME);
      assert.equal(config.dataset.identity.hash, ds.identity.hash);
      assert.deepEqual(config.tasks, ["harmful", "harm-level"]);
      assert.deepEqual(config.clipShape.visionLayers, 1);
      const store = JSON.parse(await Deno.readTextFile(`${config.featureStoreDir}/store.json`));
      assert.equal(store.datasetHash, ds.identity.hash);
      // The head knows its dataset and classes: predict checks them.
      const head = JSON.parse(await Deno.readTextFile(`${dir}/heads/harm-level/head.json`));
      assert.equal(head.dataset, "harmeme");
      assert.deepEqual(head.classNames, ["not harmful", "somewhat harmful", "very harmful"]);
      const other = await runScript("predict", [
        "--heads",
        `${dir}/heads`,
        "--image",
        join(HARMEME, "images", "covid_memes_1.png"),
        "--dataset",
        "fhm",
        "--offline",
      ], env);
      assert.equal(other.code, 2, other.stderr);
      assert.equal(
        other.stderr.trim(),
        `error: ${dir}/heads/harm-level/head.json: this head was trained on harmeme, not fhm; ` +
          "its classes are another dataset's",
      );
      const predicted = await runScript("predict", [
        "--heads",
        `${dir}/heads`,
        "--image",
        join(HARMEME, "images", "covid_memes_1.png"),
        "--dataset",
        "harmeme",
        "--offline",
        "--json",
      ], env);
      ok(predicted, "predict");
      assert.deepEqual(Object.keys(JSON.parse(predicted.stdout)["harm-level"]), [
        "not harmful",
        "somewhat harmful",
        "very harmful",
      ]);
      // aggregate with --dataset checks it is the run's.
      const wrong = await runScript("aggregate", [dir, "--dataset", "pridemm"], env);
      assert.equal(wrong.code, 2);
      assert.equal(
        wrong.stderr.trim(),
        `error: ${dir} was trained on harmeme (HarMeme (Harm-C)), not pridemm`,
      );
      ok(await runScript("aggregate", [dir, "--dataset", "harmeme"], env), "aggregate");
      assert.equal(await Deno.readTextFile(`${dir}/table.md`), table, "the same tables again");
    } finally {
      await Deno.remove(work, { recursive: true });
    }
  },
});

Deno.test({
  name: "reproduce on Hateful Memes: its splits chosen with --splits, its own title",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { work, env, out } = await workspace("memesense-fhm-");
    try {
      const fhm = await labelledFhm(work);
      const run = await runScript("reproduce", [
        "--dataset",
        "fhm",
        "--data",
        fhm,
        "--splits",
        "val=dev_unseen",
        ...TINY_RUN,
        "--out",
        out,
        "--workers",
        "1",
      ], env);
      ok(run, "reproduce");
      const dir = runDir(out, "reproduce");
      const table = await Deno.readTextFile(`${dir}/table.md`);
      assert.equal(table.split("\n")[0], "# MemeSense: MemeCLIP head on Hateful Memes (FHM)");
      assert.equal(table.split("\n")[2], "Hateful Memes (FHM), tiny CLIP: no published reference.");
      const baselines = tableRows(table, "Task ");
      assert.ok(baselines.every((r) => r[0] === "Hateful meme detection"));
      const config = JSON.parse(await Deno.readTextFile(`${dir}/config.json`));
      assert.deepEqual(config.dataset.description.use, {
        train: "train",
        val: "dev_unseen",
        test: "test_seen",
      });
      assert.deepEqual(config.flags.splits, ["val=dev_unseen"]);
      const cell = JSON.parse(
        await Deno.readTextFile(`${dir}/cells/memeclip__hateful__seed42.json`),
      );
      assert.equal(cell.clean.val.n, 3, "dev_unseen's 3 memes");
      assert.equal(cell.clean.test.n, 3, "test_seen's 3 memes");
    } finally {
      await Deno.remove(work, { recursive: true });
    }
  },
});

Deno.test({
  name: "data errors on every script: file, line and field in one line, exit 2, nothing created",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { work, env, out } = await workspace("memesense-dataset-errors-");
    try {
      // A description with a field it cannot have.
      const bad = `${work}/bad.json`;
      await Deno.writeTextFile(
        bad,
        JSON.stringify({ ...datasetPreset("harmeme"), name: "bad", colour: "red" }),
      );
      // HarMeme with a label the description does not map, on line 2 of train.jsonl.
      const unmapped = `${work}/unmapped`;
      await Deno.mkdir(`${unmapped}/annotations`, { recursive: true });
      for (const split of ["train", "val", "test"]) {
        let text = await Deno.readTextFile(`${HARMEME}/annotations/${split}.jsonl`);
        if (split === "train") text = text.replace('"somewhat harmful"', '"extremely harmful"');
        await Deno.writeTextFile(`${unmapped}/annotations/${split}.jsonl`, text);
      }
      const empty = `${work}/empty`;
      await Deno.mkdir(empty);
      const fhmFixture = join(FIXTURES, "fhm");
      const run = ["--model", "tiny", "--offline", "--out", out];
      const cases: [string, string[], string][] = [
        [
          "extract",
          ["--dataset", bad, "--model", "tiny"],
          `error: ${bad}: field "colour": unknown field (allowed here: name, title, format, ` +
          "encoding, columns, quoting, image, text, splits, use, tasks, about)",
        ],
        [
          "reproduce",
          ["--dataset", "harmeme", "--data", unmapped, ...run],
          `error: ${unmapped}/annotations/train.jsonl:2: field "labels[0]": unmapped value ` +
          '"extremely harmful" (the description maps "not harmful", "somewhat harmful", ' +
          '"very harmful")',
        ],
        [
          "ablate",
          ["--dataset", "harmeme", "--data", empty, ...run],
          `error: ${empty}/annotations/train.jsonl: annotation file not found (HarMeme ` +
          "(Harm-C)'s split train)",
        ],
        [
          "reproduce",
          ["--dataset", "coco", ...run],
          "error: --dataset coco: expected a preset (pridemm, harmeme, harmeme-p, fhm, " +
          "synthetic) or a description file (.json)",
        ],
        [
          "reproduce",
          ["--dataset", "harmeme", "--data", HARMEME, "--tasks", "hate", ...run],
          "error: --tasks hate: expected one or more of harmeme's tasks: harmful, harm-level, " +
          "target",
        ],
        [
          "reproduce",
          ["--dataset", "harmeme", "--data", HARMEME, "--tasks", "target", ...run],
          `error: ${HARMEME}/annotations/val.jsonl: field "labels[1]": task target, val split ` +
          'holds only class "organization" (1 memes); a split cells are evaluated on needs at ' +
          "least two classes",
        ],
        [
          "reproduce",
          ["--dataset", "fhm", "--data", fhmFixture, ...run],
          `error: ${fhmFixture}/test_seen.jsonl: field "label": no labels (no row has ` +
          '"label"): split test_seen cannot be used as the test split, which needs labels; ' +
          "choose a labelled split instead (splits: train, dev_seen, dev_unseen, test_unseen, " +
          "val_from_train)",
        ],
        [
          "reproduce",
          ["--dataset", "fhm", "--data", fhmFixture, "--splits", "test=dev", ...run],
          'error: fhm: no split "dev" for test (its splits: train, dev_seen, dev_unseen, ' +
          "test_seen, test_unseen, val_from_train)",
        ],
        [
          "reproduce",
          ["--dataset", "fhm", "--data", fhmFixture, "--splits", "test", ...run],
          "error: --splits test: expected role=split pairs, each role (train, val, test) once, " +
          "e.g. test=dev_seen",
        ],
        [
          "demo",
          ["--dataset", "harmeme", "--data", empty, "--out", out],
          `error: ${empty}/annotations/train.jsonl: annotation file not found (HarMeme ` +
          "(Harm-C)'s split train)",
        ],
        [
          "transfer",
          ["--from", "harmeme:harmful", "--to", "fhm:hateful,harmeme:target", ...run],
          "error: no class map from harmeme:harmful (not harmful, harmful) to harmeme:target " +
          "(individual, organization, community, society): give --map with source=target " +
          'class indices (e.g. --map 0=0,1=1), or declare it in a description\'s "transfer" ' +
          "field",
        ],
        [
          "transfer",
          ["--from", "harmeme:harmful", "--to", "fhm:hateful", "--map", "0=0", ...run],
          "error: --map: harmeme:harmful → fhm:hateful: target class 1 (hateful) is no source " +
          "class; every target class must be one",
        ],
        [
          "transfer",
          ["--from", "harmeme:hate", "--to", "fhm:hateful", ...run],
          'error: harmeme has no task "hate" (its tasks: harmful, harm-level, target)',
        ],
        [
          "transfer",
          [
            "--from",
            "harmeme:harmful",
            "--to",
            "fhm:hateful",
            "--data",
            `harmeme=${unmapped}`,
            ...run,
          ],
          `error: ${unmapped}/annotations/train.jsonl:2: field "labels[0]": unmapped value ` +
          '"extremely harmful" (the description maps "not harmful", "somewhat harmful", ' +
          '"very harmful")',
        ],
      ];
      for (const [script, args, message] of cases) {
        const r = await runScript(script, args, env);
        const what = `${script} ${args.join(" ")}`;
        assert.equal(r.code, 2, `${what}: exit ${r.code}\n${r.stderr}`);
        assert.equal(r.stderr.trim().split("\n").at(-1), message, what);
        assert.ok(!(await exists(out)), `${what}: created ${out}`);
        assert.ok(!(await exists(`${work}/cache/features`)), `${what}: started a feature store`);
      }
    } finally {
      await Deno.remove(work, { recursive: true });
    }
  },
});

/** Accuracy of the argmax of `logits` (n × C) against `labels`. */
function accuracyOf(logits: Float32Array, labels: Int32Array, C: number): number {
  const predicted = argmax(logits, C);
  return labels.filter((y, i) => predicted[i] === y).length / labels.length;
}

Deno.test({
  name: "transfer: PrideMM-layout hate to HarMeme and Hateful Memes, class maps, intervals, resume",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { work, env, out } = await workspace("memesense-transfer-");
    try {
      const memes = await ensureSyntheticMemes();
      const fhm = await labelledFhm(work);
      // A within-dataset run on HarMeme first: the transfer run finds it and shows it beside.
      ok(
        await runScript("reproduce", [
          "--dataset",
          "harmeme",
          "--data",
          HARMEME,
          ...TINY_RUN,
          "--tasks",
          "harmful",
          "--baselines",
          "false",
          "--out",
          out,
          "--workers",
          "1",
        ], env),
        "within-dataset run",
      );
      const within = runDir(out, "reproduce");
      const args = [
        "--from",
        "pridemm:hate",
        "--to",
        "harmeme:harmful,harmeme:harm-level,fhm:hateful",
        "--data",
        `pridemm=${memes.csvPath},harmeme=${HARMEME},fhm=${fhm}`,
        "--images",
        `pridemm=${memes.imageDir}`,
        ...TINY_RUN,
        "--out",
        out,
        "--workers",
        "1",
      ];
      const run = await runScript("transfer", args, env);
      ok(run, "transfer");
      const dir = runDir(out, "transfer");
      const table = await Deno.readTextFile(`${dir}/table.md`);
      assert.equal(
        table.split("\n")[0],
        "# MemeSense transfer: PrideMM hate → HarMeme (Harm-C) harmful, HarMeme (Harm-C) " +
          "harm-level, Hateful Memes (FHM) hateful",
      );
      // PrideMM's layout, not its released rows: never beside the paper, and it says why.
      assert.equal(
        table.split("\n")[2],
        "not compared with the paper: the annotations are not PrideMM's released ones with " +
          "their split (their content differs) and the CLIP model is the tiny test model.",
      );
      const rows = tableRows(table, "Tested on");
      assert.deepEqual(rows.map((r) => [r[0], r[1], r[2], r[3], r[4]]), [
        ["PrideMM (source, within)", "hate", "reference", "1", "48"],
        ["PrideMM (source, within)", "hate", "clean", "1", "48"],
        ["HarMeme (Harm-C)", "harmful", "reference", "1", "3"],
        ["HarMeme (Harm-C)", "harmful", "clean", "1", "3"],
        [
          "HarMeme (Harm-C) (within: " + within.split("/").pop() + ")",
          "harmful",
          "reference",
          "1",
          "3",
        ],
        [
          "HarMeme (Harm-C) (within: " + within.split("/").pop() + ")",
          "harmful",
          "clean",
          "1",
          "3",
        ],
        ["HarMeme (Harm-C)", "harm-level", "reference", "1", "3"],
        ["HarMeme (Harm-C)", "harm-level", "clean", "1", "3"],
        ["Hateful Memes (FHM)", "hateful", "reference", "1", "3"],
        ["Hateful Memes (FHM)", "hateful", "clean", "1", "3"],
      ]);
      // Every cell: a point inside its interval.
      for (const r of rows) {
        for (const cell of r.slice(5)) {
          const [point, lo, hi] = cell.match(/[\d.]+/g)!.map(Number);
          assert.ok(lo <= point && point <= hi, `${r[0]} ${r[2]}: ${cell}`);
        }
      }
      assert.ok(
        table.includes(
          "HarMeme (Harm-C) (harm-level), classes as hate's: not harmful → Benign Meme, " +
            "somewhat harmful → Harmful Meme, very harmful → Harmful Meme (from harmeme's task " +
            "harm-level (transfer.pridemm:hate)); test memes 3 of 3.",
        ),
      );
      assert.ok(
        table.includes(
          "Hateful Memes (FHM) (hateful), classes as hate's: not hateful → Benign Meme, hateful " +
            "→ Harmful Meme (from fhm's task hateful (transfer.pridemm:hate)); test memes 3 of 3.",
        ),
      );
      // The saved logits: the target's test memes in order, their labels as PrideMM's classes,
      // and the table's accuracy is theirs.
      const key = "memeclip__hate__seed42";
      const harm = await loadDataset(datasetPreset("harmeme"), HARMEME);
      const view: DatasetTaskView = datasetTaskView(harm, "harm-level", "test");
      assert.deepEqual([...view.labels], [2, 0, 1]);
      const level = await readCellPredictions(
        `${dir}/transfer/harmeme-harm-level/${key}.safetensors`,
      );
      assert.deepEqual(level.rows.test.names, view.memes.map((m) => m.name));
      assert.deepEqual([...level.rows.test.labels], [1, 0, 1], "both harmful levels are harmful");
      assert.deepEqual(level.classNames, ["Benign Meme", "Harmful Meme"]);
      const harmRow = rows.find((r) => r[1] === "harm-level" && r[2] === "clean")!;
      assert.equal(
        harmRow[5].split(" ")[0],
        (100 * accuracyOf(level.logits.clean.test, level.rows.test.labels, 2)).toFixed(2),
      );
      const hateful = await readCellPredictions(`${dir}/transfer/fhm-hateful/${key}.safetensors`);
      assert.deepEqual([...hateful.rows.test.labels], [0, 1, 1]);
      // The record: each target's data, map and counts, and the within-dataset run.
      const config = JSON.parse(await Deno.readTextFile(`${dir}/config.json`));
      assert.deepEqual(
        config.transfer.targets.map((t: Record<string, unknown>) => [
          t.id,
          t.testMemes,
          t.targetToSource,
          t.within ?? null,
        ]),
        [
          ["harmeme-harmful", 3, [0, 1], within],
          ["harmeme-harm-level", 3, [0, 1, 1], null],
          ["fhm-hateful", 3, [0, 1], null],
        ],
      );
      const metrics = JSON.parse(await Deno.readTextFile(`${dir}/metrics.json`));
      assert.equal(metrics.transfer.rows.length, rows.length);

      // A target's file damaged: the cell is trained again on resume, the tables as before.
      await Deno.writeTextFile(`${dir}/transfer/fhm-hateful/${key}.safetensors`, "damaged");
      const status = await runScript("status", [dir], env);
      assert.match(status.stdout, /transfer\/fhm-hateful\/memeclip__hate__seed42\.safetensors/);
      const resumed = await runScript("transfer", ["--resume", dir, "--out", out], env);
      ok(resumed, "resume");
      assert.match(resumed.stderr, /memeclip__hate__seed42 is incomplete .*training it again/);
      assert.equal(await Deno.readTextFile(`${dir}/table.md`), table);
      const again = await readCellPredictions(`${dir}/transfer/fhm-hateful/${key}.safetensors`);
      assert.deepEqual(again.logits, hateful.logits, "the same logits, retrained under its seed");
      // A flag that differs from the run's is refused on resume.
      const differs = await runScript("transfer", [
        "--resume",
        dir,
        "--data",
        `harmeme=${HARMEME}`,
      ], env);
      assert.equal(differs.code, 2);
      assert.match(
        differs.stderr,
        /--data harmeme=.* differs from the .* that .* was started with/,
      );
    } finally {
      await Deno.remove(work, { recursive: true });
    }
  },
});
