/**
 * Sharded runs: a deterministic split of the cells, per-cell results bit-identical to an
 * unsharded run, tables written once by the last shard (or `aggregateRun`), and run-directory locks
 * that let different shards work side by side while refusing the same shard twice.
 */
import assert from "node:assert/strict";
import { makeConfig } from "../lib/config/mod.ts";
import { runStatus, sweepVariants } from "../lib/run/mod.ts";
import { aggregateRun } from "../lib/outputs/mod.ts";
import { runExperiment } from "../lib/experiment/mod.ts";
import { cellKey, gridCells, lockRunDir, RunLockedError, shardCells } from "../lib/run/mod.ts";
import { parseShard } from "../lib/util/mod.ts";
import { listing, syntheticInputs, withoutTimings } from "./_runs.ts";
import { runScript } from "../scripts/run_script.ts";

Deno.test("shards partition the cells: each cell in exactly one shard, balanced, order-free", () => {
  const cells = [3, 1, 2].flatMap((seed) =>
    ["hate", "stance"].flatMap((task) =>
      ["a", "b", "c"].map((variant) => ({ variant, task: task as "hate" | "stance", seed }))
    )
  );
  const keys = (cs: typeof cells) => cs.map((c) => `${c.variant}/${c.task}/${c.seed}`);
  for (const count of [1, 2, 4, 7, 18, 25]) {
    const parts = Array.from(
      { length: count },
      (_, k) => keys(shardCells(cells, { index: k + 1, count })),
    );
    const all = parts.flat();
    assert.equal(all.length, 18, `N=${count}: every cell once`);
    assert.equal(new Set(all).size, 18);
    const sizes = parts.map((p) => p.length);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `N=${count}: balanced ${sizes}`);
    // The split depends on the cells, not on the order they were listed in.
    const shuffled = [...cells].reverse();
    assert.deepEqual(keys(shardCells(shuffled, { index: 1, count })), parts[0]);
  }
  assert.deepEqual(keys(shardCells(cells, { index: 2, count: 4 })), [
    "a/hate/2",
    "a/stance/3",
    "b/stance/1",
    "c/hate/2",
    "c/stance/3",
  ]);
});

Deno.test({
  name: "a run in 3 concurrent shards gives bit-identical cells and the same tables as one run",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const out = await Deno.makeTempDir({ prefix: "memesense-shard-" });
    try {
      const spec = {
        name: "shard-check",
        title: "shard check",
        tasks: ["stance" as const],
        seeds: [1, 2],
        variants: sweepVariants([0.2, 0.6], [1], { ratio: 0.2, depth: 1 }),
        baseConfig: makeConfig({ clip: { model: "tiny" }, train: { epochs: 1 } }),
        inputs: await syntheticInputs(),
        outRoot: out,
        workers: 1,
        baselines: true,
        log: () => {},
      };
      const whole = await runExperiment(spec);
      assert.equal(whole.results.length, 4);
      assert.equal(whole.pending, 0);

      // Shard 1 creates the run; 2 and 3 resume it and all three train at once.
      const first = await runExperiment({ ...spec, shard: parseShard("1/3") });
      assert.equal(first.trained, 2);
      assert.equal(first.pending, 2);
      assert.equal(first.table, "", "no tables while cells are pending");
      await assert.rejects(Deno.stat(`${first.runDir}/metrics.json`));
      const [second, third] = await Promise.all([
        runExperiment({ ...spec, resume: first.runDir, shard: parseShard("2/3") }),
        runExperiment({ ...spec, resume: first.runDir, shard: parseShard("3/3") }),
      ]);
      assert.equal(second.trained + third.trained, 2);
      assert.equal(
        [second, third].filter((o) => o.table !== "").length,
        1,
        "exactly one shard writes the tables",
      );

      const sharded = first.runDir;
      assert.deepEqual(listing(`${sharded}/cells`), listing(`${whole.runDir}/cells`));
      for (const name of listing(`${whole.runDir}/cells`)) {
        assert.equal(
          withoutTimings(await Deno.readTextFile(`${sharded}/cells/${name}`)),
          withoutTimings(await Deno.readTextFile(`${whole.runDir}/cells/${name}`)),
          name,
        );
      }
      for (const name of listing(`${whole.runDir}/predictions`)) {
        assert.deepEqual(
          await Deno.readFile(`${sharded}/predictions/${name}`),
          await Deno.readFile(`${whole.runDir}/predictions/${name}`),
          name,
        );
      }
      const table = await Deno.readTextFile(`${whole.runDir}/table.md`);
      assert.equal(await Deno.readTextFile(`${sharded}/table.md`), table);

      // `report` rewrites the same tables from the directory alone.
      await Deno.remove(`${sharded}/table.md`);
      await Deno.remove(`${sharded}/metrics.json`);
      const reported = await aggregateRun(sharded, () => {});
      assert.equal(reported.table, table);
      assert.equal(await Deno.readTextFile(`${sharded}/table.md`), table);
      assert.deepEqual(
        JSON.parse(await Deno.readTextFile(`${sharded}/metrics.json`)).summary,
        JSON.parse(await Deno.readTextFile(`${whole.runDir}/metrics.json`)).summary,
      );
      assert.deepEqual(listing(`${sharded}/locks`), ["aggregated"], "every lock released");

      // With a cell missing, report refuses and names the count.
      await Deno.remove(`${sharded}/cells/${listing(`${sharded}/cells`)[0]}`);
      await assert.rejects(
        aggregateRun(sharded, () => {}),
        new RegExp(
          `1 of 4 cells have not finished .*; to train them: deno task reproduce --resume ${sharded}`,
        ),
      );
      const status = await runScript("status", [sharded, "--cells"]);
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, /: 3\/4 cells finished\n/);
      assert.match(
        status.stdout,
        /running 0, queued 0, failed 0, missing 1, damaged 0; tables and report written, but not all the cells they count are complete now/,
      );
      assert.match(
        status.stdout,
        new RegExp(
          `missing  ${
            listing(`${whole.runDir}/cells`)[0].replace(".json", "").replace(/[.=,]/g, "\\$&")
          }`,
        ),
      );
      assert.match(
        status.stdout,
        new RegExp(
          `to train the missing and damaged cells: deno task reproduce --resume ${sharded}`,
        ),
      );

      // A live shard lock marks its own missing cells running, and only its own.
      const missing = listing(`${whole.runDir}/cells`)
        .find((name) => !listing(`${sharded}/cells`).includes(name))!.replace(/\.json$/, "");
      for (const index of [1, 2]) {
        const owns = shardCells(gridCells({ ...spec, config: spec.baseConfig }), {
          index,
          count: 2,
        })
          .some((cell) => cellKey(cell) === missing);
        const lock = await lockRunDir(sharded, { index, count: 2 }, () => {});
        try {
          const { counts } = await runStatus(sharded);
          assert.deepEqual(
            [counts.running, counts.missing],
            owns ? [1, 0] : [0, 1],
            `shard ${index}/2`,
          );
        } finally {
          await lock.release();
        }
      }

      // Two resumes of the run at once: one trains the missing cell, the other is refused.
      const twice = await Promise.allSettled([
        runExperiment({ ...spec, resume: sharded }),
        runExperiment({ ...spec, resume: sharded }),
      ]);
      const refused = twice.filter((r) => r.status === "rejected");
      assert.equal(refused.length, 1);
      assert.ok((refused[0] as PromiseRejectedResult).reason instanceof RunLockedError);
      assert.match(
        String((refused[0] as PromiseRejectedResult).reason),
        /is in use by the whole run/,
      );
      const done = twice.find((r) => r.status === "fulfilled") as PromiseFulfilledResult<
        Awaited<ReturnType<typeof runExperiment>>
      >;
      assert.equal(done.value.trained, 1);
      assert.equal(await Deno.readTextFile(`${sharded}/table.md`), table);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

Deno.test("run locks: shards of one split coexist; the same shard, other splits, the whole run do not", async () => {
  const dir = await Deno.makeTempDir({ prefix: "memesense-lock-" });
  try {
    const quiet = () => {};
    const a = await lockRunDir(dir, { index: 1, count: 4 }, quiet);
    const b = await lockRunDir(dir, { index: 2, count: 4 }, quiet);
    await assert.rejects(lockRunDir(dir, { index: 1, count: 4 }, quiet), (e: Error) => {
      assert.ok(e instanceof RunLockedError);
      assert.match(e.message, new RegExp(`in use by shard 1 of 4 \\(pid ${Deno.pid} on `));
      return true;
    });
    await assert.rejects(lockRunDir(dir, { index: 1, count: 2 }, quiet), /overlaps shard 1\/2/);
    await assert.rejects(lockRunDir(dir, undefined, quiet), /overlaps the whole run/);
    assert.deepEqual(listing(`${dir}/locks`), ["shard-1-of-4.lock", "shard-2-of-4.lock"]);
    await a.release();
    await b.release();
    assert.deepEqual(listing(`${dir}/locks`), []);

    // A lock left by a process that died on this host is taken over, with a message.
    const dead = new Deno.Command(Deno.execPath(), { args: ["eval", "0"] }).spawn();
    const { success } = await dead.status;
    assert.ok(success);
    await Deno.writeTextFile(
      `${dir}/locks/all.lock`,
      JSON.stringify({
        pid: dead.pid,
        host: Deno.hostname(),
        scope: "all",
        startedAt: "2026-01-01T00:00:00Z",
      }),
    );
    const lines: string[] = [];
    const taken = await lockRunDir(dir, undefined, (l) => lines.push(l));
    assert.equal(taken.info.pid, Deno.pid);
    assert.match(
      lines.join("\n"),
      new RegExp(`taking over the lock of the whole run \\(pid ${dead.pid} on .*no longer runs`),
    );
    await taken.release();

    // One held on another host cannot be checked from here: refused, with the file to remove.
    await Deno.writeTextFile(
      `${dir}/locks/shard-3-of-4.lock`,
      JSON.stringify({ pid: 1, host: "node-elsewhere", scope: "shard-3-of-4", startedAt: "x" }),
    );
    await assert.rejects(
      lockRunDir(dir, { index: 3, count: 4 }, quiet),
      /pid 1 on node-elsewhere.*or remove .*shard-3-of-4\.lock if that process is gone/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("execution flags: a bad --shard, an unknown executor, Slurm options without Slurm", async () => {
  const cases: [string[], RegExp][] = [
    [["--shard", "5/4"], /^error: --shard: "5\/4" is not a shard K\/N with 1 ≤ K ≤ N/],
    [["--executor", "pbs"], /^error: --executor pbs: expected one of local, slurm\n$/],
    [["--partition", "gpu"], /^error: --partition needs --executor slurm/],
    [["--executor", "slurm", "--shard", "1/2"], /^error: --shard is for one process; .*--shards N/],
    [["--executor", "slurm", "--sbatch-extra", "qos=short"], /"qos=short" is not an sbatch option/],
  ];
  for (const [args, message] of cases) {
    const run = await runScript("ablate", args, { MEMESENSE_PRIDEMM_CSV: "" });
    assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
    assert.match(run.stderr, message);
  }
});
