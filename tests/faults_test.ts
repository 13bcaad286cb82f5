/**
 * The fault-injection suite. Every file a run writes (`RUN_LAYOUT`) and every file a feature
 * store writes (`STORE_LAYOUT`) is deleted, cut short and altered after each stage that writes
 * it, and every write is failed with ENOSPC and with EIO (through the injectable file-writing
 * layer in lib/util). Each time: a named error (or status line) with its remedy; nothing
 * reported complete that is not; and the remedy — `--resume`, `deno task aggregate`,
 * `deno task extract` — gives back exactly what an uninterrupted run gives: the same `table.md`,
 * `metrics.csv` (timings aside), `metrics_long.csv`, `metrics_summary.csv`, heads, predictions and
 * store bytes. What each fault does is
 * listed in docs/experiments.md ("Faults the suite injects").
 */
import assert from "node:assert/strict";
import { makeConfig } from "../lib/config/mod.ts";
import {
  checkCells,
  readRunRecord,
  REFERENCE_VARIANT,
  RUN_LAYOUT,
  RunIntegrityError,
  type RunLayoutEntry,
  runStatus,
} from "../lib/run/mod.ts";
import { aggregateRun } from "../lib/outputs/mod.ts";
import { type ExperimentSpec, runExperiment } from "../lib/experiment/mod.ts";
import { runFinished } from "../lib/run/integrity.ts";
import { RunRecordError } from "../lib/run/mod.ts";
import { lockPath } from "../lib/run/run_dir.ts";
import {
  extractFeatures,
  type ExtractOptions,
  FeatureStoreError,
  loadFeatures,
  STORE_LAYOUT,
} from "../lib/features/mod.ts";
import { SlurmError } from "../lib/cluster/mod.ts";
import { ensureSyntheticMemes } from "../lib/synthetic/mod.ts";
import { FileWriteError, injectWriteFaults, type WriteFaultCause } from "../lib/util/mod.ts";
import { csvInputs, listing, smallCsv } from "./_runs.ts";

/** How a file is damaged after it was written. */
type Fault = "delete" | "truncate" | "corrupt";
const FAULTS: readonly Fault[] = ["delete", "truncate", "corrupt"];
/** How a write fails. */
const CAUSES: readonly WriteFaultCause[] = ["ENOSPC", "EIO"];

/** Deletes `path`, cuts it to half its size, or flips 8 bytes in its middle (same size). */
async function damage(path: string, fault: Fault): Promise<void> {
  if (fault === "delete") return await Deno.remove(path);
  const bytes = await Deno.readFile(path);
  if (fault === "truncate") {
    return await Deno.writeFile(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
  }
  const mid = Math.floor(bytes.length / 2);
  for (let i = mid; i < Math.min(mid + 8, bytes.length); i++) bytes[i] ^= 0x55;
  await Deno.writeFile(path, bytes);
}

/** Every file under `dir`, relative to it, sorted. */
function filesUnder(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const e of listing(`${dir}/${prefix}`)) {
    const rel = prefix ? `${prefix}/${e}` : e;
    if (Deno.statSync(`${dir}/${rel}`).isDirectory) out.push(...filesUnder(dir, rel));
    else out.push(rel);
  }
  return out.sort();
}

/** A layout path (`cells/<key>.json`) as a regular expression: each `<…>` any one name part. */
function pathPattern(pattern: string): RegExp {
  return new RegExp(
    "^" + pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/<[a-z0-9]+>/g, "[^/]+") + "$",
  );
}

/** The files under `dir` a layout path (`cells/<key>.json`) stands for. */
function matching(dir: string, pattern: string): string[] {
  const re = pathPattern(pattern);
  return filesUnder(dir).filter((f) => re.test(f));
}

const quiet = () => {};
const KEY1 = "memeclip__hate__seed1", KEY2 = "memeclip__hate__seed2";
const TRANSFER_TARGET = "pridemm-hate";

/** The reference: an uninterrupted run and an uninterrupted store, and what they hold. */
interface Fixture {
  readonly work: string;
  readonly spec: ExperimentSpec;
  readonly runDir: string;
  readonly artefacts: Artefacts;
  readonly storeOptions: ExtractOptions;
  readonly store: StoreContent;
}

let fixture: Promise<Fixture> | undefined;

function setUp(): Promise<Fixture> {
  fixture ??= (async () => {
    const work = await Deno.makeTempDir({ prefix: "memesense-faults-" });
    const { csv, images } = await smallCsv(work);
    const inputs = await csvInputs({ csv, images, cacheDir: `${work}/cache`, log: quiet });
    // A transfer target too (the same memes read as PrideMM's layout), so that the run writes
    // every file of the layout, transfer/<target>/<key>.safetensors included.
    const target = await csvInputs({
      csv,
      images,
      dataset: "pridemm",
      cacheDir: `${work}/cache`,
      log: quiet,
    });
    const spec: ExperimentSpec = {
      name: "faults",
      title: "fault injection",
      tasks: ["hate"],
      seeds: [1, 2],
      variants: [REFERENCE_VARIANT],
      baseConfig: makeConfig({ clip: { model: "tiny" }, train: { epochs: 1 } }),
      inputs,
      outRoot: `${work}/reference`,
      workers: 1,
      baselines: true,
      saveHeads: true,
      predictionsCsv: true,
      gallery: false,
      bootstrap: { replicates: 20 },
      transfer: [{
        id: TRANSFER_TARGET,
        inputs: target,
        task: "hate",
        classMap: { targetToSource: [0, 1], declaredBy: "the fault suite" },
      }],
      log: quiet,
    };
    const { runDir } = await runExperiment(spec);
    const memes = await ensureSyntheticMemes();
    const storeOptions: ExtractOptions = {
      items: Array.from({ length: 10 }, (_, i) => ({
        name: `img_${i + 1}.png`,
        imagePath: `${memes.imageDir}/img_${i + 1}.png`,
        text: i % 4 === 3 ? null : `meme ${i}`,
      })),
      imageDir: memes.imageDir,
      datasetHash: "a".repeat(64),
      cacheDir: `${work}/store-reference`,
      model: "tiny",
      threads: 1,
      chunkRows: 4,
      progress: null,
      log: quiet,
    };
    const { dir } = await extractFeatures(storeOptions);
    return {
      work,
      spec,
      runDir,
      artefacts: await artefacts(runDir),
      storeOptions,
      store: await storeContent(dir),
    };
  })();
  return fixture;
}

/** What an uninterrupted run gives, to compare a repaired run with. */
interface Artefacts {
  readonly table: string;
  readonly metricsCsv: string;
  readonly metricsLong: string;
  readonly metricsSummary: string;
  readonly predictionsCsv: string;
  readonly heads: Readonly<Record<string, Uint8Array>>;
}

/** A long or summary file without its first column, the run's folder name (a new run, a new name). */
function withoutRunColumn(csv: string): string {
  return csv.split("\n").map((line) => line.slice(line.indexOf(",") + 1)).join("\n");
}

async function artefacts(runDir: string): Promise<Artefacts> {
  // metrics.csv without its seconds column: no two runs take the same time.
  const rows = (await Deno.readTextFile(`${runDir}/metrics.csv`)).trimEnd().split("\n")
    .map((l) => l.split(","));
  const seconds = rows[0].indexOf("seconds");
  assert.ok(seconds >= 0, rows[0].join(","));
  const heads: Record<string, Uint8Array> = {};
  for (const f of matching(runDir, "heads/<task>/<file>")) {
    heads[f] = await Deno.readFile(`${runDir}/${f}`);
  }
  return {
    table: await Deno.readTextFile(`${runDir}/table.md`),
    metricsCsv: rows.map((r) => r.filter((_, i) => i !== seconds).join(",")).join("\n"),
    metricsLong: withoutRunColumn(await Deno.readTextFile(`${runDir}/metrics_long.csv`)),
    metricsSummary: withoutRunColumn(await Deno.readTextFile(`${runDir}/metrics_summary.csv`)),
    predictionsCsv: await Deno.readTextFile(`${runDir}/predictions.csv`),
    heads,
  };
}

/** A copy of the reference run as it was after `stage`. */
async function atStage(
  f: Fixture,
  stage: "created" | "cells" | "finished",
  label: string,
): Promise<string> {
  const dir = `${f.work}/${label}/${f.runDir.split("/").at(-1)}`;
  await Deno.mkdir(`${f.work}/${label}`, { recursive: true });
  await new Deno.Command("cp", { args: ["-a", f.runDir, dir] }).output();
  if (stage === "finished") return dir;
  const metrics = JSON.parse(await Deno.readTextFile(`${dir}/metrics.json`));
  for (const o of metrics.outputs as { path: string }[]) await Deno.remove(`${dir}/${o.path}`);
  await Deno.remove(`${dir}/metrics.json`);
  if (stage === "cells") return dir;
  for (const file of filesUnder(dir)) {
    if (file !== "config.json") await Deno.remove(`${dir}/${file}`);
  }
  return dir;
}

/** Resumes `dir` and checks it then holds exactly what the uninterrupted run holds. */
async function resumeAndCompare(f: Fixture, dir: string, trained: number): Promise<void> {
  const outcome = await runExperiment({ ...f.spec, resume: dir });
  assert.equal(outcome.trained, trained, `${dir}: cells trained on resume`);
  assert.deepEqual(await artefacts(dir), f.artefacts);
  const status = await runStatus(dir);
  assert.deepEqual([status.counts.finished, status.outputsIntact], [2, true]);
  assert.equal(await runFinished(dir), true);
  assert.deepEqual(filesUnder(dir).filter((p) => p.endsWith(".tmp")), [], "no temporary file");
}

/** The layout rows of one kind; the suite fails when a kind has none it expects. */
function entries(kind: RunLayoutEntry["kind"]): RunLayoutEntry[] {
  const rows = RUN_LAYOUT.filter((e) => e.kind === kind);
  assert.ok(rows.length > 0, `no ${kind} file in RUN_LAYOUT`);
  return rows;
}

/** The rows of the first Markdown table in a module's doc comment: its cells, trimmed. */
async function docTable(file: string): Promise<string[][]> {
  const source = await Deno.readTextFile(new URL(`../lib/${file}`, import.meta.url));
  const doc = source.slice(0, source.indexOf("@module"));
  return doc.split("\n").map((l) => l.replace(/^ \* ?/, ""))
    .filter((l) => l.startsWith("| `"))
    .map((l) => l.split(" | ").map((c) => c.replace(/^\|\s*|\s*\|$/g, "").trim()));
}

Deno.test("the layout tables of run_dir.ts and store.ts are RUN_LAYOUT and STORE_LAYOUT", async () => {
  assert.deepEqual(
    (await docTable("run/run_dir.ts")).map((r) => [r[0], r[1]]),
    RUN_LAYOUT.map((e) => [`\`${e.path}\``, e.kind]),
  );
  assert.deepEqual(
    (await docTable("features/store.ts")).map((r) => r[0]),
    STORE_LAYOUT.map((e) => `\`${e.path}\``),
  );
});

Deno.test({
  name: "every run file of the layout is covered: the reference run writes each of them",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const f = await setUp();
    for (const e of RUN_LAYOUT) {
      const found = matching(f.runDir, e.path);
      // Locks are held only while a process works; Slurm files only on a cluster.
      if (e.kind === "lock" || e.kind === "cluster") continue;
      assert.ok(found.length > 0, `the reference run wrote no ${e.path}`);
    }
    const written = filesUnder(f.runDir);
    const covered = written.filter((w) =>
      RUN_LAYOUT.some((e) => matching(f.runDir, e.path).includes(w))
    );
    assert.deepEqual(covered, written, "every file the run wrote is in RUN_LAYOUT");
  },
});

Deno.test({
  name: "the record (config.json) damaged after each stage: named with its remedy, never used",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const f = await setUp();
    const [record] = entries("record");
    for (const stage of ["created", "cells", "finished"] as const) {
      for (const fault of FAULTS) {
        const dir = await atStage(f, stage, `record-${stage}-${fault}`);
        await damage(`${dir}/${record.path}`, fault);
        const named = (e: Error) => {
          assert.ok(e instanceof RunRecordError, `${stage}/${fault}: ${e}`);
          assert.ok(e.message.includes(`${dir}/${record.path}`), e.message);
          assert.match(e.message, /restore the file from a copy, or start a new run$/);
          return true;
        };
        await assert.rejects(readRunRecord(dir), named);
        await assert.rejects(runStatus(dir), named);
        await assert.rejects(aggregateRun(dir, quiet), named);
        await assert.rejects(runExperiment({ ...f.spec, resume: dir }), named);
      }
    }
    // The remedy: the same run started again gives the same tables, heads and predictions.
    const again = await runExperiment({ ...f.spec, outRoot: `${f.work}/record-again` });
    assert.deepEqual(await artefacts(again.runDir), f.artefacts);
  },
});

Deno.test({
  name:
    "a cell's files damaged after the cells and after the tables: the cell is incomplete, named, and resumed",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const f = await setUp();
    const cellFiles = entries("cell");
    for (const stage of ["cells", "finished"] as const) {
      for (const fault of FAULTS) {
        const dir = await atStage(f, stage, `cell-${stage}-${fault}`);
        // Each kind of file once: the record in the second seed's cell, the files it lists in
        // the first's (whose record stays intact, so that it names them).
        const targets = cellFiles.map((e) => {
          const all = matching(dir, e.path);
          const own = e.path.startsWith("cells/") ? KEY2 : KEY1;
          return all.find((p) => !p.includes("seed") || p.includes(own)) ?? all[0];
        });
        assert.equal(targets.length, cellFiles.length);
        for (const t of targets) await damage(`${dir}/${t}`, fault);

        const checks = new Map((await checkCells(dir)).map((c) => [c.key, c]));
        const first = checks.get(KEY1)!;
        assert.equal(first.condition, "damaged");
        for (const t of targets.filter((t) => !t.startsWith("cells/"))) {
          assert.ok(first.problems.some((p) => p.startsWith(`${t}: `)), `${t}: ${first.problems}`);
        }
        const record = targets.find((t) => t.startsWith("cells/"))!;
        if (fault === "delete") assert.equal(checks.has(KEY2), false);
        else assert.match(checks.get(KEY2)!.problems[0], new RegExp(`^${record}: `));

        const status = await runStatus(dir);
        assert.equal(status.counts.finished, 0, `${stage}/${fault}: nothing counted finished`);
        assert.equal(status.outputsIntact, false);
        assert.equal(await runFinished(dir), false);
        await assert.rejects(aggregateRun(dir, quiet), (e: Error) => {
          assert.ok(e instanceof RunIntegrityError, String(e));
          assert.ok(e.message.endsWith(`deno task reproduce --resume ${dir}`), e.message);
          return true;
        });
        await resumeAndCompare(f, dir, 2);
      }
    }
  },
});

Deno.test({
  name: "the tables and report damaged: status names each, and resume writes them again",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const f = await setUp();
    const outputs = entries("output").filter((e) => e.path !== "metrics.json");
    for (const fault of FAULTS) {
      const dir = await atStage(f, "finished", `outputs-${fault}`);
      for (const e of outputs) await damage(`${dir}/${e.path}`, fault);
      const status = await runStatus(dir);
      assert.equal(status.outputsIntact, false);
      assert.deepEqual(
        status.outputProblems.map((p) => p.slice(0, p.indexOf(": "))).sort(),
        outputs.map((e) => e.path).sort(),
      );
      assert.equal(status.counts.finished, 2, "the cells are complete");
      // Listings compare sizes only: a same-size alteration is found by status, report, resume.
      if (fault !== "corrupt") assert.equal(await runFinished(dir), false);
      await resumeAndCompare(f, dir, 0);
    }
    // metrics.json, which vouches for the others, on its own.
    for (const fault of FAULTS) {
      const dir = await atStage(f, "finished", `metrics-${fault}`);
      await damage(`${dir}/metrics.json`, fault);
      const status = await runStatus(dir);
      assert.equal(status.outputsIntact, false);
      if (fault === "delete") assert.equal(status.outputsWritten, false);
      else assert.match(status.outputProblems[0], /^metrics\.json: /);
      assert.equal(await runFinished(dir), false);
      await resumeAndCompare(f, dir, 0);
    }
  },
});

Deno.test({
  name:
    "locks damaged: a lock that does not read is taken over; the aggregation marker is not needed by report",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const f = await setUp();
    const [lock, aggregated] = entries("lock");
    for (const fault of FAULTS) {
      const dir = await atStage(f, "cells", `lock-${fault}`);
      const path = lockPath(dir, "all");
      assert.ok(matching(dir, "locks").length === 0 && lock.path === "locks/<scope>.lock");
      // A lock as a process writes it: one that no longer runs is taken over anyway.
      await Deno.mkdir(`${dir}/locks`, { recursive: true });
      await Deno.writeTextFile(
        path,
        JSON.stringify({ pid: 1, host: "elsewhere", scope: "all", startedAt: "then" }) + "\n",
      );
      await damage(path, fault);
      const lines: string[] = [];
      await runExperiment({ ...f.spec, resume: dir, log: (l) => lines.push(l) });
      if (fault === "truncate") {
        assert.ok(
          lines.includes(`${path} is damaged (not a lock record): taking it over`),
          lines.join("\n"),
        );
      }
      assert.deepEqual(await artefacts(dir), f.artefacts);
      assert.deepEqual(listing(`${dir}/locks`), [], "the lock is released");
    }
    for (const fault of FAULTS) {
      const dir = await atStage(f, "cells", `aggregated-${fault}`);
      await Deno.mkdir(`${dir}/locks`, { recursive: true });
      await Deno.writeTextFile(`${dir}/${aggregated.path}`, `${Deno.pid}@${Deno.hostname()}\n`);
      await damage(`${dir}/${aggregated.path}`, fault);
      await aggregateRun(dir, quiet);
      assert.deepEqual(await artefacts(dir), f.artefacts);
    }
  },
});

Deno.test({
  name:
    "the Slurm submissions record damaged: status names it and what to do; the cells are unaffected",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const f = await setUp();
    const [cluster] = entries("cluster");
    for (const fault of FAULTS) {
      const dir = await atStage(f, "finished", `cluster-${fault}`);
      await Deno.mkdir(`${dir}/slurm`, { recursive: true });
      const submission = {
        arrayJob: "11",
        reportJob: "12",
        count: 2,
        shards: [1, 2],
        cells: 2,
        submittedAt: "2026-01-01T00:00:00Z",
        script: "slurm/array-11.sh",
      };
      await Deno.writeTextFile(`${dir}/${cluster.path}`, JSON.stringify([submission], null, 2));
      await damage(`${dir}/${cluster.path}`, fault);
      try {
        const status = await runStatus(dir);
        assert.equal(status.counts.finished, 2, "the cells are read from their records");
      } catch (e) {
        assert.ok(e instanceof SlurmError, String(e));
        assert.ok((e as Error).message.startsWith(`${dir}/${cluster.path}: unreadable`));
        assert.match(
          (e as Error).message,
          /remove it, then deno task reproduce --resume .* --executor slurm/,
        );
        assert.notEqual(fault, "delete");
      }
    }
  },
});

Deno.test({
  name:
    "every run write failed with ENOSPC and EIO: named with its remedy, nothing marked complete, resume repairs",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const f = await setUp();
    for (const e of RUN_LAYOUT) {
      if (e.kind === "cluster") continue; // written by lib/cluster's submission (tests/slurm_test.ts)
      for (const cause of CAUSES) {
        const label = `write-${e.path.replace(/[^a-z0-9]+/gi, "_")}-${cause}`;
        if (e.kind === "record") {
          const out = `${f.work}/${label}`;
          const restore = injectWriteFaults((p) => p.endsWith("/config.json") ? cause : null);
          try {
            await assert.rejects(runExperiment({ ...f.spec, outRoot: out }), (err: Error) => {
              assert.ok(err instanceof FileWriteError && err.code === cause, String(err));
              assert.match(err.message, /\/config\.json: .*; the run folder was removed; /);
              return true;
            });
          } finally {
            restore();
          }
          assert.deepEqual(listing(out), [], "no run folder left without its record");
          continue;
        }
        // The cells are in; the first seed's cell is trained again, and everything after it.
        const dir = await atStage(f, "cells", label);
        await Deno.remove(`${dir}/cells/${KEY1}.json`);
        const target = e.path.replace("<key>", KEY1).replace("<task>", "hate")
          .replace("<target>", TRANSFER_TARGET).replace("<scope>", "all");
        // What a name holds that no run can know beforehand (an event file's time and host).
        const re = pathPattern(`${dir}/${target}`);
        const shard = e.path === "locks/aggregated" ? { index: 1, count: 1 } : undefined;
        const restore = injectWriteFaults((p) => re.test(p) ? cause : null);
        try {
          await assert.rejects(runExperiment({ ...f.spec, resume: dir, shard }), (err: Error) => {
            assert.ok(err instanceof FileWriteError, `${target}: ${err}`);
            assert.match(err.path, re);
            assert.ok(err.message.includes(`(${cause}); `), err.message);
            assert.ok(err.message.endsWith(`deno task reproduce --resume ${dir}`), err.message);
            return true;
          });
        } finally {
          restore();
        }
        // Nothing that failed is marked complete.
        assert.equal(await runFinished(dir), false, target);
        assert.deepEqual(filesUnder(dir).filter((p) => p.endsWith(".tmp")), []);
        const complete = (await checkCells(dir)).filter((c) => c.condition === "complete");
        const lost: boolean = e.kind === "cell" || (e.kind === "lock" && !shard);
        assert.deepEqual(complete.map((c) => c.key), lost ? [KEY2] : [KEY1, KEY2], target);
        if (shard) {
          await runExperiment({ ...f.spec, resume: dir, shard });
          assert.deepEqual(await artefacts(dir), f.artefacts);
        } else await resumeAndCompare(f, dir, lost ? 1 : 0);
      }
    }
  },
});

/** A store's bytes, file by file (the manifest without its modification times). */
type StoreContent = Record<string, string>;

async function storeContent(dir: string): Promise<StoreContent> {
  const out: StoreContent = {};
  for (const file of filesUnder(dir)) {
    let text = new TextDecoder().decode(await Deno.readFile(`${dir}/${file}`));
    if (file === "manifest.json") {
      text = JSON.stringify(
        JSON.parse(text, (k, v) => (k === "mtimeMs" || k === "checksum" ? undefined : v)),
      );
    }
    out[file] = text;
  }
  return out;
}

Deno.test({
  name:
    "every store file damaged: loading names it and what to run, extract repairs it to the same bytes",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const f = await setUp();
    const reference = `${f.storeOptions.cacheDir}/features`;
    const [key] = listing(reference);
    for (const e of STORE_LAYOUT) {
      for (const fault of FAULTS) {
        const cache = `${f.work}/store-${e.path.split("/")[0].replace(/\W/g, "_")}-${fault}`;
        await Deno.mkdir(`${cache}/features`, { recursive: true });
        await new Deno.Command("cp", { args: ["-a", `${reference}/${key}`, `${cache}/features/`] })
          .output();
        const dir = `${cache}/features/${key}`;
        const [target] = matching(dir, e.path);
        assert.ok(target, `no ${e.path} in the store`);
        await damage(`${dir}/${target}`, fault);
        // A report reads the store without extracting: it refuses, naming the file.
        await assert.rejects(loadFeatures(dir, { verify: true }), (err: Error) => {
          assert.ok(err instanceof FeatureStoreError, `${target}/${fault}: ${err}`);
          if (target !== "manifest.json" || fault !== "delete") {
            assert.ok(err.message.includes(`${dir}/${target}`), err.message);
            assert.match(err.message, /deno task extract/);
          } else assert.match(err.message, /is incomplete .*run `deno task extract` again/);
          return true;
        });
        const repaired = await extractFeatures({
          ...f.storeOptions,
          cacheDir: cache,
          verify: true,
        });
        assert.equal(repaired.dir, dir);
        assert.deepEqual(await storeContent(dir), f.store, `${target}/${fault}`);
        await loadFeatures(dir, { verify: true });
      }
    }
  },
});

Deno.test({
  name:
    "every store write failed with ENOSPC and EIO: named, the store not complete, extract again repairs",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const f = await setUp();
    for (const e of STORE_LAYOUT) {
      const re = new RegExp(
        "/features/[^/]+/" +
          e.path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/<[a-z0-9]+>/g, "[^/]+") + "$",
      );
      for (const cause of CAUSES) {
        const cache = `${f.work}/store-write-${e.path.split("/")[0].replace(/\W/g, "_")}-${cause}`;
        const restore = injectWriteFaults((p) => re.test(p) ? cause : null);
        try {
          await assert.rejects(
            extractFeatures({ ...f.storeOptions, cacheDir: cache }),
            (err: Error) => {
              assert.ok(err instanceof FileWriteError && err.code === cause, `${e.path}: ${err}`);
              assert.match(err.path, re);
              assert.match(
                err.message,
                /the store is not marked complete; .*run deno task extract again/,
              );
              return true;
            },
          );
        } finally {
          restore();
        }
        const [key] = listing(`${cache}/features`);
        const dir = `${cache}/features/${key}`;
        await assert.rejects(loadFeatures(dir), FeatureStoreError, "nothing marked complete");
        assert.deepEqual(filesUnder(dir).filter((p) => p.endsWith(".tmp")), []);
        await extractFeatures({ ...f.storeOptions, cacheDir: cache });
        assert.deepEqual(await storeContent(dir), f.store, `${e.path}/${cause}`);
      }
    }
  },
});

Deno.test({
  name: "fault suite: clean up",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    if (fixture) await Deno.remove((await fixture).work, { recursive: true });
  },
});
