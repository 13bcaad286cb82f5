/**
 * Settings resolved once: the CLIP model a run records (config.json, head.json, the feature-store
 * key) is the one it loaded, whether given by flag, by environment or by default; a bad setting is
 * one line naming it, exit status 2, with nothing created; every setting has one resolver, where
 * its flag beats its variable and the variable beats its default, and nothing else reads the
 * variables or computes the defaults.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { writeTinyClip } from "../lib/clip/mod.ts";
import {
  backendSetting,
  blasThreadsSetting,
  cacheSetting,
  chromiumSetting,
  clipModelSetting,
  configFromFlags,
  dataDirSetting,
  datasetSetting,
  DEFAULT_CLIP_MODEL,
  defaultDatasetRoot,
  DEMO_DATASET,
  deviceSetting,
  ENVIRONMENT_VARIABLES,
  imagesBeside,
  makeConfig,
  type NotebookDatasetContext,
  offlineSetting,
  openBlasSetting,
  PRIDEMM_CSV_CANDIDATES,
  pridemmCsvSetting,
  pridemmImagesSetting,
  readEnvironment,
  resolveRunSettings,
  resultsRootSetting,
  RETIRED_VARIABLES,
  SettingError,
  taskSetting,
} from "../lib/config/mod.ts";
import { ensureSyntheticMemes } from "../lib/synthetic/mod.ts";
import { exists, REPO_ROOT } from "../lib/util/mod.ts";
import { runScript } from "../scripts/run_script.ts";

const RUN = ["--tasks", "hate", "--seeds", "1", "--epochs", "1", "--baselines", "false"];

function onlyRun(out: string): string {
  const runs = [...Deno.readDirSync(out)].map((e) => `${out}/${e.name}`);
  assert.equal(runs.length, 1, `one run folder in ${out}: ${runs}`);
  return runs[0];
}

Deno.test({
  name: "the CLIP model by flag, by environment and by default is the one recorded and loaded",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const memes = await ensureSyntheticMemes();
    const tmp = await Deno.makeTempDir({ prefix: "memesense-settings-" });
    try {
      // A cache whose copy of the default model (by its hub id) is a tiny CLIP: the default
      // resolves, loads offline, and must be recorded under its own name.
      const cache = `${tmp}/cache`;
      await writeTinyClip(`${cache}/models/${DEFAULT_CLIP_MODEL}`, { shape: "tiny", seed: 7 });
      const cases: { how: string; args: string[]; env: Record<string, string>; model: string }[] = [
        {
          how: "flag",
          args: ["--model", "tiny"],
          env: { MEMESENSE_CLIP_MODEL: "" },
          model: "tiny",
        },
        // The flag wins over the variable.
        {
          how: "flag over environment",
          args: ["--model", "tiny"],
          env: { MEMESENSE_CLIP_MODEL: DEFAULT_CLIP_MODEL },
          model: "tiny",
        },
        { how: "environment", args: [], env: { MEMESENSE_CLIP_MODEL: "tiny" }, model: "tiny" },
        {
          how: "default",
          args: [],
          env: { MEMESENSE_CLIP_MODEL: "", MEMESENSE_CACHE: cache },
          model: DEFAULT_CLIP_MODEL,
        },
      ];
      for (const c of cases) {
        const out = `${tmp}/results-${c.how.replaceAll(" ", "-")}`;
        const run = await runScript(
          "reproduce",
          ["--data", memes.csvPath, "--offline", "--out", out, ...RUN, ...c.args],
          c.env,
        );
        assert.equal(run.code, 0, `${c.how}: ${run.stderr.slice(-2000)}`);
        const dir = onlyRun(out);
        const config = JSON.parse(await Deno.readTextFile(`${dir}/config.json`));
        const head = JSON.parse(await Deno.readTextFile(`${dir}/heads/hate/head.json`));
        const base = c.model.split("/").pop();
        assert.equal(config.config.clip.model, c.model, `${c.how}: config.json config.clip.model`);
        assert.equal(config.clipModel, c.model, `${c.how}: config.json clipModel`);
        assert.equal(head.config.clip.model, c.model, `${c.how}: head.json config.clip.model`);
        assert.equal(head.clipModel, c.model, `${c.how}: head.json clipModel`);
        assert.match(config.featureStore, new RegExp(`^${base}-squash-[0-9a-f]{16}$`), c.how);
        assert.equal(head.featureStoreKey, config.featureStore);
      }
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test({
  name: "a bad setting is one line naming it, its value and what is allowed; exit 2, nothing made",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const memes = await ensureSyntheticMemes();
    const tmp = await Deno.makeTempDir({ prefix: "memesense-bad-settings-" });
    const out = `${tmp}/results`;
    const common = ["--data", memes.csvPath, "--offline", "--model", "tiny", "--out", out];
    const cases: [string, string[], Record<string, string>, RegExp][] = [
      ["reproduce", ["--epochs", "-1"], {}, /^error: --epochs -1: expected an integer ≥ 1$/],
      ["reproduce", ["--ratio", "1.5"], {}, /^error: --ratio 1\.5: expected a number in \[0, 1\]$/],
      [
        "reproduce",
        ["--tasks", "hate,sarcasm"],
        {},
        /^error: --tasks hate,sarcasm: expected one or more of pridemm's tasks: hate, target, stance, humour$/,
      ],
      ["reproduce", ["--seeds", "0"], {}, /^error: --seeds 0: expected a count ≥ 1 or a comma/],
      [
        "reproduce",
        ["--backend", "gpu"],
        {},
        /^error: --backend gpu: expected one of auto, tfjs-node-gpu, tfjs-node, blas, wasm, cpu$/,
      ],
      ["reproduce", ["--workers", "0"], {}, /^error: --workers 0: expected an integer ≥ 1$/],
      ["reproduce", ["--epochs", "2.5"], {}, /^error: --epochs 2\.5: expected an integer$/],
      [
        "reproduce",
        ["--protocol", "paper"],
        {},
        /^error: --protocol paper: expected one of both, reference, clean$/,
      ],
      [
        "reproduce",
        ["--fusion", "max"],
        {},
        /^error: --fusion max: expected one of product, concat, sum$/,
      ],
      [
        "reproduce",
        [],
        { MEMESENSE_BACKEND: "gpu" },
        /^error: MEMESENSE_BACKEND=gpu: expected one of auto, tfjs-node-gpu/,
      ],
      [
        "ablate",
        ["--ratios", "0,1.5"],
        {},
        /^error: --ratios 0,1\.5: expected numbers in \[0, 1\]$/,
      ],
      ["ablate", ["--depths", "0,1"], {}, /^error: --depths 0,1: expected integers ≥ 1$/],
      ["ablate", ["--mode", "full"], {}, /^error: --mode full: expected one of sweeps, grid$/],
      ["demo", ["--out", out, "--seeds", "-1"], {}, /^error: --seeds -1: expected a count ≥ 1/],
    ];
    try {
      for (const [script, args, env, expected] of cases) {
        const run = await runScript(
          script,
          script === "demo" ? args : [...common, ...args],
          env,
        );
        const what = `${script} ${args.join(" ")} ${JSON.stringify(env)}`;
        assert.equal(run.code, 2, `${what}: exit ${run.code}\n${run.stderr}`);
        assert.match(run.stderr.trim(), expected, what);
        assert.equal(run.stderr.trim().split("\n").length, 1, `${what}: one line\n${run.stderr}`);
        assert.ok(!(await exists(out)), `${what}: created ${out}`);
      }
      // A results folder where nothing can be created is found before any work starts.
      const readOnly = "/proc/memesense-results";
      const run = await runScript("reproduce", [...common, "--out", readOnly, ...RUN]);
      assert.equal(run.code, 2, run.stderr);
      assert.match(
        run.stderr.trim(),
        /^error: --out \/proc\/memesense-results: expected a folder where files can be created; \/proc is not writable/,
      );
      if (Deno.uid() !== 0) {
        // Permissions bind only non-root users: a folder without write permission.
        await Deno.mkdir(`${tmp}/locked`, { mode: 0o555 });
        const locked = await runScript("reproduce", [...common, "--out", `${tmp}/locked`, ...RUN]);
        assert.equal(locked.code, 2, locked.stderr);
        assert.match(locked.stderr, /--out .*locked: expected a folder where files can be created/);
        assert.equal([...Deno.readDirSync(`${tmp}/locked`)].length, 0);
      }
    } finally {
      await Deno.chmod(tmp, 0o755).catch(() => {});
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

// ---------------------------------------------------------------------------------------------
// One resolver per setting: its flag beats its variable, which beats its default.
// ---------------------------------------------------------------------------------------------

const envOf = (vars: Record<string, string>) => readEnvironment((name) => vars[name]);
const NO_ENV = envOf({});

Deno.test("the CLIP model: --model, then MEMESENSE_CLIP_MODEL, then ViT-L/14 (tiny offline in notebooks)", () => {
  const env = envOf({ MEMESENSE_CLIP_MODEL: "/models/clip" });
  assert.deepEqual(clipModelSetting("tiny", env), { value: "tiny", source: "flag" });
  assert.deepEqual(clipModelSetting(undefined, env), {
    value: "/models/clip",
    source: "environment",
  });
  assert.deepEqual(clipModelSetting(undefined, NO_ENV), {
    value: "Xenova/clip-vit-large-patch14",
    source: "default",
  });
  assert.deepEqual(clipModelSetting(undefined, NO_ENV, { notebookOffline: true }), {
    value: "tiny",
    source: "default",
  });
  // The notebooks' offline default does not beat a model the environment names.
  assert.equal(clipModelSetting(undefined, env, { notebookOffline: true }).value, "/models/clip");
  // A run's config: the flag, else the variable, else its base config's model.
  const demo = makeConfig({ clip: { model: "tiny" } });
  assert.equal(configFromFlags({}, demo, NO_ENV).clip.model, "tiny");
  assert.equal(configFromFlags({}, demo, env).clip.model, "/models/clip");
  assert.equal(configFromFlags({ model: "/m" }, demo, env).clip.model, "/m");
});

Deno.test("offline: --offline (false included), then MEMESENSE_OFFLINE, then downloads allowed", () => {
  const env = envOf({ MEMESENSE_OFFLINE: "1" });
  assert.deepEqual(offlineSetting(false, env), { value: false, source: "flag" });
  assert.deepEqual(offlineSetting(undefined, env), { value: true, source: "environment" });
  assert.deepEqual(offlineSetting(undefined, envOf({ MEMESENSE_OFFLINE: "false" })), {
    value: false,
    source: "environment",
  });
  assert.deepEqual(offlineSetting(undefined, NO_ENV), { value: false, source: "default" });
  assert.equal(resolveRunSettings({ offline: false }, { env }).offline, false);
  assert.equal(resolveRunSettings({}, { env }).offline, true);
});

Deno.test("the cache: --cache, then MEMESENSE_CACHE, then <repo>/.cache", () => {
  const env = envOf({ MEMESENSE_CACHE: "/var/cache/memesense" });
  assert.deepEqual(cacheSetting("/tmp/c", env), { value: "/tmp/c", source: "flag" });
  assert.deepEqual(cacheSetting(undefined, env), {
    value: "/var/cache/memesense",
    source: "environment",
  });
  assert.deepEqual(cacheSetting(undefined, NO_ENV), {
    value: `${REPO_ROOT}/.cache`,
    source: "default",
  });
});

Deno.test("the CLIP device: --device, then MEMESENSE_DEVICE, then cpu", () => {
  const env = envOf({ MEMESENSE_DEVICE: "cuda" });
  assert.deepEqual(deviceSetting("auto", env), { value: "auto", source: "flag" });
  assert.deepEqual(deviceSetting(undefined, env), { value: "cuda", source: "environment" });
  assert.deepEqual(deviceSetting(undefined, NO_ENV), { value: "cpu", source: "default" });
});

Deno.test("the backend: --backend (auto included), then MEMESENSE_BACKEND, then auto", () => {
  const env = envOf({ MEMESENSE_BACKEND: "wasm" });
  assert.deepEqual(backendSetting("auto", env), { value: "auto", source: "flag" });
  assert.deepEqual(backendSetting("cpu", env), { value: "cpu", source: "flag" });
  assert.deepEqual(backendSetting(undefined, env), { value: "wasm", source: "environment" });
  assert.deepEqual(backendSetting(undefined, NO_ENV), { value: "auto", source: "default" });
  assert.equal(resolveRunSettings({ backend: "auto" }, { env }).backend, "auto");
  assert.equal(resolveRunSettings({}, { env }).backend, "wasm");
});

Deno.test("the PrideMM CSV: --data, then MEMESENSE_PRIDEMM_CSV, then the first place it is found", () => {
  const env = envOf({ MEMESENSE_PRIDEMM_CSV: "/data/env/PrideMM.csv" });
  assert.deepEqual(pridemmCsvSetting("/data/flag/PrideMM.csv", env), {
    value: "/data/flag/PrideMM.csv",
    source: "flag",
  });
  // A named CSV is returned as named, even missing: a wrong path fails loudly where it is read.
  assert.deepEqual(pridemmCsvSetting(undefined, env, { withImages: true }), {
    value: "/data/env/PrideMM.csv",
    source: "environment",
  });
  assert.deepEqual(PRIDEMM_CSV_CANDIDATES, [
    `${REPO_ROOT}/data/PrideMM/PrideMM.csv`,
    join(REPO_ROOT, "..", "shared", "data", "PrideMM.csv"),
  ]);
  const exists = (p: string) => {
    try {
      return Deno.statSync(p).isFile;
    } catch {
      return false;
    }
  };
  const found = pridemmCsvSetting(undefined, NO_ENV);
  assert.equal(found.source, "default");
  assert.equal(found.value, PRIDEMM_CSV_CANDIDATES.find(exists) ?? null);
  // For the scripts a place counts only with its images; none here has them unless fetched.
  const whole = pridemmCsvSetting(undefined, NO_ENV, { withImages: true });
  assert.equal(
    whole.value,
    PRIDEMM_CSV_CANDIDATES.find((c) => exists(c) && existsDir(imagesBeside(c))) ?? null,
  );
});

function existsDir(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

Deno.test("PrideMM's images: --images, then MEMESENSE_PRIDEMM_IMAGES, then Images/ beside the CSV", () => {
  const env = envOf({ MEMESENSE_PRIDEMM_IMAGES: "/data/env-images" });
  const csv = "/data/PrideMM/PrideMM.csv";
  assert.deepEqual(pridemmImagesSetting("/data/flag-images", env, { csv }), {
    value: "/data/flag-images",
    source: "flag",
  });
  assert.deepEqual(pridemmImagesSetting(undefined, env, { csv }), {
    value: "/data/env-images",
    source: "environment",
  });
  assert.deepEqual(pridemmImagesSetting(undefined, NO_ENV, { csv }), {
    value: "/data/PrideMM/Images",
    source: "default",
  });
});

Deno.test("the dataset: given, then MEMESENSE_DATASET, then the script's, or the notebooks' by what is found", async () => {
  const env = envOf({ MEMESENSE_DATASET: "harmeme" });
  assert.deepEqual(datasetSetting("fhm", env), {
    value: "fhm",
    source: "flag",
    reason: "--dataset fhm",
  });
  assert.deepEqual(datasetSetting(undefined, env), {
    value: "harmeme",
    source: "environment",
    reason: "MEMESENSE_DATASET=harmeme",
  });
  assert.deepEqual(datasetSetting(undefined, NO_ENV), {
    value: "pridemm",
    source: "default",
    reason: "the default",
  });
  assert.equal(datasetSetting(undefined, NO_ENV, { default: DEMO_DATASET }).value, "synthetic");
  const tmp = await Deno.makeTempDir({ prefix: "memesense-data-setting-" });
  try {
    await Deno.mkdir(`${tmp}/Images`);
    await Deno.mkdir(`${tmp}/Empty`);
    await Deno.writeFile(`${tmp}/Images/img_1.png`, new Uint8Array([1]));
    const found: NotebookDatasetContext = {
      offline: false,
      pridemmCsv: `${tmp}/PrideMM.csv`,
      pridemmImages: `${tmp}/Images`,
    };
    const byDefault = (notebooks: typeof found) => datasetSetting(undefined, NO_ENV, { notebooks });
    assert.deepEqual(byDefault(found), {
      value: "pridemm",
      source: "default",
      reason: "PrideMM annotations and images found",
    });
    assert.deepEqual(byDefault({ ...found, offline: true }), {
      value: "synthetic",
      source: "default",
      reason: "offline (MEMESENSE_OFFLINE=1)",
    });
    assert.equal(byDefault({ ...found, pridemmCsv: null, pridemmImages: null }).value, "synthetic");
    assert.deepEqual(byDefault({ ...found, pridemmImages: `${tmp}/Empty` }), {
      value: "synthetic",
      source: "default",
      reason: `no PrideMM images in ${tmp}/Empty`,
    });
    assert.equal(datasetSetting(undefined, env, { notebooks: found }).value, "harmeme");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("a dataset's folder: given, then MEMESENSE_DATA_DIR (not for the generated set), then data/<name>/", () => {
  const env = envOf({ MEMESENSE_DATA_DIR: "/data/hm" });
  assert.deepEqual(dataDirSetting("/x", env, { dataset: "harmeme" }), {
    value: "/x",
    source: "flag",
  });
  assert.deepEqual(dataDirSetting(undefined, env, { dataset: "harmeme" }), {
    value: "/data/hm",
    source: "environment",
  });
  assert.deepEqual(dataDirSetting(undefined, NO_ENV, { dataset: "fhm" }), {
    value: `${REPO_ROOT}/data/fhm`,
    source: "default",
  });
  assert.equal(
    dataDirSetting(undefined, env, { dataset: "synthetic" }).value,
    defaultDatasetRoot("synthetic"),
  );
});

Deno.test("the notebooks' task: given, then MEMESENSE_TASK, then hate on PrideMM, stance on synthetic, else the first", () => {
  const pridemm = { dataset: "pridemm", tasks: ["hate", "target", "stance", "humour"] };
  const env = envOf({ MEMESENSE_TASK: "humour" });
  assert.deepEqual(taskSetting("target", env, pridemm), { value: "target", source: "flag" });
  assert.deepEqual(taskSetting(undefined, env, pridemm), {
    value: "humour",
    source: "environment",
  });
  assert.deepEqual(taskSetting(undefined, NO_ENV, pridemm), { value: "hate", source: "default" });
  assert.deepEqual(taskSetting(undefined, NO_ENV, { ...pridemm, dataset: "synthetic" }), {
    value: "stance",
    source: "default",
  });
  const harmeme = { dataset: "harmeme", tasks: ["harmful", "harm-level", "target"] };
  assert.deepEqual(taskSetting(undefined, NO_ENV, harmeme), {
    value: "harmful",
    source: "default",
  });
  assert.throws(
    () => taskSetting(undefined, env, harmeme),
    (e: unknown) =>
      e instanceof SettingError &&
      e.message === "MEMESENSE_TASK=humour: expected one of harmeme's tasks: harmful, " +
          "harm-level, target",
  );
});

Deno.test("the results root: given, then MEMESENSE_RESULTS, then <repo>/results", () => {
  const env = envOf({ MEMESENSE_RESULTS: "/scratch/results" });
  assert.deepEqual(resultsRootSetting("/tmp/r", env), { value: "/tmp/r", source: "flag" });
  assert.deepEqual(resultsRootSetting(undefined, env), {
    value: "/scratch/results",
    source: "environment",
  });
  assert.deepEqual(resultsRootSetting(undefined, NO_ENV), {
    value: `${REPO_ROOT}/results`,
    source: "default",
  });
});

Deno.test("Chromium: given, then MEMESENSE_CHROMIUM, then the first candidate on PATH", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "memesense-chromium-setting-" });
  try {
    const bin = `${tmp}/bin`, other = `${tmp}/other`;
    await Deno.mkdir(bin);
    await Deno.mkdir(other);
    for (const name of ["google-chrome", "chromium-browser"]) {
      await Deno.writeTextFile(`${bin}/${name}`, "#!/bin/sh\n");
    }
    await Deno.writeTextFile(`${other}/chromium`, "#!/bin/sh\n");
    const env = envOf({ MEMESENSE_CHROMIUM: `${other}/chromium` });
    const path = `${tmp}/none:${bin}`;
    assert.deepEqual(await chromiumSetting(`${bin}/google-chrome`, env, path), {
      value: `${bin}/google-chrome`,
      source: "flag",
    });
    assert.deepEqual(await chromiumSetting(undefined, env, path), {
      value: `${other}/chromium`,
      source: "environment",
    });
    // The candidates' order decides, not PATH's: chromium-browser comes before google-chrome.
    assert.deepEqual(await chromiumSetting(undefined, NO_ENV, path), {
      value: `${bin}/chromium-browser`,
      source: "default",
    });
    // A named browser that is not there is not replaced by another: none, and the caller says so.
    assert.deepEqual(
      await chromiumSetting(undefined, envOf({ MEMESENSE_CHROMIUM: `${tmp}/missing` }), path),
      { value: null, source: "environment" },
    );
    const found = await chromiumSetting(undefined, NO_ENV, `${tmp}/none`);
    assert.equal(found.source, "default");
    assert.ok(found.value === null || found.value.startsWith("/Applications/"), found.value!);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("OpenBLAS: given, then MEMESENSE_OPENBLAS (alone), then the platform's library names", () => {
  const env = envOf({ MEMESENSE_OPENBLAS: "/opt/openblas/lib/libopenblas.so" });
  assert.deepEqual(openBlasSetting("/x/libopenblas.so", env), {
    value: ["/x/libopenblas.so"],
    source: "flag",
  });
  assert.deepEqual(openBlasSetting(undefined, env), {
    value: ["/opt/openblas/lib/libopenblas.so"],
    source: "environment",
  });
  assert.deepEqual(openBlasSetting(undefined, NO_ENV, "linux"), {
    value: ["libopenblas.so.0", "libopenblas.so"],
    source: "default",
  });
  assert.equal(openBlasSetting(undefined, NO_ENV, "darwin").value.at(-1), "libopenblas.dylib");
  assert.deepEqual(openBlasSetting(undefined, NO_ENV, "windows").value, [
    "libopenblas.dll",
    "openblas.dll",
  ]);
});

Deno.test("OpenBLAS threads: given, then MEMESENSE_BLAS_THREADS, then 1", () => {
  const env = envOf({ MEMESENSE_BLAS_THREADS: "2" });
  assert.deepEqual(blasThreadsSetting(4, env), { value: 4, source: "flag" });
  assert.deepEqual(blasThreadsSetting(undefined, env), { value: 2, source: "environment" });
  assert.deepEqual(blasThreadsSetting(undefined, NO_ENV), { value: 1, source: "default" });
});

Deno.test("every variable of the table has its resolver, and readEnvironment reads exactly those", async () => {
  const settings = await import("../lib/config/settings.ts") as Record<string, unknown>;
  for (const v of ENVIRONMENT_VARIABLES) {
    assert.equal(typeof settings[v.resolver], "function", `${v.name}: ${v.resolver}`);
    assert.match(v.resolver, /Setting$/);
  }
  const asked: string[] = [];
  readEnvironment((name) => {
    asked.push(name);
    return undefined;
  });
  // And the retired names, to refuse them.
  assert.deepEqual(
    asked.sort(),
    [...ENVIRONMENT_VARIABLES.map((v) => v.name), ...Object.keys(RETIRED_VARIABLES)].sort(),
  );
});

// ---------------------------------------------------------------------------------------------
// The settings as the code that uses them sees them.
// ---------------------------------------------------------------------------------------------

/** Runs TypeScript in a child Deno from the repository root with `env` added. */
async function evalChild(code: string, env: Record<string, string>): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext", "ts", code],
    cwd: REPO_ROOT,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  assert.ok(out.success, `${code}\n${new TextDecoder().decode(out.stderr)}`);
  return text;
}

Deno.test("initBackend: an explicit auto is never overridden by MEMESENSE_BACKEND; no name reads it", async () => {
  const printed = await evalChild(
    `import { initBackend } from "./lib/train/backend.ts";
     const auto = await initBackend("auto", { quiet: true });
     const unnamed = await initBackend(undefined, { quiet: true });
     console.log(JSON.stringify({ auto, unnamed }));`,
    { MEMESENSE_BACKEND: "cpu" },
  );
  const { auto, unnamed } = JSON.parse(printed);
  // auto takes the best backend that starts: never the plain-JavaScript cpu one while wasm works.
  assert.notEqual(auto, "cpu");
  assert.equal(unnamed, "cpu");
});

Deno.test("a MEMESENSE_OPENBLAS that does not load is an error naming it, not another OpenBLAS", async () => {
  const printed = await evalChild(
    `import { initBackend } from "./lib/train/backend.ts";
     try {
       console.log("started " + await initBackend("blas", { quiet: true }));
     } catch (e) {
       console.log((e as Error).message);
     }`,
    { MEMESENSE_OPENBLAS: "/nonexistent/libopenblas.so.0" },
  );
  assert.match(
    printed,
    /^backend blas is unavailable: OpenBLAS: MEMESENSE_OPENBLAS names a library that does not load: \/nonexistent\/libopenblas\.so\.0: /,
  );
});

Deno.test({
  name:
    "the scripts: --backend auto beats MEMESENSE_BACKEND; MEMESENSE_PRIDEMM_IMAGES and MEMESENSE_RESULTS are honoured; config.json records where each setting came from",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const memes = await ensureSyntheticMemes();
    const tmp = await Deno.makeTempDir({ prefix: "memesense-script-settings-" });
    try {
      // The annotations alone, away from their images: only the variable can point to them.
      const csv = `${tmp}/annotations/PrideMM.csv`;
      await Deno.mkdir(`${tmp}/annotations`);
      await Deno.copyFile(memes.csvPath, csv);
      const best = JSON.parse(
        await evalChild(
          `import { initBackend } from "./lib/train/backend.ts";
           console.log(JSON.stringify(await initBackend("auto", { quiet: true })));`,
          { MEMESENSE_BACKEND: "" },
        ),
      );
      // A variable naming a backend auto does not pick, so that the two cannot be confused.
      const named = best === "wasm" ? "blas" : "wasm";
      const common = ["--data", csv, "--model", "tiny", "--offline", ...RUN];
      // The results root: --out in the first case, MEMESENSE_RESULTS in the second.
      const cases = [
        {
          how: "--backend auto over the variable",
          args: ["--backend", "auto", "--out", `${tmp}/results-flag`],
          out: `${tmp}/results-flag`,
          backend: best,
          sources: { backend: "flag", results: "flag" },
        },
        {
          how: "the variable over the default",
          args: [],
          out: `${tmp}/results-env`,
          backend: named,
          sources: { backend: "environment", results: "environment" },
        },
      ];
      for (const c of cases) {
        const run = await runScript("reproduce", [...common, ...c.args], {
          MEMESENSE_BACKEND: named,
          MEMESENSE_PRIDEMM_IMAGES: memes.imageDir,
          MEMESENSE_PRIDEMM_CSV: "",
          MEMESENSE_RESULTS: `${tmp}/results-env`,
        });
        assert.equal(run.code, 0, `${c.how}: ${run.stderr.slice(-2000)}`);
        const dir = onlyRun(c.out);
        const config = JSON.parse(await Deno.readTextFile(`${dir}/config.json`));
        assert.equal(config.images, memes.imageDir, `${c.how}: MEMESENSE_PRIDEMM_IMAGES`);
        // Each setting as the run resolved it: its value and where the value came from.
        assert.deepEqual(config.settings, {
          model: { value: "tiny", source: "flag" },
          offline: { value: true, source: "flag" },
          backend: { value: c.args.includes("auto") ? "auto" : named, source: c.sources.backend },
          dataset: { value: "pridemm", source: "default" },
          data: { value: csv, source: "flag" },
          images: { value: memes.imageDir, source: "environment" },
          cache: cacheSetting(), // as the test's own environment resolves it
          results: { value: c.out, source: c.sources.results },
        }, c.how);
        const cell = JSON.parse(
          await Deno.readTextFile(`${dir}/cells/memeclip__hate__seed42.json`),
        );
        assert.equal(cell.backend, c.backend, c.how);
      }
      // --images beats the variable; without either, Images/ beside the CSV (absent here).
      const missing = [
        {
          args: ["--images", `${tmp}/flag-images`],
          env: { MEMESENSE_PRIDEMM_IMAGES: memes.imageDir },
          at: `${tmp}/flag-images`,
        },
        { args: [], env: { MEMESENSE_PRIDEMM_IMAGES: "" }, at: `${tmp}/annotations/Images` },
      ];
      for (const m of missing) {
        const run = await runScript(
          "reproduce",
          [...common, "--out", `${tmp}/none`, ...m.args],
          m.env,
        );
        assert.equal(run.code, 2, run.stderr);
        assert.match(run.stderr, new RegExp(`PrideMM images not found at ${m.at} `), m.at);
      }
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test("extract: --data beats MEMESENSE_PRIDEMM_CSV, which beats data/PrideMM/", async () => {
  const cases = [
    { args: [], at: "/nonexistent/env/PrideMM.csv" },
    { args: ["--data", "/nonexistent/flag/PrideMM.csv"], at: "/nonexistent/flag/PrideMM.csv" },
  ];
  for (const c of cases) {
    const run = await runScript("extract", ["--model", "tiny", "--offline", ...c.args], {
      MEMESENSE_PRIDEMM_CSV: "/nonexistent/env/PrideMM.csv",
    });
    assert.notEqual(run.code, 0, run.stderr);
    assert.match(run.stderr, new RegExp(c.at.replaceAll(".", "\\.")), run.stderr);
  }
});

// ---------------------------------------------------------------------------------------------
// Nowhere else: no module below lib/config reads the variables or computes the defaults.
// ---------------------------------------------------------------------------------------------

/** The TypeScript files under `dirs` (relative to the repository), as [path, source] pairs. */
function sources(dirs: string[]): [string, string][] {
  const out: [string, string][] = [];
  const walk = (dir: string) => {
    for (const e of Deno.readDirSync(`${REPO_ROOT}/${dir}`)) {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory) walk(path);
      else if (path.endsWith(".ts")) {
        out.push([path, Deno.readTextFileSync(`${REPO_ROOT}/${path}`)]);
      }
    }
  };
  for (const d of dirs) walk(d);
  return out.sort(([a], [b]) => a.localeCompare(b));
}

Deno.test("lib/util, the bottom layer, imports no other module of the suite", () => {
  const upward = sources(["lib/util"]).flatMap(([path, text]) =>
    [...text.matchAll(/from\s+["'](\.\.\/[^"']+)["']/g)].map((m) => `${path}: ${m[1]}`)
  );
  assert.deepEqual(upward, []);
});

Deno.test("outside lib/config nothing reads a MEMESENSE_* variable or computes a setting's default", () => {
  const forbidden: [RegExp, string][] = [
    [/Deno\.env\.get\(\s*["'`]MEMESENSE_/, "reads a MEMESENSE_* variable"],
    [/readEnvironment\([^)]*\)\s*\.\s*\w+/, "reads a variable's value instead of its setting"],
    [
      /\benv\s*\.\s*(?:clipModel|offline|cache|device|backend|pridemmCsv|pridemmImages|data|task|results|chromium|openblas|blasThreads)\b/,
      "reads a variable's value instead of its setting",
    ],
    [
      /REPO_ROOT\}\/(?:\.cache|results)[`"']|REPO_ROOT,\s*["'](?:data|\.cache|results|\.\.)["']/,
      "computes a default folder",
    ],
    [/["'`]libopenblas|["'`]chromium-browser["'`]/, "lists a default library or browser"],
    [/dirname\([^)]*\)\s*(?:,\s*["'`]Images["'`]|\}\/Images)/, "computes the images beside a CSV"],
    [/backend\s*\?\?\s*["'`]auto["'`]|initBackend\(\s*["'`]auto["'`]/, "defaults the backend"],
  ];
  const found: string[] = [];
  for (const [path, text] of sources(["lib", "experiments", "scripts", "bench", "notebooks"])) {
    if (path.startsWith("lib/config/")) continue;
    for (const [pattern, what] of forbidden) {
      const m = text.match(pattern);
      if (m) found.push(`${path}: ${what}: ${m[0]}`);
    }
  }
  assert.deepEqual(found, []);
});
