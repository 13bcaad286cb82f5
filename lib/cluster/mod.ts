/**
 * Running experiments on a cluster: Slurm array jobs over a run's shards, a report job that
 * depends on them, and the job states the scheduler knows.
 *
 * ```ts
 * import { arraySpec } from "./mod.ts";
 * console.log(arraySpec([1, 2, 3, 5])); // "1-3,5": the Slurm array of shards 1, 2, 3 and 5
 * ```
 *
 * @module
 */
export {
  accountingStates,
  arraySpec,
  queueStates,
  readSubmissions,
  shardLogPath,
  SlurmError,
  type SlurmOptions,
  type SlurmSubmission,
  submitShards,
  type SubmitShardsSpec,
} from "./slurm.ts";
