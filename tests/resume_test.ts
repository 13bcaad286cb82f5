/**
 * `--resume`: `latest` is the newest unfinished run of the name; the run's data, images and
 * model are restored from its record, and an explicit flag that contradicts them is an error
 * naming both values; nothing to resume is one line and exit status 2.
 */
import assert from "node:assert/strict";
import { DEFAULT_CONFIG, makeConfig } from "../lib/config/mod.ts";
import { describeResume, resolveResume, ResumeError } from "../lib/run/mod.ts";
import { ensureSyntheticMemes } from "../lib/synthetic/mod.ts";
import { exists } from "../lib/util/mod.ts";
import { listing, withoutTimings } from "./_runs.ts";
import { runScript } from "../scripts/run_script.ts";

/** A run directory as a run leaves it: `config.json`, and `metrics.json` once finished. */
async function fakeRun(
  root: string,
  stamp: string,
  name: string,
  opts: { finished?: boolean; csv?: string } = {},
): Promise<string> {
  const dir = `${root}/${stamp}-${name}`;
  await Deno.mkdir(`${dir}/cells`, { recursive: true });
  const csv = opts.csv ?? "/data/memes/PrideMM.csv";
  await Deno.writeTextFile(
    `${dir}/config.json`,
    JSON.stringify({
      name,
      title: name,
      createdAt: `${stamp}Z`,
      config: makeConfig({ clip: { model: "tiny" } }, DEFAULT_CONFIG),
      tasks: ["hate"],
      seeds: [1, 2],
      variants: [{ name: "memeclip", overrides: {} }],
      clipModel: "tiny",
      featureStore: "tiny-squash-0",
      dataset: { csv, sha256: "0" },
      images: "/data/memes/Images",
    }),
  );
  if (opts.finished) await Deno.writeTextFile(`${dir}/metrics.json`, "{}");
  return dir;
}

Deno.test("--resume latest: the newest unfinished run of the name, with its data, images and model", async () => {
  const root = await Deno.makeTempDir({ prefix: "memesense-resume-" });
  try {
    const older = await fakeRun(root, "20260101-100000", "reproduce");
    await fakeRun(root, "20260102-100000", "reproduce", { finished: true });
    await fakeRun(root, "20260103-100000", "ablate-grid");
    // One of its two cells finished (a record that owns no files).
    await Deno.writeTextFile(
      `${older}/cells/memeclip__hate__seed1.json`,
      '{"key":"memeclip__hate__seed1","files":[]}',
    );
    const target = await resolveResume("latest", { outRoot: root, name: "reproduce" }, {});
    assert.equal(target.runDir, older);
    assert.equal(target.data, "/data/memes/PrideMM.csv");
    assert.equal(target.images, "/data/memes/Images");
    assert.equal(target.model, "tiny");
    assert.equal(
      describeResume(target),
      `resuming ${older} (reproduce, started 20260101-100000Z): 1 of 2 cells finished`,
    );
    // The same values given explicitly (even as another spelling of the path) are fine.
    await resolveResume(older, { outRoot: root, name: "x" }, {
      data: "/data/memes/../memes/PrideMM.csv",
      model: "tiny",
    });
    // A contradicting flag names both values.
    await assert.rejects(
      resolveResume("latest", { outRoot: root, name: "reproduce" }, { data: "/other/PrideMM.csv" }),
      (e: Error) => {
        assert.ok(e instanceof ResumeError);
        assert.match(
          e.message,
          /^--data "\/other\/PrideMM\.csv" differs from the "\/data\/memes\/PrideMM\.csv" that .*20260101-100000-reproduce was started with/,
        );
        return true;
      },
    );
    await assert.rejects(
      resolveResume("latest", { outRoot: root, name: "reproduce" }, { model: "Xenova/clip" }),
      /--model "Xenova\/clip" differs from the "tiny"/,
    );
    await assert.rejects(
      resolveResume("latest", { outRoot: root, name: "reproduce" }, { images: "/elsewhere" }),
      /--images "\/elsewhere" differs from the "\/data\/memes\/Images"/,
    );
    // Every run of the name finished: nothing to resume, and the message says so.
    await Deno.writeTextFile(`${older}/metrics.json`, "{}");
    await assert.rejects(
      resolveResume("latest", { outRoot: root, name: "reproduce" }, {}),
      /no unfinished "reproduce" run under .*\(the newest, .*20260102-100000-reproduce, has finished\)/,
    );
    await assert.rejects(
      resolveResume(`${root}/nope`, { outRoot: root, name: "reproduce" }, {}),
      /--resume .*nope: .*is not a run directory/,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("reproduce --resume: nothing to resume or a contradicting flag is one line, exit 2", async () => {
  const root = await Deno.makeTempDir({ prefix: "memesense-resume-cli-" });
  try {
    const env = { MEMESENSE_PRIDEMM_CSV: "" };
    const none = await runScript("reproduce", ["--resume", "latest", "--out", root], env);
    assert.equal(none.code, 2);
    assert.equal(
      none.stderr.trim(),
      `error: --resume latest: no unfinished "reproduce" run under ${root}`,
    );
    const dir = await fakeRun(root, "20260101-100000", "reproduce");
    const clash = await runScript("reproduce", [
      "--resume",
      "latest",
      "--out",
      root,
      "--data",
      "/x.csv",
    ], env);
    assert.equal(clash.code, 2);
    assert.match(
      clash.stderr,
      new RegExp(
        `^error: --data "/x\\.csv" differs from the "/data/memes/PrideMM\\.csv" that ${dir} was started with`,
      ),
    );
    assert.equal(clash.stderr.trim().split("\n").length, 1);
    assert.deepEqual([...Deno.readDirSync(root)].map((e) => e.name), ["20260101-100000-reproduce"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test({
  name: "reproduce --resume <dir> needs no other flag; a given flag must match the record",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "memesense-resume-flags-" });
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
        "1,2",
        "--epochs",
        "1",
        "--baselines",
        "false",
        "--no-gallery",
        "--name",
        "x",
        "--out",
        root,
        "--workers",
        "1",
      ], env);
      assert.equal(start.code, 0, start.stderr);
      const [dir] = listing(root).map((n) => `${root}/${n}`);
      const lost = `${dir}/cells/memeclip__hate__seed2.json`;
      const before = withoutTimings(await Deno.readTextFile(lost));
      await Deno.remove(lost);
      await Deno.remove(`${dir}/metrics.json`);

      // A flag of the record with another value: one line naming it and both values, exit 2.
      const clash = await runScript("reproduce", ["--resume", dir, "--epochs", "2"], env);
      assert.equal(clash.code, 2, clash.stderr);
      assert.equal(
        clash.stderr,
        `error: --epochs 2 differs from the 1 that ${dir} was started with (its config.json); ` +
          "leave --epochs out to resume with the run's, or start a new run\n",
      );
      const seeds = await runScript("reproduce", ["--resume", dir, "--seeds", "3"], env);
      assert.equal(seeds.code, 2);
      assert.match(seeds.stderr, /^error: --seeds 3 differs from the 1,2 that /);
      assert.ok(!(await exists(lost)), "a refused resume trains nothing");

      // The documented resume: the run's directory and nothing else (a flag that may differ,
      // and one equal to the record, are accepted).
      const resumed = await runScript(
        "reproduce",
        ["--resume", dir, "--workers", "1", "--tasks", "hate"],
        env,
      );
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.match(
        resumed.stderr,
        new RegExp(`^resuming ${dir} \\(x, started .*\\): 1 of 2 cells`),
      );
      assert.equal(withoutTimings(await Deno.readTextFile(lost)), before);
      assert.ok(await exists(`${dir}/metrics.json`));
      assert.deepEqual(listing(root), [dir.slice(root.length + 1)], "no new run folder");

      const help = await runScript("reproduce", ["--help"], env);
      assert.match(help.stdout, /With --resume, every setting comes from the run's config\.json/);
      assert.match(help.stdout, /--workers, --executor, --shard/);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});
