/**
 * Small shared utilities: atomic writes (the one file-writing layer, with injectable faults),
 * sealed JSON records, hashing, the repository root, progress lines, seeded RNG, the safetensors
 * codec, cluster shards and the row normalisation of matrices. `lib/util` is the bottom layer: it imports no other module of the
 * suite.
 *
 * ```ts
 * import { decodeSafetensors, encodeSafetensors, parseShard, Rng, shardRange } from "./mod.ts";
 * const order = new Rng(42).permutation(5); // the same order for the same seed
 * const bytes = encodeSafetensors({ order: { dtype: "I32", shape: [5], data: order } });
 * console.log(decodeSafetensors(bytes, "order.safetensors").tensors.order.shape); // [5]
 * console.log(shardRange(10, parseShard("2/4"))); // { start: 2, end: 5 }: rows 2, 3 and 4
 * ```
 *
 * @module
 */
export { exists, readTextIfExists, REPO_ROOT, sha256Hex } from "./fs.ts";
export {
  ensureDir,
  errnoOf,
  FileWriteError,
  injectWriteFaults,
  isWriteFault,
  WRITE_FAULT_CAUSES,
  type WriteFaultCause,
  type WriteFaultHook,
  writeFileAtomic,
  writeJsonAtomic,
  type WriteOptions,
} from "./write.ts";
export { formatDuration, Progress, type ProgressOptions } from "./progress.ts";
export { openSealedJson, SEAL, sealJson, writeSealedJson } from "./sealed.ts";
export { Rng } from "./rng.ts";
export {
  decodeSafetensors,
  encodeSafetensors,
  type SafeDType,
  type SafeFile,
  type SafeTensor,
  SafetensorsError,
} from "./safetensors.ts";
export { formatShard, parseShard, type Shard, ShardError, shardRange } from "./shard.ts";
export { normaliseRows } from "./rows.ts";
