import assert from "node:assert/strict";
import { clipTokenLowerBound, CONTEXT_LENGTH } from "../lib/clip/mod.ts";
import { clipPreTokens } from "../lib/clip/pretokenize.ts";

Deno.test("CLIP pre-tokens: lower-case words, single digits, punctuation runs, contractions", () => {
  assert.deepEqual(clipPreTokens("Hello,  World!! It's 2024 — ok?"), [
    "hello",
    ",",
    "world",
    "!!",
    "it",
    "'s",
    "2",
    "0",
    "2",
    "4",
    "—",
    "ok",
    "?",
  ]);
  assert.deepEqual(clipPreTokens("Ünïcode wörds\ttabs\nnewlines"), [
    "ünïcode",
    "wörds",
    "tabs",
    "newlines",
  ]);
  // A meme without text is encoded as the word "null", as MemeCLIP does.
  assert.deepEqual(clipPreTokens(null), ["null"]);
  assert.deepEqual(clipPreTokens("   "), []);
});

Deno.test("the lower bound counts start and end of text, and flags certain truncation", () => {
  assert.equal(clipTokenLowerBound("a photo of a cat."), 2 + 5 + 1);
  assert.equal(clipTokenLowerBound(null), 3);
  const long = Array.from({ length: 80 }, () => "word").join(" ");
  assert.equal(clipTokenLowerBound(long), 82);
  assert.ok(clipTokenLowerBound(long) > CONTEXT_LENGTH);
});
