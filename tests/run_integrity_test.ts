/**
 * A cell is finished only when every file it owns — its predictions, the head it saves, and last
 * its record, which lists them with sizes and checksums — is written and verified: a write that
 * fails (a full disk, an I/O error) marks nothing complete, says which file and what to run, and
 * `--resume` writes what is missing.
 */
import assert from "node:assert/strict";
import { makeConfig } from "../lib/config/mod.ts";
import { checkCells, REFERENCE_VARIANT, runStatus } from "../lib/run/mod.ts";
import { runExperiment } from "../lib/experiment/mod.ts";
import { runFinished } from "../lib/run/integrity.ts";
import { ensureSyntheticMemes } from "../lib/synthetic/mod.ts";
import { FileWriteError, injectWriteFaults } from "../lib/util/mod.ts";
import { listing, smallCsv, syntheticInputs } from "./_runs.ts";
import { runScript } from "../scripts/run_script.ts";

const spec = async (out: string) => ({
  name: "owned",
  title: "owned files",
  tasks: ["hate", "stance"] as ("hate" | "stance")[],
  seeds: [1, 2],
  variants: [REFERENCE_VARIANT],
  baseConfig: makeConfig({ clip: { model: "tiny" }, train: { epochs: 1 } }),
  inputs: await syntheticInputs(),
  outRoot: out,
  workers: 1,
  saveHeads: true,
  bootstrap: { replicates: 50 },
  log: () => {},
});

Deno.test({
  name:
    "a full disk while a head is saved: the cell is not complete, the error names the file, resume repairs",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const out = await Deno.makeTempDir({ prefix: "memesense-owned-" });
    try {
      const s = await spec(out);
      const restore = injectWriteFaults((path) =>
        path.endsWith("/heads/hate/head.safetensors") ? "ENOSPC" : null
      );
      let runDir = "";
      try {
        await assert.rejects(runExperiment(s), (e: Error) => {
          assert.ok(e instanceof FileWriteError, String(e));
          runDir = e.path.slice(0, e.path.indexOf("/heads/"));
          assert.equal(
            e.message,
            `cannot write ${runDir}/heads/hate/head.safetensors: no space left on device ` +
              "(ENOSPC); nothing unfinished was marked complete; free space on that disk, then " +
              `continue: deno task reproduce --resume ${runDir}`,
          );
          return true;
        });
      } finally {
        restore();
      }
      // The cell that owns the head has no record; every other cell is complete with its files.
      const checks = await checkCells(runDir);
      assert.deepEqual(checks.map((c) => [c.key, c.condition]), [
        ["memeclip__hate__seed2", "complete"],
        ["memeclip__stance__seed1", "complete"],
        ["memeclip__stance__seed2", "complete"],
      ]);
      assert.deepEqual(listing(`${runDir}/heads/hate`), [], "no partial or temporary head");
      assert.equal(await runFinished(runDir), false);
      const status = await runStatus(runDir);
      assert.deepEqual([status.counts.finished, status.counts.missing], [3, 1]);
      assert.equal(status.outputsIntact, false);

      // The space is back: resume trains the one cell again and writes its head.
      const resumed = await runExperiment({ ...s, resume: runDir });
      assert.equal(resumed.trained, 1);
      assert.deepEqual(listing(`${runDir}/heads/hate`), ["head.json", "head.safetensors"]);
      const owner = (await checkCells(runDir)).find((c) => c.key === "memeclip__hate__seed1")!;
      assert.equal(owner.condition, "complete");
      const record = JSON.parse(
        await Deno.readTextFile(`${runDir}/cells/memeclip__hate__seed1.json`),
      );
      const paths = record.files.map((f: { path: string }) => f.path);
      assert.deepEqual(paths.slice(0, 3), [
        "predictions/memeclip__hate__seed1.safetensors",
        "heads/hate/head.safetensors",
        "heads/hate/head.json",
      ]);
      assert.match(
        paths[3],
        /^tensorboard\/memeclip__hate__seed1\/events\.out\.tfevents\.\d{10}\./,
      );
      assert.equal(paths.length, 4);
      const head = await Deno.stat(`${runDir}/heads/hate/head.safetensors`);
      assert.equal(record.files[1].size, head.size);
      assert.equal(await runFinished(runDir), true);

      // A head deleted afterwards makes its cell incomplete again; resume rewrites it.
      await Deno.remove(`${runDir}/heads/hate/head.json`);
      const damaged = (await runStatus(runDir)).cells.find((c) => c.state === "damaged");
      assert.deepEqual(damaged?.problems, ["heads/hate/head.json: missing"]);
      const again = await runExperiment({ ...s, resume: runDir });
      assert.equal(again.trained, 1);
      assert.ok((await Deno.stat(`${runDir}/heads/hate/head.json`)).isFile);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

/** A small disk of its own: a tmpfs mounted at a new folder. */
interface SmallDisk {
  readonly dir: string;
  /** Makes room (remounts it at 256 MB). */
  readonly grow: () => Promise<void>;
  readonly unmount: () => Promise<void>;
}

/** Mounts a tmpfs of `size` at a new folder; the reason, where that is not allowed. */
async function smallDisk(size: string): Promise<SmallDisk | string> {
  if (Deno.build.os !== "linux") return "not Linux";
  const dir = await Deno.makeTempDir({ prefix: "memesense-tmpfs-" });
  const mount = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir],
    stdout: "null",
    stderr: "piped",
  }).output().catch((e) => ({ success: false, stderr: new TextEncoder().encode(String(e)) }));
  if (!mount.success) {
    await Deno.remove(dir).catch(() => {});
    return `mount -t tmpfs failed (${
      new TextDecoder().decode(mount.stderr).trim() || "not root?"
    })`;
  }
  const run = (args: string[]) =>
    new Deno.Command(args[0], { args: args.slice(1), stdout: "null", stderr: "null" }).output();
  return {
    dir,
    grow: async () => void (await run(["mount", "-o", "remount,size=256m", dir])),
    unmount: async () => {
      await run(["umount", dir]);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

// A real full disk needs a small tmpfs (root, Linux): probed once, the reason printed if not.
const probe = await smallDisk("1m");
if (typeof probe === "string") {
  console.log(`skipping the real full-disk test: ${probe}`);
} else await probe.unmount();

Deno.test({
  name:
    "reproduce on a 3 MB disk: one line naming the head, exit 1; resume after freeing space finishes it",
  ignore: typeof probe === "string",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const disk = await smallDisk("3m");
    if (typeof disk === "string") throw new Error(disk);
    try {
      const memes = await ensureSyntheticMemes();
      const env = { MEMESENSE_PRIDEMM_CSV: "", MEMESENSE_CLIP_MODEL: "" };
      const full = await runScript("reproduce", [
        "--data",
        memes.csvPath,
        "--model",
        "tiny",
        "--offline",
        "--tasks",
        "hate,target",
        "--seeds",
        "1,2",
        "--epochs",
        "1",
        "--baselines",
        "false",
        "--out",
        disk.dir,
        "--workers",
        "1",
      ], env);
      assert.equal(full.code, 1, full.stderr);
      const [run] = listing(disk.dir);
      const runDir = `${disk.dir}/${run}`;
      const lastLine = full.stderr.trimEnd().split("\n").at(-1)!;
      assert.match(
        lastLine,
        new RegExp(
          `^error: cannot write ${runDir}/heads/(hate|target)/head\\.safetensors: no space left ` +
            `on device \\(ENOSPC\\); .*then continue: deno task reproduce --resume ${runDir}$`,
        ),
      );
      assert.doesNotMatch(full.stderr, /\n\s+at /, "no stack trace");
      const status = await runScript("status", [runDir]);
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, /tables and report not written yet/);
      assert.doesNotMatch(status.stdout, /: 4\/4 cells finished/);

      await disk.grow();
      const resumed = await runScript("reproduce", ["--resume", runDir], env);
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.deepEqual(listing(`${runDir}/heads`), ["hate", "target"]);
      for (const task of ["hate", "target"]) {
        assert.deepEqual(listing(`${runDir}/heads/${task}`), ["head.json", "head.safetensors"]);
      }
      const predict = await runScript("predict", [
        "--heads",
        `${runDir}/heads`,
        "--image",
        `${memes.imageDir}/${listing(memes.imageDir)[0]}`,
        "--text",
        "a meme",
        "--offline",
      ], env);
      assert.equal(predict.code, 0, predict.stderr);
      assert.match(predict.stdout, /^hate .*\ntarget /);
    } finally {
      await disk.unmount();
    }
  },
});

Deno.test({
  name:
    "a deleted predictions file: the cell is incomplete, report and compare refuse naming it, resume retrains it",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const out = await Deno.makeTempDir({ prefix: "memesense-thin-" });
    try {
      const s = await spec(out);
      const first = await runExperiment(s);
      const runDir = first.runDir;
      const table = await Deno.readTextFile(`${runDir}/table.md`);
      const lost = "predictions/memeclip__hate__seed2.safetensors";
      await Deno.remove(`${runDir}/${lost}`);

      const report = await runScript("aggregate", [runDir]);
      assert.equal(report.code, 4, report.stderr);
      assert.equal(
        report.stderr,
        `error: ${runDir}: 1 of 4 cells is incomplete — ${lost}: missing; to train it again: ` +
          `deno task reproduce --resume ${runDir}\n`,
      );
      assert.equal(await Deno.readTextFile(`${runDir}/table.md`), table, "no thinned table");
      const compare = await runScript("compare", [runDir, runDir]);
      assert.equal(compare.code, 4);
      assert.match(compare.stderr, new RegExp(`${lost}: missing; to train it again`));
      const status = await runStatus(runDir);
      assert.deepEqual([status.counts.finished, status.counts.damaged], [3, 1]);
      assert.deepEqual(
        [status.outputsIntact, status.outputsWritten],
        [false, true],
        "tables written once, of cells one of which is no longer complete",
      );

      const resumed = await runExperiment({ ...s, resume: runDir });
      assert.equal(resumed.trained, 1);
      assert.equal(await Deno.readTextFile(`${runDir}/table.md`), table);
      // Both tables with a seed count count both seeds of hate.
      const seedCounts = table.split("\n").filter((l) => /^\| memeclip \| hate /.test(l))
        .map((l) => l.split("|")[4].trim());
      assert.deepEqual(seedCounts.slice(0, 2), ["2", "2"]);
      assert.ok(seedCounts.length >= 4 && seedCounts.slice(2, 4).every((n) => n === "2"));
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

/** Cuts `path` to half its size. */
async function truncate(path: string): Promise<number> {
  const bytes = await Deno.readFile(path);
  await Deno.writeFile(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
  return bytes.length;
}

Deno.test({
  name: "truncated files: every message names the file, what is wrong and what to run",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const out = await Deno.makeTempDir({ prefix: "memesense-cut-" });
    try {
      const s = await spec(out);
      const { runDir } = await runExperiment(s);
      const resume = `deno task reproduce --resume ${runDir}`;
      const preds = "predictions/memeclip__stance__seed1.safetensors";
      const size = await truncate(`${runDir}/${preds}`);
      const cut = `${preds}: ${Math.floor(size / 2)} bytes, expected ${size} (cut short)`;

      const status = await runScript("status", [runDir]);
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, /: 3\/4 cells finished\n/);
      assert.ok(status.stdout.includes(`damaged  memeclip__stance__seed1: ${cut}\n`));
      assert.ok(status.stdout.includes(`to train the missing and damaged cells: ${resume}\n`));
      const report = await runScript("aggregate", [runDir]);
      assert.equal(report.code, 4);
      assert.equal(
        report.stderr,
        `error: ${runDir}: 1 of 4 cells is incomplete — ${cut}; to train it again: ${resume}\n`,
      );
      const exported = await runScript("predictions", [runDir, "--csv", `${out}/p.csv`]);
      assert.equal(exported.code, 4);
      assert.ok(exported.stderr.includes(cut), exported.stderr);

      // A cell record cut short, and a head cut short.
      const cell = "cells/memeclip__hate__seed2.json";
      await truncate(`${runDir}/${cell}`);
      const report2 = await runScript("aggregate", [runDir]);
      assert.equal(report2.code, 4);
      assert.match(
        report2.stderr,
        new RegExp(
          `^error: ${runDir}: 2 of 4 cells are incomplete — ${cell}: cut short \\(.*\\); ` +
            `${preds.replace(/[.]/g, "\\.")}: .*; to train them again: ${resume}\\n$`,
        ),
      );
      const head = "heads/hate/head.safetensors";
      await truncate(`${runDir}/${head}`);
      const predict = await runScript("predict", [
        "--heads",
        `${runDir}/heads`,
        "--image",
        "/dev/null",
      ]);
      assert.equal(predict.code, 4, predict.stderr);
      assert.match(
        predict.stderr,
        new RegExp(
          `^error: ${runDir}: ${head}: \\d+ bytes, expected \\d+ \\(cut short\\); ` +
            `to write it again: ${resume}\\n$`,
        ),
      );

      // Resume trains the three damaged cells again; nothing is left incomplete.
      const resumed = await runExperiment({ ...s, resume: runDir });
      assert.equal(resumed.trained, 3);
      assert.deepEqual(
        (await checkCells(runDir)).map((c) => c.condition),
        ["complete", "complete", "complete", "complete"],
      );
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "report, status and resume read the store the run recorded and never extract; elsewhere: --cache",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const work = await Deno.makeTempDir({ prefix: "memesense-cache-" });
    try {
      const { csv, images } = await smallCsv(work);
      const cacheA = `${work}/cache-a`, cacheB = `${work}/cache-b`;
      const env = (cache: string) => ({
        MEMESENSE_PRIDEMM_CSV: "",
        MEMESENSE_CLIP_MODEL: "",
        MEMESENSE_CACHE: cache,
      });
      const start = await runScript("reproduce", [
        "--data",
        csv,
        "--images",
        images,
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
        "--out",
        `${work}/results`,
      ], env(cacheA));
      assert.equal(start.code, 0, start.stderr);
      const runDir = `${work}/results/${listing(`${work}/results`)[0]}`;
      const record = JSON.parse(await Deno.readTextFile(`${runDir}/config.json`));
      const store = `${cacheA}/features/${record.featureStore}`;
      assert.equal(record.featureStoreDir, store);
      assert.equal(record.cache, cacheA);

      // Without the run's MEMESENSE_CACHE: the recorded store is read, nothing is extracted.
      const report = await runScript("aggregate", [runDir], env(cacheB));
      assert.equal(report.code, 0, report.stderr);
      assert.doesNotMatch(report.stderr, /extract/);
      await Deno.remove(`${runDir}/cells/memeclip__hate__seed2.json`);
      const resumed = await runScript("reproduce", ["--resume", runDir], env(cacheB));
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.doesNotMatch(resumed.stderr, /extract: \d+ memes/);
      // (lib/clip writes the generated tiny model to the configured cache: models/, not features)
      assert.ok(!listing(cacheB).includes("features"), "nothing extracted into the other cache");

      // The store moved: one line saying where it was and how to point to it; then --cache.
      const moved = `${work}/moved`;
      await Deno.rename(cacheA, moved);
      const lost = await runScript("aggregate", [runDir], env(cacheB));
      assert.equal(lost.code, 2, lost.stderr);
      assert.equal(
        lost.stderr,
        `error: the features ${runDir} was trained on (store ${record.featureStore}) are not in ` +
          `${store} nor in ${cacheB}/features/${record.featureStore}; they were in ${store}: ` +
          "point to the cache that holds them with --cache DIR (or MEMESENSE_CACHE), or extract " +
          `them again: deno task extract --dataset pridemm --data ${csv} --images ${images} ` +
          "--model tiny\n",
      );
      const status = await runScript("status", [runDir], env(cacheB));
      assert.match(
        status.stdout,
        /features: store .* not found \(recorded in .*\); the report needs it/,
      );
      const pointed = await runScript("aggregate", [runDir, "--cache", moved], env(cacheB));
      assert.equal(pointed.code, 0, pointed.stderr);
      const found = await runScript("status", [runDir, "--cache", moved], env(cacheB));
      assert.ok(found.stdout.includes(`features: ${moved}/features/${record.featureStore} (store`));
      assert.ok(!listing(cacheB).includes("features"));
    } finally {
      await Deno.remove(work, { recursive: true });
    }
  },
});
