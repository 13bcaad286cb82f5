/**
 * Settings resolved once: the CLIP model a run records (config.json, head.json, the feature-store
 * key) is the one it loaded, whether given by flag, by environment or by default; and a bad
 * setting is one line naming it, exit status 2, with nothing created.
 */
import assert from "node:assert/strict";
import { writeTinyClip } from "../lib/clip/mod.ts";
import { DEFAULT_CLIP_MODEL } from "../lib/config/mod.ts";
import { ensureSyntheticMemes } from "../lib/synthetic/mod.ts";
import { exists } from "../lib/util/mod.ts";
import { runScript } from "./_script.ts";

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
        /^error: --tasks hate,sarcasm: expected one or more of hate, target, stance, humour$/,
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
