/**
 * Shards: a run's cells split into N deterministic parts, so N processes — on one machine or as
 * the tasks of a Slurm array — train disjoint cells into the same run directory. Cell `i` of the
 * run's cells in key order belongs to shard `i mod N + 1`: every shard computes the same split
 * from the run's settings alone, whatever has finished already, so no two shards ever train (or
 * write) the same cell.
 *
 * ```ts
 * import { shardOf } from "./mod.ts";
 * console.log(shardOf(5, 4)); // 2: cell 5 (0-based, in key order) is in shard 2 of 4
 * ```
 *
 * @module
 */
import type { Shard } from "../util/mod.ts";
import { type Cell, cellKey } from "./cells.ts";

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
