/**
 * The Slurm executor on a real one-node Slurm (Debian's slurmctld, slurmd and munge, started
 * privately for this test and stopped by their pid files): an ablation of 8 cells as 4 array
 * tasks gives the same cells and table as a local run; a task cancelled mid-way is resubmitted
 * alone by `--resume`, which trains only its missing cells. Skipped, with the reason printed,
 * where this machine cannot run Slurm (not root, or neither Slurm nor apt-get).
 */
import assert from "node:assert/strict";
import { readSubmissions } from "../lib/cluster/mod.ts";
import { ensureSyntheticMemes } from "../lib/synthetic/mod.ts";
import { listing, withoutTimings } from "./_runs.ts";
import { runScript } from "../scripts/run_script.ts";
import {
  ablationArgs,
  type LocalSlurm,
  slurmCommand,
  slurmExecutorArgs,
  slurmUnavailable,
  startLocalSlurm,
  waitForJobs,
} from "../scripts/slurm_local.ts";

const unavailable = slurmUnavailable();
if (unavailable) console.error(`skipping the Slurm tests: ${unavailable}`);

Deno.test({
  name: "Slurm: 8 cells as 4 array tasks equal a local run; a cancelled task is resumed alone",
  ignore: unavailable !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const memes = await ensureSyntheticMemes();
    const out = await Deno.makeTempDir({ prefix: "memesense-slurm-runs-" });
    let slurm: LocalSlurm | undefined;
    try {
      slurm = await startLocalSlurm();
      const common = ablationArgs(memes, "1,2,3,4", 1);
      const submitted = await runScript("ablate", [
        ...common,
        "--out",
        `${out}/slurm`,
        "--name",
        "grid",
        ...slurmExecutorArgs(4),
      ], slurm.env);
      assert.equal(submitted.code, 0, submitted.stderr);
      const [runName] = listing(`${out}/slurm`);
      const runDir = `${out}/slurm/${runName}`;
      const [first] = await readSubmissions(runDir);
      assert.deepEqual(first.shards, [1, 2, 3, 4]);
      assert.equal(first.cells, 8);
      assert.match(
        submitted.stdout,
        new RegExp(`submitted array job ${first.arrayJob}: shards 1-4 of 4, 8 of 8 cells`),
      );
      assert.match(submitted.stdout, new RegExp(`squeue -j ${first.arrayJob},${first.reportJob}`));
      const script = await Deno.readTextFile(`${runDir}/${first.script}`);
      assert.match(script, /^#SBATCH --array=1-4$/m);
      assert.match(script, /^#SBATCH --cpus-per-task=1$/m);
      assert.match(script, /--resume .* --shard "\$SLURM_ARRAY_TASK_ID\/4"/);

      // Cancel task 4 once its first cell is in (each task trains 2 cells, one after the other).
      const t0 = performance.now();
      let cancelledAfter = 0;
      while (performance.now() - t0 < 300_000) {
        cancelledAfter = (await shardOfCells(runDir, listing(`${runDir}/cells`), 4)).length;
        if (cancelledAfter >= 1) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await slurmCommand(slurm, "scancel", [`${first.arrayJob}_4`]);
      await waitForJobs(slurm, [first.arrayJob, first.reportJob]);
      const before = new Map<string, number>();
      const afterFirst = listing(`${runDir}/cells`);
      for (const name of afterFirst) {
        before.set(name, (await Deno.stat(`${runDir}/cells/${name}`)).mtime!.getTime());
      }
      const missing = 8 - afterFirst.length;
      assert.equal(missing, 1, `cancelled mid-way: ${afterFirst.length} of 8 cells in`);
      assert.equal(cancelledAfter, 1, "task 4 was cancelled after its first cell");
      await assert.rejects(
        Deno.stat(`${runDir}/metrics.json`),
        "the report job found cells missing",
      );
      const reportLog = await Deno.readTextFile(
        `${runDir}/slurm/logs/report-job-${first.reportJob}.log`,
      );
      assert.match(reportLog, new RegExp(`${missing} of 8 cells have not finished`));

      const status = await runScript("status", [runDir], slurm.env);
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, new RegExp(`${8 - missing}/8 cells finished`));
      assert.match(status.stdout, new RegExp(`failed ${missing}, missing 0`));
      assert.match(status.stdout, /shard 4 ended without/);

      // The same command with --resume submits only shard 4, which trains only what is missing.
      const resumed = await runScript("ablate", [
        ...common,
        "--resume",
        runDir,
        ...slurmExecutorArgs(),
      ], slurm.env);
      assert.equal(resumed.code, 0, resumed.stderr);
      const [, second] = await readSubmissions(runDir);
      assert.deepEqual(second.shards, [4]);
      assert.equal(second.cells, missing);
      await waitForJobs(slurm, [second.arrayJob, second.reportJob]);
      const shardLog = await Deno.readTextFile(
        `${runDir}/slurm/logs/shard-4-job-${second.arrayJob}.log`,
      );
      assert.match(shardLog, /resuming: 7 cells finished, 1 to run/);
      // The cancelled task left its lock behind; the next process here cleared it.
      assert.match(
        reportLog + shardLog,
        /(clearing|taking over) the lock of shard 4 of 4 \(pid \d+ .*no longer runs/,
      );
      assert.match(shardLog, /shard 4\/4: 1 cells trained .*the last shard/);
      const cells = listing(`${runDir}/cells`);
      assert.equal(cells.length, 8, "nothing lost");
      assert.equal(listing(`${runDir}/predictions`).length, 8);
      for (const [name, mtime] of before) {
        assert.equal(
          (await Deno.stat(`${runDir}/cells/${name}`)).mtime!.getTime(),
          mtime,
          `${name} trained once`,
        );
      }
      const final = await runScript("status", [runDir], slurm.env);
      assert.match(final.stdout, /8\/8 cells finished/);
      assert.match(final.stdout, /tables and report written/);

      // The same ablation run locally: the same cells and the same table.
      const local = await runScript("ablate", [
        ...common,
        "--out",
        `${out}/local`,
        "--name",
        "grid",
        "--workers",
        "2",
      ]);
      assert.equal(local.code, 0, local.stderr);
      const localDir = `${out}/local/${listing(`${out}/local`)[0]}`;
      assert.deepEqual(listing(`${localDir}/cells`), cells);
      for (const name of cells) {
        assert.equal(
          withoutTimings(await Deno.readTextFile(`${runDir}/cells/${name}`)),
          withoutTimings(await Deno.readTextFile(`${localDir}/cells/${name}`)),
          name,
        );
      }
      assert.equal(
        await Deno.readTextFile(`${runDir}/table.md`),
        await Deno.readTextFile(`${localDir}/table.md`),
      );
    } finally {
      const pids = slurm ? daemonPids(slurm) : [];
      await slurm?.stop();
      await Deno.remove(out, { recursive: true });
      // The daemons this test started are gone.
      for (const pid of pids) assert.ok(!alive(pid), `daemon ${pid} still running`);
    }
  },
});

/** The finished cells (file names) of `shard` of 4 in a run directory. */
async function shardOfCells(runDir: string, cells: string[], shard: number): Promise<string[]> {
  const { cellKey, cellsInKeyOrder, gridCells, readRunRecord, shardOf } = await import(
    "../lib/run/mod.ts"
  );
  const record = await readRunRecord(runDir);
  const ordered = cellsInKeyOrder(gridCells(record)).map(cellKey);
  return cells.filter((name) => shardOf(ordered.indexOf(name.replace(/\.json$/, "")), 4) === shard);
}

function daemonPids(slurm: LocalSlurm): number[] {
  return ["slurmctld", "slurmd", "munged"].map((d) =>
    Number(Deno.readTextFileSync(`${slurm.state}/${d}.pid`).trim())
  );
}

function alive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

Deno.test({
  name: "Slurm: an extraction in 3 array tasks plus the consolidation job gives one run's store",
  ignore: unavailable !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const memes = await ensureSyntheticMemes({ count: 60 });
    const work = await Deno.makeTempDir({ prefix: "memesense-slurm-extract-" });
    let slurm: LocalSlurm | undefined;
    try {
      slurm = await startLocalSlurm();
      const args = ["--data", memes.csvPath, "--model", "tiny", "--offline", "--batch-size", "8"];
      const submitted = await runScript("extract", [
        ...args,
        "--cache",
        `${work}/sharded`,
        "--executor",
        "slurm",
        "--shards",
        "3",
      ], slurm.env);
      assert.equal(submitted.code, 0, submitted.stderr);
      const [, arrayJob] = /submitted array job (\d+): 3 extraction shards/.exec(submitted.stdout)!;
      const [, consolidation] = /submitted consolidation job (\d+)/.exec(submitted.stdout)!;
      await waitForJobs(slurm, [arrayJob, consolidation]);
      const local = await runScript("extract", [...args, "--cache", `${work}/one`]);
      assert.equal(local.code, 0, local.stderr);

      const [key] = listing(`${work}/one/features`);
      assert.deepEqual(listing(`${work}/sharded/features`), [key]);
      const one = `${work}/one/features/${key}`, sharded = `${work}/sharded/features/${key}`;
      const chunks = listing(`${one}/chunks`);
      assert.deepEqual(listing(`${sharded}/chunks`), chunks);
      for (const f of [...chunks.map((c) => `chunks/${c}`), "prompts.safetensors", "store.json"]) {
        assert.deepEqual(
          await Deno.readFile(`${sharded}/${f}`),
          await Deno.readFile(`${one}/${f}`),
          f,
        );
      }
      // The consolidation ran as its own job, after the shards.
      const logs = listing(`${work}/sharded/slurm`)[0];
      const logDir = `${work}/sharded/slurm/${logs}/slurm/logs`;
      assert.match(
        await Deno.readTextFile(`${logDir}/report-job-${consolidation}.log`),
        /consolidated: 60 memes/,
      );
    } finally {
      await slurm?.stop();
      await Deno.remove(work, { recursive: true });
    }
  },
});
