/**
 * A generated meme set in PrideMM's layout, for the offline demo, the tests and the notebooks.
 *
 * Every label is visible or legible: the background's hue family gives hate, the shape's kind and
 * colour give stance, the number of shapes gives target, and each caption holds one word per
 * task (humour is carried by the caption alone). A working pipeline therefore learns all four
 * tasks, even on the tiny random CLIP; a broken one does not.
 *
 * ```ts
 * import { ensureSyntheticMemes } from "./mod.ts";
 * const { csvPath, imageDir, count } = await ensureSyntheticMemes(); // cached under .cache/
 * ```
 *
 * @module
 */
export {
  DEFAULT_SYNTHETIC_COUNT,
  DEFAULT_SYNTHETIC_SEED,
  DEFAULT_SYNTHETIC_SIZE,
  ensureSyntheticMemes,
  type SyntheticDataset,
  type SyntheticOptions,
} from "./generator.ts";
