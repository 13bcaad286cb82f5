/**
 * Independent training runs in parallel Web Workers, one per core by default. tfjs-wasm is
 * single-threaded here and a batch-16 step keeps OpenBLAS on one core most of the time, so runs
 * (seeds × tasks × ablations) are the unit of parallelism.
 *
 * Each worker trains with {@linkcode trainHead}, so a job's result is bit-identical to running it
 * alone: every random choice comes from the job's seed, and OpenBLAS is pinned to one thread
 * everywhere (results then do not depend on how GEMMs are split across threads).
 *
 * Features are copied once into shared memory (`SharedArrayBuffer`) and every worker reads the
 * same copy, however many jobs use them.
 *
 * @module
 */
import type { HeadWeights } from "../model/mod.ts";
import type { SplitData } from "./split.ts";
import type { EpochRecord, TrainOptions, TrainResult } from "./trainer.ts";

/** One run for {@linkcode trainMany}: {@linkcode trainHead}'s options without the callbacks. */
export type TrainJob = Omit<TrainOptions, "onEpoch" | "signal" | "onWarning" | "progress">;

/** Options of {@linkcode trainMany}. */
export interface TrainManyOptions {
  /** Parallel workers (default: one per core, at most one per job). */
  readonly workers?: number;
  /** Called as each job finishes (in completion order). */
  readonly onDone?: (index: number, result: TrainResult) => void;
  /** Called after every epoch of every job. */
  readonly onEpoch?: (index: number, record: EpochRecord) => void;
  /** Stops all workers; the promise rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** Messages from the main thread to a worker. */
export type ToWorker = { readonly type: "job"; readonly index: number; readonly job: TrainJob };

/** Messages from a worker to the main thread. */
export type FromWorker =
  | { readonly type: "epoch"; readonly index: number; readonly record: EpochRecord }
  | { readonly type: "done"; readonly index: number; readonly result: TrainResult }
  | { readonly type: "error"; readonly index: number; readonly message: string };

/** Copies typed arrays into shared memory once each (an array used by many jobs is shared). */
function sharer(): <T extends Float32Array | Int32Array>(x: T) => T {
  const copies = new Map<ArrayBufferView, ArrayBufferView>();
  return <T extends Float32Array | Int32Array>(x: T): T => {
    if (x.buffer instanceof SharedArrayBuffer) return x;
    let copy = copies.get(x) as T | undefined;
    if (!copy) {
      const Ctor = x.constructor as new (b: SharedArrayBuffer) => T;
      copy = new Ctor(new SharedArrayBuffer(x.byteLength));
      copy.set(x as never);
      copies.set(x, copy);
    }
    return copy;
  };
}

function shareSplit(split: SplitData, share: ReturnType<typeof sharer>): SplitData {
  return {
    image: share(split.image),
    text: share(split.text),
    labels: share(split.labels),
    n: split.n,
  };
}

/** The array buffers of a result's weights and logits, to transfer rather than copy. */
export function resultTransferables(result: TrainResult): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const head of [result.heads.reference, result.heads.clean] as HeadWeights[]) {
    for (const data of Object.values(head.params)) buffers.add(data.buffer as ArrayBuffer);
  }
  for (const split of [result.logits.reference, result.logits.clean]) {
    buffers.add(split.val.buffer as ArrayBuffer);
    buffers.add(split.test.buffer as ArrayBuffer);
  }
  return [...buffers];
}

/**
 * Runs `jobs` in parallel workers and returns their results in job order, each identical to what
 * `trainHead(job)` returns on its own (with OpenBLAS pinned to one thread, as it is here). The
 * first failing job rejects the whole call and stops the workers.
 */
export function trainMany(
  jobs: readonly TrainJob[],
  options: TrainManyOptions = {},
): Promise<TrainResult[]> {
  const count = Math.max(
    1,
    Math.min(options.workers ?? navigator.hardwareConcurrency ?? 1, jobs.length),
  );
  const share = sharer();
  const shared = jobs.map((job) => ({
    ...job,
    train: shareSplit(job.train, share),
    val: shareSplit(job.val, share),
    test: shareSplit(job.test, share),
    quiet: true,
  }));
  const results: TrainResult[] = new Array(jobs.length);
  if (jobs.length === 0) return Promise.resolve(results);

  return new Promise<TrainResult[]>((resolve, reject) => {
    const workers: Worker[] = [];
    let next = 0;
    let finished = 0;
    let failed = false;
    const stop = (error: unknown) => {
      if (failed) return;
      failed = true;
      for (const w of workers) w.terminate();
      reject(error);
    };
    options.signal?.addEventListener("abort", () => stop(options.signal!.reason), { once: true });
    const feed = (worker: Worker) => {
      if (next >= shared.length) {
        worker.terminate();
        return;
      }
      const index = next++;
      worker.postMessage({ type: "job", index, job: shared[index] } satisfies ToWorker);
    };
    for (let i = 0; i < count; i++) {
      const worker = new Worker(new URL("./worker_main.ts", import.meta.url).href, {
        type: "module",
      });
      workers.push(worker);
      worker.onmessage = (e: MessageEvent<FromWorker>) => {
        const msg = e.data;
        if (msg.type === "epoch") options.onEpoch?.(msg.index, msg.record);
        else if (msg.type === "error") stop(new Error(`training job ${msg.index}: ${msg.message}`));
        else {
          results[msg.index] = msg.result;
          options.onDone?.(msg.index, msg.result);
          if (++finished === jobs.length) {
            for (const w of workers) w.terminate();
            resolve(results);
          } else feed(worker);
        }
      };
      worker.onerror = (e) => {
        e.preventDefault();
        stop(new Error(`training worker failed: ${e.message}`));
      };
      feed(worker);
    }
    if (options.signal?.aborted) stop(options.signal.reason);
  });
}
