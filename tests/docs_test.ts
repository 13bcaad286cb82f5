/**
 * The public API stays documented and its examples stay true: `deno doc --lint` on each
 * `lib/<module>/mod.ts` reports nothing, and every JSDoc example in `lib/` type-checks.
 */
import assert from "node:assert/strict";
import { REPO_ROOT } from "../lib/util/mod.ts";

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

/**
 * Modules whose documentation is still only complete next to the others' (their public types
 * reference types they do not export). Every other module is linted on its own.
 */
const LINTED_TOGETHER = new Set(["experiment", "features"]);

Deno.test("deno doc --lint: every module's public API is documented on its own", async (t) => {
  const mods = libFiles(/^mod\.ts$/);
  assert.ok(mods.length >= 10, `modules found: ${mods}`);
  for (const mod of mods) {
    const name = mod.split("/")[1];
    if (LINTED_TOGETHER.has(name)) continue;
    await t.step(name, async () => {
      const run = await deno(["doc", "--lint", mod]);
      assert.ok(run.success, `deno doc --lint ${mod}:\n${run.output.slice(-4000)}`);
    });
  }
  const run = await deno(["doc", "--lint", ...mods]);
  assert.ok(run.success, `deno doc --lint over all modules:\n${run.output.slice(-4000)}`);
});

Deno.test("deno check --doc-only: every JSDoc example in lib/ type-checks", async () => {
  const files = libFiles(/\.ts$/);
  const run = await deno(["check", "--frozen", "--doc-only", ...files]);
  assert.ok(run.success, run.output.slice(-4000));
});
