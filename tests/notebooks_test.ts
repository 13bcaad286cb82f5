import assert from "node:assert/strict";
import {
  cellsFromNotebook,
  DENO_LANGUAGE_INFO,
  formatNotebookSource,
  notebookJson,
  parseNotebookSource,
} from "../scripts/build_notebooks.ts";
import {
  cellDifference,
  checkCommittedNotebooks,
  checkNotebookText,
} from "../scripts/check_notebooks.ts";
import { installKernelSpec } from "../scripts/jupyter_install.ts";
import {
  inspectExecutedNotebook,
  listNotebooks,
  notebookEnv,
  runNotebook,
  runNotebooks,
} from "../scripts/run_notebooks.ts";
import { REPO_ROOT } from "../lib/util/mod.ts";

const FIXTURES = `${REPO_ROOT}/tests/fixtures/notebooks`;
const tmp = await Deno.makeTempDir({ prefix: "memesense-notebooks-" });
globalThis.addEventListener("unload", () => Deno.removeSync(tmp, { recursive: true }));

/** Fails with the fix when Debian's nbclient is missing (the bootstrap installs it). */
async function requireNbclient(): Promise<void> {
  const { success } = await new Deno.Command("/usr/bin/python3", {
    args: ["-c", "import nbclient, nbformat"],
    stdout: "null",
    stderr: "null",
  }).output().catch(() => ({ success: false }));
  assert.ok(
    success,
    "/usr/bin/python3 cannot import nbclient: run `bash scripts/bootstrap.sh notebooks` " +
      "(apt: jupyter-nbconvert python3-nbclient)",
  );
}

const SOURCE = `// a header comment, not part of the notebook

// %% [markdown]
// # Title
//
// Some *markdown*.

// %%
import { TASKS } from "../lib/config/mod.ts";
TASKS.hate.classNames

// %%
const x = 1;
`;

Deno.test("notebook sources split into cells and format back", () => {
  const cells = parseNotebookSource(SOURCE, "src.ts");
  assert.deepEqual(cells, [
    { kind: "markdown", source: "# Title\n\nSome *markdown*." },
    {
      kind: "code",
      source: 'import { TASKS } from "../lib/config/mod.ts";\nTASKS.hate.classNames',
    },
    { kind: "code", source: "const x = 1;" },
  ]);
  const again = formatNotebookSource(cells, "// a header comment, not part of the notebook");
  assert.equal(again, SOURCE);
  assert.throws(
    () => parseNotebookSource("const a = 1;\n// %%\n", "bad.ts"),
    /bad\.ts:1: code before the first "\/\/ %%" cell marker/,
  );
  assert.throws(
    () => parseNotebookSource("// %% [markdown]\n// ok\nnot a comment\n", "md.ts"),
    /md\.ts:3: markdown cell lines must start with "\/\/ "/,
  );
  assert.throws(() => parseNotebookSource("// nothing\n", "empty.ts"), /no "\/\/ %%" cell markers/);
});

Deno.test("built notebooks are valid nbformat 4.5, output-free, on the Deno kernel", async () => {
  await requireNbclient();
  const json = notebookJson(parseNotebookSource(SOURCE, "src.ts"), "demo");
  const nb = JSON.parse(json);
  assert.deepEqual(nb.metadata.kernelspec, {
    display_name: "Deno",
    language: "typescript",
    name: "deno",
  });
  assert.deepEqual(nb.cells.map((c: { id: string }) => c.id), ["demo-0", "demo-1", "demo-2"]);
  assert.deepEqual(nb.cells[1].source, [
    'import { TASKS } from "../lib/config/mod.ts";\n',
    "TASKS.hate.classNames",
  ]);
  assert.deepEqual(checkNotebookText(json, "demo.ipynb"), []);
  assert.deepEqual(cellsFromNotebook(nb), parseNotebookSource(SOURCE));
  // nbformat accepts it, and writes it back byte for byte (Jupyter's own formatting).
  const path = `${tmp}/demo.ipynb`;
  await Deno.writeTextFile(path, json);
  const script = "import nbformat, sys\n" +
    "nb = nbformat.read(sys.argv[1], 4)\nnbformat.validate(nb)\n" +
    "sys.stdout.write(nbformat.writes(nb) + '\\n')";
  const out = await new Deno.Command("/usr/bin/python3", { args: ["-c", script, path] }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.equal(new TextDecoder().decode(out.stdout), json);
});

Deno.test("executed notebooks: figures, errors and unexecuted cells are found", async () => {
  const nb = JSON.parse(await Deno.readTextFile(`${FIXTURES}/executed.ipynb`));
  assert.deepEqual(inspectExecutedNotebook(nb), {
    figures: 1,
    plotlyOutputs: 0,
    errors: ["cell 3: TypeError: Cannot read properties of null (reading 'x')"],
    unexecuted: [4],
    emptyResults: [],
    textTables: [],
  });
  assert.throws(() => inspectExecutedNotebook({ nbformat: 4 }), /no cells array/);
});

Deno.test("executed notebooks: empty results and tables printed as text are found", () => {
  const code = (...outputs: unknown[]) => ({
    cell_type: "code",
    source: "x",
    execution_count: 1,
    outputs,
  });
  const result = (data: Record<string, unknown>) => ({ output_type: "execute_result", data });
  const stream = (text: string | string[]) => ({ output_type: "stream", name: "stdout", text });
  const table = "| a | b |\n| :-- | --: |\n| 1 | 2 |\n";
  const nb = {
    cells: [
      code(result({})), // what a figure call's value echoed as
      code(result({ "text/plain": "undefined" })),
      code(result({ "text/markdown": table })), // a rendered table: fine
      code(result({ "text/plain": "[ 1, 2 ]" })), // a value: fine
      code(stream(["checked:\n", "| a | b |\n", "| --- | ---: |\n", "| 1 | 2 |\n"])),
      code(stream("x | y is not a table\n|---| neither\n")),
      code({ output_type: "display_data", data: { "text/markdown": table } }),
      code(stream(table), result({})),
    ],
  };
  const report = inspectExecutedNotebook(nb);
  assert.deepEqual(report.emptyResults, [1, 2, 8]);
  assert.deepEqual(report.textTables, [5, 8]);
});

Deno.test("the committed-notebook check flags outputs, execution counts and other kernels", async () => {
  const text = await Deno.readTextFile(`${FIXTURES}/executed.ipynb`);
  assert.deepEqual(checkNotebookText(text, "x.ipynb"), [
    "x.ipynb: cell 2 has 2 output(s)",
    "x.ipynb: cell 2 has execution count 1",
    "x.ipynb: cell 3 has 1 output(s)",
    "x.ipynb: cell 3 has execution count 2",
  ]);
  const python = JSON.parse(text);
  python.metadata.kernelspec.name = "python3";
  assert.match(checkNotebookText(JSON.stringify(python), "p.ipynb")[0], /kernelspec is "python3"/);
  assert.match(checkNotebookText("{", "broken.ipynb")[0], /broken\.ipynb: not valid JSON/);

  // A directory with a stale notebook and a source without notebook.
  const dir = `${tmp}/committed`;
  await Deno.mkdir(dir);
  await Deno.writeTextFile(`${dir}/a.ts`, SOURCE);
  await Deno.writeTextFile(
    `${dir}/a.ipynb`,
    notebookJson(parseNotebookSource(SOURCE), "a").replace("Title", "Old title"),
  );
  await Deno.writeTextFile(`${dir}/b.ts`, SOURCE);
  assert.deepEqual(await checkCommittedNotebooks(dir), [
    `${dir}/a.ipynb: differs from its source a.ts: cell 1 (markdown) differs at its line 1 ` +
    "(edited in Jupyter: `deno task notebooks:build --from-ipynb a`; edited the source: " +
    "`deno task notebooks:build`)",
    `${dir}/b.ts: source without its notebook (run \`deno task notebooks:build\`)`,
  ]);
  const sourceCells = parseNotebookSource(SOURCE);
  assert.equal(cellDifference(sourceCells, sourceCells), null);
  assert.equal(
    cellDifference(sourceCells.slice(0, 2), sourceCells),
    "cell 3 (code) is in the source only",
  );
  assert.equal(
    cellDifference([sourceCells[0], { ...sourceCells[1], kind: "markdown" }], sourceCells),
    "cell 2 is markdown in the notebook, code in the source",
  );
});

Deno.test("the check ignores metadata Jupyter owns: an older save or an extension's passes", async () => {
  const dir = `${tmp}/saved`;
  await Deno.mkdir(dir);
  await Deno.writeTextFile(`${dir}/a.ts`, SOURCE);
  const nb = JSON.parse(notebookJson(parseNotebookSource(SOURCE), "a"));
  // What the notebooks held before, and what other kernels' versions or extensions write.
  nb.metadata.language_info = { name: "typescript", version: "5.9.2" };
  nb.metadata.widgets = {};
  nb.cells[1].metadata = { tags: ["parameters"], trusted: true };
  nb.cells[2].id = "0c7f3c1e";
  await Deno.writeTextFile(`${dir}/a.ipynb`, JSON.stringify(nb, null, 1) + "\n");
  assert.deepEqual(await checkCommittedNotebooks(dir), []);
  // A changed source line still fails, naming the cell.
  nb.cells[2].source = ["const x = 2;"];
  await Deno.writeTextFile(`${dir}/a.ipynb`, JSON.stringify(nb, null, 1));
  assert.match(
    (await checkCommittedNotebooks(dir))[0],
    /a\.ipynb: differs from its source a\.ts: cell 3 \(code\) differs at its line 1 /,
  );
});

Deno.test("built notebooks carry the language_info the Deno kernel reports", async () => {
  await requireNbclient();
  // JupyterLab and Jupyter Notebook copy it into the notebook when the kernel starts: another
  // value marks a notebook modified on opening and makes a save rewrite it.
  const script = "import json, jupyter_client.manager as m\n" +
    "km, kc = m.start_new_kernel(kernel_name='deno')\n" +
    "try:\n    print(json.dumps(kc.kernel_info(reply=True, timeout=60)['content']['language_info']))\n" +
    "finally:\n    kc.stop_channels(); km.shutdown_kernel(now=True)";
  const out = await new Deno.Command("/usr/bin/python3", {
    args: ["-c", script],
    env: notebookEnv(),
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const reported = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
  assert.deepEqual(
    reported,
    DENO_LANGUAGE_INFO,
    "the kernel's language_info changed (a Deno upgrade?): update DENO_LANGUAGE_INFO in " +
      "scripts/build_notebooks.ts, then `deno task notebooks:build`",
  );
  const nb = JSON.parse(notebookJson(parseNotebookSource(SOURCE), "demo"));
  assert.deepEqual(nb.metadata.language_info, reported);
});

Deno.test("committed notebooks are output-free and match their sources", async () => {
  assert.deepEqual(await checkCommittedNotebooks(), []);
  assert.ok((await listNotebooks()).length >= 1);
});

Deno.test("the runner's environment: repo kernelspec, this Deno, offline by default", () => {
  const env = notebookEnv({ env: { JUPYTER_PATH: "/elsewhere", MEMESENSE_OFFLINE: "0" } });
  assert.equal(env.JUPYTER_PATH, `${REPO_ROOT}/notebooks/jupyter:/elsewhere`);
  assert.ok(env.PATH.startsWith(Deno.execPath().replace(/\/[^/]*$/, "") + ":"));
  assert.equal(env.NO_COLOR, "1");
  assert.equal(env.MEMESENSE_OFFLINE, "0", "an explicit setting is passed through");
  const outer = Deno.env.get("MEMESENSE_OFFLINE");
  assert.equal(notebookEnv().MEMESENSE_OFFLINE, outer ?? "1");
  assert.equal(notebookEnv({ offline: false }).MEMESENSE_OFFLINE, outer);
});

Deno.test("a failing notebook fails the run and names the cell and its error", async () => {
  await requireNbclient();
  const path = `${tmp}/failing.ipynb`;
  await Deno.writeTextFile(
    path,
    notebookJson(
      parseNotebookSource(
        '// %%\nconsole.log("fine");\n\n// %%\nconst missing: { x: number } | null = null;\nmissing!.x;\n\n// %%\nconsole.log("not reached");\n',
      ),
      "failing",
    ),
  );
  const run = await runNotebook(path, { outDir: `${tmp}/out-failing` });
  assert.equal(run.ok, false);
  assert.equal(run.exitCode, 1);
  assert.equal(run.figures, 0);
  assert.equal(run.problems.length, 2, run.problems.join("\n"));
  assert.match(run.problems[0], /cell 2 \(code cell 2 of 3\): const missing/);
  assert.match(run.problems[0], /TypeError: Cannot read properties of null \(reading 'x'\)/);
  assert.equal(run.problems[1], "no figure (an output of display(figure))");
  // The executed copy is still written, up to the failing cell.
  const executed = inspectExecutedNotebook(JSON.parse(await Deno.readTextFile(run.executed)));
  assert.equal(executed.errors.length, 1);
  assert.deepEqual(executed.unexecuted, [3]);
});

/** The set-up failure fixture, beside the repository's `lib/` as a notebook's cells see it. */
const SETUP_FAILURE = `// %%
import { notebookSetUp } from "../../../lib/experiment/mod.ts";
const before = 1;
const { inputs } = await notebookSetUp(async (): Promise<{ inputs: number }> => {
  throw new Error("cannot load the CLIP tokenizer: fetch failed. Set MEMESENSE_OFFLINE=1.");
});

// %%
console.log(inputs + before);

// %%
console.log("before:", before);

// %%
const none: { x: number } | null = null;
none!.x;

// %%
const { again } = await notebookSetUp(async () => ({ again: 2 }));

// %%
console.log(inputs);
`;

Deno.test("after a failed set-up every later cell says so in one line, not a ReferenceError", async () => {
  await requireNbclient();
  const fixture = `${FIXTURES}/setup_failure.ipynb`;
  assert.equal(
    await Deno.readTextFile(fixture),
    notebookJson(parseNotebookSource(SETUP_FAILURE), "setup_failure"),
    "tests/fixtures/notebooks/setup_failure.ipynb is not built from SETUP_FAILURE",
  );
  const executed = `${tmp}/setup_failure.ipynb`;
  // --allow-errors runs every cell, as JupyterLab's Run All does on the Deno kernel.
  const out = await new Deno.Command("/usr/bin/python3", {
    args: [`${REPO_ROOT}/scripts/run_notebook.py`, fixture, executed, "--allow-errors"],
    env: notebookEnv(),
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 1, new TextDecoder().decode(out.stderr));
  type Output = { output_type: string; traceback?: string[]; text?: string[] };
  const cells = JSON.parse(await Deno.readTextFile(executed)).cells as { outputs: Output[] }[];
  const shown = cells.map((c) =>
    c.outputs.map((o) => o.output_type === "error" ? o.traceback!.join("\n") : o.text!.join(""))
  );
  assert.match(shown[0][0], /^Error: cannot load the CLIP tokenizer: fetch failed\. Set MEMESENSE/);
  assert.deepEqual(shown[1], [
    "set-up failed in the first code cell: cannot load the CLIP tokenizer: fetch failed. Fix it " +
    "and run that cell again (here: inputs is not defined).",
  ]);
  assert.deepEqual(shown[2], ["before: 1\n"]);
  // Other errors keep their trace.
  assert.match(shown[3][0], /^TypeError: Cannot read properties of null \(reading 'x'\)\n {4}at /);
  // A set-up that succeeds ends it: a missing name is a ReferenceError again.
  assert.deepEqual(shown[4], []);
  assert.match(shown[5][0], /^ReferenceError: inputs is not defined\n {4}at /);
});

Deno.test("every notebook runs headlessly without error and shows a plotly figure", async () => {
  await requireNbclient();
  const outDir = `${tmp}/executed`;
  const runs = await runNotebooks({ outDir, log: null });
  assert.deepEqual(
    runs.map((r) => [r.name, r.problems]),
    runs.map((r) => [r.name, []]),
  );
  for (const run of runs) {
    assert.ok(run.figures >= 1, `${run.name}: no figure`);
    assert.equal(run.executed, `${outDir}/${run.name}`);
  }
  const summary = JSON.parse(await Deno.readTextFile(`${outDir}/summary.json`));
  assert.equal(summary.notebooks.length, runs.length);
});

Deno.test("jupyter:install writes the kernelspec with this Deno's path, once", async () => {
  const prefix = `${tmp}/jupyter-data`;
  const path = `${prefix}/kernels/deno/kernel.json`;
  assert.deepEqual(await installKernelSpec({ prefix, dryRun: true }), {
    path,
    action: "would be installed",
  });
  assert.deepEqual(await installKernelSpec({ prefix }), { path, action: "installed" });
  const spec = JSON.parse(await Deno.readTextFile(path));
  assert.deepEqual(spec.argv, [
    Deno.execPath(),
    "jupyter",
    "--kernel",
    "--conn",
    "{connection_file}",
  ]);
  assert.deepEqual(spec.env, { NO_COLOR: "1" });
  assert.deepEqual(await installKernelSpec({ prefix }), { path, action: "unchanged" });
  await Deno.writeTextFile(path, '{"argv": ["deno"]}');
  await assert.rejects(installKernelSpec({ prefix }), /exists with different content/);
  assert.deepEqual(await installKernelSpec({ prefix, force: true }), { path, action: "replaced" });
  assert.deepEqual(await installKernelSpec({ prefix, uninstall: true }), {
    path,
    action: "removed",
  });
});

Deno.test("after plotly.js the kernel's buffer is pushed out before the figure is sent", async () => {
  await requireNbclient();
  // The Deno kernel drops IOPub messages sent while a 4.9 MB one is still leaving it for a slow
  // reader; display() follows plotly.js with "busy" statuses (harmless: a cell runs) so that
  // the figure and the cell's "idle" are sent only once the buffer has moved on.
  const cell = `import { display, lineChart } from "${REPO_ROOT}/lib/report/mod.ts";\n` +
    `await display(lineChart({ title: "t", series: [{ name: "a", x: [1, 2], y: [3, 4] }] }));`;
  const script = "import json, sys, time, jupyter_client.manager as m\n" +
    "km, kc = m.start_new_kernel(kernel_name='deno')\n" +
    "try:\n" +
    "    msg_id = kc.execute(sys.argv[1])\n" +
    "    seen, idle_at = [], None\n" +
    "    while idle_at is None or time.time() - idle_at < 2:\n" +
    "        try:\n            msg = kc.get_iopub_msg(timeout=0.5)\n" +
    "        except Exception:\n            continue\n" +
    "        if msg['parent_header'].get('msg_id') != msg_id: continue\n" +
    "        kind, content = msg['header']['msg_type'], msg['content']\n" +
    "        if kind == 'status':\n" +
    "            seen.append(content['execution_state'])\n" +
    "            if content['execution_state'] == 'idle': idle_at = time.time()\n" +
    "        elif kind == 'display_data':\n" +
    "            html = content['data'].get('text/html', '')\n" +
    "            seen.append('plotly.js' if html.startswith('<script') else 'figure')\n" +
    "        elif kind != 'execute_input': seen.append(kind)\n" +
    "    print(json.dumps(seen))\n" +
    "finally:\n    kc.stop_channels(); km.shutdown_kernel(now=True)";
  const out = await new Deno.Command("/usr/bin/python3", {
    args: ["-c", script, cell],
    env: notebookEnv(),
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const seen: string[] = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
  const carrier = seen.indexOf("plotly.js");
  const figure = seen.indexOf("figure");
  assert.ok(carrier >= 0 && figure > carrier, JSON.stringify(seen));
  const between = seen.slice(carrier + 1, figure);
  // 4.9 MB at one status per 100 kB: 49 of them, all "busy", nothing else.
  assert.ok(between.length >= 40 && between.every((s) => s === "busy"), JSON.stringify(between));
  // The figure is small: nothing follows it but the end of the cell.
  assert.deepEqual(seen.slice(figure + 1).filter((s) => s === "busy"), [], JSON.stringify(seen));
  assert.equal(seen.filter((s) => s === "figure").length, 1);
  assert.equal(seen.at(-1), "idle", JSON.stringify(seen));
});
