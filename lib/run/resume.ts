/**
 * Resuming a run: `--resume` resolved to a run directory (`latest`: the newest unfinished run of
 * that name), the data, images and CLIP model restored from its record, and a resumed run's
 * settings checked against the record it started with, so finished and new cells always compare.
 *
 * @module
 */
import { resolve } from "node:path";
import { imagesBeside, UsageError } from "../config/mod.ts";
import { isPresetName } from "../data/mod.ts";
import { cellKey, gridCells } from "./cells.ts";
import { checkCells } from "./integrity.ts";
import { latestUnfinishedRun } from "./listing.ts";
import { readRunRecord, type RunRecord } from "./record.ts";

/** A bad `--resume` (exit status 2): nothing to resume, or a setting that contradicts the run. */
export class ResumeError extends UsageError {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "ResumeError";
  }
}

/** The run `--resume` continues, with the inputs restored from its record. */
export interface ResumeTarget {
  /** The run directory continued. */
  readonly runDir: string;
  /** Its record (`config.json`). */
  readonly record: RunRecord;
  /** The dataset the run was started with: a preset's name or a description file. */
  readonly dataset: string;
  /** The data (`--data`) the run was started with: the dataset's folder, or PrideMM's CSV. */
  readonly data: string;
  /** The image directory the run was started with. */
  readonly images: string;
  /** The CLIP model the run was started with. */
  readonly model: string;
  /** Cells finished so far, of `total`. */
  readonly finished: number;
  /** Cells of the run. */
  readonly total: number;
}

/**
 * Resolves `--resume` (a run directory, or `latest`: the newest unfinished run named `name`
 * under `outRoot`) and restores the dataset, data, images and CLIP model the run started with. A
 * flag given explicitly with another value is a {@linkcode ResumeError} naming both values.
 */
export async function resolveResume(
  resume: string,
  where: { readonly outRoot: string; readonly name: string },
  given: {
    readonly dataset?: string;
    readonly data?: string;
    readonly images?: string;
    readonly model?: string;
  },
): Promise<ResumeTarget> {
  let runDir = resume;
  if (resume === "latest") {
    try {
      runDir = await latestUnfinishedRun(where.outRoot, where.name);
    } catch (e) {
      throw new ResumeError((e as Error).message);
    }
  }
  let record: RunRecord;
  try {
    record = await readRunRecord(runDir);
  } catch (e) {
    throw new ResumeError(`--resume ${resume}: ${(e as Error).message}`);
  }
  const dataset = record.dataset.ref;
  const data = record.dataset.data;
  const images = record.images ?? imagesBeside(data);
  const model = record.clipModel;
  const differs = (flag: string, value: string | undefined, saved: string, path: boolean) => {
    if (value === undefined) return;
    if (path ? resolve(value) === resolve(saved) : value === saved) return;
    throw new ResumeError(
      `--${flag} "${value}" differs from the "${saved}" that ${runDir} was started with ` +
        `(its config.json); leave --${flag} out to resume with the run's, or start a new run`,
    );
  };
  differs("dataset", given.dataset, dataset, !isPresetName(dataset));
  differs("data", given.data, data, true);
  differs("images", given.images, images, true);
  differs("model", given.model, model, false);
  const checks = await checkCells(runDir);
  const done = new Set(checks.filter((c) => c.condition === "complete").map((c) => c.key));
  const cells = gridCells(record);
  return {
    runDir,
    record,
    dataset,
    data,
    images,
    model,
    finished: cells.filter((c) => done.has(cellKey(c))).length,
    total: cells.length,
  };
}

/** "resuming <dir> (<name>, started <time>): X of Y cells finished". */
export function describeResume(target: ResumeTarget): string {
  return `resuming ${target.runDir} (${target.record.name}, started ${target.record.createdAt}): ` +
    `${target.finished} of ${target.total} cells finished`;
}

/**
 * Checks that `record`, the settings of a resumed invocation, has the settings the run started
 * with (`saved`): the same config, tasks, seeds, variants, CLIP model, feature store and dataset.
 * Otherwise finished and new cells would not compare: a {@linkcode ResumeError} names the first
 * setting that differs, with both values.
 */
export function checkResumable(runDir: string, saved: RunRecord, record: RunRecord): void {
  const hints: Record<string, string> = {
    featureStore: " (the data, images or CLIP model changed since it started)",
    dataset: " (the annotations changed since it started)",
    transfer: " (a target's data, task or class map changed since it started)",
  };
  for (const field of RESUMED_FIELDS) {
    const [path, was, now] = firstDifference(saved[field], record[field], field) ?? [];
    if (path === undefined) continue;
    throw new ResumeError(
      `cannot resume ${runDir}: ${path} is ${was} in its config.json but ${now} here` +
        `${hints[field] ?? ""}; resume with the run's settings, or start a new run`,
    );
  }
}

/** The settings a resumed run must share with its record. */
const RESUMED_FIELDS = [
  "config",
  "tasks",
  "seeds",
  "variants",
  "clipModel",
  "featureStore",
  "dataset",
  "transfer",
] as const;

/** The first leaf where two JSON values differ: its path and both values as JSON. */
function firstDifference(a: unknown, b: unknown, path: string): [string, string, string] | null {
  const isObject = (v: unknown) => v !== null && typeof v === "object" && !Array.isArray(v);
  if (isObject(a) && isObject(b)) {
    const ra = a as Record<string, unknown>, rb = b as Record<string, unknown>;
    for (const k of new Set([...Object.keys(ra), ...Object.keys(rb)])) {
      const d = firstDifference(ra[k], rb[k], `${path}.${k}`);
      if (d) return d;
    }
    return null;
  }
  const ja = JSON.stringify(a) ?? "(absent)", jb = JSON.stringify(b) ?? "(absent)";
  return ja === jb ? null : [path, ja, jb];
}
