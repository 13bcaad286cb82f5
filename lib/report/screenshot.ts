import { chromiumSetting } from "../config/mod.ts";
import type { Figure } from "./plotly.ts";
import { figurePageHtml, plotlySource } from "./html.ts";

/**
 * PNG screenshots of HTML reports with headless Chromium (Debian: `apt install chromium`), for
 * figures in the README. The browser is `chromiumSetting()`'s: `MEMESENSE_CHROMIUM`, else the
 * first Chromium or Chrome found.
 *
 * @module
 */

/** Options for {@linkcode screenshotHtml}. */
export interface ScreenshotOptions {
  /** Viewport width in CSS pixels (default 1200). */
  readonly width?: number;
  /** Viewport height in CSS pixels; the PNG shows this much of the page (default 900). */
  readonly height?: number;
  /** Pixel density, e.g. 2 for a sharp README image (default 1). */
  readonly deviceScaleFactor?: number;
  /** Virtual time given to scripts (plotly drawing) before the capture, ms (default 10 000). */
  readonly renderBudgetMs?: number;
  /** Wall-clock limit for Chromium, ms (default 60 000). */
  readonly timeoutMs?: number;
}

/**
 * Renders the HTML file at `htmlPath` in headless Chromium and writes a PNG of the viewport to
 * `pngPath` (atomically: a temporary file, then rename). Throws an error naming
 * `apt install chromium` when no browser is found, and one quoting Chromium's output when it
 * fails.
 */
export async function screenshotHtml(
  htmlPath: string,
  pngPath: string,
  options: ScreenshotOptions = {},
): Promise<void> {
  const chromium = (await chromiumSetting()).value;
  if (!chromium) {
    throw new Error(
      "screenshotHtml: Chromium not found. Install it with `apt install chromium` " +
        "(Debian/Ubuntu) or `brew install --cask chromium` (macOS), or set MEMESENSE_CHROMIUM " +
        "to the browser's executable.",
    );
  }
  const absolute = await Deno.realPath(htmlPath).catch(() => {
    throw new Error(`screenshotHtml: ${htmlPath} does not exist`);
  });
  const width = options.width ?? 1200;
  const height = options.height ?? 900;
  const tmpPng = `${pngPath}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp.png`;
  // A private profile: concurrent screenshots do not fight over one profile lock.
  const profile = await Deno.makeTempDir({ prefix: "memesense-chromium-" });
  const args = [
    "--headless",
    "--disable-gpu",
    "--hide-scrollbars",
    "--no-first-run",
    "--no-default-browser-check",
    "--mute-audio",
    `--user-data-dir=${profile}`,
    `--window-size=${width},${height}`,
    `--force-device-scale-factor=${options.deviceScaleFactor ?? 1}`,
    `--virtual-time-budget=${options.renderBudgetMs ?? 10_000}`,
    `--screenshot=${tmpPng}`,
    `file://${absolute}`,
  ];
  // Chromium's sandbox refuses to run as root (containers, CI).
  if (Deno.uid() === 0) args.unshift("--no-sandbox");
  try {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const result = await new Deno.Command(chromium, {
      args,
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(timeoutMs),
    }).output().catch((e) => {
      if ((e as Error).name !== "TimeoutError" && (e as Error).name !== "AbortError") throw e;
      throw new Error(`screenshotHtml: ${chromium} timed out after ${timeoutMs} ms on ${htmlPath}`);
    });
    const size = await Deno.stat(tmpPng).then((s) => s.size, () => 0);
    if (!result.success || size === 0) {
      const log = new TextDecoder().decode(result.stderr).trim().split("\n").slice(-8).join("\n");
      throw new Error(
        `screenshotHtml: ${chromium} exited with code ${result.code} and wrote no PNG ` +
          `for ${htmlPath}:\n${log}`,
      );
    }
    await Deno.rename(tmpPng, pngPath);
  } finally {
    await Deno.remove(tmpPng).catch(() => {});
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  }
}

/** Options for {@linkcode renderedDom}. */
export interface RenderedDomOptions {
  /** Virtual time given to scripts before the DOM is read, ms (default 10 000). */
  readonly renderBudgetMs?: number;
  /** Wall-clock limit for Chromium, ms (default 60 000). */
  readonly timeoutMs?: number;
}

/**
 * The DOM of an HTML file after its scripts ran in headless Chromium, serialised as HTML
 * (`chromium --dump-dom`). A report from {@linkcode renderReport} carries
 * `data-rendered="<figure count>"` on `<html>` once plotly has drawn every figure, so CI can check
 * that a report really draws offline. Throws like {@linkcode screenshotHtml} without a browser.
 */
export async function renderedDom(
  htmlPath: string,
  options: RenderedDomOptions = {},
): Promise<string> {
  const chromium = (await chromiumSetting()).value;
  if (!chromium) {
    throw new Error(
      "renderedDom: Chromium not found. Install it with `apt install chromium` " +
        "(Debian/Ubuntu) or set MEMESENSE_CHROMIUM to the browser's executable.",
    );
  }
  const absolute = await Deno.realPath(htmlPath).catch(() => {
    throw new Error(`renderedDom: ${htmlPath} does not exist`);
  });
  const profile = await Deno.makeTempDir({ prefix: "memesense-chromium-" });
  const args = [
    "--headless",
    "--disable-gpu",
    "--no-first-run",
    "--no-default-browser-check",
    `--user-data-dir=${profile}`,
    `--virtual-time-budget=${options.renderBudgetMs ?? 10_000}`,
    "--dump-dom",
    `file://${absolute}`,
  ];
  if (Deno.uid() === 0) args.unshift("--no-sandbox");
  try {
    const result = await new Deno.Command(chromium, {
      args,
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
    }).output();
    const dom = new TextDecoder().decode(result.stdout);
    if (!result.success || dom === "") {
      const log = new TextDecoder().decode(result.stderr).trim().split("\n").slice(-8).join("\n");
      throw new Error(`renderedDom: ${chromium} exited with code ${result.code}:\n${log}`);
    }
    return dom;
  } finally {
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  }
}

/** Options for {@linkcode screenshotFigure}. */
export interface ScreenshotFigureOptions {
  /** Figure width in CSS pixels (default 900). */
  readonly width?: number;
  /** Figure height in CSS pixels (default: the figure's own height, else 500). */
  readonly height?: number;
  /** Pixel density, e.g. 2 for a sharp README image (default 2). */
  readonly deviceScaleFactor?: number;
}

/**
 * Writes a PNG of one figure — e.g. for the README — by drawing it alone on a page with
 * plotly.js inlined and capturing that page with headless Chromium.
 */
export async function screenshotFigure(
  figure: Figure,
  pngPath: string,
  options: ScreenshotFigureOptions = {},
): Promise<void> {
  const width = options.width ?? 900;
  const height = options.height ??
    (typeof figure.layout.height === "number" ? figure.layout.height : 500);
  const dir = await Deno.makeTempDir({ prefix: "memesense-figure-" });
  try {
    const html = `${dir}/figure.html`;
    await Deno.writeTextFile(html, figurePageHtml(figure, await plotlySource(), { width, height }));
    await screenshotHtml(html, pngPath, {
      width,
      height,
      deviceScaleFactor: options.deviceScaleFactor ?? 2,
    });
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
