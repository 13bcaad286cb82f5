/**
 * The public API stays documented and its examples stay true: `deno doc --lint` on every
 * `lib/<module>/mod.ts` together reports nothing, every JSDoc example in `lib/` type-checks, and the
 * README's table of environment variables is the one generated from the settings' code.
 */
import assert from "node:assert/strict";
import { environmentTable } from "../lib/config/mod.ts";
import { REPO_ROOT } from "../lib/util/mod.ts";
import {
  generatedReadme,
  README,
  TABLE_MARKERS,
  withGeneratedTable,
} from "../scripts/env_table.ts";

function libFiles(pattern: RegExp): string[] {
  const out: string[] = [];
  for (const dir of Deno.readDirSync(`${REPO_ROOT}/lib`)) {
    if (!dir.isDirectory) continue;
    for (const f of Deno.readDirSync(`${REPO_ROOT}/lib/${dir.name}`)) {
      if (f.isFile && pattern.test(f.name)) out.push(`lib/${dir.name}/${f.name}`);
    }
  }
  return out.sort();
}

async function deno(args: string[]): Promise<{ success: boolean; output: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: REPO_ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { success: out.success, output: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

Deno.test("deno doc --lint: the public API of lib/, every module's mod.ts in one call", async () => {
  // Together, as the API is one: a type of another module in a signature is public when that
  // module exports it, so no module re-exports another's types to satisfy the linter.
  const mods = libFiles(/^mod\.ts$/);
  assert.ok(mods.length >= 12, `modules found: ${mods}`);
  const run = await deno(["doc", "--lint", ...mods]);
  assert.ok(run.success, `deno doc --lint lib/*/mod.ts:\n${run.output.slice(-4000)}`);
  assert.match(run.output, new RegExp(`Checked ${mods.length} files`));
});

Deno.test("deno check --doc-only: every JSDoc example in lib/ type-checks", async () => {
  const files = libFiles(/\.ts$/);
  const run = await deno(["check", "--frozen", "--doc-only", ...files]);
  assert.ok(run.success, run.output.slice(-4000));
});

Deno.test("every lib/<module>/mod.ts names its exports (no export *)", () => {
  for (const mod of libFiles(/^mod\.ts$/)) {
    const source = Deno.readTextFileSync(`${REPO_ROOT}/${mod}`);
    assert.doesNotMatch(source, /^export (type )?\*/m, `${mod} re-exports a whole file`);
  }
});

Deno.test("the README's table of MEMESENSE_* variables is generated from lib/config/settings.ts", async () => {
  const readme = await Deno.readTextFile(README);
  // Cell by cell first, for a readable difference (deno fmt pads the columns).
  const rows = (text: string) =>
    text.split("\n").filter((l) => l.startsWith("| `MEMESENSE_")).map((l) =>
      l.split("|").map((c) => c.trim()).join("|")
    );
  assert.deepEqual(rows(readme), rows(environmentTable()), "deno task docs:env");
  assert.equal(rows(readme).length, 14);
  // Then byte for byte, as `deno task docs:env` writes it.
  assert.equal(await generatedReadme(readme), readme, "deno task docs:env");
  // The generator replaces exactly what lies between its markers.
  const stale = readme.replace(/\| `MEMESENSE_CACHE` [^\n]*/, "| `MEMESENSE_CACHE` | | | stale |");
  assert.notEqual(stale, readme);
  assert.equal(await generatedReadme(stale), readme);
  assert.throws(
    () => withGeneratedTable(readme.replace(TABLE_MARKERS.end, "")),
    /README\.md lacks the markers/,
  );
});
