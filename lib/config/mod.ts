/**
 * Experiment configuration: the typed config with MemeCLIP's reference defaults, the four PrideMM
 * tasks with their class names, validation, the `MEMESENSE_*` environment variables, and typed
 * command-line flags. Each setting is resolved once, flag first, then its variable, then its
 * default.
 *
 * ```ts
 * import { makeConfig, TASKS } from "./mod.ts";
 * const config = makeConfig({ head: { ratio: 0.4 } });
 * console.log(config.head.mapDim, TASKS.hate.classNames); // 1024 ["Benign Meme", "Harmful Meme"]
 * ```
 *
 * @module
 */
export {
  CLASSIFIER_INITS,
  CLASSIFIER_KINDS,
  type ClassifierInit,
  type ClassifierKind,
  type ClipConfig,
  type ConfigOverrides,
  DEFAULT_CLIP_MODEL,
  DEFAULT_CONFIG,
  type Fusion,
  FUSIONS,
  type HeadConfig,
  IMAGE_MODES,
  type ImageMode,
  makeConfig,
  type MemeSenseConfig,
  MODALITIES,
  type Modality,
  type Preprocess,
  PREPROCESS_MODES,
  type TrainConfig,
  validateConfig,
} from "./config.ts";
export { classPrompt, TASK_NAMES, type TaskName, TASKS, type TaskSpec } from "./tasks.ts";
export {
  type ChoiceFlag,
  CONFIG_FLAGS,
  type ConfigFlags,
  type DefaultedChoiceFlag,
  type DefaultedFlag,
  defineFlags,
  exitOnUsageError,
  FlagError,
  type FlagSpec,
  type FlagType,
  type FlagTypes,
  type FlagValue,
  helpText,
  MODEL_FLAG,
  type ParsedFlags,
  parseFlags,
  parseFlagsOrExit,
  type TypedFlag,
} from "./cli.ts";
export {
  BACKEND_CHOICES,
  BACKEND_NAMES,
  type BackendName,
  CLIP_DEVICES,
  type ClipDevice,
  type DataSource,
  type Environment,
  environmentTable,
  type EnvReader,
  readEnvironment,
} from "./env.ts";
export { ConfigError, SettingError, show, UsageError } from "./errors.ts";
export {
  clipModelSetting,
  deviceSetting,
  offlineSetting,
  type ResolveOptions,
  resolveRunSettings,
  type RunFlags,
  type RunSettings,
} from "./settings.ts";
