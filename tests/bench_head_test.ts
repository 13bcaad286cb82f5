import assert from "node:assert/strict";
import { REPO_ROOT } from "../lib/util/mod.ts";

Deno.test("bench:head: an unavailable backend is a usage error on one line, not a trace", async () => {
  // tfjs-node is never a dependency of the suite, so it cannot start here.
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      "--frozen",
      `${REPO_ROOT}/bench/head.ts`,
      "--backend",
      "tfjs-node",
      "--torch",
      "false",
    ],
    cwd: REPO_ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr).trim();
  assert.equal(out.code, 2, stderr);
  assert.match(stderr, /^bench:head: backend tfjs-node is unavailable: .+$/);
  assert.doesNotMatch(stderr, /\n|\bat file:/);
});
