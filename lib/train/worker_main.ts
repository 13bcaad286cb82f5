/**
 * The worker side of `trainMany`: trains the jobs it is sent, one at a time, and posts back each
 * epoch record and the result (the weights' buffers transferred, not copied).
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { trainHead } from "./trainer.ts";
import { type FromWorker, resultTransferables, type ToWorker } from "./workers.ts";

self.onmessage = async (e: MessageEvent<ToWorker>) => {
  const { index, job } = e.data;
  const post = (msg: FromWorker, transfer: Transferable[] = []) => self.postMessage(msg, transfer);
  try {
    const result = await trainHead({
      ...job,
      onEpoch: (record) => post({ type: "epoch", index, record }),
    });
    post({ type: "done", index, result }, resultTransferables(result));
  } catch (err) {
    post({ type: "error", index, message: (err as Error).stack ?? String(err) });
  }
};
