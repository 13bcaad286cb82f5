/**
 * One table of exit statuses for every script: the README's table is the code's
 * (`EXIT_CODES`), every script ends through `runMain`, and the same condition ends with the same
 * status — and one line, no stack trace — in every script.
 */
import assert from "node:assert/strict";
import { EXIT, EXIT_CODES } from "../lib/experiment/mod.ts";
import { lockRunDir } from "../lib/run/mod.ts";
import { ensureSyntheticMemes } from "../lib/synthetic/mod.ts";
import { REPO_ROOT } from "../lib/util/mod.ts";
import { listing } from "./_runs.ts";
import { runScript } from "../scripts/run_script.ts";

Deno.test("the README's exit-status table is EXIT_CODES, row for row", async () => {
  const readme = await Deno.readTextFile(`${REPO_ROOT}/README.md`);
  const section = readme.slice(readme.indexOf("### Exit statuses"));
  const rows = section.split("\n").filter((l) => /^\| \d+ /.test(l)).map((l) => {
    const [, code, meaning] = /^\| (\d+)\s+\| (.*?)\s+\|$/.exec(l)!;
    return { code: Number(code), meaning: meaning.replaceAll("\\|", "|") };
  });
  assert.deepEqual(rows, EXIT_CODES.map(({ code, meaning }) => ({ code, meaning })));
  assert.deepEqual(EXIT_CODES.map((c) => c.code), Object.values(EXIT));
});

Deno.test("every script ends through runMain and exits with no status of its own", async () => {
  for (const name of listing(`${REPO_ROOT}/experiments`).filter((n) => n.endsWith(".ts"))) {
    const source = await Deno.readTextFile(`${REPO_ROOT}/experiments/${name}`);
    assert.match(source, /await runMain\(/, `${name} does not end through runMain`);
    assert.doesNotMatch(source, /Deno\.exit\(\s*\d/, `${name} exits with a status of its own`);
  }
});

/** Asserts one line `error: …` on stderr, no stack trace, and the status. */
function oneLine(run: { code: number; stderr: string }, code: number, pattern: RegExp): void {
  assert.equal(run.code, code, run.stderr);
  const lines = run.stderr.trimEnd().split("\n");
  assert.match(lines.at(-1)!, pattern);
  assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
}

Deno.test({
  name:
    "the same bad CSV, and the same bad model folder, end with status 2 in extract and reproduce",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "memesense-exit-" });
    try {
      const memes = await ensureSyntheticMemes();
      const lines = (await Deno.readTextFile(memes.csvPath)).split("\n");
      lines[3] = lines[3].replace(/^([^,]+),[01],/, "$1,7,");
      const csv = `${dir}/PrideMM.csv`;
      await Deno.writeTextFile(csv, lines.join("\n"));
      const env = { MEMESENSE_PRIDEMM_CSV: "", MEMESENSE_CLIP_MODEL: "" };
      const data = ["--data", csv, "--images", memes.imageDir, "--offline"];
      const bad = new RegExp(`^error: ${csv}:4: field "hate": `);
      oneLine(
        await runScript("extract", [...data, "--model", "tiny", "--cache", dir], env),
        2,
        bad,
      );
      oneLine(
        await runScript("reproduce", [...data, "--model", "tiny", "--out", `${dir}/r`], env),
        2,
        bad,
      );
      const model = ["--data", memes.csvPath, "--offline", "--model", `${dir}/no-model`];
      for (const [script, where] of [["extract", "--cache"], ["reproduce", "--out"]]) {
        const run = await runScript(script, [...model, where, `${dir}/r`], env);
        assert.equal(run.code, 2, `${script}: ${run.stderr}`);
        assert.match(run.stderr, /could not prepare CLIP features with model ".*no-model"/);
        assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
      }
      assert.deepEqual(listing(`${dir}/r`), [], "nothing created");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "a run held by a live process: status 3 and one line naming it, in reproduce and report",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "memesense-locked-" });
    try {
      const memes = await ensureSyntheticMemes();
      const env = { MEMESENSE_PRIDEMM_CSV: "", MEMESENSE_CLIP_MODEL: "" };
      const start = await runScript("reproduce", [
        "--data",
        memes.csvPath,
        "--model",
        "tiny",
        "--offline",
        "--tasks",
        "hate",
        "--seeds",
        "1",
        "--epochs",
        "1",
        "--baselines",
        "false",
        "--out",
        root,
      ], env);
      assert.equal(start.code, 0, start.stderr);
      const runDir = `${root}/${listing(root)[0]}`;
      const lock = await lockRunDir(runDir, undefined, () => {});
      try {
        const held = new RegExp(
          `^error: ${runDir} is in use by the whole run \\(pid ${Deno.pid} on .*\\); ` +
            "wait for it to finish$",
        );
        oneLine(await runScript("reproduce", ["--resume", runDir], env), EXIT.locked, held);
        oneLine(await runScript("aggregate", [runDir], env), EXIT.locked, held);
      } finally {
        await lock.release();
      }
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});
