/**
 * Command-line flags: a small typed parser (JSR's `@std/cli` is out of reach here) whose result
 * type follows the flag specs, and the flags that set the experiment config, so every script
 * accepts the same `--ratio 0.4`.
 *
 * ```ts
 * import { defineFlags, parseFlags } from "./mod.ts";
 * const specs = defineFlags([
 *   { name: "protocol", type: "choice", choices: ["both", "reference", "clean"], default: "both", help: "table columns" },
 *   { name: "workers", type: "integer", help: "parallel workers" },
 * ]);
 * const flags = parseFlags(["--workers", "2"], specs);
 * const protocol: "both" | "reference" | "clean" = flags.protocol;
 * const workers: number | undefined = flags.workers;
 * console.log(protocol, workers); // "both" 2
 * ```
 *
 * @module
 */
import {
  CLASSIFIER_INITS,
  CLASSIFIER_KINDS,
  DEFAULT_CONFIG,
  FUSIONS,
  IMAGE_MODES,
  type MemeSenseConfig,
  MODALITIES,
  PREPROCESS_MODES,
} from "./config.ts";
import { SettingError, show, UsageError } from "./errors.ts";

/** The type a flag's value is parsed to. */
export type FlagType = "string" | "number" | "integer" | "boolean" | "list" | "numbers" | "choice";

/** The value each flag type parses to (a `choice` narrows to its choices). */
export interface FlagTypes {
  /** Any text. */
  string: string;
  /** A finite number. */
  number: number;
  /** A whole number. */
  integer: number;
  /** `--flag`, `--flag true`, `--flag=false`. */
  boolean: boolean;
  /** A comma-separated list of words. */
  list: string[];
  /** A comma-separated list of numbers. */
  numbers: number[];
  /** One of the spec's `choices`. */
  choice: string;
}

/** Declares one flag. */
export interface FlagSpec {
  /** Flag name without dashes, kebab-case (`--num-mapping-layers`). */
  readonly name: string;
  /** What the value parses to. */
  readonly type: FlagType;
  /** One line for `--help`. */
  readonly help: string;
  /** The allowed values of a `choice` flag, listed in its error and its help. */
  readonly choices?: readonly string[];
  /** Shown in `--help`; also the value when the flag is absent (unless undefined). */
  readonly default?: string | number | boolean | readonly string[] | readonly number[];
}

/** The parsed value of one flag spec. */
export type FlagValue<F extends FlagSpec> = F extends
  { readonly type: "choice"; readonly choices: readonly (infer C extends string)[] } ? C
  : FlagTypes[F["type"]];

/**
 * Parsed flags keyed by flag name, typed from the specs: a flag with a default always has a
 * value, one without may be `undefined`.
 */
export type ParsedFlags<S extends readonly FlagSpec[] = readonly FlagSpec[]> = {
  -readonly [F in S[number] as F["name"]]: F extends { readonly default: unknown } ? FlagValue<F>
    : FlagValue<F> | undefined;
};

/**
 * Returns `specs` unchanged, keeping their literal names, types and choices so that
 * {@linkcode parseFlags} can type its result.
 */
export function defineFlags<const S extends readonly FlagSpec[]>(specs: S): S {
  return specs;
}

/** Thrown for an unknown flag, a missing value or a value that does not parse. */
export class FlagError extends UsageError {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "FlagError";
  }
}

/** The config field each of {@linkcode CONFIG_FLAGS} sets, e.g. `ratio` → `head.ratio`. */
const CONFIG_PATHS = new Map<string, readonly [keyof MemeSenseConfig, string]>();

/** The config section and field a config flag sets: `ratio` → `["head", "ratio"]`. */
export function configFlagField(name: string): readonly [keyof MemeSenseConfig, string] {
  const path = CONFIG_PATHS.get(name);
  if (!path) throw new Error(`--${name} is not a config flag`);
  return path;
}

/** `--model`: the CLIP model (config `clip.model`), the one flag that names it in every script. */
export const MODEL_FLAG: {
  readonly name: "model";
  readonly type: "string";
  readonly help: string;
} = configFlag("model", "string", ["clip", "model"], {
  help: "CLIP model: Hugging Face id, local directory or tiny (env MEMESENSE_CLIP_MODEL)",
});

const configFlags = defineFlags([
  MODEL_FLAG,
  configFlag("preprocess", "choice", ["clip", "preprocess"], {
    help: "image preprocessing",
    choices: PREPROCESS_MODES,
  }),
  configFlag("image-mode", "choice", ["clip", "imageMode"], {
    help:
      'image decoding: pillow (the reference\'s convert("RGB")), managed (EXIF, ICC, alpha on white)',
    choices: IMAGE_MODES,
  }),
  configFlag("unmapped-dim", "integer", ["head", "unmappedDim"], {
    help: "width of the CLIP features",
  }),
  configFlag("map-dim", "integer", ["head", "mapDim"], { help: "width of the projected features" }),
  configFlag("num-mapping-layers", "integer", ["head", "numMappingLayers"], {
    help: "projection depth",
  }),
  configFlag("num-pre-output-layers", "integer", ["head", "numPreOutputLayers"], {
    help: "pre-output depth",
  }),
  configFlag("drop-probs", "numbers", ["head", "dropProbs"], {
    help: "three dropout probabilities, e.g. 0.1,0.4,0.2",
  }),
  configFlag("ratio", "number", ["head", "ratio"], { help: "residual ratio α in [0, 1]" }),
  configFlag("scale", "number", ["head", "scale"], { help: "cosine classifier scale" }),
  configFlag("adapter-reduction", "integer", ["head", "adapterReduction"], {
    help: "adapter bottleneck reduction",
  }),
  configFlag("fusion", "choice", ["head", "fusion"], { help: "fusion", choices: FUSIONS }),
  configFlag("modality", "choice", ["head", "modality"], {
    help: "modalities",
    choices: MODALITIES,
  }),
  configFlag("classifier", "choice", ["head", "classifier"], {
    help: "output layer",
    choices: CLASSIFIER_KINDS,
  }),
  configFlag("classifier-init", "choice", ["head", "classifierInit"], {
    help: "classifier initialisation",
    choices: CLASSIFIER_INITS,
  }),
  configFlag("lr", "number", ["train", "lr"], { help: "AdamW learning rate" }),
  configFlag("weight-decay", "number", ["train", "weightDecay"], {
    help: "AdamW decoupled weight decay",
  }),
  configFlag("epochs", "integer", ["train", "epochs"], { help: "training epochs" }),
  configFlag("batch-size", "integer", ["train", "batchSize"], { help: "mini-batch size" }),
  configFlag("seed", "integer", ["train", "seed"], { help: "random seed" }),
]);

/** A flag spec with its literal name and type, for explicitly typed spec lists. */
export interface TypedFlag<N extends string, T extends FlagType> extends FlagSpec {
  /** The flag name. */
  readonly name: N;
  /** What its value parses to. */
  readonly type: T;
}

/** A {@linkcode TypedFlag} with a default: its parsed value is never undefined. */
export interface DefaultedFlag<N extends string, T extends FlagType> extends TypedFlag<N, T> {
  /** The value when the flag is absent. */
  readonly default: NonNullable<FlagSpec["default"]>;
}

/** A `choice` flag spec with its literal name and choices. */
export interface ChoiceFlag<N extends string, C extends readonly string[]> extends FlagSpec {
  /** The flag name. */
  readonly name: N;
  /** Always `choice`. */
  readonly type: "choice";
  /** The allowed values. */
  readonly choices: C;
}

/** A {@linkcode ChoiceFlag} with a default: its parsed value is never undefined. */
export interface DefaultedChoiceFlag<N extends string, C extends readonly string[]>
  extends ChoiceFlag<N, C> {
  /** The value when the flag is absent. */
  readonly default: C[number];
}

/** The specs of {@linkcode CONFIG_FLAGS}, with their literal names, types and choices. */
export type ConfigFlags = readonly [
  typeof MODEL_FLAG,
  ChoiceFlag<"preprocess", typeof PREPROCESS_MODES>,
  ChoiceFlag<"image-mode", typeof IMAGE_MODES>,
  TypedFlag<"unmapped-dim", "integer">,
  TypedFlag<"map-dim", "integer">,
  TypedFlag<"num-mapping-layers", "integer">,
  TypedFlag<"num-pre-output-layers", "integer">,
  TypedFlag<"drop-probs", "numbers">,
  TypedFlag<"ratio", "number">,
  TypedFlag<"scale", "number">,
  TypedFlag<"adapter-reduction", "integer">,
  ChoiceFlag<"fusion", typeof FUSIONS>,
  ChoiceFlag<"modality", typeof MODALITIES>,
  ChoiceFlag<"classifier", typeof CLASSIFIER_KINDS>,
  ChoiceFlag<"classifier-init", typeof CLASSIFIER_INITS>,
  TypedFlag<"lr", "number">,
  TypedFlag<"weight-decay", "number">,
  TypedFlag<"epochs", "integer">,
  TypedFlag<"batch-size", "integer">,
  TypedFlag<"seed", "integer">,
];

/** Flags that set the experiment config, one per config field. */
export const CONFIG_FLAGS: ConfigFlags = configFlags;

function configFlag<
  const N extends string,
  const T extends FlagType,
  const C extends readonly string[] = never,
>(
  name: N,
  type: T,
  path: readonly [keyof MemeSenseConfig, string],
  opts: { readonly help: string; readonly choices?: C },
): { readonly name: N; readonly type: T; readonly help: string; readonly choices: C } {
  CONFIG_PATHS.set(name, path);
  const section = DEFAULT_CONFIG[path[0]] as unknown as Record<string, FlagSpec["default"]>;
  // The default is shown, not applied: absent config flags leave the base config untouched.
  const shown = section[path[1]];
  return {
    name,
    type,
    choices: opts.choices as C,
    help: `${opts.help} (default: ${show(shown)})`,
  };
}

/**
 * Whether a flag written without `=value` takes the argument after it as its value: every flag
 * but a boolean does; a boolean only a following `true` or `false` (`--flag false`).
 */
function takesNext(spec: FlagSpec, next: string | undefined): boolean {
  return spec.type !== "boolean" || next === "true" || next === "false";
}

/**
 * Parses `--name value`, `--name=value`, and for booleans also bare `--name` and `--name false`.
 * Flags absent from `args` take their spec's default when it has one. Unknown flags, stray
 * positional arguments and values that do not parse throw {@linkcode FlagError}.
 */
export function parseFlags<const S extends readonly FlagSpec[]>(
  args: readonly string[],
  specs: S,
): ParsedFlags<S> {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const out: Record<string, unknown> = {};
  for (const s of specs) {
    if (s.default !== undefined) {
      out[s.name] = Array.isArray(s.default) ? [...s.default] : s.default;
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
    else if (!takesNext(spec, args[i + 1])) raw = "true"; // a bare boolean `--flag`
    else {
      if (i + 1 >= args.length) throw new FlagError(`--${name} needs a value`);
      raw = args[++i];
    }
    out[name] = parseValue(spec, raw);
  }
  return out as ParsedFlags<S>;
}

function parseValue(spec: FlagSpec, raw: string): FlagTypes[FlagType] {
  const flag = `--${spec.name}`;
  const num = (s: string): number => {
    const v = Number(s);
    if (s.trim() === "" || !Number.isFinite(v)) throw new SettingError(flag, raw, "a number");
    return v;
  };
  switch (spec.type) {
    case "string":
      return raw;
    case "number":
      return num(raw);
    case "integer": {
      const v = Number(raw);
      if (raw.trim() === "" || !Number.isInteger(v)) {
        throw new SettingError(flag, raw, "an integer");
      }
      return v;
    }
    case "boolean":
      if (raw !== "true" && raw !== "false") throw new SettingError(flag, raw, "true or false");
      return raw === "true";
    case "list":
      return raw.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
    case "numbers":
      return raw.split(",").map((s) => num(s.trim()));
    case "choice":
      if (!spec.choices?.includes(raw)) {
        throw new SettingError(flag, raw, `one of ${spec.choices?.join(", ")}`);
      }
      return raw;
  }
}

/** Formats `--help` text: usage line, then one line per flag with its choices and default. */
export function helpText(usage: string, specs: readonly FlagSpec[]): string {
  const width = Math.max(...specs.map((s) => s.name.length)) + 4;
  const lines = specs.map((s) => {
    const choices = s.choices ? `: ${s.choices.join(" | ")}` : "";
    const def = s.default === undefined ? "" : ` (default: ${show(s.default)})`;
    return `  --${s.name.padEnd(width)}${s.help}${choices}${def}`;
  });
  return [`usage: ${usage}`, "", "flags:", ...lines].join("\n");
}

/**
 * A script's arguments split into positional ones (run directories, in order) and flags, which
 * may stand before, between or after them: a flag that takes a value takes the next argument
 * unless written `--name=value`, a boolean one a following `true` or `false`. An unknown flag is
 * kept with the flags, for {@linkcode parseFlags} to name.
 */
export function splitArgs(
  args: readonly string[],
  specs: readonly FlagSpec[],
): { readonly flags: string[]; readonly positional: string[] } {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const flags: string[] = [];
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith("--")) {
      positional.push(arg);
      continue;
    }
    flags.push(arg);
    if (arg.includes("=")) continue;
    const spec = byName.get(arg.slice(2));
    if (spec && i + 1 < args.length && takesNext(spec, args[i + 1])) flags.push(args[++i]);
  }
  return { flags, positional };
}

/**
 * The command-line entry of a script: parses `args`; on a value that is not allowed prints one
 * line naming the flag, the value and what is allowed, on an unknown flag the error and the help,
 * and exits with status 2; with `--help` (which `specs` must declare) prints the help, then
 * `epilogue` if given, and exits with status 0.
 */
export function parseFlagsOrExit<const S extends readonly FlagSpec[]>(
  args: readonly string[],
  specs: S,
  usage: string,
  epilogue?: (flags: ParsedFlags<S>) => string,
): ParsedFlags<S> {
  let flags: ParsedFlags<S>;
  try {
    flags = parseFlags(args, specs);
  } catch (e) {
    if (e instanceof SettingError) {
      // A value that is not allowed: one line says which and what is.
      console.error(`error: ${e.message}`);
      Deno.exit(2);
    }
    if (!(e instanceof UsageError)) throw e;
    console.error(`${e.message}\n\n${helpText(usage, specs)}`);
    Deno.exit(2);
  }
  if ((flags as Record<string, unknown>).help) {
    console.log(helpText(usage, specs) + (epilogue ? `\n\n${epilogue(flags)}` : ""));
    Deno.exit(0);
  }
  return flags;
}

/**
 * {@linkcode parseFlagsOrExit} for a script that also takes positional arguments (run
 * directories): they may stand anywhere among the flags ({@linkcode splitArgs}).
 */
export function parseArgsOrExit<const S extends readonly FlagSpec[]>(
  args: readonly string[],
  specs: S,
  usage: string,
  epilogue?: (flags: ParsedFlags<S>) => string,
): { readonly flags: ParsedFlags<S>; readonly positional: readonly string[] } {
  const { flags, positional } = splitArgs(args, specs);
  return { flags: parseFlagsOrExit(flags, specs, usage, epilogue), positional };
}

/**
 * Runs a script's body; a {@linkcode UsageError} (a bad flag, variable or config value, raised
 * before anything is written) is printed as one line, `error: <message>`, and exits with
 * status 2. Other errors propagate with their stack.
 */
export async function exitOnUsageError<T>(body: () => T | Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`error: ${e.message}`);
    Deno.exit(2);
  }
}
