/**
 * Shards: a run's cells split into N deterministic parts, so N processes — on one machine or as
 * the tasks of a Slurm array — train disjoint cells into the same run directory. Cell `i` of the
 * run's cells in key order belongs to shard `i mod N + 1`: every shard computes the same split
 * from the run's settings alone, whatever has finished already, so no two shards ever train (or
 * write) the same cell.
 *
 * ```ts
 * import { parseShard, shardOf } from "./lib/experiment/mod.ts";
 * const shard = parseShard("2/4");
 * console.log(shard, shardOf(5, 4)); // { index: 2, count: 4 } 2
 * ```
 *
 * @module
 */
import { type Cell, cellKey } from "./cells.ts";

/** Shard `index` of `count` (1-based: `1/4` … `4/4`). */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** Thrown for a `--shard` value that is not `K/N` with 1 ≤ K ≤ N. */
export class ShardError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "ShardError";
  }
}

/** Parses `K/N` (1 ≤ K ≤ N); throws {@linkcode ShardError} naming the value otherwise. */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = m ? Number(m[1]) : NaN, count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) {
    throw new ShardError(`--shard: "${text}" is not K/N with 1 ≤ K ≤ N (e.g. 2/4)`);
  }
  return { index, count };
}

/** `K/N`. */
export function formatShard(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}

/** The shard (1-based) that the cell at `position` of the key-sorted cell list belongs to. */
export function shardOf(position: number, count: number): number {
  return (position % count) + 1;
}

/** The run's cells sorted by key: the order shards are dealt from. */
export function cellsInKeyOrder<C extends Pick<Cell, "variant" | "task" | "seed">>(
  cells: readonly C[],
): C[] {
  return [...cells].sort((a, b) => cellKey(a).localeCompare(cellKey(b)));
}

/** The cells of one shard (all cells when `shard` is undefined), in key order. */
export function shardCells<C extends Pick<Cell, "variant" | "task" | "seed">>(
  cells: readonly C[],
  shard: Shard | undefined,
): C[] {
  const sorted = cellsInKeyOrder(cells);
  if (!shard) return sorted;
  return sorted.filter((_, i) => shardOf(i, shard.count) === shard.index);
}
