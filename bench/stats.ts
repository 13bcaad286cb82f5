/**
 * `deno task bench:stats`: wall time of every interval and paired test of the default ablation —
 * 8 variants (the two 1-D sweeps) × 4 tasks × 3 seeds, both protocols, B = 2,000 stratified
 * bootstrap replicates: intervals, calibration and per-class detail of each group, and every
 * variant against the reference point with paired bootstrap, Holm and McNemar. The predictions
 * are random logits on PrideMM's test and val sizes (507 / 228 memes; 247 / 115 for target), as
 * the numbers do not change the work.
 *
 *   deno task bench:stats [--replicates 2000] [--seeds 3]
 *
 * @module
 */
import { defineFlags, parseFlagsOrExit } from "../lib/config/mod.ts";
import { datasetPreset, PRIDEMM_TASKS } from "../lib/data/mod.ts";
import {
  type CellPredictions,
  DEFAULT_DEPTHS,
  DEFAULT_RATIOS,
  sweepVariants,
} from "../lib/run/mod.ts";
import {
  ablationPairs,
  groupStats,
  pairedComparisons,
  runReplicates,
} from "../lib/analysis/mod.ts";
import { BOOTSTRAP_REPLICATES } from "../lib/metrics/mod.ts";
import { Rng } from "../lib/util/mod.ts";

const FLAGS = defineFlags([
  { name: "replicates", type: "integer", default: BOOTSTRAP_REPLICATES, help: "bootstrap B" },
  { name: "seeds", type: "integer", default: 3, help: "seeds per variant" },
  { name: "help", type: "boolean", help: "show this help" },
]);
const flags = parseFlagsOrExit(Deno.args, FLAGS, "deno task bench:stats [flags]");
const B = flags.replicates, S = flags.seeds;

const SIZES = { hate: [507, 228], target: [247, 115], stance: [507, 228], humour: [507, 228] };
const variants = sweepVariants(DEFAULT_RATIOS, DEFAULT_DEPTHS, { ratio: 0.2, depth: 1 });
const reference = variants[0].name;
const rng = new Rng(1);
const cells: CellPredictions[] = [];
const pridemm = datasetPreset("pridemm");
for (const task of PRIDEMM_TASKS) {
  const classNames = pridemm.tasks.find((t) => t.name === task)!.classes;
  const C = classNames.length;
  const [nTest, nVal] = SIZES[task];
  const labels = (n: number) => Int32Array.from({ length: n }, () => rng.int(C));
  const names = (split: string, n: number) =>
    Array.from({ length: n }, (_, i) => `${split}${i}.png`);
  const yTest = labels(nTest), yVal = labels(nVal);
  for (const v of variants) {
    for (let seed = 1; seed <= S; seed++) {
      // Scale-30 cosine logits leaning towards the true class.
      const logits = (y: Int32Array) => {
        const out = new Float32Array(y.length * C);
        y.forEach((label, i) => {
          for (let k = 0; k < C; k++) {
            out[i * C + k] = 30 * (rng.uniform(-0.3, 0.3) + (k === label ? 0.15 : 0));
          }
        });
        return out;
      };
      const split = { val: logits(yVal), test: logits(yTest) };
      cells.push({
        key: `${v.name}__${task}__seed${seed}`,
        variant: v.name,
        task,
        seed,
        classNames,
        epochs: { reference: 1, clean: 1 },
        rows: {
          val: { names: names("v", nVal), labels: yVal },
          test: { names: names("t", nTest), labels: yTest },
        },
        logits: { reference: split, clean: split },
      });
    }
  }
}

const t0 = performance.now();
const reps = runReplicates(cells, { replicates: B, tasks: PRIDEMM_TASKS });
const t1 = performance.now();
const stats = groupStats(cells, { replicates: B, tasks: PRIDEMM_TASKS }, reps);
const t2 = performance.now();
const comparisons = pairedComparisons(ablationPairs(reps, reference));
const t3 = performance.now();
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
console.log(
  `intervals and paired tests of ${variants.length} variants × ${PRIDEMM_TASKS.length} tasks × ` +
    `${S} seeds × 2 protocols, B = ${B} (plain TypeScript, one thread):`,
);
console.log(`  bootstrap replicates      ${s(t1 - t0)}`);
console.log(`  intervals, calibration, per-class (${stats.length} groups)  ${s(t2 - t1)}`);
console.log(`  paired comparisons (${comparisons.length}, Holm, McNemar)  ${s(t3 - t2)}`);
console.log(`  total                     ${s(t3 - t0)}`);
// Wall time on a shared machine includes waiting for a core; the CPU time does not.
try {
  const fields = Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ");
  const cpu = (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, clock ticks
  console.log(`  process CPU time (all of it, set-up and JIT included): ${cpu.toFixed(2)} s`);
} catch {
  // not Linux: wall time only
}
