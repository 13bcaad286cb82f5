/**
 * Running experiments on a cluster: Slurm array jobs over a run's shards, a report job that
 * depends on them, and the job states the scheduler knows.
 *
 * ```ts
 * import { arraySpec, shellQuote } from "./mod.ts";
 * console.log(arraySpec([1, 2, 3, 5]), shellQuote("it's")); // "1-3,5" "'it'\''s'"
 * ```
 *
 * @module
 */
export {
  accountingStates,
  arraySpec,
  queueStates,
  readSubmissions,
  sbatch,
  sbatchScript,
  type SbatchScriptSpec,
  shellQuote,
  SlurmError,
  type SlurmOptions,
  type SlurmSubmission,
  submitShards,
  type SubmitShardsSpec,
} from "./slurm.ts";
