/**
 * Partial data and comparability: a run on generated memes or the tiny model is never compared
 * with the paper; a split that lost more than 1 % of its memes blocks the comparison unless it is
 * allowed, and then every table (terminal, Markdown, HTML) starts with the memes used per split.
 */
import assert from "node:assert/strict";
import { makeConfig } from "../lib/config/mod.ts";
import { type ExperimentInputs, REFERENCE_VARIANT } from "../lib/run/mod.ts";
import { checkPartialData, notComparableReason, PartialDataError } from "../lib/analysis/mod.ts";
import { printOutcome, runExperiment } from "../lib/experiment/mod.ts";
import { splitUsage, usageLine } from "../lib/analysis/partial.ts";
import { syntheticInputs } from "./_runs.ts";
import { CLIP_VIT_L_14 } from "../lib/clip/mod.ts";
import { PRIDEMM_RELEASE_CONTENT } from "../lib/data/mod.ts";

/** The same inputs as if they were ViT-L/14 features of PrideMM with some images lost. */
function asPrideMM(
  inputs: ExperimentInputs,
  missing: ExperimentInputs["missingImages"],
): ExperimentInputs {
  const { dataset } = inputs;
  return {
    ...inputs,
    // PrideMM's released content and ViT-L/14's architecture: what the comparison checks.
    dataset: {
      ...dataset,
      description: { ...dataset.description, name: "pridemm" },
      identity: { ...dataset.identity, content: PRIDEMM_RELEASE_CONTENT },
    },
    modelId: "openai/clip-vit-large-patch14",
    clipShape: CLIP_VIT_L_14,
    missingImages: missing,
  };
}

Deno.test({
  name:
    "partial data: refused beside the paper past 1 % per split, counted on every table when allowed",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const synthetic = await syntheticInputs();
    assert.equal(synthetic.dataset.description.name, "synthetic");
    assert.equal(
      notComparableReason(synthetic),
      "not compared with the paper: the memes are generated, not PrideMM and the CLIP model is " +
        "the tiny test model",
    );
    const usage = splitUsage(synthetic);
    const total = usage.train.total + usage.val.total + usage.test.total;
    assert.equal(total, synthetic.dataset.memes.length);
    assert.equal(usageLine(synthetic), null); // nothing lost

    // One lost test meme out of the test split is over 1 % here; train loses none.
    const lost = asPrideMM(synthetic, { train: 0, val: 0, test: 1 });
    assert.equal(notComparableReason(lost), null);
    assert.throws(() => checkPartialData(lost, false), (e: Error) => {
      assert.ok(e instanceof PartialDataError);
      assert.match(e.message, /^test lost more than 1 % of their memes/);
      assert.match(
        e.message,
        new RegExp(`test ${usage.test.total - 1} of ${usage.test.total} \\(\\d+\\.\\d % lost\\)`),
      );
      assert.match(e.message, /missing-images\.tsv/);
      assert.match(e.message, /--allow-missing/);
      return true;
    });
    checkPartialData(lost, true); // allowed
    checkPartialData(synthetic, false); // never compared anyway: nothing to refuse

    const out = await Deno.makeTempDir({ prefix: "memesense-partial-" });
    try {
      const spec = {
        name: "partial",
        tasks: ["hate"],
        seeds: [1],
        variants: [REFERENCE_VARIANT],
        baseConfig: makeConfig({ clip: { model: "tiny" }, train: { epochs: 1 } }),
        outRoot: out,
        workers: 1,
        compareWithPaper: true,
        log: () => {},
      };
      // Allowed partial data: compared, and the counts come first everywhere.
      // The config names the model the (relabelled) features claim to come from.
      const allowed = await runExperiment({
        ...spec,
        title: "partial",
        inputs: lost,
        baseConfig: makeConfig({ clip: { model: lost.modelId }, train: { epochs: 1 } }),
      });
      assert.equal(allowed.comparison.length, 2);
      const line = usageLine(lost)!;
      const table = await Deno.readTextFile(`${allowed.runDir}/table.md`);
      assert.ok(table.startsWith(`# partial\n\n${line}\n\n|`), table);
      const html = await Deno.readTextFile(`${allowed.runDir}/report.html`);
      assert.ok(html.includes(line.slice(0, 60)), "the counts head the report");
      assert.ok(html.includes(`${lost.featureDir}/missing-images.tsv`));
      assert.ok(!html.includes("missing-images.txt"));
      const printed: string[] = [];
      const log = console.log;
      console.log = (s: string) => printed.push(s);
      try {
        printOutcome(allowed);
      } finally {
        console.log = log;
      }
      assert.equal(printed[0], `${line}\n`);

      // Generated memes and the tiny model: no Δ, no paper rows or bars, even when asked.
      const demo = await runExperiment({ ...spec, title: "demo", inputs: synthetic });
      assert.equal(demo.comparison.length, 0);
      const demoTable = await Deno.readTextFile(`${demo.runDir}/table.md`);
      assert.match(demoTable, /not compared with the paper: the memes are generated/);
      assert.ok(!demoTable.includes("Δ") && !demoTable.includes("paper)"), demoTable);
      const demoHtml = await Deno.readTextFile(`${demo.runDir}/report.html`);
      assert.ok(!demoHtml.includes("Results beside the paper"));
      assert.ok(!demoHtml.includes("vs the paper"));
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});
