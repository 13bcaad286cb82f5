/**
 * Shards: `K/N` splits a fixed list of work items into N disjoint, contiguous parts that together
 * cover it, the same way on every machine, so N processes can share one job without talking to
 * each other.
 *
 * @module
 */

/** Part `index` (1-based) of `count` parts. */
export interface Shard {
  /** 1-based, `1 ≤ index ≤ count`. */
  readonly index: number;
  /** Number of shards, ≥ 1. */
  readonly count: number;
}

/** Thrown for text that is not `K/N` with `1 ≤ K ≤ N`. */
export class ShardError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "ShardError";
  }
}

/**
 * Parses `K/N` (e.g. `2/3`).
 *
 * ```ts
 * import { parseShard } from "./shard.ts";
 * console.log(parseShard("2/3")); // { index: 2, count: 3 }
 * ```
 */
export function parseShard(text: string): Shard {
  const m = /^\s*([0-9]+)\s*\/\s*([0-9]+)\s*$/.exec(text);
  const index = m ? Number(m[1]) : NaN, count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) {
    throw new ShardError(`"${text}" is not a shard K/N with 1 ≤ K ≤ N (e.g. 2/3)`);
  }
  return { index, count };
}

/**
 * The half-open range `[start, end)` of items `0 … total − 1` that `shard` owns: contiguous, sizes
 * differing by at most one, disjoint across shards and together covering every item.
 */
export function shardRange(total: number, shard: Shard): { start: number; end: number } {
  return {
    start: Math.floor((total * (shard.index - 1)) / shard.count),
    end: Math.floor((total * shard.index) / shard.count),
  };
}

/** `K/N` as text. */
export function formatShard(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}
