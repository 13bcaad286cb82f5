/**
 * Experiment configuration: the typed config with MemeCLIP's reference defaults, the four PrideMM
 * tasks with their class names, validation, the `MEMESENSE_*` environment variables, typed
 * command-line flags, and the settings. Every setting has one resolver here (`backendSetting`,
 * `cacheSetting`, …): its flag, else its variable, else its default, with where the value came
 * from; every caller uses it, and no other module reads the variables or computes the defaults.
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
  configFlagField,
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
} from "./flags.ts";
export {
  BACKEND_CHOICES,
  BACKEND_NAMES,
  type BackendName,
  CLIP_DEVICES,
  type ClipDevice,
  DATA_SOURCES,
  type DataSource,
  type Environment,
  type EnvReader,
  readEnvironment,
} from "./env.ts";
export { ConfigError, SettingError, show, UsageError } from "./errors.ts";
export {
  assertWritableDir,
  backendSetting,
  blasThreadsSetting,
  cacheSetting,
  CHROMIUM_CANDIDATES,
  chromiumSetting,
  type ClipModelDefaults,
  clipModelSetting,
  configFromFlags,
  DATA_ROOT,
  dataSetting,
  type DataSourceContext,
  DEFAULT_BACKEND,
  DEFAULT_BLAS_THREADS,
  DEFAULT_CACHE_DIR,
  DEFAULT_CLIP_DEVICE,
  DEFAULT_DATA_DIR,
  DEFAULT_OFFLINE,
  defaultDatasetRoot,
  deviceSetting,
  ENVIRONMENT_VARIABLES,
  environmentTable,
  type EnvironmentVariable,
  imagesBeside,
  NOTEBOOK_OFFLINE_CLIP_MODEL,
  NOTEBOOK_TASKS,
  offlineSetting,
  OPENBLAS_LIBRARIES,
  openBlasSetting,
  PRIDEMM_CSV_CANDIDATES,
  PRIDEMM_IMAGES_FOLDER,
  type PrideMMCsvOptions,
  pridemmCsvSetting,
  pridemmImagesSetting,
  type Resolved,
  type ResolvedDataSource,
  type ResolveOptions,
  resolveRunSettings,
  RESULTS_ROOT,
  resultsRootSetting,
  type RunFlags,
  type RunSettings,
  type SettingSource,
  taskSetting,
} from "./settings.ts";
