/**
 * The PrideMM download (`deno task fetch-data`): the release archive fetched resumably (a partial
 * download continues where it stopped), read without unpacking it first (a zip reader of its
 * own), checked — the annotation CSV validated, every meme matched to its image — and unpacked
 * into `data/PrideMM/` (`PrideMM.csv` + `Images/`), with the memes whose image the archive lacks
 * listed. When the download is impossible, {@linkcode manualInstructions} says how to do it by
 * hand.
 *
 * ```ts
 * import { FetchError, fetchPrideMM, manualInstructions } from "./mod.ts";
 * try {
 *   const { csvPath, images, missing } = await fetchPrideMM({ attempts: 2 });
 *   console.log(csvPath, images, missing); // data/PrideMM/PrideMM.csv 5063 0
 * } catch (e) {
 *   if (!(e instanceof FetchError)) throw e;
 *   console.error(`${e.kind}: ${e.message}\n${manualInstructions()}`);
 * }
 * ```
 *
 * @module
 */
export {
  FetchError,
  type FetchFailure,
  type FetchOptions,
  fetchPrideMM,
  type FetchResult,
  manualInstructions,
  PRIDEMM_URL,
} from "./fetch.ts";
