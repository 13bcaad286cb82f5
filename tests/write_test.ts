/**
 * The file-writing layer: atomic and exclusive writes, a failed write named with its path and
 * cause and leaving nothing behind, injected faults behaving as the operating system's, and
 * sealed records telling a cut or altered record from an intact one.
 */
import assert from "node:assert/strict";
import {
  ensureDir,
  errnoOf,
  FileWriteError,
  injectWriteFaults,
  isWriteFault,
  openSealedJson,
  readTextIfExists,
  sealJson,
  writeFileAtomic,
} from "../lib/util/mod.ts";
import { listing } from "./_runs.ts";

Deno.test("a failed write names the path and cause, keeps the old file, leaves no temporary file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "memesense-write-" });
  try {
    const path = `${dir}/table.md`;
    await writeFileAtomic(path, "old\n");
    for (const cause of ["ENOSPC", "EIO"] as const) {
      const restore = injectWriteFaults((p) => (p === path || p === `${path}.d/` ? cause : null));
      try {
        await assert.rejects(writeFileAtomic(path, "new table\n"), (e: Error) => {
          assert.ok(e instanceof FileWriteError);
          assert.deepEqual([e.path, e.code], [path, cause]);
          assert.equal(
            e.message,
            `cannot write ${path}: ${
              cause === "ENOSPC" ? "no space left on device" : "input/output error"
            } (${cause})`,
          );
          assert.equal(
            e.withRemedy("free space").message,
            `${e.message}; free space`,
          );
          return true;
        });
        await assert.rejects(ensureDir(`${path}.d`), FileWriteError);
      } finally {
        restore();
      }
      assert.equal(await Deno.readTextFile(path), "old\n");
      assert.deepEqual(listing(dir), ["table.md"]);
    }
    // Other paths are written as usual while a hook is set.
    const restore = injectWriteFaults((p) => (p.endsWith(".json") ? "EIO" : null));
    try {
      await writeFileAtomic(`${dir}/b.txt`, "b");
    } finally {
      restore();
    }
    assert.equal(await Deno.readTextFile(`${dir}/b.txt`), "b");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("exclusive writes create a whole file once; the second is AlreadyExists", async () => {
  const dir = await Deno.makeTempDir({ prefix: "memesense-write-" });
  try {
    await writeFileAtomic(`${dir}/lock`, "first\n", { exclusive: true });
    await assert.rejects(
      writeFileAtomic(`${dir}/lock`, "second\n", { exclusive: true }),
      Deno.errors.AlreadyExists,
    );
    assert.equal(await Deno.readTextFile(`${dir}/lock`), "first\n");
    assert.deepEqual(listing(dir), ["lock"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("errno names from Deno's errors and messages; anticipated faults only", () => {
  const e = Object.assign(new Error("No space left on device (os error 28): writefile '/x'"), {
    code: "ENOSPC",
  });
  assert.equal(errnoOf(e), "ENOSPC");
  assert.equal(errnoOf(new Error("Input/output error (os error 5): write '/x'")), "EIO");
  assert.equal(errnoOf(new Error("something else")), null);
  assert.equal(isWriteFault(e), true);
  assert.equal(isWriteFault(new Deno.errors.NotFound("x")), false);
});

Deno.test("a sealed record cut short or altered is told from an intact one", async () => {
  const text = await sealJson({ seeds: [1, 2], name: "run" });
  assert.match(text, /"checksum": "sha256:[0-9a-f]{64}"\n}\n$/);
  assert.deepEqual((await openSealedJson(text)).value, JSON.parse(text));
  assert.match((await openSealedJson(text.slice(0, 20))).problem!, /^cut short \(/);
  assert.equal(
    (await openSealedJson(text.replace("2", "3"))).problem,
    "checksum mismatch (the file was altered)",
  );
  // A record written before records were sealed is read as it is.
  assert.deepEqual((await openSealedJson('{"seeds":[1]}')).value, { seeds: [1] });
  // Sealing is idempotent: an opened record sealed again gives the same text.
  assert.equal(await sealJson((await openSealedJson(text)).value!), text);
});

Deno.test("readTextIfExists: the text, null for a missing file, other errors thrown", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/a.json`, '{"pid": 1}');
    assert.equal(await readTextIfExists(`${dir}/a.json`), '{"pid": 1}');
    assert.equal(await readTextIfExists(`${dir}/missing.json`), null);
    await assert.rejects(readTextIfExists(dir), (e: Error) => !(e instanceof Deno.errors.NotFound));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
