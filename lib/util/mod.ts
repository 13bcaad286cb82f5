/**
 * Small shared utilities: atomic writes, hashing, cache paths, progress lines, seeded RNG, the safetensors codec.
 *
 * @module
 */
export {
  assertWritableDir,
  cacheDir,
  exists,
  REPO_ROOT,
  sha256Hex,
  writeFileAtomic,
  writeJsonAtomic,
} from "./fs.ts";
export { formatDuration, Progress, type ProgressOptions } from "./progress.ts";
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
