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

/** Options for {@linkcode checkLayout}. */
export interface LayoutCheckOptions {
  /** Viewport width in CSS pixels: 1400 and 1920 (desktops), 390 (a phone). */
  readonly width: number;
  /** Viewport height in CSS pixels (default 1000; the whole page is checked, not only this). */
  readonly height?: number;
  /** A PNG of the whole page at this width, written here (atomically) once it is measured. */
  readonly screenshot?: string;
  /** How long to wait for plotly to draw every figure, ms (default 60 000). */
  readonly timeoutMs?: number;
}

/** What {@linkcode checkLayout} found, each problem in words. */
export interface LayoutCheck {
  /** The viewport width checked. */
  readonly width: number;
  /** The page's scroll width: more than `width` when the page scrolls sideways. */
  readonly scrollWidth: number;
  /** Figures plotly had drawn when the page was measured (`data-rendered`). */
  readonly figures: number;
  /**
   * Elements that reach past the viewport's left or right edge and that no scrolling or clipping
   * container holds (a wide table in its scrolling wrapper is fine): `tag.class "text…" 12–1466 px`.
   */
  readonly overflowing: readonly string[];
  /**
   * Legends that cover plotted data — a bar, a marker, a heatmap cell or a point of a line — in
   * the figure named: `figure "Target identification: reliability": legend covers bar 3 of trace
   * "accuracy"`.
   */
  readonly legendOverlaps: readonly string[];
}

// Run in the page once plotly has drawn: what overflows the viewport, and which legends cover
// plotted data (a bar's, marker's or heatmap's box meeting the legend's, or a point of a line,
// every 2 px along it, inside it). Plotly's own off-screen measuring elements are left out.
const MEASURE_LAYOUT = `(() => {
  const describe = (el, r) => {
    const cls = (el.getAttribute("class") || "").trim().split(/\\s+/).slice(0, 2).join(".");
    const text = (el.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 40);
    return el.tagName.toLowerCase() + (cls ? "." + cls : "") + (text ? ' "' + text + '"' : "") +
      " " + Math.round(r.left) + "–" + Math.round(r.right) + " px";
  };
  const vw = document.documentElement.clientWidth;
  const overflowing = [];
  const reported = [];
  for (const el of document.querySelectorAll("body *")) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.right <= vw + 0.5 && r.left >= -0.5) continue;
    // Plotly measures text in an SVG parked at -10000 px: not part of the page.
    if (el.closest("#js-plotly-tester") || el.id === "js-plotly-tester") continue;
    let clipped = false;
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== "visible") clipped = true;
    }
    if (clipped || reported.some((p) => p.contains(el))) continue;
    reported.push(el);
    overflowing.push(describe(el, r));
  }
  const traceName = (el) => {
    const t = el.closest(".trace");
    const d = t && t.__data__;
    const trace = d && d[0] && d[0].trace;
    return trace && trace.name ? trace.name : "";
  };
  const legendOverlaps = [];
  for (const gd of document.querySelectorAll(".js-plotly-plot")) {
    const title = gd.getAttribute("aria-label") || gd.id;
    for (const legend of gd.querySelectorAll("g.legend")) {
      const r = (legend.querySelector("rect.bg") || legend).getBoundingClientRect();
      if (r.width <= 2 || r.height <= 2) continue;
      const b = { left: r.left + 1, right: r.right - 1, top: r.top + 1, bottom: r.bottom - 1 };
      const hits = [];
      gd.querySelectorAll(".barlayer .point path, .scatterlayer .points path, .heatmaplayer image")
        .forEach((el, i) => {
          const e = el.getBoundingClientRect();
          if (e.width === 0 && e.height === 0) return;
          const w = Math.min(b.right, e.right) - Math.max(b.left, e.left);
          const h = Math.min(b.bottom, e.bottom) - Math.max(b.top, e.top);
          if (w > 0 && h > 0) {
            const kind = el.closest(".barlayer") ? "bar" : el.tagName === "image" ? "heatmap" : "marker";
            hits.push(kind + " " + (i + 1) + ' of trace "' + traceName(el) + '"');
          }
        });
      // Lines: traces, error bars, and layout shapes (reference lines such as a chance level).
      const lines = gd.querySelectorAll(".scatterlayer .js-line, .errorbar path, .shapelayer path");
      for (const path of lines) {
        const length = path.getTotalLength ? path.getTotalLength() : 0;
        const m = path.getScreenCTM();
        if (!length || !m) continue;
        const steps = Math.min(4000, Math.ceil(length / 2));
        for (let i = 0; i <= steps; i++) {
          const p = path.getPointAtLength(length * i / steps);
          const q = new DOMPoint(p.x, p.y).matrixTransform(m);
          if (q.x > b.left && q.x < b.right && q.y > b.top && q.y < b.bottom) {
            const what = path.closest(".shapelayer") ? "shape line" : 'line of trace "' +
              traceName(path) + '"';
            hits.push(what + " at " + Math.round(q.x) + "," + Math.round(q.y));
            break;
          }
        }
      }
      if (hits.length > 0) {
        legendOverlaps.push('figure "' + title + '": legend covers ' + hits.slice(0, 4).join("; ") +
          (hits.length > 4 ? "; and " + (hits.length - 4) + " more" : ""));
      }
    }
  }
  return {
    width: vw,
    scrollWidth: document.documentElement.scrollWidth,
    figures: Number(document.documentElement.getAttribute("data-rendered") || 0),
    overflowing,
    legendOverlaps,
  };
})()`;

/**
 * Lays out the HTML file at `htmlPath` in headless Chromium (driven through `playwright-core`,
 * which starts the browser `chromiumSetting()` finds and downloads none) with a viewport of the
 * given width, waits until plotly has drawn every figure, and reports what does not fit:
 * elements that run past the viewport's edges outside any scrolling container, and figure legends
 * that cover plotted data. With `screenshot`, also writes a PNG of the whole page. Throws an error
 * naming `apt install chromium` without a browser.
 */
export async function checkLayout(
  htmlPath: string,
  options: LayoutCheckOptions,
): Promise<LayoutCheck> {
  const chromium = (await chromiumSetting()).value;
  if (!chromium) {
    throw new Error(
      "checkLayout: Chromium not found. Install it with `apt install chromium` " +
        "(Debian/Ubuntu) or set MEMESENSE_CHROMIUM to the browser's executable.",
    );
  }
  const absolute = await Deno.realPath(htmlPath).catch(() => {
    throw new Error(`checkLayout: ${htmlPath} does not exist`);
  });
  const { chromium: browserType } = await import("playwright-core");
  const browser = await browserType.launch({
    executablePath: chromium,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  try {
    const page = await browser.newPage({
      viewport: { width: options.width, height: options.height ?? 1000 },
    });
    await page.goto(`file://${absolute}`);
    const timeout = options.timeoutMs ?? 60_000;
    // A report marks <html data-rendered> once plotly has drawn every figure.
    await page.waitForFunction(
      "document.documentElement.hasAttribute('data-rendered') || " +
        "document.querySelectorAll('.figure').length === 0",
      undefined,
      { timeout },
    ).catch(() => {
      throw new Error(
        `checkLayout: plotly did not draw every figure of ${htmlPath} in ${timeout} ms`,
      );
    });
    const result = await page.evaluate(MEASURE_LAYOUT) as LayoutCheck;
    if (options.screenshot) {
      const tmp = `${options.screenshot}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp.png`;
      try {
        await page.screenshot({ path: tmp, fullPage: true });
        await Deno.rename(tmp, options.screenshot);
      } finally {
        await Deno.remove(tmp).catch(() => {});
      }
    }
    return result;
  } finally {
    await browser.close();
  }
}
