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
export * from "./config.ts";
export * from "./tasks.ts";
export * from "./cli.ts";
export * from "./env.ts";
export * from "./errors.ts";
export * from "./settings.ts";
