/**
 * Worker body of `ResizeWorker` (`_resize_pool.ts`): resizes decoded images off the main thread,
 * which onnxruntime-node holds for the whole of each (synchronous) inference call.
 *
 * @module
 */
import type { ResizeRequest } from "./_resize_pool.ts";
import { resizeForClip } from "./resample.ts";

/** The worker's global scope, typed without the worker lib (this file is checked with `lib/`). */
const scope = self as unknown as {
  onmessage: ((e: MessageEvent<ResizeRequest>) => void) | null;
  postMessage(message: unknown, transfer?: Transferable[]): void;
};

scope.onmessage = (e) => {
  const { id, width, height, data, preprocess, size } = e.data;
  try {
    const out = resizeForClip({ width, height, data }, preprocess, size);
    scope.postMessage({ id, data: out.data }, [out.data.buffer as ArrayBuffer]);
  } catch (err) {
    scope.postMessage({ id, error: (err as Error).message });
  }
};
