/**
 * The run report says what each number is: the order of its sections (headline first), the
 * notation of its cells, a clamped temperature fit said as such, and a baseline below chance
 * explained — with the zero-shot ranking of the demo's memes traced to its cause on the real
 * tiny CLIP and feature store.
 */
import assert from "node:assert/strict";
import {
  compareWithPaper,
  type GroupStats,
  loadPaperResults,
  type SummaryRow,
} from "../lib/analysis/mod.ts";
import { baselineNotes, chanceAurocSpread, runTableMarkdown } from "../lib/outputs/tables.ts";
import { runReport } from "../lib/outputs/_run_report.ts";
import type { BaselineResult } from "../lib/analysis/baselines.ts";
import { zeroShotLogits } from "../lib/analysis/mod.ts";
import { loadClip } from "../lib/clip/mod.ts";
import { classPrompt } from "../lib/clip/mod.ts";
import { datasetPreset } from "../lib/data/mod.ts";
import { evaluateLogits, meanStd, type Metrics, TEMPERATURE_RANGE } from "../lib/metrics/mod.ts";
import { renderReportHtml } from "../lib/report/html.ts";
import { taskData } from "../lib/run/mod.ts";
import { htmlText, syntheticInputs, tableNumbersMissingFromHtml } from "./_runs.ts";

/** PrideMM's tasks, in its order, with their titles and classes. */
const PRIDEMM = datasetPreset("pridemm").tasks;

/** Test metrics of a baseline: `predicted[k]` memes put in class k, `support[k]` truly in it. */
function baseline(
  name: string,
  task: "hate" | "target",
  auroc: number,
  confusion: number[][],
): BaselineResult {
  const n = confusion.flat().reduce((a, b) => a + b, 0);
  const right = confusion.reduce((a, row, k) => a + row[k], 0);
  const test: Metrics = {
    n,
    numClasses: confusion.length,
    accuracy: right / n,
    macroF1: 0.3,
    auroc,
    aurocReference: auroc,
    confusion,
  };
  return { name, task, test };
}

Deno.test("chanceAurocSpread: Hanley and McNeil's null spread, the widest class for several", () => {
  assert.equal(chanceAurocSpread([24, 24]), Math.sqrt(49 / (12 * 24 * 24)));
  // One class of 6 against 18 spreads most among 4 classes of 6.
  assert.equal(chanceAurocSpread([6, 6, 6, 6]), Math.sqrt(25 / (12 * 6 * 18)));
  assert.ok(Number.isNaN(chanceAurocSpread([10, 0])), "one class: no AUROC");
});

Deno.test("baselineNotes: an inverted ranking and a threshold effect are explained; chance is not", () => {
  // The demo's zero-shot hate baseline: AUROC 0.0087, every test meme predicted benign.
  const inverted = baseline("zero-shot CLIP", "hate", 0.0087, [[24, 0], [24, 0]]);
  const [note, ...rest] = baselineNotes([inverted], PRIDEMM, { randomClip: true });
  assert.deepEqual(rest, []);
  assert.match(note, /^Zero-shot CLIP, Hate speech detection: AUROC 0\.87\. /);
  assert.match(note, /by more than chance allows on these memes \(16\.50 points\)/);
  assert.match(note, /an inverted ranking — read in reverse, the same scores give AUROC 99\.13\./);
  assert.match(
    note,
    /Its accuracy, 50\.00, is the share of "Benign Meme" among the test memes: every test meme was predicted "Benign Meme"\./,
  );
  assert.match(note, /threshold effect/);
  assert.match(note, /not a class-order mismatch/);
  assert.match(note, /tiny test model's weights are random/);
  assert.match(
    baselineNotes([inverted], PRIDEMM)[0],
    /With real CLIP weights it means the prompt wording/,
  );
  // The demo's zero-shot target baseline: 49.07 on 24 memes is chance, not an inversion.
  const chance = baseline("zero-shot CLIP", "target", 0.4907, [
    [6, 0, 0, 0],
    [6, 0, 0, 0],
    [6, 0, 0, 0],
    [6, 0, 0, 0],
  ]);
  assert.deepEqual(baselineNotes([chance], PRIDEMM, { randomClip: true }), []);
  // Scores that separate the classes but put every meme in one: the threshold effect alone.
  const threshold = baseline("linear probe [image | text]", "hate", 0.95, [[24, 0], [24, 0]]);
  const [alone] = baselineNotes([threshold], PRIDEMM);
  assert.doesNotMatch(alone, /inverted/);
  assert.match(alone, /^Linear probe \[image \| text\], Hate speech detection: AUROC 95\.00\. Its/);
  assert.match(alone, /threshold effect/);
  assert.doesNotMatch(alone, /class-order/, "the prompt sentence is zero-shot's alone");
  // Ordinary baselines need no note.
  assert.deepEqual(
    baselineNotes([baseline("majority class", "hate", 0.5, [[24, 0], [24, 0]])], PRIDEMM),
    [],
  );
});

Deno.test({
  name:
    "zero-shot on the demo's memes: prompts in class order; the inverted hate ranking is the tiny CLIP's",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const inputs = await syntheticInputs();
    const clip = await loadClip({ model: "tiny", threads: 1, log: () => {} });
    try {
      // The stored prompt embeddings are each task's `a photo of a {class}.`, row k class k.
      for (const task of inputs.dataset.description.tasks) {
        const { embeds } = await clip.encodeTexts(task.prompts.map(classPrompt));
        const stored = inputs.prompts[task.name].promptEmbeds;
        assert.equal(stored.length, embeds.length);
        const worst = embeds.reduce((m, x, i) => Math.max(m, Math.abs(x - stored[i])), 0);
        assert.ok(worst < 1e-5, `${task.name}: stored prompts differ by ${worst}`);
      }
    } finally {
      await clip.dispose();
    }
    // Hate is drawn as the background's hue, which the random image tower encodes strongly:
    // the prompts' random directions separate the classes on every split, reversed.
    const data = taskData(inputs.dataset, inputs.features, "hate");
    const prompts = inputs.prompts.hate.promptEmbeds;
    const swapped = new Float32Array([...prompts.subarray(768), ...prompts.subarray(0, 768)]);
    for (const split of ["train", "val", "test"] as const) {
      const s = data.splits[split];
      const m = evaluateLogits(zeroShotLogits(s.image, prompts, s.n, 2), s.labels, 2);
      assert.ok(m.auroc < 0.02, `${split}: AUROC ${m.auroc}`);
      assert.deepEqual(m.confusion.map((row) => row[1]), [0, 0], `${split}: all predicted benign`);
      assert.equal(m.accuracy, 0.5);
      const reversed = evaluateLogits(zeroShotLogits(s.image, swapped, s.n, 2), s.labels, 2);
      assert.ok(Math.abs(reversed.auroc - (1 - m.auroc)) < 1e-12, "swapping prompts mirrors it");
      if (split === "test") {
        const [note] = baselineNotes([{ name: "zero-shot CLIP", task: "hate", test: m }], PRIDEMM, {
          randomClip: true,
        });
        assert.match(note, /inverted ranking.*threshold effect.*weights are random/s);
      }
    }
  },
});

/** A group of one seed whose temperature fit was clamped at the low end. */
function clampedGroup(): GroupStats {
  const interval = { lo: 0.9, hi: 1 };
  return {
    variant: "memeclip",
    task: "hate",
    classNames: ["Benign Meme", "Harmful Meme"],
    protocol: "clean",
    seeds: [42],
    n: 48,
    point: { accuracy: 1, macroF1: 1, auroc: 1 },
    interval: { accuracy: interval, macroF1: interval, auroc: interval },
    perClass: [
      { precision: 1, recall: 1, f1: 1, support: 24 },
      { precision: 1, recall: 1, f1: 1, support: 24 },
    ],
    balancedAccuracy: 1,
    calibration: {
      temperatures: [TEMPERATURE_RANGE[0]],
      before: { ece: 0.1068, brier: 0.0232, accuracy: 1, auroc: 1 },
      after: { ece: 0, brier: 0, accuracy: 1, auroc: 1 },
      reliability: [],
      reliabilityAfter: [],
    },
  };
}

Deno.test("runReport: headline first, every table in order, each number said what it is", () => {
  const ms = (mean: number, std = NaN) => ({ mean, std, ci95: NaN, n: 1 });
  const summary: SummaryRow[] = (["reference", "clean"] as const).map((protocol) => ({
    variant: "memeclip",
    task: "hate",
    protocol,
    seeds: [42],
    metrics: { accuracy: ms(1), auroc: ms(1), macroF1: ms(1), aurocReference: ms(1) },
    meanEpoch: protocol === "clean" ? 9.5 : 1,
  }));
  const group = clampedGroup();
  const report = runReport({
    title: "t",
    tasks: PRIDEMM,
    meta: {},
    results: [],
    summary,
    uncertainty: {
      bootstrap: { replicates: 2000, seed: 0, level: 0.95 },
      groups: [{ ...group, protocol: "reference" }, group],
      comparisons: [],
      missing: [],
    },
    baselines: [baseline("zero-shot CLIP", "hate", 0.0087, [[24, 0], [24, 0]])],
    mainVariant: "memeclip",
    preface: ["not compared with the paper: the memes are generated."],
    randomClip: true,
  });
  assert.deepEqual(report.sections.map((s) => s.heading), [
    "Results per task",
    "Calibration (test; temperature fitted on val)",
    "Per-class detail (test)",
    "Baselines",
    "All variants",
    "How to read this",
  ]);
  const html = renderReportHtml(report, "");
  const text = htmlText(html);
  // The headline: mean, its bootstrap interval over test memes beneath; the preface as a sentence.
  assert.match(
    html,
    /<td style="text-align:right">100\.00<br><span class="cell-note">\[90\.00, 100\.00\]<\/span><\/td>/,
  );
  assert.match(text, /Not compared with the paper: the memes are generated\./);
  assert.match(text, /\[lo, hi\], the 95 % bootstrap interval over the test memes/);
  // The epoch is a mean over seeds, in the headline and in every variant's table.
  assert.equal(html.split("Epoch<br>(mean over seeds)").length - 1, 2);
  assert.match(text, /9\.5 over two seeds means epochs 9 and 10/);
  // A clamped temperature, in its cells and under the table.
  assert.match(text, /0\.00\s+clamped at 0\.001: no fit/);
  assert.match(text, /0\.0232 → 0\.0000\s+after: not a calibration/);
  assert.match(
    text,
    /T = 0\.001 for memeclip · hate \(reference\), memeclip · hate \(clean\) is clamped, not fitted/,
  );
  // ± and the other notation, explained in words.
  assert.match(text, /± the sample standard deviation over those seeds/);
  assert.match(text, /Brier: the multi-class Brier score/);
  assert.match(text, /Balanced accuracy: the mean recall over the classes present/);
  // The zero-shot baseline below chance, explained beside its table.
  assert.match(text, /Zero-shot CLIP, Hate speech detection: AUROC 0\.87\..*inverted ranking/s);
});

Deno.test("runReport beside the paper: the paper's row, Δ, both intervals, every table.md number", async () => {
  // Three seeds of the reference head on hate and humour, both protocols (fractions, as recorded).
  const seedsOf = (base: number) => [base - 0.01, base, base + 0.02];
  const summary: SummaryRow[] = (["hate", "humour"] as const).flatMap((task, t) =>
    (["reference", "clean"] as const).map((protocol, p) => {
      const base = 0.75 + 0.05 * t - 0.02 * p;
      return {
        variant: "memeclip",
        task,
        protocol,
        seeds: [42, 43, 44],
        metrics: {
          accuracy: meanStd(seedsOf(base)),
          auroc: meanStd(seedsOf(base + 0.08)),
          macroF1: meanStd(seedsOf(base - 0.01)),
          aurocReference: meanStd(seedsOf(base + 0.09)),
        },
        meanEpoch: 5 + p + 1 / 3,
      };
    })
  );
  const paper = await loadPaperResults();
  const comparison = compareWithPaper(summary, paper, "memeclip");
  assert.equal(comparison.length, 4);
  const groups: GroupStats[] = summary.map((r) => ({
    ...clampedGroup(),
    task: r.task,
    protocol: r.protocol,
    seeds: r.seeds,
    interval: {
      accuracy: { lo: r.metrics.accuracy.mean - 0.04, hi: r.metrics.accuracy.mean + 0.03 },
      macroF1: { lo: r.metrics.macroF1.mean - 0.05, hi: r.metrics.macroF1.mean + 0.04 },
      auroc: { lo: r.metrics.auroc.mean - 0.03, hi: r.metrics.auroc.mean + 0.02 },
    },
  }));
  const uncertainty = {
    bootstrap: { replicates: 2000, seed: 0, level: 0.95 },
    groups,
    comparisons: [],
    missing: [],
  };
  const preface = ["Memes used: train 3,000 · val 200 · test 500 of PrideMM.csv."];
  const table = runTableMarkdown({
    title: "t",
    tasks: PRIDEMM,
    preface,
    summary,
    comparison,
    tableNotes: [],
    baselines: [],
    mainVariant: "memeclip",
    uncertainty,
  });
  const report = runReport({
    title: "t",
    tasks: PRIDEMM,
    meta: {},
    results: [],
    summary,
    uncertainty,
    comparison,
    mainVariant: "memeclip",
    preface,
  });
  assert.deepEqual(report.sections.map((s) => s.heading), [
    "Results beside the paper",
    "Calibration (test; temperature fitted on val)",
    "Per-class detail (test)",
    "All variants",
    "How to read this",
  ]);
  const html = renderReportHtml(report, "");
  // The paper's row, then ours per protocol: mean ± std, the bootstrap interval over the test
  // memes and the Student-t interval over seeds under it, and Δ in points beside it.
  const hate = comparison.find((r) => r.task === "hate" && r.protocol === "reference")!;
  assert.equal(hate.ours.accuracy.mean, 0.7533333333333333);
  assert.equal(hate.diff.accuracy.toFixed(2), "-0.73", "75.33 − the paper's 76.06");
  assert.match(
    html,
    /<tr><td>Hate speech detection<\/td><td>paper \(MemeCLIP\)<\/td><td[^>]*>–<\/td><td[^>]*>76\.06<\/td>/,
  );
  assert.match(
    html,
    new RegExp(
      '<td[^>]*>75\\.33 ± 1\\.53<br><span class="cell-note">\\[71\\.33, 78\\.33\\]</span>' +
        '<br><span class="cell-note">\\(CI ± 3\\.79\\)</span></td><td[^>]*>-0\\.73</td>',
    ),
  );
  assert.equal(html.split("paper (MemeCLIP)").length - 1, 2, "one paper row per task");
  assert.deepEqual(tableNumbersMissingFromHtml(table, html), []);
});
