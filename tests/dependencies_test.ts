import assert from "node:assert/strict";

const root = new URL("../", import.meta.url);
const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", root)));
const lock = JSON.parse(await Deno.readTextFile(new URL("deno.lock", root)));

Deno.test("every dependency is an npm package pinned to one exact version", () => {
  const imports = Object.entries(config.imports as Record<string, string>);
  assert.ok(imports.length >= 7, `only ${imports.length} imports`);
  for (const [name, specifier] of imports) {
    assert.match(specifier, /^npm:(@[\w.-]+\/)?[\w.-]+@\d+\.\d+\.\d+(\/[\w./-]+)?$/, name);
  }
});

Deno.test("every locked package with an install script is decided in deno.json", () => {
  // Deno prints an "Ignored build scripts" box for each undecided one on a first run.
  const decided = [...config.allowScripts.deny, ...(config.allowScripts.allow ?? [])] as string[];
  const withScripts = Object.entries(lock.npm as Record<string, { scripts?: boolean }>)
    .filter(([, entry]) => entry.scripts)
    .map(([id]) => id.slice(0, id.lastIndexOf("@")));
  assert.deepEqual([...new Set(withScripts)].sort(), ["core-js", "onnxruntime-node", "protobufjs"]);
  for (const name of withScripts) assert.ok(decided.includes(`npm:${name}`), `npm:${name}`);
});
