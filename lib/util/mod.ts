/**
 * Small shared utilities: atomic writes, hashing, cache paths, progress lines, seeded RNG.
 *
 * @module
 */
export * from "./fs.ts";
export * from "./progress.ts";
export * from "./rng.ts";
