/**
 * CSV text encoding: bytes that are not UTF-8 are an error naming file, line and field — never a
 * silent U+FFFD — and a named legacy encoding decodes them.
 */
import assert from "node:assert/strict";
import { DataError, loadPrideMM } from "../lib/data/mod.ts";
import { decodeCsvBytes } from "../lib/data/_csv.ts";
import { runScript } from "../scripts/run_script.ts";

const HEADER = "name,hate,target,stance,humour,split,text\n";
const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

Deno.test("a Latin-1 CSV read as UTF-8 fails on the right line and field", async () => {
  const work = await Deno.makeTempDir();
  try {
    const path = `${work}/PrideMM.csv`;
    await Deno.writeFile(
      path,
      latin1(`${HEADER}a.png,0,NA,0,1,train,plain\nb.png,0,NA,1,0,test,caf\xe9 au lait\n`),
    );
    await assert.rejects(loadPrideMM(path), (e: Error) => {
      assert.ok(e instanceof DataError);
      assert.equal(e.line, 3);
      assert.equal(e.field, "text");
      assert.match(
        e.message,
        /PrideMM\.csv:3: field "text": not valid utf-8 text at byte 92 \(e9 20 61 75/,
      );
      assert.match(e.message, /--csv-encoding/);
      return true;
    });
    const ds = await loadPrideMM(path, { encoding: "windows-1252" });
    assert.equal(ds.memes[1].text, "café au lait");
    // A quoted field with a comma before the bad byte: still the right column.
    await Deno.writeFile(path, latin1(`${HEADER}"x,\xff.png",0,NA,0,1,train,t\n`));
    await assert.rejects(loadPrideMM(path), /:2: field "name": not valid utf-8 text at byte 45/);
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});

Deno.test("valid UTF-8 (a real U+FFFD, a BOM, multi-byte text) decodes unchanged", () => {
  const text = `\uFEFF${HEADER}a.png,0,NA,0,1,train,\uFFFD ünïcödé 🏳️‍🌈\n`;
  assert.equal(decodeCsvBytes(new TextEncoder().encode(text), "x.csv"), text.slice(1)); // BOM dropped
  assert.throws(
    () => decodeCsvBytes(new Uint8Array([0x41]), "x.csv", "klingon"),
    /unknown text encoding "klingon"/,
  );
  // A truncated multi-byte sequence at the very end of the file.
  assert.throws(
    () =>
      decodeCsvBytes(
        new Uint8Array([...new TextEncoder().encode(HEADER + "a"), 0xe2, 0x82]),
        "x.csv",
      ),
    /x\.csv:2: field "name": not valid utf-8 text at byte 43/,
  );
});

Deno.test("--csv-encoding: an unknown label is one line naming the flag, exit 2", async () => {
  for (const script of ["extract", "reproduce"]) {
    const run = await runScript(script, ["--csv-encoding", "klingon", "--data", "/none.csv"]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /--csv-encoding.*klingon/);
    assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
  }
});
