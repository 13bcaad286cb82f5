/**
 * Lists the datasets this suite can load: each preset (or the descriptions named) with its tasks,
 * classes and prompt names, its splits and their sizes as found here, its annotation files and
 * images, and what is missing.
 *
 *   deno task datasets [--dataset NAME|path.json,...] [--data DIR] [--images DIR] [--json]
 *
 * Presets are looked for in `data/<name>/` (PrideMM: `data/PrideMM/PrideMM.csv`, then
 * `../shared/data/PrideMM.csv`). Exit status 0 (missing data is listed, not an error), 2 for bad
 * flags or a description file that does not validate (the statuses of every script: `EXIT_CODES`).
 *
 * @module
 */
import { dirname, extname, resolve } from "node:path";
import { defineFlags, parseFlagsOrExit, UsageError } from "../lib/config/mod.ts";
import {
  type DatasetLocation,
  defaultLocation,
  describeDatasets,
  formatDatasetListings,
  PRESET_NAMES,
  resolveDatasetDescription,
} from "../lib/data/mod.ts";
import { runMain } from "../lib/experiment/mod.ts";

const FLAGS = defineFlags([
  {
    name: "dataset",
    type: "list",
    help: `presets or description files (.json) to list, comma-separated (default: ${
      PRESET_NAMES.join(", ")
    })`,
  },
  {
    name: "data",
    type: "string",
    help: "the dataset's folder (PrideMM: its CSV), with a single --dataset",
  },
  { name: "images", type: "string", help: "the images folder, with a single --dataset" },
  { name: "check-images", type: "boolean", default: true, help: "stat every image" },
  { name: "json", type: "boolean", help: "print the descriptions as JSON instead" },
  { name: "help", type: "boolean", help: "show this help" },
]);

if (import.meta.main) {
  const flags = parseFlagsOrExit(Deno.args, FLAGS, "deno task datasets [flags]");
  // `deno task` runs in the repository root; resolve relative paths against the caller's folder.
  const here = Deno.env.get("INIT_CWD") ?? Deno.cwd();
  await runMain(async () => {
    const refs = flags.dataset ?? [...PRESET_NAMES];
    if ((flags.data !== undefined || flags.images !== undefined) && refs.length !== 1) {
      throw new UsageError("--data and --images name one dataset's files: give one --dataset");
    }
    const descriptions = await Promise.all(refs.map((r) => resolveDatasetDescription(r, here)));
    if (flags.json) {
      console.log(
        JSON.stringify(descriptions.length === 1 ? descriptions[0] : descriptions, null, 2),
      );
      return;
    }
    const locations: Record<string, DatasetLocation> = {};
    if (flags.data !== undefined || flags.images !== undefined) {
      const desc = descriptions[0];
      let location: DatasetLocation = defaultLocation(desc.name);
      if (flags.data !== undefined) {
        const data = resolve(here, flags.data);
        // A file given as --data is the dataset's one annotation file (PrideMM's CSV).
        const files = [
          ...new Set(Object.values(desc.splits).flatMap((s) => "file" in s ? [s.file] : [])),
        ];
        const isFile = await Deno.stat(data).then((s) => s.isFile, () => false);
        if (isFile && files.length !== 1) {
          throw new UsageError(
            `--data ${flags.data}: ${desc.name} has ${files.length} annotation files; name its folder`,
          );
        }
        location = isFile || extname(data) === ".csv"
          ? { root: dirname(data), files: { [files[0]]: data } }
          : { root: data };
      }
      if (flags.images !== undefined) {
        location = { ...location, imageDir: resolve(here, flags.images) };
      }
      locations[desc.name] = location;
    }
    const listings = await describeDatasets({
      descriptions,
      locations,
      checkImages: flags["check-images"],
    });
    console.log(formatDatasetListings(listings));
  });
}
