/**
 * Small shared utilities: atomic writes, hashing, cache paths, progress lines, seeded RNG, the safetensors codec.
 *
 * @module
 */
export * from "./fs.ts";
export * from "./progress.ts";
export * from "./rng.ts";
export * from "./safetensors.ts";
export * from "./shard.ts";
