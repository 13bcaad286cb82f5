/**
 * `deno task bench:resample`: the speed of the Pillow-exact resampler alone — a 1024 × 1024 RGB
 * image to 224 × 224 — beside sharp's (libvips') bicubic resize of the same pixels, in the same
 * run. Both start from raw pixels in memory, so decoding is not timed. `deno task bench:extract`
 * prints the same lines first.
 *
 *   deno task bench:resample [--seconds 3]
 *
 * @module
 */
import sharp from "sharp";
import { pillowResize, type RgbImage } from "../lib/clip/mod.ts";
import {
  defineFlags,
  exitOnUsageError,
  parseFlagsOrExit,
  SettingError,
} from "../lib/config/mod.ts";
import { Rng } from "../lib/util/mod.ts";

const FLAGS = defineFlags([
  { name: "seconds", type: "number", help: "time per resizer (default 3)" },
  { name: "help", type: "boolean", help: "show this help" },
]);

/** A photo-like 1024 × 1024 test image: smooth gradients plus noise. */
function testImage(side = 1024): RgbImage {
  const rng = new Rng(3);
  const data = new Uint8Array(side * side * 3);
  for (let y = 0, i = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      data[i++] = (x >> 2) ^ rng.int(16);
      data[i++] = (y >> 2) ^ rng.int(16);
      data[i++] = ((x + y) >> 3) ^ rng.int(16);
    }
  }
  return { width: side, height: side, data };
}

/** Images per second of `resize`, run back to back for about `seconds` (after a warm-up). */
async function rate(resize: () => unknown, seconds: number): Promise<number> {
  for (let i = 0; i < 3; i++) await resize();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    await resize();
    n++;
  }
  return n / ((performance.now() - start) / 1000);
}

/** Runs both resizers; returns the printed lines. */
export async function resampleBench(seconds = 3): Promise<string[]> {
  const src = testImage();
  const raw = { raw: { width: src.width, height: src.height, channels: 3 as const } };
  const ours = await rate(() => pillowResize(src, 224, 224), seconds);
  // One image at a time, as the resampler runs; libvips may still use several threads per image.
  const viaSharp = await rate(
    () => sharp(src.data, raw).resize(224, 224, { fit: "fill", kernel: "cubic" }).raw().toBuffer(),
    seconds,
  );
  const cores = navigator.hardwareConcurrency;
  return [
    `resize 1024×1024 RGB → 224×224 (${cores} cores, one image at a time):`,
    `  pillowResize (TypeScript, Pillow-exact, 1 thread)  ${ours.toFixed(0).padStart(5)} images/s`,
    `  sharp resize (libvips cubic, not Pillow-exact)     ${
      viaSharp.toFixed(0).padStart(5)
    } images/s`,
  ];
}

async function main(): Promise<void> {
  const flags = parseFlagsOrExit(Deno.args, FLAGS, "deno task bench:resample [flags]");
  const seconds = flags.seconds ?? 3;
  if (!(seconds > 0)) throw new SettingError("--seconds", seconds, "a number > 0");
  for (const line of await resampleBench(seconds)) console.log(line);
}

if (import.meta.main) {
  await exitOnUsageError(main);
}
