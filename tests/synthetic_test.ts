import assert from "node:assert/strict";
import sharp from "sharp";
import { parse } from "csv-parse/sync";
import { pridemmCsvSetting } from "../lib/config/mod.ts";
import { ensureSyntheticMemes } from "../lib/synthetic/mod.ts";
import {
  CAPTION_BAND,
  HATE_HUES,
  planSyntheticMemes,
  splitSizes,
  STANCE_COLOURS,
  TASK_WORDS,
} from "../lib/synthetic/_rules.ts";
import {
  generateSyntheticMemes,
  SYNTHETIC_VERSION,
  syntheticCsv,
} from "../lib/synthetic/generator.ts";
import { hslToHex } from "../lib/synthetic/_draw.ts";
import { textPath, wrapWords } from "../lib/synthetic/_font.ts";
import { sha256Hex } from "../lib/util/mod.ts";
import { PRIDEMM_COLUMNS } from "../lib/data/mod.ts";

type Row = Record<string, string>;

const tmp = await Deno.makeTempDir({ prefix: "memesense-synthetic-" });
globalThis.addEventListener("unload", () => Deno.removeSync(tmp, { recursive: true }));
// One default-sized set shared by the tests below (generation takes well under a second).
const main = await generateSyntheticMemes(`${tmp}/a`, { seed: 7, progress: false });
const rows: Row[] = parse(await Deno.readTextFile(main.csvPath), { columns: true });

async function imageHashes(dir: string): Promise<string[]> {
  const names = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  names.sort();
  return Promise.all(names.map(async (n) => `${n}:${await sha256Hex({ path: `${dir}/${n}` })}`));
}

Deno.test("same seed gives byte-identical CSV and images; another seed differs", async () => {
  const again = await generateSyntheticMemes(`${tmp}/b`, { seed: 7, progress: false });
  assert.equal(
    await sha256Hex({ path: again.csvPath }),
    await sha256Hex({ path: main.csvPath }),
  );
  const [h1, h2] = await Promise.all([imageHashes(main.imageDir), imageHashes(again.imageDir)]);
  assert.equal(h1.length, 480);
  assert.deepEqual(h2, h1);
  const other = syntheticCsv(planSyntheticMemes(480, 8));
  assert.notEqual(other, await Deno.readTextFile(main.csvPath));
});

Deno.test("CSV has PrideMM's columns, line endings and value spellings", async () => {
  const raw = await Deno.readTextFile(main.csvPath);
  assert.equal(raw.split("\r\n")[0], "name,hate,target,stance,humour,split,text");
  assert.ok(raw.endsWith("\r\n"));
  assert.equal(raw.split("\r\n").length - 2, 480); // header + rows + trailing empty
  assert.deepEqual(Object.keys(rows[0]), PRIDEMM_COLUMNS);
  assert.equal(rows.length, 480);
  for (const r of rows) {
    assert.match(r.name, /^img_\d+\.png$/);
    assert.ok(["0", "1"].includes(r.hate), r.name);
    assert.equal(r.target === "NA", r.hate === "0", r.name);
    if (r.hate === "1") assert.ok(["0", "1", "2", "3"].includes(r.target), r.name);
    assert.ok(["0", "1", "2"].includes(r.stance), r.name);
    assert.ok(["0", "1"].includes(r.humour), r.name);
    assert.match(r.text, /^[a-z]+( [a-z]+)*$/);
  }
  assert.equal(new Set(rows.map((r) => r.name)).size, 480);
  for (const r of rows) await Deno.stat(`${main.imageDir}/${r.name}`);
});

Deno.test("CSV matches the real PrideMM.csv header and line format", async (t) => {
  const path = pridemmCsvSetting().value ?? "PrideMM.csv (none found)";
  let real: string;
  try {
    real = await Deno.readTextFile(path);
  } catch {
    console.log(`skipped: no PrideMM.csv at ${path}`);
    return;
  }
  await t.step("same header and CRLF rows", () => {
    assert.equal(
      real.slice(0, real.indexOf("\n") + 1),
      "name,hate,target,stance,humour,split,text\r\n",
    );
  });
  await t.step("every synthetic value spelling occurs in the real file", () => {
    const realRows: Row[] = parse(real, { columns: true });
    for (const col of ["hate", "target", "stance", "humour", "split"]) {
      const seen = new Set(realRows.map((r) => r[col]));
      for (const r of rows) assert.ok(seen.has(r[col]), `${col}=${r[col]} not in PrideMM.csv`);
    }
  });
});

Deno.test("split sizes are 85/5/10 and every class appears in every split", () => {
  assert.deepEqual(splitSizes(480), { train: 408, val: 24, test: 48 });
  assert.deepEqual(splitSizes(300), { train: 255, val: 15, test: 30 });
  const count = (split: string) => rows.filter((r) => r.split === split).length;
  assert.deepEqual([count("train"), count("val"), count("test")], [408, 24, 48]);
  for (const split of ["train", "val", "test"]) {
    const s = rows.filter((r) => r.split === split);
    assert.deepEqual(new Set(s.map((r) => r.hate)), new Set(["0", "1"]), split);
    assert.deepEqual(new Set(s.map((r) => r.stance)), new Set(["0", "1", "2"]), split);
    assert.deepEqual(new Set(s.map((r) => r.humour)), new Set(["0", "1"]), split);
    const targets = new Set(s.filter((r) => r.hate === "1").map((r) => r.target));
    assert.deepEqual(targets, new Set(["0", "1", "2", "3"]), split);
  }
  // Balanced within a split: 12 of the 24 validation memes are hateful, 3 per target.
  const val = rows.filter((r) => r.split === "val");
  assert.equal(val.filter((r) => r.hate === "1").length, 12);
  assert.equal(val.filter((r) => r.target === "2").length, 3);
});

Deno.test("each caption holds exactly one word of its class for every task", () => {
  for (const r of rows) {
    const words = r.text.split(" ");
    for (const task of ["hate", "stance", "humour", "target"] as const) {
      const classes = TASK_WORDS[task];
      const found = classes.map((ws) => words.filter((w) => ws.includes(w)).length);
      assert.equal(found.reduce((a, b) => a + b), 1, `${r.name} ${task}: "${r.text}"`);
      if (r[task] !== "NA") assert.equal(found[Number(r[task])], 1, `${r.name} ${task}`);
    }
  }
});

/** Hue in degrees of an RGB colour. */
function hue(r: number, g: number, b: number): number {
  const max = Math.max(r, g, b), min = Math.min(r, g, b), d = max - min;
  const h = max === r ? ((g - b) / d) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  return (h * 60 + 360) % 360;
}

/** Connected regions (4-neighbour) of at least `minSize` pixels exactly of colour `hex`. */
function regions(px: Uint8Array, w: number, h: number, hex: string, minSize: number): number {
  const rgb = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  const hit = (i: number) =>
    px[3 * i] === rgb[0] && px[3 * i + 1] === rgb[1] && px[3 * i + 2] === rgb[2];
  const seen = new Uint8Array(w * h);
  let n = 0;
  for (let start = 0; start < w * h; start++) {
    if (seen[start] || !hit(start)) continue;
    let size = 0;
    const stack = [start];
    seen[start] = 1;
    while (stack.length) {
      const i = stack.pop()!;
      size++;
      const x = i % w, y = (i - x) / w;
      for (const [nx, ny] of [[x - 1, y], [x + 1, y], [x, y - 1], [x, y + 1]]) {
        const j = ny * w + nx;
        if (nx >= 0 && ny >= 0 && nx < w && ny < h && !seen[j] && hit(j)) {
          seen[j] = 1;
          stack.push(j);
        }
      }
    }
    if (size >= minSize) n++;
  }
  return n;
}

Deno.test("images show the labels: hue family ↔ hate, shape colour ↔ stance, shape count ↔ target", async () => {
  const inFamily = (h: number, [lo, hi]: readonly [number, number]) =>
    lo < 0 ? h >= lo + 360 || h <= hi : h >= lo && h <= hi;
  // The families must not overlap, or hue could not tell the classes apart.
  for (let h = 0; h < 360; h++) {
    assert.ok(!(inFamily(h, HATE_HUES[0]) && inFamily(h, HATE_HUES[1])), `hue ${h} in both`);
  }
  const bandTop = 224 - Math.round(224 * CAPTION_BAND.heightFraction);
  // Every image of the validation and test splits (72), to keep the test quick.
  for (const r of rows.filter((r) => r.split !== "train")) {
    const { data, info } = await sharp(`${main.imageDir}/${r.name}`).raw().toBuffer({
      resolveWithObject: true,
    });
    assert.deepEqual([info.width, info.height, info.channels], [224, 224, 3]);
    const px = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    // The top-left corner is background (shapes sit in a grid away from the edges).
    const h = hue(px[0], px[1], px[2]);
    assert.ok(inFamily(h, HATE_HUES[Number(r.hate)]), `${r.name}: hue ${h} for hate=${r.hate}`);
    const above = px.subarray(0, bandTop * 224 * 3);
    const shapeCounts = STANCE_COLOURS.map((c) => regions(above, 224, bandTop, c, 200));
    const stance = Number(r.stance);
    shapeCounts.forEach((n, s) => {
      if (s !== stance) assert.equal(n, 0, `${r.name}: shapes of stance ${s}`);
    });
    assert.ok(shapeCounts[stance] >= 1 && shapeCounts[stance] <= 4, r.name);
    if (r.hate === "1") assert.equal(shapeCounts[stance], Number(r.target) + 1, r.name);
  }
});

Deno.test("ensureSyntheticMemes reuses a complete set, replaces a stale one, refuses others", async () => {
  const dir = `${tmp}/cached`;
  const first = await ensureSyntheticMemes({ dir, count: 40, seed: 1, progress: false });
  assert.deepEqual(first, {
    dir,
    csvPath: `${dir}/PrideMM.csv`,
    imageDir: `${dir}/Images`,
    count: 40,
  });
  const manifest = JSON.parse(await Deno.readTextFile(`${dir}/synthetic.json`));
  assert.deepEqual(manifest, { version: SYNTHETIC_VERSION, count: 40, seed: 1, size: 224 });
  const stamp = (await Deno.stat(first.csvPath)).mtime?.getTime();
  await ensureSyntheticMemes({ dir, count: 40, seed: 1, progress: false });
  assert.equal((await Deno.stat(first.csvPath)).mtime?.getTime(), stamp, "regenerated");

  await ensureSyntheticMemes({ dir, count: 30, seed: 1, progress: false }); // other options: replaced
  const replaced: Row[] = parse(await Deno.readTextFile(first.csvPath), { columns: true });
  assert.equal(replaced.length, 30);
  assert.equal([...Deno.readDirSync(first.imageDir)].length, 30);
  // No temporary or stale directories are left beside it.
  const beside = [...Deno.readDirSync(tmp)].map((e) => e.name).filter((n) =>
    n.startsWith("cached")
  );
  assert.deepEqual(beside, ["cached"]);

  await Deno.mkdir(`${tmp}/foreign`);
  await Deno.writeTextFile(`${tmp}/foreign/keep.txt`, "mine");
  await assert.rejects(
    ensureSyntheticMemes({ dir: `${tmp}/foreign`, count: 10 }),
    /foreign exists and is not a synthetic meme set/,
  );
  assert.equal(await Deno.readTextFile(`${tmp}/foreign/keep.txt`), "mine");
});

Deno.test("options are validated", async () => {
  await assert.rejects(generateSyntheticMemes(`${tmp}/x`, { count: 0 }), /count must be/);
  await assert.rejects(generateSyntheticMemes(`${tmp}/x`, { size: 50 }), /size must be/);
  assert.throws(() => planSyntheticMemes(2.5, 1), /positive integer/);
});

Deno.test("colour and font helpers give hand-checked output", () => {
  assert.equal(hslToHex(0, 1, 0.5), "#ff0000");
  assert.equal(hslToHex(210, 0.5, 0.5), "#4080bf");
  assert.equal(hslToHex(-120, 1, 0.5), "#0000ff");
  assert.deepEqual(wrapWords("when you see this meme", 10), ["when you", "see this", "meme"]);
  assert.throws(() => wrapWords("disgusting", 5), /longer than a caption line/);
  // "l": a vertical bar of 6 single cells, then the 5-cell base, at cell size 2.
  const path = textPath(["l"], 5, 0, 2);
  assert.equal(path.split("M").length - 1, 7);
  assert.ok(path.startsWith("M0 0h2v2h-2z"));
  assert.ok(path.endsWith("M0 12h10v2h-10z"));
});
