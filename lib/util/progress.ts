/**
 * A progress line for long work: count, rate and ETA, redrawn in place on a terminal and
 * printed every few seconds otherwise (CI logs, notebooks).
 *
 * @module
 */

/** Options for {@linkcode Progress}. */
export interface ProgressOptions {
  /** Label before the bar. */
  readonly label: string;
  /** Total units of work (0 or undefined when unknown). */
  readonly total?: number;
  /** Unit name for the rate, e.g. `memes`. */
  readonly unit?: string;
  /** Where to write; defaults to stderr. Pass `null` for silence. */
  readonly write?: ((line: string) => void) | null;
  /** Minimum seconds between non-terminal updates (default 5). */
  readonly intervalSeconds?: number;
  /** Units already done before this run (resumed work is not counted in the rate). */
  readonly initial?: number;
}

const encoder = new TextEncoder();

/** Tracks progress and renders `label  [#####-----] 120/4328 (2.8%)  31.2 memes/s  ETA 2m15s`. */
export class Progress {
  #done: number;
  #startDone: number;
  #t0 = performance.now();
  #lastPrint = 0;
  readonly #opts: ProgressOptions;
  readonly #tty: boolean;
  readonly #write: ((line: string) => void) | null;

  /** Starts the clock. */
  constructor(opts: ProgressOptions) {
    this.#opts = opts;
    this.#done = opts.initial ?? 0;
    this.#startDone = this.#done;
    this.#tty = opts.write === undefined && Deno.stderr.isTerminal();
    this.#write = opts.write === undefined
      ? (line) => Deno.stderr.writeSync(encoder.encode(line))
      : opts.write;
  }

  /** Units done so far. */
  get done(): number {
    return this.#done;
  }

  /** Units per second since the start (resumed units excluded). */
  get rate(): number {
    const s = (performance.now() - this.#t0) / 1000;
    return s > 0 ? (this.#done - this.#startDone) / s : 0;
  }

  /** Adds `n` finished units and redraws when due. */
  tick(n = 1): void {
    this.#done += n;
    const now = performance.now();
    const interval = this.#tty ? 100 : (this.#opts.intervalSeconds ?? 5) * 1000;
    if (now - this.#lastPrint >= interval) {
      this.#lastPrint = now;
      this.#render(false);
    }
  }

  /** Prints the final line with the total time. */
  finish(): void {
    this.#render(true);
  }

  /** The current status line, without control characters. */
  line(): string {
    const { label, total, unit = "items" } = this.#opts;
    const rate = this.rate;
    const parts = [label];
    if (total && total > 0) {
      const frac = Math.min(1, this.#done / total);
      const width = 24;
      const filled = Math.round(frac * width);
      parts.push(
        `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${this.#done}/${total} (${
          (100 * frac).toFixed(1)
        }%)`,
      );
      const eta = rate > 0 ? (total - this.#done) / rate : NaN;
      parts.push(`${rate.toFixed(rate < 10 ? 2 : 1)} ${unit}/s`, `ETA ${formatDuration(eta)}`);
    } else {
      parts.push(`${this.#done}`, `${rate.toFixed(rate < 10 ? 2 : 1)} ${unit}/s`);
    }
    return parts.join("  ");
  }

  #render(final: boolean): void {
    if (!this.#write) return;
    let text = this.line();
    if (final) {
      text += `  done in ${formatDuration((performance.now() - this.#t0) / 1000)}`;
    }
    this.#write(this.#tty ? `\r\x1b[2K${text}${final ? "\n" : ""}` : `${text}\n`);
  }
}

/** Formats seconds as `1h02m`, `2m15s` or `7.3s`; `?` when not finite. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m${String(Math.round(seconds % 60)).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}
