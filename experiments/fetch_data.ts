/**
 * Downloads the PrideMM release (the dataset authors' Google Drive file), verifies it and unpacks
 * it into `data/PrideMM/` (`PrideMM.csv` + `Images/`), then prints the class counts.
 *
 *   deno task fetch-data [--out DIR] [--url URL] [--archive FILE.zip] [--force] [--keep-archive]
 *
 * Resumable: an interrupted download continues from `<out>/PrideMM.zip.part` on the next run.
 * Exit status 0 when the dataset is in place, 1 when it could not be fetched (the manual steps are
 * printed), 2 for bad flags or data (the exit statuses of every script: `EXIT_CODES`).
 *
 * @module
 */
import { resolve } from "node:path";
import { DEFAULT_DATA_DIR, defineFlags, parseFlagsOrExit } from "../lib/config/mod.ts";
import { FetchError, fetchPrideMM, manualInstructions, PRIDEMM_URL } from "../lib/fetch/mod.ts";
import { formatSummary, loadPrideMM, summary } from "../lib/data/mod.ts";
import { EXIT, runMain } from "../lib/experiment/mod.ts";
import { formatDuration } from "../lib/util/mod.ts";

const FLAGS = defineFlags([
  { name: "out", type: "string", help: "destination directory", default: DEFAULT_DATA_DIR },
  { name: "url", type: "string", help: "download from this URL instead", default: PRIDEMM_URL },
  { name: "archive", type: "string", help: "verify and unpack this local zip (no download)" },
  { name: "force", type: "boolean", help: "fetch again even if the dataset is complete" },
  { name: "keep-archive", type: "boolean", help: "keep the downloaded zip after unpacking" },
  {
    name: "allow-missing-images",
    type: "boolean",
    help: "unpack even if the archive lacks images the CSV names (they are listed in a report)",
  },
  { name: "help", type: "boolean", help: "show this help" },
]);

if (import.meta.main) {
  const usage = "deno task fetch-data [flags]";
  const flags = parseFlagsOrExit(
    Deno.args,
    FLAGS,
    usage,
    (f) => `Downloads, verifies and unpacks PrideMM.\n\n${manualInstructions(f.out as string)}`,
  );
  // `deno task` runs in the repository root; resolve relative paths against the caller's folder.
  const here = Deno.env.get("INIT_CWD") ?? Deno.cwd();
  const outDir = resolve(here, flags.out);
  const archive = flags.archive === undefined ? undefined : resolve(here, flags.archive);
  const t0 = performance.now();
  await runMain(async () => {
    let r;
    try {
      r = await fetchPrideMM({
        url: flags.url,
        outDir,
        archive,
        force: flags.force === true,
        keepArchive: flags["keep-archive"] === true,
        allowMissingImages: flags["allow-missing-images"] === true,
      });
    } catch (e) {
      if (!(e instanceof FetchError)) throw e;
      // The manual steps follow the reason: the one case a failure prints more than a line.
      const what = {
        network: "network failure",
        unavailable: "file unavailable",
        corrupt: "bad archive",
      };
      console.error(`fetch-data: ${what[e.kind]}: ${e.message}\n\n${manualInstructions(outDir)}`);
      return EXIT.failure;
    }
    console.log(formatSummary(summary((await loadPrideMM(r.csvPath)).dataset)));
    console.log(
      `\n${r.images} of ${r.memes} images in ${r.imageDir}${
        r.missing ? ` (${r.missing} missing, see missing_images.csv)` : ""
      }; annotations ${r.csvPath} (${formatDuration((performance.now() - t0) / 1000)})`,
    );
  });
}
