/**
 * Command-line flags: a small typed parser (JSR's `@std/cli` is out of reach here) and the
 * mapping from flags to config overrides, so every script accepts the same `--ratio 0.4`.
 *
 * @module
 */
import {
  type ConfigOverrides,
  DEFAULT_CONFIG,
  makeConfig,
  type MemeSenseConfig,
} from "./config.ts";

/** The type a flag's value is parsed to. */
export type FlagType = "string" | "number" | "boolean" | "list" | "numbers";

/** Declares one flag. */
export interface FlagSpec {
  /** Flag name without dashes, kebab-case (`--num-mapping-layers`). */
  readonly name: string;
  readonly type: FlagType;
  /** One line for `--help`. */
  readonly help: string;
  /** Shown in `--help`; also the value when the flag is absent (unless undefined). */
  readonly default?: string | number | boolean | readonly string[] | readonly number[];
}

/** Parsed flag values keyed by flag name. */
export type ParsedFlags = Record<string, string | number | boolean | string[] | number[]>;

/** Thrown for an unknown flag or a value that does not parse. */
export class FlagError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "FlagError";
  }
}

/** Flags that override the experiment config, one per config field. */
export const CONFIG_FLAGS: readonly (FlagSpec & { readonly path: readonly [string, string] })[] = [
  flag("clip-model", "string", ["clip", "model"], "CLIP model: Hugging Face id or local directory"),
  flag("preprocess", "string", ["clip", "preprocess"], "image preprocessing: squash | crop"),
  flag(
    "image-mode",
    "string",
    ["clip", "imageMode"],
    'image decoding: pillow (the reference\'s convert("RGB")) | managed (EXIF, ICC, alpha on white)',
  ),
  flag("unmapped-dim", "number", ["head", "unmappedDim"], "width of the CLIP features"),
  flag("map-dim", "number", ["head", "mapDim"], "width of the projected features"),
  flag("num-mapping-layers", "number", ["head", "numMappingLayers"], "projection depth"),
  flag("num-pre-output-layers", "number", ["head", "numPreOutputLayers"], "pre-output depth"),
  flag(
    "drop-probs",
    "numbers",
    ["head", "dropProbs"],
    "three dropout probabilities, e.g. 0.1,0.4,0.2",
  ),
  flag("ratio", "number", ["head", "ratio"], "residual ratio α in [0, 1]"),
  flag("scale", "number", ["head", "scale"], "cosine classifier scale"),
  flag("adapter-reduction", "number", ["head", "adapterReduction"], "adapter bottleneck reduction"),
  flag("fusion", "string", ["head", "fusion"], "fusion: product | concat | sum"),
  flag("modality", "string", ["head", "modality"], "modalities: both | image-only | text-only"),
  flag("classifier", "string", ["head", "classifier"], "output layer: cosine | linear"),
  flag("classifier-init", "string", ["head", "classifierInit"], "classifier init: prompt | random"),
  flag("lr", "number", ["train", "lr"], "AdamW learning rate"),
  flag("weight-decay", "number", ["train", "weightDecay"], "AdamW decoupled weight decay"),
  flag("epochs", "number", ["train", "epochs"], "training epochs"),
  flag("batch-size", "number", ["train", "batchSize"], "mini-batch size"),
  flag("seed", "number", ["train", "seed"], "random seed"),
];

function flag(
  name: string,
  type: FlagType,
  path: readonly [string, string],
  help: string,
): FlagSpec & { path: readonly [string, string] } {
  const section = DEFAULT_CONFIG[path[0] as keyof MemeSenseConfig] as unknown as Record<
    string,
    FlagSpec["default"]
  >;
  // The default is shown, not applied: absent config flags leave the base config untouched.
  const shown = section[path[1]];
  return {
    name,
    type,
    path,
    help: `${help} (default: ${Array.isArray(shown) ? shown.join(",") : shown})`,
  };
}

/**
 * Parses `--name value`, `--name=value`, and for booleans also bare `--name` and `--name false`. Flags absent from `args` take
 * their spec's default when it has one. Unknown flags and stray positional arguments throw.
 */
export function parseFlags(args: readonly string[], specs: readonly FlagSpec[]): ParsedFlags {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const out: ParsedFlags = {};
  for (const s of specs) {
    if (s.default !== undefined) {
      out[s.name] = Array.isArray(s.default)
        ? [...s.default] as string[] | number[]
        : s.default as string | number | boolean;
    }
  }
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith("--")) throw new FlagError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = byName.get(name);
    if (!spec) throw new FlagError(`unknown flag --${name} (see --help)`);
    let raw: string;
    if (eq >= 0) raw = arg.slice(eq + 1);
    else if (spec.type === "boolean") {
      // `--flag`, `--flag=false`, and also `--flag false` / `--flag true`.
      raw = args[i + 1] === "true" || args[i + 1] === "false" ? args[++i] : "true";
    } else {
      if (i + 1 >= args.length) throw new FlagError(`--${name} needs a value`);
      raw = args[++i];
    }
    out[name] = parseValue(spec, raw);
  }
  return out;
}

function parseValue(spec: FlagSpec, raw: string): string | number | boolean | string[] | number[] {
  const num = (s: string): number => {
    const v = Number(s);
    if (s.trim() === "" || !Number.isFinite(v)) {
      throw new FlagError(`--${spec.name}: "${s}" is not a number`);
    }
    return v;
  };
  switch (spec.type) {
    case "string":
      return raw;
    case "number":
      return num(raw);
    case "boolean":
      if (raw !== "true" && raw !== "false") {
        throw new FlagError(`--${spec.name}: expected true or false, got "${raw}"`);
      }
      return raw === "true";
    case "list":
      return raw.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
    case "numbers":
      return raw.split(",").map((s) => num(s.trim()));
  }
}

/** Builds the validated config from parsed flags (only {@linkcode CONFIG_FLAGS} are read). */
export function configFromFlags(
  flags: ParsedFlags,
  base: MemeSenseConfig = DEFAULT_CONFIG,
): MemeSenseConfig {
  const overrides: Record<string, Record<string, unknown>> = { clip: {}, head: {}, train: {} };
  for (const f of CONFIG_FLAGS) {
    if (f.name in flags) overrides[f.path[0]][f.path[1]] = flags[f.name];
  }
  return makeConfig(overrides as ConfigOverrides, base);
}

/** Formats `--help` text: usage line, then one line per flag with its default. */
export function helpText(usage: string, specs: readonly FlagSpec[]): string {
  const width = Math.max(...specs.map((s) => s.name.length)) + 4;
  const lines = specs.map((s) => {
    const def = s.default === undefined
      ? ""
      : ` (default: ${Array.isArray(s.default) ? s.default.join(",") : s.default})`;
    return `  --${s.name.padEnd(width)}${s.help}${def}`;
  });
  return [`usage: ${usage}`, "", "flags:", ...lines].join("\n");
}

/**
 * The command-line entry of a script: parses `args`; on a bad flag prints the error and the help
 * and exits with status 2; with `--help` (which `specs` must declare) prints the help, then
 * `epilogue` if given, and exits with status 0.
 */
export function parseFlagsOrExit(
  args: readonly string[],
  specs: readonly FlagSpec[],
  usage: string,
  epilogue?: (flags: ParsedFlags) => string,
): ParsedFlags {
  let flags: ParsedFlags;
  try {
    flags = parseFlags(args, specs);
  } catch (e) {
    if (!(e instanceof FlagError)) throw e;
    console.error(`${e.message}\n\n${helpText(usage, specs)}`);
    Deno.exit(2);
  }
  if (flags.help) {
    console.log(helpText(usage, specs) + (epilogue ? `\n\n${epilogue(flags)}` : ""));
    Deno.exit(0);
  }
  return flags;
}
