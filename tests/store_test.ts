/**
 * Feature-store identity and integrity: per-meme image provenance (changed, added, repaired and
 * removed images re-extract only their rows; --force rebuilds), checksums per chunk (damage is
 * named and repaired, --verify hashes everything), a damaged manifest, and extraction in shards
 * with a separate, idempotent consolidation that gives the same store as one run.
 */
import assert from "node:assert/strict";
import sharp from "sharp";
import {
  consolidateFeatures,
  extractFeatures,
  type ExtractOptions,
  type FeatureItem,
  FeatureStoreError,
  loadFeatures,
} from "../lib/features/mod.ts";

const N = 24;

async function drawImage(path: string, seed: number): Promise<void> {
  const raw = new Uint8Array(20 * 14 * 3).map((_, k) => (k * (seed + 3) * 37 + seed) % 256);
  await sharp(raw, { raw: { width: 20, height: 14, channels: 3 } }).png().toFile(path);
}

function itemsIn(dir: string): FeatureItem[] {
  return Array.from({ length: N }, (_, i) => ({
    name: `img_${i}.png`,
    imagePath: `${dir}/img_${i}.png`,
    text: i % 5 === 2 ? null : `meme ${i}`,
  }));
}

async function withWork(fn: (work: string) => Promise<void>): Promise<void> {
  const work = await Deno.makeTempDir({ prefix: "memesense-store-" });
  try {
    await fn(work);
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}

function options(work: string, images: string, extra: Partial<ExtractOptions> = {}) {
  const logs: string[] = [];
  const opts: ExtractOptions = {
    items: itemsIn(images),
    imageDir: images,
    datasetHash: "d".repeat(64),
    cacheDir: `${work}/cache`,
    model: "tiny",
    threads: 1,
    batchSize: 4,
    chunkRows: 8,
    progress: null,
    log: (l) => logs.push(l),
    ...extra,
  };
  return { opts, logs };
}

async function listDir(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}

const row = (m: Float32Array, r: number) => m.subarray(r * 768, (r + 1) * 768);

Deno.test({
  name:
    "store provenance: images that appear, change, are repaired or removed re-extract only their rows",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withWork(async (work) => {
      const empty = `${work}/empty`, images = `${work}/Images`;
      await Deno.mkdir(empty);
      await Deno.mkdir(images);
      for (let i = 0; i < N; i++) await drawImage(`${images}/img_${i}.png`, i);

      // 1. Extracted while the images are missing: every row is text only.
      const first = await extractFeatures(options(work, empty).opts);
      assert.equal(first.manifest?.imagesMissing, N);
      // 2. The same CSV with the images present: the store is not reused as it is; every row is
      //    extracted again (the key is the same: it names the CSV, not the folder).
      const found = await extractFeatures(options(work, images).opts);
      assert.equal(found.key, first.key);
      assert.deepEqual([found.cached, found.computed, found.reextracted], [false, N, N]);
      assert.equal(found.manifest?.imagesMissing, 0);
      const fresh = await extractFeatures(options(`${work}/other`, images).opts);
      const a = await loadFeatures(found.dir), b = await loadFeatures(fresh.dir);
      assert.deepEqual(a.image, b.image);
      assert.deepEqual(a.imageOk, b.imageOk);
      assert.deepEqual(a.images[3], {
        path: "img_3.png",
        size: (await Deno.stat(`${images}/img_3.png`)).size,
        mtimeMs: (await Deno.stat(`${images}/img_3.png`)).mtime!.getTime(),
        sha256: a.images[3].sha256,
        error: null,
      });
      assert.match(a.images[3].sha256!, /^[0-9a-f]{64}$/);

      // 3. Unchanged: nothing is loaded or computed.
      const again = await extractFeatures(options(work, images).opts);
      assert.deepEqual([again.cached, again.computed], [true, 0]);

      // 4. One image changes: only its row is extracted again.
      await drawImage(`${images}/img_7.png`, 99);
      const changed = await extractFeatures(options(work, images).opts);
      assert.deepEqual([changed.computed, changed.reextracted], [1, 1]);
      const c = await loadFeatures(changed.dir);
      assert.notDeepEqual(row(c.image, 7), row(a.image, 7));
      assert.deepEqual(row(c.image, 8), row(a.image, 8));

      // 5. A file only touched (same bytes, new time): its hash says unchanged — no extraction.
      const t = new Date(Date.now() + 5000);
      await Deno.utime(`${images}/img_9.png`, t, t);
      const touched = await extractFeatures(options(work, images).opts);
      assert.deepEqual([touched.cached, touched.computed], [false, 0]);
      assert.equal((await loadFeatures(touched.dir)).images[9].mtimeMs, t.getTime());
      assert.equal((await extractFeatures(options(work, images).opts)).cached, true);

      // 6. A corrupt image is recorded as unreadable, and re-extracted once repaired.
      await Deno.writeFile(`${images}/img_4.png`, new TextEncoder().encode("not a png"));
      const corrupt = await extractFeatures(options(work, images).opts);
      assert.equal(corrupt.computed, 1);
      const k = await loadFeatures(corrupt.dir);
      assert.equal(k.imageOk[4], 0);
      assert.match(k.images[4].error!, /^unreadable: /);
      await drawImage(`${images}/img_4.png`, 4);
      const repaired = await extractFeatures(options(work, images).opts);
      assert.equal(repaired.computed, 1);
      const rep = await loadFeatures(repaired.dir);
      assert.equal(rep.imageOk[4], 1);
      assert.deepEqual(row(rep.image, 4), row(a.image, 4));

      // 7. A removed image: its row loses its image features (text kept).
      await Deno.remove(`${images}/img_11.png`);
      const removed = await extractFeatures(options(work, images).opts);
      assert.equal(removed.computed, 1);
      const rem = await loadFeatures(removed.dir);
      assert.equal(rem.imageOk[11], 0);
      assert.ok(row(rem.image, 11).every((v) => v === 0));
      assert.deepEqual(row(rem.text, 11), row(a.text, 11));
      assert.equal(rem.images[11].error, "missing: no such file");

      // 8. --force rebuilds everything.
      const forced = await extractFeatures(options(work, images, { force: true }).opts);
      assert.deepEqual([forced.computed, forced.reextracted], [N, 0]);
    }),
});

Deno.test({
  name: "store checksums: damaged chunks and manifests are named, repaired row by row, --verify",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withWork(async (work) => {
      const images = `${work}/Images`;
      await Deno.mkdir(images);
      for (let i = 0; i < N; i++) await drawImage(`${images}/img_${i}.png`, i);
      const done = await extractFeatures(options(work, images).opts);
      const dir = done.dir;
      const good = await loadFeatures(dir);
      const chunks = done.manifest!.chunks;
      assert.deepEqual(chunks.map((c) => [c.first, c.rows]), [[0, 8], [8, 8], [16, 8]]);
      const path = `${dir}/chunks/${chunks[1].file}`;
      const original = await Deno.readFile(path);

      // Zero-filled bytes inside a chunk, written as any tool would (a new modification time).
      const zeroed = original.slice();
      zeroed.fill(0, 4096, 4096 + 8192);
      await Deno.writeFile(path, zeroed);
      await assert.rejects(loadFeatures(dir), (e: Error) => {
        assert.ok(e instanceof FeatureStoreError);
        assert.equal(e.file, path);
        assert.match(e.message, /is damaged: checksum mismatch .*\(rows 8–15\).*deno task extract/);
        return true;
      });
      // Extraction names the file and re-extracts exactly its 8 rows.
      const { opts, logs } = options(work, images);
      const fixed = await extractFeatures(opts);
      assert.equal(fixed.computed, 8);
      assert.ok(logs.some((l) => l.includes(chunks[1].file) && l.includes("re-extracting its 8")));
      assert.deepEqual((await loadFeatures(dir)).image, good.image);
      assert.deepEqual(await Deno.readFile(path), original); // the same bytes, the same name

      // The same damage with the modification time put back: only --verify hashes it.
      const recorded = new Date(fixed.manifest!.chunks[1].mtimeMs);
      await Deno.writeFile(path, zeroed);
      await Deno.utime(path, recorded, recorded);
      await loadFeatures(dir); // size and time unchanged: trusted without hashing
      await assert.rejects(loadFeatures(dir, { verify: true }), /checksum mismatch/);
      const verified = await extractFeatures(options(work, images, { verify: true }).opts);
      assert.equal(verified.computed, 8);

      // Truncated: a size mismatch, named.
      await Deno.writeFile(path, original.subarray(0, 1000));
      await assert.rejects(
        loadFeatures(dir),
        /chunks\/000008-8-.*is damaged: 1000 bytes, expected/,
      );
      assert.equal((await extractFeatures(options(work, images).opts)).computed, 8);

      // NaN written over a value (size and time kept): caught on load even without --verify.
      const nan = original.slice();
      const headerLength = Number(new DataView(nan.buffer).getBigUint64(0, true));
      new DataView(nan.buffer).setFloat32(8 + headerLength + 8 * 4 + 40, NaN, true);
      await Deno.writeFile(path, nan);
      const current = new Date(
        JSON.parse(await Deno.readTextFile(`${dir}/manifest.json`)).chunks[1].mtimeMs,
      );
      await Deno.utime(path, current, current);
      await assert.rejects(loadFeatures(dir), /row 8 \(img_8\.png\) has a non-finite image value/);
      await Deno.writeFile(path, original);

      // A truncated manifest: named, and rebuilt from the chunks without extracting anything.
      const manifest = await Deno.readTextFile(`${dir}/manifest.json`);
      await Deno.writeTextFile(`${dir}/manifest.json`, manifest.slice(0, 500));
      await assert.rejects(
        loadFeatures(dir),
        /manifest\.json is damaged \(.*JSON.*deno task extract/,
      );
      const rebuilt = await extractFeatures(options(work, images).opts);
      assert.equal(rebuilt.computed, 0);
      assert.deepEqual((await loadFeatures(dir)).image, good.image);

      // A damaged prompt file: named.
      await Deno.writeFile(`${dir}/prompts.safetensors`, new Uint8Array(16));
      await assert.rejects(loadFeatures(dir), /prompts\.safetensors is damaged/);
    }),
});

Deno.test({
  name:
    "extraction in 3 shards + consolidation gives the same store as one run; consolidation is idempotent",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withWork(async (work) => {
      const images = `${work}/Images`;
      await Deno.mkdir(images);
      for (let i = 0; i < N; i++) if (i !== 13) await drawImage(`${images}/img_${i}.png`, i);
      const whole = await extractFeatures(options(`${work}/one`, images).opts);

      const sharded = `${work}/sharded`;
      const written: string[][] = [];
      const shard = async (index: number) => {
        const files: string[] = [];
        const r = await extractFeatures(
          options(sharded, images, {
            shard: { index, count: 3 },
            onBatchWritten: () => {},
          }).opts,
        );
        assert.equal(r.manifest, null);
        assert.equal(r.computed, 8);
        for (const f of await listDir(`${r.dir}/chunks`)) {
          const first = Number(f.split("-")[0]);
          if (first >= (index - 1) * 8 && first < index * 8) files.push(f);
        }
        written.push(files);
        return r;
      };
      // Shards 1 and 3 first: consolidating now names the missing rows.
      const [s1] = await Promise.all([shard(1), shard(3)]);
      await assert.rejects(
        consolidateFeatures(options(sharded, images).opts),
        /8 of 24 memes are not extracted .*rows 8–15/,
      );
      await assert.rejects(loadFeatures(s1.dir), /incomplete/);
      await shard(2);
      // Every shard wrote its own chunk files (batches of 4: two each), none shared.
      assert.deepEqual(written.map((w) => w.length), [2, 2, 2]);
      assert.equal(new Set(written.flat()).size, 6);

      const m = await consolidateFeatures(options(sharded, images).opts);
      assert.equal(s1.key, whole.key);
      // Same chunk files, byte for byte; same manifest except file times.
      const one = whole.dir;
      assert.deepEqual(await listDir(`${s1.dir}/chunks`), await listDir(`${one}/chunks`));
      for (const f of await listDir(`${one}/chunks`)) {
        assert.deepEqual(
          await Deno.readFile(`${s1.dir}/chunks/${f}`),
          await Deno.readFile(`${one}/chunks/${f}`),
        );
      }
      const fileTimes = (x: typeof m) => ({
        ...x,
        chunks: x.chunks.map((c) => ({ ...c, mtimeMs: 0 })),
        files: { ...x.files, prompts: { ...x.files.prompts, mtimeMs: 0 } },
      });
      assert.deepEqual(fileTimes(m), fileTimes(whole.manifest!));
      for (const f of ["prompts.safetensors", "missing-images.tsv", "store.json"]) {
        assert.deepEqual(await Deno.readFile(`${s1.dir}/${f}`), await Deno.readFile(`${one}/${f}`));
      }
      // Idempotent: a second consolidation changes nothing.
      const before = await Deno.readTextFile(`${s1.dir}/manifest.json`);
      await consolidateFeatures(options(sharded, images).opts);
      assert.equal(await Deno.readTextFile(`${s1.dir}/manifest.json`), before);
      const x = await loadFeatures(s1.dir), y = await loadFeatures(one);
      assert.deepEqual([x.image, x.text, x.imageOk], [y.image, y.text, y.imageOk]);
      assert.equal(x.imageOk[13], 0);
    }),
});

Deno.test({
  name: "missing-images.tsv: the same reason for the same file on every run, batch size or shard",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withWork(async (work) => {
      const images = `${work}/Images`;
      await Deno.mkdir(images);
      for (let i = 0; i < N; i++) {
        if (i % 6 === 1) continue; // missing
        if (i % 6 === 2) await Deno.writeFile(`${images}/img_${i}.png`, new Uint8Array(0));
        else if (i % 6 === 3) await Deno.writeTextFile(`${images}/img_${i}.png`, "GIF89a junk");
        else if (i % 6 === 4) await Deno.mkdir(`${images}/img_${i}.png`);
        else if (i % 6 === 5) await Deno.writeTextFile(`${images}/img_${i}.png`, "<html>");
        else await drawImage(`${images}/img_${i}.png`, i);
      }
      const tsvOf = async (dir: string) => await Deno.readTextFile(`${dir}/missing-images.tsv`);
      const a = await extractFeatures(options(`${work}/a`, images, { batchSize: 4 }).opts);
      const b = await extractFeatures(options(`${work}/b`, images, { batchSize: 7 }).opts);
      for (const index of [1, 2]) {
        await extractFeatures(options(`${work}/c`, images, { shard: { index, count: 2 } }).opts);
      }
      await consolidateFeatures(options(`${work}/c`, images).opts);
      const tsv = await tsvOf(a.dir);
      assert.equal(await tsvOf(b.dir), tsv);
      assert.equal(await tsvOf(b.dir.replace(`${work}/b`, `${work}/c`)), tsv);
      const lines = tsv.trimEnd().split("\n");
      assert.equal(lines[0], "row\tname\tpath\treason");
      assert.equal(lines.length, 1 + 20);
      const reason = (r: number) => lines.find((l) => l.startsWith(`${r}\t`))!.split("\t")[3];
      assert.equal(reason(1), "missing: no such file");
      assert.equal(reason(2), "unreadable: empty file");
      assert.equal(reason(3), "unreadable: damaged or unsupported GIF data (11 bytes)");
      assert.equal(reason(4), "missing: not a file");
      assert.equal(reason(5), "unreadable: not an image (no known image signature, 6 bytes)");
      assert.equal(reason(7), "missing: no such file");
      for (const line of lines.slice(1)) {
        assert.ok(!line.includes(work), "paths relative to the images root");
      }
    }),
});
