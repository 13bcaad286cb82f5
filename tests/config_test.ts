import assert from "node:assert/strict";
import {
  CONFIG_FLAGS,
  ConfigError,
  configFromFlags,
  DEFAULT_CLIP_MODEL,
  DEFAULT_CONFIG,
  defineFlags,
  FlagError,
  type FlagSpec,
  helpText,
  makeConfig,
  parseFlags,
  readEnvironment,
  resolveRunSettings,
  SettingError,
  splitArgs,
  validateConfig,
} from "../lib/config/mod.ts";
import { configToJson } from "../lib/config/config.ts";
import { datasetPreset, datasetTask, PRIDEMM_TASKS } from "../lib/data/mod.ts";

Deno.test("defaults are MemeCLIP's reference values", () => {
  assert.equal(DEFAULT_CONFIG.clip.variant, "ViT-L/14");
  const h = DEFAULT_CONFIG.head;
  assert.equal(h.unmappedDim, 768);
  assert.equal(h.mapDim, 1024);
  assert.equal(h.numMappingLayers, 1);
  assert.equal(h.numPreOutputLayers, 1);
  assert.deepEqual(h.dropProbs, [0.1, 0.4, 0.2]);
  assert.equal(h.ratio, 0.2);
  assert.equal(h.scale, 30);
  assert.equal(h.fusion, "product");
  assert.equal(h.classifier, "cosine");
  assert.equal(h.classifierInit, "prompt");
  assert.deepEqual(DEFAULT_CONFIG.train, {
    lr: 1e-4,
    weightDecay: 1e-4,
    epochs: 10,
    batchSize: 16,
    seed: 42,
  });
  assert.ok(Object.isFrozen(DEFAULT_CONFIG.head.dropProbs));
});

Deno.test("PrideMM's tasks carry the reference's class names, also its prompt names, in label order", () => {
  const pridemm = datasetPreset("pridemm");
  assert.deepEqual(pridemm.tasks.map((t) => t.name), PRIDEMM_TASKS);
  assert.deepEqual(PRIDEMM_TASKS, ["hate", "target", "stance", "humour"]);
  const classes = (name: string) => datasetTask(pridemm, name).classes;
  assert.deepEqual(classes("hate"), ["Benign Meme", "Harmful Meme"]);
  assert.deepEqual(classes("humour"), ["No Humour", "Humour"]);
  assert.deepEqual(classes("target"), [
    "No particular target",
    "Individual",
    "Community",
    "Organization",
  ]);
  assert.deepEqual(classes("stance"), ["Neutral", "Support", "Oppose"]);
  for (const t of pridemm.tasks) assert.deepEqual(t.prompts, t.classes);
  assert.deepEqual(pridemm.tasks.filter((t) => t.rows).map((t) => t.name), ["target"]);
  assert.throws(() => datasetTask(pridemm, "sarcasm"), /pridemm has no task "sarcasm"/);
});

Deno.test("invalid values throw a ConfigError naming the field", () => {
  const cases: [Parameters<typeof makeConfig>[0], string][] = [
    [{ head: { ratio: 1.5 } }, "head.ratio"],
    [{ head: { ratio: -0.1 } }, "head.ratio"],
    [{ head: { numMappingLayers: 0 } }, "head.numMappingLayers"],
    [{ head: { numPreOutputLayers: 0 } }, "head.numPreOutputLayers"],
    [{ head: { dropProbs: [0.1, 1.0, 0.2] } }, "head.dropProbs[1]"],
    // deno-lint-ignore no-explicit-any
    [{ head: { fusion: "attention" as any } }, "head.fusion"],
    [{ train: { batchSize: 2.5 } }, "train.batchSize"],
    [{ train: { lr: 0 } }, "train.lr"],
  ];
  for (const [overrides, field] of cases) {
    assert.throws(
      () => makeConfig(overrides),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError, String(e));
        assert.equal(e.field, field);
        assert.ok(e.message.startsWith(`${field} `), e.message);
        assert.match(e.message, /: expected /);
        return true;
      },
    );
  }
  // the boundaries that are allowed
  assert.equal(makeConfig({ head: { ratio: 1 } }).head.ratio, 1);
  assert.equal(makeConfig({ head: { ratio: 0 } }).head.ratio, 0);
  assert.deepEqual(makeConfig({ head: { dropProbs: [0, 0, 0] } }).head.dropProbs, [0, 0, 0]);
});

Deno.test("a config round-trips through its JSON form", () => {
  const config = makeConfig({ head: { ratio: 0.4 }, train: { seed: 7 } });
  assert.deepEqual(validateConfig(JSON.parse(configToJson(config))), config);
  assert.throws(
    () => validateConfig({ clip: DEFAULT_CONFIG.clip }),
    /^ConfigError: head \(missing\): expected a section object$/,
  );
});

Deno.test("flags override the config", () => {
  const flags = parseFlags(["--ratio", "0.4", "--drop-probs", "0.1,0.5,0.2"], CONFIG_FLAGS);
  assert.deepEqual(flags, { ratio: 0.4, "drop-probs": [0.1, 0.5, 0.2] });
  const config = configFromFlags(flags);
  assert.equal(config.head.ratio, 0.4);
  assert.deepEqual(config.head.dropProbs, [0.1, 0.5, 0.2]);
  // everything else keeps its default
  assert.deepEqual(config.train, DEFAULT_CONFIG.train);
  assert.equal(config.head.mapDim, 1024);
  assert.equal(configFromFlags(parseFlags(["--epochs=3"], CONFIG_FLAGS)).train.epochs, 3);
  assert.deepEqual(configFromFlags({}), DEFAULT_CONFIG);
  // a flag value that parses but is invalid is caught by config validation, named by its flag
  assert.throws(
    () => configFromFlags(parseFlags(["--ratio", "1.5"], CONFIG_FLAGS)),
    (e: unknown) =>
      e instanceof SettingError && e.setting === "--ratio" &&
      e.message === "--ratio 1.5: expected a number in [0, 1]",
  );
  assert.throws(
    () => configFromFlags(parseFlags(["--drop-probs", "0.1,1,0.2"], CONFIG_FLAGS)),
    /^SettingError: --drop-probs 0\.1,1,0\.2: expected a number in \[0, 1\)$/,
  );
});

Deno.test("the CLIP model: flag, then MEMESENSE_CLIP_MODEL, then the default", () => {
  const env = (model?: string) =>
    readEnvironment((n) => n === "MEMESENSE_CLIP_MODEL" ? model : undefined);
  assert.equal(configFromFlags({}, DEFAULT_CONFIG, env()).clip.model, DEFAULT_CLIP_MODEL);
  assert.equal(configFromFlags({}, DEFAULT_CONFIG, env("tiny")).clip.model, "tiny");
  assert.equal(configFromFlags({ model: "/m" }, DEFAULT_CONFIG, env("tiny")).clip.model, "/m");
  assert.equal(configFromFlags({}, DEFAULT_CONFIG, env("")).clip.model, DEFAULT_CLIP_MODEL);
  const s = resolveRunSettings({ workers: 2 }, {
    env: readEnvironment((n) =>
      ({ MEMESENSE_OFFLINE: "1", MEMESENSE_BACKEND: "wasm" } as Record<string, string>)[n]
    ),
  });
  assert.equal(s.offline, true);
  assert.equal(s.backend, "wasm");
  assert.equal(s.workers, 2);
  assert.equal(
    resolveRunSettings({ backend: "cpu", offline: false }, {
      env: readEnvironment((n) =>
        ({ MEMESENSE_OFFLINE: "1", MEMESENSE_BACKEND: "wasm" } as Record<string, string>)[n]
      ),
    }).backend,
    "cpu",
  );
  assert.throws(
    () => resolveRunSettings({ workers: 0 }, { env: {} }),
    /^SettingError: --workers 0: expected an integer ≥ 1$/,
  );
});

Deno.test("every MEMESENSE_* variable is checked where it is read", () => {
  const read = (vars: Record<string, string>) => readEnvironment((n) => vars[n]);
  assert.deepEqual(read({}), readEnvironment(() => undefined));
  assert.equal(read({ MEMESENSE_OFFLINE: "true" }).offline, true);
  assert.equal(read({ MEMESENSE_OFFLINE: "0" }).offline, false);
  assert.equal(read({ MEMESENSE_OFFLINE: "" }).offline, undefined);
  assert.equal(read({ MEMESENSE_BLAS_THREADS: "2" }).blasThreads, 2);
  assert.equal(read({ MEMESENSE_TASK: "stance" }).task, "stance");
  assert.equal(read({ MEMESENSE_DATASET: "harmeme" }).dataset, "harmeme");
  const bad: [Record<string, string>, string][] = [
    [{ MEMESENSE_OFFLINE: "yes" }, "MEMESENSE_OFFLINE=yes: expected 1, 0, true or false"],
    [{ MEMESENSE_DEVICE: "gpu" }, "MEMESENSE_DEVICE=gpu: expected one of cpu, cuda, auto"],
    [
      { MEMESENSE_DATA: "pridemm" },
      "MEMESENSE_DATA=pridemm: expected nothing: the setting is now MEMESENSE_DATASET " +
      "(MEMESENSE_DATASET=pridemm)",
    ],
    [{ MEMESENSE_BLAS_THREADS: "0" }, "MEMESENSE_BLAS_THREADS=0: expected an integer ≥ 1"],
  ];
  for (const [vars, message] of bad) {
    assert.throws(
      () => read(vars),
      (e: unknown) => e instanceof SettingError && e.message === message,
    );
  }
});

Deno.test("parsed flags are typed from their specs; a choice lists its choices", () => {
  const specs = defineFlags([
    { name: "protocol", type: "choice", choices: ["both", "clean"], default: "both", help: "" },
    { name: "workers", type: "integer", help: "" },
  ]);
  const flags = parseFlags(["--workers", "3"], specs);
  const protocol: "both" | "clean" = flags.protocol;
  const workers: number | undefined = flags.workers;
  assert.deepEqual([protocol, workers], ["both", 3]);
  assert.equal(parseFlags(["--protocol=clean"], specs).protocol, "clean");
  assert.throws(
    () => parseFlags(["--protocol", "paper"], specs),
    /^SettingError: --protocol paper: expected one of both, clean$/,
  );
  assert.throws(
    () => parseFlags(["--workers", "1.5"], specs),
    /^SettingError: --workers 1\.5: expected an integer$/,
  );
  assert.match(helpText("x", specs), /--protocol\s+: both \| clean \(default: both\)/);
});

Deno.test("unknown flags, missing values and bad numbers are FlagErrors", () => {
  assert.throws(() => parseFlags(["--ratoi", "0.4"], CONFIG_FLAGS), FlagError);
  assert.throws(() => parseFlags(["--ratoi", "0.4"], CONFIG_FLAGS), /unknown flag --ratoi/);
  assert.throws(() => parseFlags(["--ratio"], CONFIG_FLAGS), /--ratio needs a value/);
  assert.throws(
    () => parseFlags(["--ratio", "high"], CONFIG_FLAGS),
    /--ratio high: expected a number/,
  );
  assert.throws(() => parseFlags(["0.4"], CONFIG_FLAGS), /unexpected argument "0.4"/);
  const specs: FlagSpec[] = [
    { name: "force", type: "boolean", help: "" },
    { name: "out", type: "string", help: "", default: "data" },
  ];
  assert.deepEqual(parseFlags(["--force"], specs), { force: true, out: "data" });
  assert.deepEqual(parseFlags(["--force", "false", "--out", "x"], specs), {
    force: false,
    out: "x",
  });
  assert.deepEqual(parseFlags(["--force=false"], specs), { force: false, out: "data" });
  assert.throws(() => parseFlags(["--force", "no"], specs), /unexpected argument "no"/);
  assert.throws(() => parseFlags(["--force=yes"], specs), /expected true or false/);
});

Deno.test("positional arguments stand anywhere among a script's flags", () => {
  const specs = [
    { name: "cache", type: "string", help: "" },
    { name: "lines", type: "integer", help: "" },
    { name: "cells", type: "boolean", help: "" },
  ] as const;
  assert.deepEqual(splitArgs(["--cells", "results/a", "--lines", "5", "b"], specs), {
    flags: ["--cells", "--lines", "5"],
    positional: ["results/a", "b"],
  });
  // A boolean takes only true/false after it; `=value` takes nothing more; unknown flags stay
  // with the flags for parseFlags to name.
  assert.deepEqual(splitArgs(["--cells", "false", "--cache=/c", "run", "--bogus", "x"], specs), {
    flags: ["--cells", "false", "--cache=/c", "--bogus"],
    positional: ["run", "x"],
  });
  assert.deepEqual(splitArgs(["run", "--cache"], specs), {
    flags: ["--cache"],
    positional: ["run"],
  });
  assert.throws(() => parseFlags(["--cache"], specs), /--cache needs a value/);
});
