// The notebooks as a researcher opens them: a real Jupyter server with the repository's
// kernelspec, driven through its UI by headless Chromium, in each frontend that can be installed
// here — Jupyter Notebook (Debian), JupyterLab 4 and JupyterLab with plotly's own extension (pip,
// project-local; scripts/notebook_frontends.ts). For 00, 08 and 09: opening does not mark the
// notebook modified and saving it rewrites nothing (notebooks:check and deno fmt stay green); Run
// All gives no error output; every figure is a drawn plotly plot with its points; 08's training
// curves grow while it trains and end with 10 epochs; a save after the run holds plotly.js once.
// Screenshots go to results/notebooks-browser/<frontend>/.
import assert from "node:assert/strict";
import { chromium as playwright, type Page } from "playwright-core";
import { notebookOutputKind, PLOTLY_MIME } from "../lib/report/mod.ts";
import { chromiumSetting } from "../lib/config/mod.ts";
import { REPO_ROOT } from "../lib/util/mod.ts";
import { checkCommittedNotebooks } from "../scripts/check_notebooks.ts";
import {
  findFrontends,
  type FrontendName,
  type JupyterServer,
  startJupyter,
} from "../scripts/notebook_frontends.ts";
import { notebookEnv } from "../scripts/run_notebooks.ts";

/** The page's document, in the callbacks that run in the browser (`page.evaluate`). */
// deno-lint-ignore no-explicit-any
declare const document: any;

const NOTEBOOKS = ["00_overview", "08_training", "09_results"] as const;
const OUT = `${REPO_ROOT}/results/notebooks-browser`;
const CHECKPOINTS = `${REPO_ROOT}/notebooks/.ipynb_checkpoints`;
/** Playwright's pipes and timers outlive single steps. */
const NO_SANITIZERS = { sanitizeOps: false, sanitizeResources: false } as const;

/** Seconds a notebook may take to run all its cells (09 trains a small grid when none exists). */
const RUN_SECONDS = 420;

const chromiumPath = (await chromiumSetting()).value;
const frontends = await findFrontends();
const available = frontends.filter((f) => f.missing === null);
if (!chromiumPath) {
  console.log("notebooks_browser_test: skipped: no Chromium (apt install chromium)");
}
for (const f of frontends) {
  if (f.missing) console.log(`notebooks_browser_test: ${f.name} skipped: ${f.missing}`);
}

/** How one frontend's UI is driven. */
interface Ui {
  /** Opens a notebook and waits until its kernel is idle. */
  open(page: Page, server: JupyterServer, path: string): Promise<void>;
  /** Whether the notebook is marked modified. */
  dirty(page: Page): Promise<boolean>;
  /** Runs every cell through the menu. */
  runAll(page: Page): Promise<void>;
  /** Whether every code cell has run (a number in its prompt). */
  allRan(page: Page): Promise<boolean>;
  /** Whether the kernel is idle. */
  idle(page: Page): Promise<boolean>;
  /** The code cells' prompts as shown ("[3]:", "[*]:", "[ ]:"), for a failure's message. */
  prompts(page: Page): Promise<string[]>;
  /** The text of an open modal dialog (a kernel that died, a file changed on disk), or "". */
  dialog(page: Page): Promise<string>;
  /** What the page's status bar or kernel indicator says. */
  status(page: Page): Promise<string>;
  /** Output elements that show errors or stderr. */
  readonly errors: string;
  /** Output elements that hold a figure (drawn by the suite's HTML or by plotly's extension). */
  readonly figures: string;
}

const LAB: Ui = {
  async open(page, server, path) {
    await page.goto(server.notebookUrl(path));
    await page.waitForSelector(".jp-Notebook .jp-Cell", { timeout: 120_000 });
    await page.waitForFunction(
      () => document.querySelector("#jp-main-statusbar")?.textContent?.includes("Deno | Idle"),
      null,
      { timeout: 120_000 },
    );
  },
  dirty: (page) => page.evaluate(() => !!document.querySelector(".lm-TabBar-tab.jp-mod-dirty")),
  async runAll(page) {
    await page.click('.lm-MenuBar-item:has-text("Run")');
    await page.click('.lm-Menu-item:has-text("Run All Cells")');
  },
  allRan: (page) =>
    page.evaluate(() =>
      [...document.querySelectorAll(".jp-CodeCell .jp-InputPrompt")]
        .every((p) => /^\[\d+\]:$/.test(p.textContent!.trim()))
    ),
  prompts: (page) =>
    page.$$eval(".jp-CodeCell .jp-InputPrompt", (ps) => ps.map((p) => p.textContent!.trim())),
  dialog: (page) =>
    page.evaluate(() =>
      [...document.querySelectorAll(".jp-Dialog")].map((d) => d.textContent!.trim()).join(" | ")
    ),
  status: (page) =>
    page.evaluate(() => document.querySelector("#jp-main-statusbar")?.textContent ?? "(none)"),
  idle: (page) =>
    page.evaluate(() =>
      !!document.querySelector("#jp-main-statusbar")?.textContent?.includes("Deno | Idle")
    ),
  errors: '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]',
  // plotly's extension renders into the output element itself.
  figures: ".jp-OutputArea-output:has(.memesense-figure), .jp-OutputArea-output.jp-RenderedPlotly",
};

const CLASSIC: Ui = {
  async open(page, server, path) {
    await page.goto(server.notebookUrl(path));
    await page.waitForFunction(
      () => {
        // deno-lint-ignore no-explicit-any
        const nb = (globalThis as any).Jupyter?.notebook;
        return nb?._fully_loaded && nb.kernel?.is_connected() &&
          document.querySelector("#kernel_indicator_icon.kernel_idle_icon");
      },
      null,
      { timeout: 120_000 },
    );
    // deno-lint-ignore no-explicit-any
    await page.evaluate(() => (globalThis as any).Jupyter.notebook.set_autosave_interval(0));
  },
  // deno-lint-ignore no-explicit-any
  dirty: (page) => page.evaluate(() => (globalThis as any).Jupyter.notebook.dirty as boolean),
  async runAll(page) {
    await page.click("#celllink");
    await page.click("#run_all_cells");
  },
  allRan: (page) =>
    page.evaluate(() =>
      [...document.querySelectorAll(".code_cell .input_prompt")]
        .every((p) => /^In\s*\[\d+\]:$/.test(p.textContent!.trim()))
    ),
  prompts: (page) =>
    page.$$eval(".code_cell .input_prompt", (ps) => ps.map((p) => p.textContent!.trim())),
  dialog: (page) =>
    page.evaluate(() =>
      [...document.querySelectorAll(".modal.in")].map((d) => d.textContent!.trim()).join(" | ")
    ),
  status: (page) =>
    page.evaluate(() =>
      document.querySelector("#kernel_indicator_icon")?.getAttribute("title") ?? "(none)"
    ),
  idle: (page) =>
    page.evaluate(() => !!document.querySelector("#kernel_indicator_icon.kernel_idle_icon")),
  errors: ".output_stderr, .output_error",
  figures: ".output_area:has(.memesense-figure)",
};

/** What a figure output shows, read in the page. */
interface FigureState {
  /** A plotly plot is drawn (its SVG and layout exist). */
  readonly drawn: boolean;
  /** Which renderer drew it: the suite's HTML or plotly's extension. */
  readonly renderer: "html" | "plotly-extension";
  /** Points per trace, as plotted. */
  readonly points: number[];
  /** The data tables are still shown (not drawn). */
  readonly tables: boolean;
  /** The note saying that plotly.js is missing. */
  readonly note: boolean;
  /** The plot's title. */
  readonly title: string;
}

function figureStates(page: Page, selector: string): Promise<FigureState[]> {
  return page.$$eval(selector, (outputs) =>
    outputs.map((output) => {
      // A plotly graph div: plotly keeps the data and the drawn layout on the element.
      const element = output.matches(".js-plotly-plot")
        ? output
        : output.querySelector(".js-plotly-plot");
      // deno-lint-ignore no-explicit-any
      const plot = element as any;
      const data = (plot?.data ?? []) as { x?: unknown[]; y?: unknown[]; z?: unknown[] }[];
      return {
        drawn: !!(plot?._fullLayout && plot.querySelector(".main-svg")),
        renderer: output.querySelector(".memesense-figure") ? "html" : "plotly-extension",
        points: data.map((t) => (t.z ?? t.x ?? t.y ?? []).length),
        tables: !!output.querySelector(".memesense-figure table"),
        note: !!output.querySelector(".memesense-no-plotly"),
        title: String(plot?._fullLayout?.title?.text ?? ""),
      } as FigureState;
    }));
}

/** Waits until `check` holds, polling; fails naming `what` after `seconds`. */
async function until(
  check: () => Promise<boolean>,
  what: string,
  seconds: number,
  every = 250,
): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

/**
 * Waits for the outputs of a run whose cells all have their number: the kernel idle, and the
 * count of figures unchanged for two seconds (the Deno kernel may report a cell done before its
 * last outputs, and plotly.js' output is a 4.8 MB message).
 */
async function settle(page: Page, ui: Ui): Promise<void> {
  let last = -1;
  let stableSince = Date.now();
  await until(
    async () => {
      const count = (await page.$$(ui.figures)).length;
      if (count !== last || !(await ui.idle(page))) {
        last = count;
        stableSince = Date.now();
      }
      return count > 0 && Date.now() - stableSince >= 2000;
    },
    "the outputs to settle",
    180,
    200,
  ).catch(async (e) => {
    await shot(page, "settle-timeout");
    throw new Error(`${e.message} (kernel idle: ${await ui.idle(page)}, figures: ${last})`);
  });
}

/**
 * Runs every cell and waits until execution has begun: a cell queued or run. A click that opened
 * no menu (the page still laying out) runs nothing, so the menu is tried once more.
 */
async function runAllCells(page: Page, ui: Ui, what: string): Promise<void> {
  const started = async () => (await ui.prompts(page)).some((p) => /\[(\*|\d+)\]/.test(p));
  for (let attempt = 1;; attempt++) {
    await ui.runAll(page);
    try {
      return await until(started, `${what}: execution to begin`, 30);
    } catch (e) {
      if (attempt === 2) {
        throw new Error(`${(e as Error).message}; ${await describePage(page, ui)}`);
      }
      await page.keyboard.press("Escape");
    }
  }
}

/** What a failure's reader needs: the prompts (counted by state), the kernel, any dialog. */
async function describePage(page: Page, ui: Ui, server?: JupyterServer): Promise<string> {
  const counts = new Map<string, number>();
  for (const p of await ui.prompts(page)) {
    const state = /\[\d+\]/.test(p) ? "[n]" : p;
    counts.set(state, (counts.get(state) ?? 0) + 1);
  }
  const prompts = [...counts].map(([p, n]) => `${n} × ${p}`).join(", ");
  const dialog = await ui.dialog(page);
  const log = server ? server.log().split("\n").slice(-15).join("\n") : "";
  return `prompts: ${prompts || "none"}; status: ${(await ui.status(page)).trim()}` +
    (dialog ? `; dialog: ${dialog}` : "") + (log ? `\nthe server's last lines:\n${log}` : "");
}

/** Saves with the keyboard (command mode) and waits until the file is written. */
async function saveWithKeyboard(page: Page, path: string): Promise<void> {
  const before = (await Deno.stat(path)).mtime!.getTime();
  await page.keyboard.press("Escape");
  await page.keyboard.press("Control+s");
  await until(async () => (await Deno.stat(path)).mtime!.getTime() !== before, "the save", 30, 50);
  // Jupyter's "atomic" writing copies the old file aside (.~name), then rewrites the file in
  // place, so its time changes before its 5 MB are written: the save is done when the copy is
  // gone and the file parses.
  const backup = path.replace(/[^/]+$/, (name) => `.~${name}`);
  await until(
    async () => {
      if (await Deno.stat(backup).then(() => true, () => false)) return false;
      try {
        JSON.parse(await Deno.readTextFile(path));
        return true;
      } catch {
        return false;
      }
    },
    "the saved file to be whole",
    30,
    100,
  );
}

/** The points of 08's live figure: per trace of its training curves, while it runs. */
function livePoints(page: Page): Promise<number[] | null> {
  return page.evaluate(() => {
    // deno-lint-ignore no-explicit-any
    for (const plot of document.querySelectorAll(".js-plotly-plot") as any) {
      if (String(plot._fullLayout?.title?.text ?? "").includes("training curves")) {
        return (plot.data as { x: unknown[] }[]).map((t) => t.x.length);
      }
    }
    return null;
  });
}

/** Output bytes of a saved notebook, by what they are: the figure sizes the docs give. */
interface SavedSizes {
  readonly file: number;
  readonly plotlyJs: number;
  readonly plotlyJson: number;
  readonly figureHtml: number;
  readonly figureText: number;
}

function savedNotebook(text: string): { figures: number; carriers: number; sizes: SavedSizes } {
  const nb = JSON.parse(text) as { cells: { outputs?: { data?: Record<string, unknown> }[] }[] };
  let figures = 0;
  let carriers = 0;
  const sizes = { file: text.length, plotlyJs: 0, plotlyJson: 0, figureHtml: 0, figureText: 0 };
  const size = (v: unknown) => JSON.stringify(v ?? "").length;
  for (const cell of nb.cells) {
    for (const out of cell.outputs ?? []) {
      const kind = out.data ? notebookOutputKind(out.data) : "other";
      if (kind === "plotly.js") {
        carriers++;
        sizes.plotlyJs += size(out.data!["text/html"]);
      } else if (kind === "figure") {
        figures++;
        sizes.plotlyJson += out.data![PLOTLY_MIME] ? size(out.data![PLOTLY_MIME]) : 0;
        sizes.figureHtml += size(out.data!["text/html"]);
        sizes.figureText += size(out.data!["text/plain"]);
      }
    }
  }
  return { figures, carriers, sizes };
}

async function shot(page: Page, name: string, selector?: string, index = 0): Promise<void> {
  const path = `${OUT}/${name}.png`;
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  if (!selector) return void await page.screenshot({ path });
  const element = (await page.$$(selector))[index];
  await element.scrollIntoViewIfNeeded();
  await element.screenshot({ path });
}

/** Every figure of the page drawn, with its points, by the renderer this frontend uses. */
async function assertFiguresDrawn(
  page: Page,
  ui: Ui,
  frontend: FrontendName,
  name: string,
): Promise<FigureState[]> {
  const count = (await page.$$(ui.figures)).length;
  if (count === 0) await shot(page, `${frontend}/${name}-no-figure`);
  assert.ok(count >= 1, `${frontend} ${name}: no figure output`);
  for (let i = 0; i < count; i++) {
    (await page.$$(ui.figures))[i].scrollIntoViewIfNeeded();
    await until(
      async () => (await figureStates(page, ui.figures))[i]?.drawn === true,
      `${frontend} ${name}: figure ${i + 1} drawn`,
      30,
    );
    await shot(page, `${frontend}/${name}-figure-${i + 1}`, ui.figures, i);
  }
  const states = await figureStates(page, ui.figures);
  states.forEach((s, i) => {
    const label = `${frontend} ${name} figure ${i + 1} (${s.title})`;
    assert.equal(s.tables, false, `${label}: its tables still show`);
    assert.ok(s.points.length >= 1 && s.points.every((n) => n >= 1), `${label}: ${s.points}`);
    // Plain JupyterLab and Jupyter Notebook draw with the suite's HTML; with plotly's extension
    // JupyterLab draws every figure itself (08's live one only once it is final).
    const expected = frontend === "lab-plotly" ? "plotly-extension" : "html";
    assert.equal(s.renderer, expected, `${label}: drawn by ${s.renderer}`);
  });
  return states;
}

Deno.test({
  name: "notebooks 00, 08 and 09 in a real browser: open, save, run all, figures drawn",
  ignore: chromiumPath === null || available.length === 0,
  ...NO_SANITIZERS,
  fn: async (t) => {
    const originals = new Map<string, string>();
    for (const nb of NOTEBOOKS) {
      const path = `${REPO_ROOT}/notebooks/${nb}.ipynb`;
      originals.set(path, await Deno.readTextFile(path));
    }
    const hadCheckpoints = await Deno.stat(CHECKPOINTS).then(() => true, () => false);
    const browser = await playwright.launch({
      executablePath: chromiumPath!,
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
    });
    const sizes: Record<string, SavedSizes> = {};
    const timings: Record<string, number> = {};
    try {
      for (const frontend of frontends) {
        await t.step({
          name: frontend.title,
          ignore: frontend.missing !== null,
          ...NO_SANITIZERS,
          fn: async (step) => {
            const started = performance.now();
            // Screenshots of an earlier run must not pass for this one's.
            await Deno.remove(`${OUT}/${frontend.name}`, { recursive: true }).catch(() => {});
            const ui = frontend.name === "notebook" ? CLASSIC : LAB;
            const server = await startJupyter(frontend.name, { env: notebookEnv() });
            const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
            const pageErrors: string[] = [];
            const newPage = async (): Promise<Page> => {
              const page = await context.newPage();
              page.on("dialog", (d) => d.accept()); // "leave the page with unsaved changes?"
              // JupyterLab's debugger panel asks every kernel for a debugger, and the Deno kernel
              // has none: its complaint is JupyterLab's, not the notebook's.
              page.on("pageerror", (e) => {
                if (e.message !== "No active debugger session") pageErrors.push(e.message);
              });
              return page;
            };
            let executedOverview = "";
            try {
              for (const nb of NOTEBOOKS) {
                const path = `${REPO_ROOT}/notebooks/${nb}.ipynb`;
                const page = await newPage();
                await ui.open(page, server, `notebooks/${nb}.ipynb`);
                await new Promise((r) => setTimeout(r, 1000)); // kernel info is merged by now
                assert.equal(
                  await ui.dirty(page),
                  false,
                  `${frontend.name} ${nb}: modified on opening`,
                );
                await saveWithKeyboard(page, path);
                assert.equal(
                  await Deno.readTextFile(path),
                  originals.get(path),
                  `${frontend.name} ${nb}: saving without running changed the file`,
                );
                assert.deepEqual(await checkCommittedNotebooks(), []);

                await runAllCells(page, ui, `${frontend.name} ${nb}`);
                const live: number[][] = [];
                let liveShot = false;
                await until(
                  async () => {
                    if (nb === "08_training") {
                      const points = await livePoints(page);
                      if (points) live.push(points);
                      if (!liveShot && points && points[0] >= 4 && points[0] < 10) {
                        liveShot = true;
                        await shot(page, `${frontend.name}/08_training-live`, ui.figures, 0);
                      }
                    }
                    // A dialog (a kernel that died, say) stops the run: say so at once.
                    if (await ui.dialog(page)) throw new Error("a dialog opened");
                    return await ui.allRan(page);
                  },
                  `${frontend.name} ${nb}: Run All`,
                  RUN_SECONDS,
                  150,
                ).catch(async (e) => {
                  await shot(page, `${frontend.name}/${nb}-run-all-timeout`);
                  throw new Error(`${e.message}; ${await describePage(page, ui, server)}`);
                });
                await settle(page, ui);
                const errors = await page.$$eval(ui.errors, (els) => els.map((e) => e.textContent));
                assert.deepEqual(errors, [], `${frontend.name} ${nb}: error output`);
                const states = await assertFiguresDrawn(page, ui, frontend.name, nb);
                if (nb === "08_training") {
                  // Grew while it ran: several partial states, never shrinking, then 10 epochs.
                  const trainLoss = live.map((p) => p[0]);
                  const partial = new Set(trainLoss.filter((n) => n > 0 && n < 10));
                  assert.ok(
                    partial.size >= 3,
                    `${frontend.name}: live curve seen at ${[...partial]}`,
                  );
                  assert.ok(trainLoss.every((n, i) => i === 0 || n >= trainLoss[i - 1]));
                  const curves = states.find((s) => s.title.includes("training curves"))!;
                  const epochs = curves.points.filter((n) => n !== 2); // 2 points: marked epochs
                  assert.ok(
                    epochs.length >= 9 && epochs.every((n) => n === 10),
                    `${curves.points}`,
                  );
                }
                // A save after the run: what was drawn is what is saved, plotly.js once.
                await saveWithKeyboard(page, path);
                await page.close();
                // 00's kernel stays for the reload below, which must find plotly.js already sent.
                if (nb !== "00_overview") await server.shutDownKernelOf(`notebooks/${nb}.ipynb`);
                const savedText = await Deno.readTextFile(path);
                await Deno.writeTextFile(path, originals.get(path)!);
                const saved = savedNotebook(savedText);
                if (nb === "00_overview") executedOverview = savedText;
                assert.equal(saved.figures, states.length, `${frontend.name} ${nb}: saved figures`);
                assert.equal(saved.carriers, 1, `${frontend.name} ${nb}: plotly.js outputs`);
                sizes[`${frontend.name} ${nb}`] = saved.sizes;
              }

              await step.step({
                name: "an untrusted notebook shows the figures' tables",
                ...NO_SANITIZERS,
                fn: async () => {
                  // The executed 00 as this frontend saved it, with a changed byte: not signed, so
                  // untrusted, as a notebook from someone else. No script of it may run.
                  const executed = JSON.parse(executedOverview);
                  executed.metadata.untrusted_copy = true;
                  const dir = `${OUT}/${frontend.name}`;
                  await Deno.mkdir(dir, { recursive: true });
                  await Deno.writeTextFile(
                    `${dir}/00_overview-untrusted.ipynb`,
                    JSON.stringify(executed),
                  );
                  const view = await newPage();
                  await ui.open(
                    view,
                    server,
                    `results/notebooks-browser/${frontend.name}/00_overview-untrusted.ipynb`,
                  );
                  await until(async () => (await view.$$(ui.figures)).length > 0, "outputs", 30);
                  await new Promise((r) => setTimeout(r, 2000));
                  const states = await figureStates(view, ui.figures);
                  const ran = await view.evaluate(() => "memesenseFigures" in globalThis);
                  if (frontend.name === "lab-plotly") {
                    // plotly's extension shows the picture it saved with the output (a PNG it
                    // adds on drawing), trusted or not; no script of the notebook runs.
                    assert.equal(ran, false, "a script of an untrusted output ran");
                    await until(
                      () =>
                        view.$$eval(
                          ui.figures,
                          (outs) => outs.every((o) => !!o.querySelector("img.plot-img")),
                        ),
                      "plotly's extension to show its saved pictures",
                      30,
                    );
                  } else {
                    assert.equal(ran, false, "a script of an untrusted output ran");
                    assert.ok(states.every((s) => !s.drawn && s.tables), JSON.stringify(states));
                  }
                  await shot(view, `${frontend.name}/00_overview-untrusted`, ui.figures);
                  await view.close();
                },
              });

              if (frontend.name !== "lab-plotly") {
                await step.step({
                  name: "after a page reload, figures draw with plotly.js from IndexedDB",
                  ...NO_SANITIZERS,
                  fn: async () => {
                    // The kernel is the one that already sent plotly.js: it does not send it again.
                    const page = await newPage();
                    await ui.open(page, server, "notebooks/00_overview.ipynb");
                    await runAllCells(page, ui, `${frontend.name} 00 reloaded`);
                    await until(() => ui.allRan(page), "00 run", RUN_SECONDS);
                    await settle(page, ui);
                    assert.equal(
                      await page.$$eval('script[id^="memesense-plotly-"]', (s) => s.length),
                      0,
                    );
                    await assertFiguresDrawn(page, ui, frontend.name, "00_overview-reloaded");
                    await page.close();
                    // A fresh browser profile has no copy: the tables stay, with a note.
                    const bare = await browser.newContext({
                      viewport: { width: 1280, height: 900 },
                    });
                    try {
                      const page = await bare.newPage();
                      page.on("dialog", (d) => d.accept());
                      await ui.open(page, server, "notebooks/00_overview.ipynb");
                      await runAllCells(page, ui, `${frontend.name} 00 in a fresh profile`);
                      await until(() => ui.allRan(page), "00 run", RUN_SECONDS);
                      await settle(page, ui);
                      await until(
                        async () => (await figureStates(page, ui.figures)).every((s) => s.note),
                        "the note",
                        30,
                      );
                      const [state] = await figureStates(page, ui.figures);
                      assert.ok(state.tables && !state.drawn);
                      await shot(page, `${frontend.name}/00_overview-no-plotly`, ui.figures);
                    } finally {
                      await bare.close();
                    }
                  },
                });
              }
              assert.deepEqual(pageErrors, [], `${frontend.name}: errors in the page`);
            } catch (e) {
              // What the server said goes beside the screenshots, for the failure's reader.
              await Deno.mkdir(`${OUT}/${frontend.name}`, { recursive: true });
              await Deno.writeTextFile(`${OUT}/${frontend.name}/server.log`, server.log());
              throw e;
            } finally {
              await context.close();
              await server.stop();
              for (const [path, text] of originals) {
                if ((await Deno.readTextFile(path)) !== text) await Deno.writeTextFile(path, text);
              }
            }
            timings[frontend.name] = (performance.now() - started) / 1000;
          },
        });
      }

      // Jupyter's checkpoints are there now: git and deno fmt leave them alone.
      assert.ok(await Deno.stat(CHECKPOINTS).then(() => true, () => false), "no checkpoints");
      assert.deepEqual(await checkCommittedNotebooks(), []);
      const fmt = await new Deno.Command(Deno.execPath(), {
        args: ["fmt", "--check"],
        cwd: REPO_ROOT,
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(fmt.success, new TextDecoder().decode(fmt.stderr));
      const git = await new Deno.Command("git", {
        args: ["status", "--porcelain", "--untracked-files=all", "notebooks/"],
        cwd: REPO_ROOT,
        stdout: "piped",
      }).output().catch(() => null);
      if (git?.success) {
        const status = new TextDecoder().decode(git.stdout);
        assert.doesNotMatch(status, /ipynb_checkpoints/, "checkpoints are not ignored by git");
      }
    } finally {
      await browser.close();
      for (const [path, text] of originals) {
        if ((await Deno.readTextFile(path)) !== text) await Deno.writeTextFile(path, text);
      }
      if (!hadCheckpoints) await Deno.remove(CHECKPOINTS, { recursive: true }).catch(() => {});
      await Deno.mkdir(OUT, { recursive: true });
      await Deno.writeTextFile(
        `${OUT}/summary.json`,
        JSON.stringify({ seconds: timings, savedSizes: sizes }, null, 2) + "\n",
      );
      console.log(`notebooks_browser_test: seconds per frontend ${JSON.stringify(timings)}`);
    }
  },
});
