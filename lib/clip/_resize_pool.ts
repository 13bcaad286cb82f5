/**
 * A worker thread for the resize step. onnxruntime-node runs each inference synchronously on the
 * main thread, so a resize queued there waits for it and adds to the wall time (≈ 20 ms per
 * 1024 × 1024 image against ≈ 0.4–0.8 s of ViT-L/14 per meme on two cores); in a worker it runs
 * during inference instead. Created on first use; `terminate()` ends it.
 *
 * @module
 */
import type { Preprocess } from "../config/mod.ts";
import type { RgbImage } from "./resample.ts";
/** One resize request to the worker. */
export interface ResizeRequest {
  readonly id: number;
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
  readonly preprocess: Preprocess;
  readonly size: number;
}

type Reply = { id: number; data: Uint8Array } | { id: number; error: string };

/** Resizes images as `resizeForClip` does, on a worker thread. */
export class ResizeWorker {
  #worker: Worker | null = null;
  #nextId = 0;
  readonly #pending = new Map<
    number,
    { resolve: (data: Uint8Array) => void; reject: (e: Error) => void }
  >();

  #start(): Worker {
    const w = new Worker(new URL("./_resize_worker.ts", import.meta.url).href, { type: "module" });
    w.onmessage = (e: MessageEvent<Reply>) => {
      const job = this.#pending.get(e.data.id);
      if (!job) return;
      this.#pending.delete(e.data.id);
      if ("error" in e.data) job.reject(new Error(e.data.error));
      else job.resolve(e.data.data);
    };
    w.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      const error = new Error(`resize worker failed: ${e.message}`);
      for (const job of this.#pending.values()) job.reject(error);
      this.#pending.clear();
      w.terminate();
      this.#worker = null;
    };
    return w;
  }

  /** `resizeForClip(image, preprocess, size)` on the worker. */
  resize(image: RgbImage, preprocess: Preprocess, size: number): Promise<RgbImage> {
    this.#worker ??= this.#start();
    const id = this.#nextId++;
    // Transfer the pixels when they own their whole buffer; copy a view (e.g. into a pool).
    const owned = image.data.byteOffset === 0 &&
      image.data.byteLength === image.data.buffer.byteLength &&
      image.data.buffer instanceof ArrayBuffer;
    const data = owned ? image.data : image.data.slice();
    const request: ResizeRequest = {
      id,
      width: image.width,
      height: image.height,
      data,
      preprocess,
      size,
    };
    return new Promise<Uint8Array>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker!.postMessage(request, [data.buffer as ArrayBuffer]);
    }).then((out) => ({ width: size, height: size, data: out }));
  }

  /** Ends the worker; pending resizes fail. Safe to call more than once. */
  terminate(): void {
    this.#worker?.terminate();
    this.#worker = null;
    for (const job of this.#pending.values()) job.reject(new Error("resize worker terminated"));
    this.#pending.clear();
  }
}
