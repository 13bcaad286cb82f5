/**
 * The offline demo end to end, as a user runs it: synthetic memes, tiny CLIP, extraction,
 * reproduce on one seed and a short ablation. Asserts that the pipeline learned, that every
 * output file exists and parses, and that each report opens with its headline, holds every
 * number of its table.md and lays out at 1400, 1920 and 390 px with nothing past the viewport and
 * no legend over plotted data (screenshots in results/report-layout/).
 */
import assert from "node:assert/strict";
import { parseMarkdownTable } from "../lib/report/table.ts";
import { chromiumSetting } from "../lib/config/mod.ts";
import { checkLayout } from "../lib/report/screenshot.ts";
import { REPO_ROOT } from "../lib/util/mod.ts";
import { runScript } from "../scripts/run_script.ts";
import { htmlText, tableNumbersMissingFromHtml } from "./_runs.ts";

/** Where the layout check leaves its screenshots of the demo's reports, to look at. */
const LAYOUT_SHOTS = `${REPO_ROOT}/results/report-layout`;
const chromium = (await chromiumSetting()).value;

Deno.test({
  name: "deno task demo learns the synthetic tasks and writes complete, parseable results",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const out = await Deno.makeTempDir({ prefix: "memesense-demo-" });
    try {
      const run = await runScript("demo", ["--out", out], { MEMESENSE_OFFLINE: "1" });
      const { stdout, stderr } = run;
      assert.ok(run.success, `demo failed:\n${stdout}\n${stderr.slice(-3000)}`);
      assert.match(stdout, /demo finished in/);
      // Synthetic hate is separated perfectly on val: its temperature fit is clamped, and said so.
      assert.match(
        stdout,
        /\nT = 0\.001 for memeclip · hate \(reference\), memeclip · hate \(clean\) is clamped, not fitted: /,
      );

      const runs = [...Deno.readDirSync(out)].map((e) => e.name).sort();
      assert.equal(runs.length, 2, `expected the demo and its ablation, got ${runs}`);
      const demo = `${out}/${runs.find((n) => n.endsWith("-demo"))}`;
      const ablate = `${out}/${runs.find((n) => n.endsWith("-demo-ablate"))}`;

      for (const dir of [demo, ablate]) {
        for (const f of ["config.json", "metrics.json", "curves.json"]) {
          JSON.parse(await Deno.readTextFile(`${dir}/${f}`));
        }
        const csv = (await Deno.readTextFile(`${dir}/metrics.csv`)).trim().split("\n");
        // The ablation's varied settings are columns of their own, between variant and task.
        assert.match(
          csv[0],
          dir === demo
            ? /^variant,task,seed,protocol,epoch,n,accuracy,auroc,/
            : /^variant,ratio,depth,task,seed,protocol,epoch,n,accuracy,auroc,/,
        );
        const html = await Deno.readTextFile(`${dir}/report.html`);
        assert.ok(html.length > 1_000_000, "report inlines plotly.js");
        assert.ok(!/<script[^>]+src=/.test(html), "report loads no external script");
        const tables = (await Deno.readTextFile(`${dir}/table.md`)).split(/\n\s*\n/)
          .filter((block) => block.startsWith("|")).map(parseMarkdownTable);
        assert.ok(tables.length >= 1 && tables[0].rows.length > 0);
      }

      // The reports: headline first, then the details; every number of table.md in them; at a
      // desktop's and a phone's width nothing runs off the page and no legend covers data.
      const headings = (dir: string) =>
        [...Deno.readTextFileSync(`${dir}/report.html`).matchAll(/<h2 id="[^"]*">([^<]*)<\/h2>/g)]
          .map((m) => m[1].replaceAll("&amp;", "&"));
      const details = [
        "Calibration (test; temperature fitted on val)",
        "Per-class detail (test)",
        "ROC and precision–recall curves (MAIN, clean protocol)",
        "Training curves (MAIN)",
        "Slices (MAIN, clean protocol, test split)",
        "Most confident errors (MAIN, clean protocol, test split)",
      ];
      assert.deepEqual(headings(demo), [
        "Results per task",
        ...details.map((h) => h.replace("MAIN", "memeclip")),
        "Baselines",
        "All variants",
        "How to read this",
      ]);
      assert.deepEqual(headings(ablate), [
        "Results per task (ratio=0.2,depth=1)",
        "Paired tests against ratio=0.2,depth=1",
        "Residual ratio × mapping depth",
        ...details.map((h) => h.replace("MAIN", "ratio=0.2,depth=1")),
        "All variants",
        "How to read this",
      ]);
      for (const dir of [demo, ablate]) {
        const table = await Deno.readTextFile(`${dir}/table.md`);
        const html = await Deno.readTextFile(`${dir}/report.html`);
        assert.deepEqual(tableNumbersMissingFromHtml(table, html), [], `${dir}/report.html`);
      }
      const demoText = htmlText(await Deno.readTextFile(`${demo}/report.html`));
      assert.match(demoText, /0\.00\s+clamped at 0\.001: no fit/);
      assert.match(
        demoText,
        /Zero-shot CLIP, Hate speech detection: AUROC 0\.87\..*inverted ranking/,
      );
      if (chromium) {
        await Deno.remove(LAYOUT_SHOTS, { recursive: true }).catch(() => {});
        await Deno.mkdir(LAYOUT_SHOTS, { recursive: true });
        for (const [name, dir] of [["demo", demo], ["demo-ablate", ablate]]) {
          for (const width of [1400, 1920, 390]) {
            const layout = await checkLayout(`${dir}/report.html`, {
              width,
              screenshot: `${LAYOUT_SHOTS}/${name}-${width}.png`,
            });
            const where = `${name} at ${width} px`;
            assert.equal(layout.width, width, where);
            assert.equal(layout.scrollWidth, width, `${where}: the page scrolls sideways`);
            // Every figure of the page drawn before it was measured.
            const figures = Deno.readTextFileSync(`${dir}/report.html`)
              .match(/<div class="figure" id="figure-\d+"/g)!.length;
            assert.equal(layout.figures, figures, where);
            assert.deepEqual(layout.overflowing, [], `${where}: past the viewport`);
            assert.deepEqual(layout.legendOverlaps, [], `${where}: legends over data`);
          }
        }
      } else {
        console.log("report layout check skipped: Chromium not installed (apt install chromium)");
      }

      const config = JSON.parse(await Deno.readTextFile(`${demo}/config.json`));
      assert.equal(config.clipModel, "tiny");
      assert.equal(config.config.clip.imageMode, "pillow", "how images were decoded, recorded");
      assert.match(config.featureStore, /^tiny-squash-/);
      assert.deepEqual(config.seeds, [42]);

      const metrics = JSON.parse(await Deno.readTextFile(`${demo}/metrics.json`));
      // Generated memes and the tiny model: never beside the paper (no Δ, no paper rows).
      assert.equal(metrics.comparison.length, 0);
      const hate = metrics.summary.find((r: { task: string; protocol: string }) =>
        r.task === "hate" && r.protocol === "clean"
      );
      assert.ok(
        hate.metrics.accuracy.mean >= 0.8,
        `synthetic hate accuracy ${hate.metrics.accuracy.mean}`,
      );
      assert.equal(metrics.summary.length, 8, "4 tasks × 2 protocols");
      assert.equal(
        metrics.baselines.length,
        16,
        "majority, stratified random, zero-shot and linear probe for 4 tasks",
      );
      const tableText = await Deno.readTextFile(`${demo}/table.md`);
      // The same tables, byte for byte, as before datasets were described (the files in
      // tests/fixtures/demo/ are the demo's, run on that code on this machine's CPUs).
      const fixture = (name: string) =>
        Deno.readTextFile(new URL(`./fixtures/demo/${name}`, import.meta.url));
      assert.equal(tableText, await fixture("table.md"), "demo/table.md as before");
      assert.equal(
        await Deno.readTextFile(`${ablate}/table.md`),
        await fixture("ablate_table.md"),
        "demo-ablate/table.md as before",
      );
      assert.match(tableText, /not compared with the paper: the memes are generated, not PrideMM/);
      assert.ok(!tableText.includes("on PrideMM"));
      const demoTables = tableText.split(/\n\s*\n/)
        .filter((block) => block.startsWith("|")).map(parseMarkdownTable);
      assert.equal(
        demoTables.length,
        5,
        "summary (no paper row), baselines, intervals, calibration, per-class",
      );
      assert.equal(demoTables[0].rows.length, 8, "per task: 2 protocols, no paper row");
      assert.deepEqual(demoTables[1].headers, ["Task", "Model", "Accuracy", "AUROC", "Macro-F1"]);
      assert.equal(
        demoTables[1].rows.length,
        4 * 5,
        "majority, stratified random, zero-shot, linear probe and the head per task",
      );
      assert.equal(demoTables[2].rows.length, 4 * 2, "an interval row per task and protocol");
      assert.match(String(demoTables[2].rows[0][5]), /^\d+\.\d\d \[\d+\.\d\d, \d+\.\d\d\]$/);
      assert.equal(metrics.uncertainty.groups.length, 8);
      assert.equal(metrics.uncertainty.bootstrap.replicates, 2000);
      assert.equal([...Deno.readDirSync(`${demo}/predictions`)].length, 4);
      const exported = (await Deno.readTextFile(`${demo}/predictions.csv`)).trimEnd().split("\n");
      assert.match(exported[0], /^variant,task,seed,protocol,epoch,split,meme,true_class/);
      assert.ok(exported.length > 100, `${exported.length} prediction rows`);

      for (const task of ["hate", "target", "stance", "humour"]) {
        const head = JSON.parse(await Deno.readTextFile(`${demo}/heads/${task}/head.json`));
        assert.equal(head.task, task);
        assert.ok((await Deno.stat(`${demo}/heads/${task}/head.safetensors`)).size > 14_000_000);
      }
      // predict: every task's probabilities for one synthetic meme, from the saved heads.
      const image = `${config.dataset.root}/Images/img_1.png`;
      const predict = (...extra: string[]) =>
        runScript("predict", ["--heads", `${demo}/heads`, "--image", image, ...extra], {
          MEMESENSE_OFFLINE: "1",
        });
      const predicted = await predict("--text", "some caption", "--json");
      assert.ok(predicted.success, predicted.stderr);
      const probs = JSON.parse(predicted.stdout);
      assert.deepEqual(Object.keys(probs).sort(), ["hate", "humour", "stance", "target"]);
      for (const p of Object.values(probs) as Record<string, number>[]) {
        const total = Object.values(p).reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(total - 1) < 1e-5, `probabilities sum to ${total}`);
      }
      const wrongModel = await predict("--model", "Xenova/clip-vit-base-patch32");
      assert.equal(wrongModel.success, false);
      assert.match(
        wrongModel.stderr,
        /trained on features of CLIP model "tiny"/,
      );

      const cells = [...Deno.readDirSync(`${ablate}/cells`)].map((e) => e.name);
      assert.equal(cells.length, 5, "ratio sweep 0, 0.2, 0.6, 1 at depth 1 plus depth 2");
      // Every variant against the reference point: 4 variants × 3 metrics × 2 protocols.
      const ablation = JSON.parse(await Deno.readTextFile(`${ablate}/metrics.json`));
      assert.equal(ablation.uncertainty.comparisons.length, 4 * 3 * 2);
      assert.equal(ablation.uncertainty.reference, "ratio=0.2,depth=1");
      assert.match(await Deno.readTextFile(`${ablate}/table.md`), /## Paired comparisons against/);

      // Interrupted during the ablation: --resume latest leaves the finished demo run alone and
      // trains only the ablation's missing cell, in its own directory.
      const lost = cells.sort()[0];
      const tableBefore = await Deno.readTextFile(`${ablate}/table.md`);
      await Deno.remove(`${ablate}/cells/${lost}`);
      await Deno.remove(`${ablate}/metrics.json`);
      const resumed = await runScript("demo", ["--out", out, "--resume", "latest"], {
        MEMESENSE_OFFLINE: "1",
      });
      assert.ok(resumed.success, resumed.stderr.slice(-3000));
      assert.match(resumed.stderr, /demo: the newest run has finished, nothing to resume/);
      assert.ok(
        resumed.stderr.includes(`resuming ${ablate} (demo-ablate, started `) &&
          resumed.stderr.includes("4 of 5 cells finished"),
        resumed.stderr,
      );
      assert.match(resumed.stderr, /resuming: 4 cells finished, 1 to run/);
      assert.equal([...Deno.readDirSync(out)].length, 2, "no new run directory");
      assert.equal([...Deno.readDirSync(`${ablate}/cells`)].length, 5);
      JSON.parse(await Deno.readTextFile(`${ablate}/metrics.json`));
      assert.equal(
        await Deno.readTextFile(`${ablate}/table.md`),
        tableBefore,
        "same seed, same table",
      );
      const bad = await runScript("demo", ["--out", out, "--resume", "yesterday"]);
      assert.equal(bad.code, 2);
      assert.match(
        bad.stderr,
        /^error: --resume yesterday: expected latest \(the demo resumes its latest runs\)$/m,
      );
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});
