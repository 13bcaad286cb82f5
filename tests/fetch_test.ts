import assert from "node:assert/strict";
import { join } from "node:path";
import sharp from "sharp";
import { FetchError, type FetchOptions, fetchPrideMM } from "../lib/fetch/mod.ts";
import { loadPrideMM } from "../lib/data/mod.ts";
import { downloadResumable, driveConfirmUrl } from "../lib/fetch/_download.ts";
import { PRIDEMM_VIEW_URL } from "../lib/fetch/fetch.ts";
import { ZipError, ZipReader } from "../lib/fetch/_zip.ts";
import { REPO_ROOT } from "../lib/util/mod.ts";
import { makeZip, type ZipInput } from "./fixtures/fetch/zip_writer.ts";

// ---- fixture archive: four tiny PNGs and their CSV, in a PrideMM-like layout -----------------

const CSV = [
  "name,hate,target,stance,humour,split,text",
  "img_1.png,0,NA,1,1,train,love wins",
  "img_2.png,1,2,2,0,train,None",
  'img_3.png,1,0,0,1,val,"a, b"',
  "img_4.png,0,NA,0,0,test,hello",
  "",
].join("\n");

const COLOURS = [[230, 30, 30], [30, 200, 30], [30, 30, 230], [250, 200, 0]];
const IMAGES: Uint8Array[] = await Promise.all(COLOURS.map(async ([r, g, b]) =>
  new Uint8Array(
    await sharp({ create: { width: 4, height: 4, channels: 3, background: { r, g, b } } })
      .png().toBuffer(),
  )
));

function archiveFiles(
  { csv = CSV, images = [1, 2, 3, 4] }: { csv?: string; images?: number[] } = {},
): ZipInput[] {
  return [
    { name: "PrideMM/", data: "", method: "store" },
    { name: "PrideMM/PrideMM.csv", data: csv },
    { name: "__MACOSX/PrideMM/._PrideMM.csv", data: "\0\x05\x16\x07 resource fork" },
    { name: "PrideMM/README.txt", data: "PrideMM images" },
    ...images.map((i) => ({
      name: `PrideMM/Images/img_${i}.png`,
      data: IMAGES[i - 1],
      method: i % 2 ? "store" as const : "deflate" as const,
    })),
  ];
}
const ARCHIVE = await makeZip(archiveFiles());

// ---- a local HTTP server ---------------------------------------------------------------------

interface Hit {
  readonly path: string;
  readonly range: string | null;
  readonly query: string;
}
type Route = (req: Request, hit: number) => Response | Promise<Response>;

/** Answers with `bytes`, honouring `Range: bytes=N-` unless told to ignore it. */
function serveBytes(req: Request, bytes: Uint8Array, ignoreRange = false): Response {
  const m = /^bytes=(\d+)-$/.exec(req.headers.get("range") ?? "");
  const type = { "content-type": "application/zip" };
  if (!m || ignoreRange) return new Response(bytes.slice(), { headers: type });
  const start = Number(m[1]);
  if (start >= bytes.length) {
    return new Response(null, {
      status: 416,
      headers: { "content-range": `bytes */${bytes.length}` },
    });
  }
  return new Response(bytes.slice(start), {
    status: 206,
    headers: { ...type, "content-range": `bytes ${start}-${bytes.length - 1}/${bytes.length}` },
  });
}

/** Sends the first `cut` bytes of a `bytes.length` response, then drops the connection. */
function serveCut(bytes: Uint8Array, cut: number): Response {
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(bytes.slice(0, cut));
      setTimeout(() => c.close(), 10); // short of Content-Length: the connection is aborted
    },
  });
  return new Response(body, {
    headers: { "content-type": "application/zip", "content-length": String(bytes.length) },
  });
}

async function withServer(
  routes: Record<string, Route>,
  fn: (base: string, hits: Hit[], out: string) => Promise<void>,
): Promise<void> {
  const hits: Hit[] = [];
  const counts = new Map<string, number>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const url = new URL(req.url);
    hits.push({ path: url.pathname, range: req.headers.get("range"), query: url.search });
    const n = (counts.get(url.pathname) ?? 0) + 1;
    counts.set(url.pathname, n);
    const route = routes[url.pathname];
    return route ? route(req, n) : new Response("not found", { status: 404 });
  });
  const out = await Deno.makeTempDir({ prefix: "memesense-fetch-" });
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`, hits, join(out, "PrideMM"));
  } finally {
    await server.shutdown();
    await Deno.remove(out, { recursive: true });
  }
}

function quiet(log: string[] = []): Partial<FetchOptions> {
  return { log: (l) => log.push(l), progressWrite: null, retryDelayMs: 1, attempts: 3 };
}

async function assertUnpacked(out: string): Promise<void> {
  assert.equal(await Deno.readTextFile(join(out, "PrideMM.csv")), CSV);
  const names = [...Deno.readDirSync(join(out, "Images"))].map((e) => e.name).sort();
  assert.deepEqual(names, ["img_1.png", "img_2.png", "img_3.png", "img_4.png"]);
  for (let i = 1; i <= 4; i++) {
    assert.deepEqual(await Deno.readFile(join(out, "Images", `img_${i}.png`)), IMAGES[i - 1]);
  }
  const ds = await loadPrideMM(join(out, "PrideMM.csv"));
  assert.deepEqual(ds.memes.map((m) => m.text), ["love wins", null, "a, b", "hello"]);
}

function listing(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  } catch {
    return [];
  }
}

async function fetchError(opts: FetchOptions): Promise<FetchError> {
  const e = await fetchPrideMM(opts).then(() => assert.fail("fetch succeeded"), (e) => e);
  assert.ok(e instanceof FetchError, String(e));
  return e;
}

// ---- tests -----------------------------------------------------------------------------------

Deno.test("downloads, verifies and unpacks the archive; a second run does nothing", async () => {
  await withServer(
    { "/PrideMM.zip": (req) => serveBytes(req, ARCHIVE) },
    async (base, hits, out) => {
      const log: string[] = [];
      const r = await fetchPrideMM({ url: `${base}/PrideMM.zip`, outDir: out, ...quiet(log) });
      assert.deepEqual(r, {
        csvPath: join(out, "PrideMM.csv"),
        imageDir: join(out, "Images"),
        memes: 4,
        images: 4,
        missing: 0,
        alreadyPresent: false,
        downloadedBytes: ARCHIVE.length,
      });
      await assertUnpacked(out);
      // the download is deleted after unpacking, nothing half-done is left
      assert.deepEqual(listing(out), ["Images", "PrideMM.csv"]);
      assert.ok(log.some((l) => l.includes("left out 1 archive files")), log.join("\n"));
      assert.deepEqual(hits, [{ path: "/PrideMM.zip", range: null, query: "" }]);

      const again = await fetchPrideMM({ url: `${base}/PrideMM.zip`, outDir: out, ...quiet() });
      assert.equal(again.alreadyPresent, true);
      assert.equal(hits.length, 1);
    },
  );
});

Deno.test("a connection broken mid-download is resumed with a Range request", async () => {
  const cut = Math.floor(ARCHIVE.length / 2);
  await withServer({
    "/PrideMM.zip": (req, n) => n === 1 ? serveCut(ARCHIVE, cut) : serveBytes(req, ARCHIVE),
  }, async (base, hits, out) => {
    const log: string[] = [];
    const r = await fetchPrideMM({ url: `${base}/PrideMM.zip`, outDir: out, ...quiet(log) });
    assert.deepEqual(hits.map((h) => h.range), [null, `bytes=${cut}-`]);
    assert.equal(r.downloadedBytes, ARCHIVE.length);
    assert.ok(
      log.some((l) => l.startsWith("request failed") && l.includes("resuming")),
      log.join("\n"),
    );
    await assertUnpacked(out);
  });
});

Deno.test("a .part from an earlier run is resumed; a server ignoring Range restarts it", async () => {
  const kept = 700;
  await withServer({
    "/PrideMM.zip": (req) => serveBytes(req, ARCHIVE),
    "/no-range.zip": (req) => serveBytes(req, ARCHIVE, true),
  }, async (base, hits, out) => {
    await Deno.mkdir(out, { recursive: true });
    await Deno.writeFile(join(out, "PrideMM.zip.part"), ARCHIVE.slice(0, kept));
    const r = await fetchPrideMM({ url: `${base}/PrideMM.zip`, outDir: out, ...quiet() });
    assert.deepEqual(hits.map((h) => h.range), [`bytes=${kept}-`]);
    assert.equal(r.downloadedBytes, ARCHIVE.length - kept);
    await assertUnpacked(out);

    // garbage in the .part must not survive a server that answers 200 to a Range request
    await Deno.remove(out, { recursive: true });
    await Deno.mkdir(out);
    await Deno.writeFile(join(out, "PrideMM.zip.part"), new Uint8Array(kept).fill(0x55));
    await fetchPrideMM({ url: `${base}/no-range.zip`, outDir: out, ...quiet() });
    await assertUnpacked(out);
  });
});

Deno.test("short 206 answers are continued until the file is complete", async () => {
  // A server that sends at most 400 bytes per answer, with honest lengths: each answer ends
  // cleanly, so only the Content-Range total tells the download it is not finished. Every
  // answer gains bytes, so more requests than `attempts` are fine.
  const kept = 100;
  await withServer({
    "/PrideMM.zip": (req) => {
      const start = Number(/^bytes=(\d+)-$/.exec(req.headers.get("range") ?? "")![1]);
      const end = Math.min(start + 400, ARCHIVE.length);
      return new Response(ARCHIVE.slice(start, end), {
        status: 206,
        headers: { "content-range": `bytes ${start}-${end - 1}/${ARCHIVE.length}` },
      });
    },
  }, async (base, hits, out) => {
    await Deno.mkdir(out, { recursive: true });
    await Deno.writeFile(join(out, "PrideMM.zip.part"), ARCHIVE.slice(0, kept));
    await fetchPrideMM({ url: `${base}/PrideMM.zip`, outDir: out, ...quiet(), attempts: 2 });
    const starts = hits.map((h) => Number(/\d+/.exec(h.range!)![0]));
    assert.deepEqual(starts, Array.from({ length: starts.length }, (_, i) => kept + 400 * i));
    assert.equal(starts.length, Math.ceil((ARCHIVE.length - kept) / 400));
    assert.ok(starts.length > 2);
    await assertUnpacked(out);
  });
});

Deno.test("a stalled connection is abandoned after the idle timeout and resumed", async () => {
  const cut = 300;
  await withServer({
    "/PrideMM.zip": (req, n) => {
      if (n > 1) return serveBytes(req, ARCHIVE);
      // headers and a few bytes, then silence until the client gives up
      const body = new ReadableStream<Uint8Array>({
        start: (c) => c.enqueue(ARCHIVE.slice(0, cut)),
      });
      return new Response(body, { headers: { "content-length": String(ARCHIVE.length) } });
    },
  }, async (base, hits, out) => {
    await Deno.mkdir(out, { recursive: true });
    const log: string[] = [];
    const dest = join(out, "PrideMM.zip");
    const r = await downloadResumable(`${base}/PrideMM.zip`, dest, {
      idleTimeoutMs: 1000, // generous: a busy machine must not trip it early
      retryDelayMs: 1,
      log: (l) => log.push(l),
      progressWrite: null,
    });
    assert.deepEqual(r, { bytes: ARCHIVE.length, resumedFrom: 0, requests: 2 });
    assert.deepEqual(hits.map((h) => h.range), [null, `bytes=${cut}-`]);
    assert.match(log[0], /no data for 1s/);
    assert.deepEqual(await Deno.readFile(dest), ARCHIVE);
  });
});

Deno.test("Google Drive's download-confirmation page is followed", async () => {
  const page = `<!DOCTYPE html><html><head><title>Google Drive - Virus scan warning</title></head>
    <body><p>Google Drive can't scan this file for viruses.</p>
    <form id="download-form" action="/download" method="get">
    <input type="submit" id="uc-download-link" value="Download anyway">
    <input type="hidden" name="id" value="abc"><input type="hidden" name="export" value="download">
    <input type="hidden" name="confirm" value="t"><input type="hidden" name="uuid" value="u-42">
    </form></body></html>`;
  await withServer({
    "/uc": () => new Response(page, { headers: { "content-type": "text/html; charset=utf-8" } }),
    "/download": (req) => serveBytes(req, ARCHIVE),
  }, async (base, hits, out) => {
    await fetchPrideMM({ url: `${base}/uc?id=abc`, outDir: out, ...quiet() });
    assert.deepEqual(hits.map((h) => h.path), ["/uc", "/download"]);
    assert.equal(hits[1].query, "?id=abc&export=download&confirm=t&uuid=u-42");
    await assertUnpacked(out);
  });
  assert.equal(
    driveConfirmUrl(
      '<form action="https://drive.usercontent.google.com/download?x=1&amp;y=2"><input type="hidden" name="id" value="Q"></form>',
      "https://drive.google.com/uc",
    ),
    "https://drive.usercontent.google.com/download?x=1&y=2&id=Q",
  );
  assert.equal(driveConfirmUrl("<html><title>Quota exceeded</title></html>", "https://x/"), null);
});

Deno.test("a failed first download leaves no empty data folder; an existing one is kept", async () => {
  await withServer({}, async (base, _, out) => {
    const e = await fetchError({ url: `${base}/PrideMM.zip`, outDir: out, ...quiet() });
    assert.equal(e.kind, "unavailable");
    await assert.rejects(Deno.stat(out), Deno.errors.NotFound, "no empty folder left behind");
    // A folder that was there before the fetch is the user's: it stays.
    await Deno.mkdir(out);
    await fetchError({ url: `${base}/PrideMM.zip`, outDir: out, ...quiet() });
    assert.deepEqual(listing(out), []);
    assert.ok((await Deno.stat(out)).isDirectory);
  });
});

Deno.test("a truncated archive fails verification and the download is deleted", async () => {
  const partial = ARCHIVE.slice(0, Math.floor(ARCHIVE.length * 0.6));
  await withServer({ "/PrideMM.zip": (req) => serveBytes(req, partial) }, async (base, _, out) => {
    const e = await fetchError({ url: `${base}/PrideMM.zip`, outDir: out, ...quiet() });
    assert.equal(e.kind, "corrupt");
    assert.match(
      e.message,
      /archive verification failed: .*PrideMM\.zip: not a zip archive, or a truncated one/,
    );
    assert.match(e.message, /the damaged download was deleted/);
    assert.deepEqual(listing(out), []);
  });
});

Deno.test("a corrupt image entry fails its CRC-32 check and leaves no images behind", async () => {
  // img_3 is stored, so its bytes appear verbatim in the archive: flip one of them
  const bad = ARCHIVE.slice();
  const at = indexOf(bad, IMAGES[2]) + 40;
  bad[at] ^= 0xff;
  await withServer({ "/PrideMM.zip": (req) => serveBytes(req, bad) }, async (base, _, out) => {
    const e = await fetchError({ url: `${base}/PrideMM.zip`, outDir: out, ...quiet() });
    assert.equal(e.kind, "corrupt");
    assert.ok(e.cause instanceof ZipError);
    assert.match(e.message, /PrideMM\.zip!PrideMM\/Images\/img_3\.png: CRC-32 mismatch/);
    assert.deepEqual(listing(out), []);
  });
});

Deno.test("a bad row in the archive's CSV is reported with entry, line and field", async () => {
  const csv = CSV.replace("img_3.png,1,0,0,1,val", "img_3.png,1,0,5,1,val");
  const zip = await makeZip(archiveFiles({ csv }));
  await withServer({ "/PrideMM.zip": (req) => serveBytes(req, zip) }, async (base, _, out) => {
    const e = await fetchError({ url: `${base}/PrideMM.zip`, outDir: out, ...quiet() });
    assert.equal(e.kind, "corrupt");
    assert.match(
      e.message,
      /PrideMM\.zip!PrideMM\/PrideMM\.csv:4: field "stance": expected an integer label 0–2, got "5"/,
    );
  });
});

Deno.test("an archive without the annotation CSV is refused", async () => {
  const zip = await makeZip([
    { name: "notes.csv", data: "a,b\n1,2\n" },
    { name: "Images/img_1.png", data: IMAGES[0] },
  ]);
  await withServer({ "/PrideMM.zip": (req) => serveBytes(req, zip) }, async (base, _, out) => {
    const e = await fetchError({ url: `${base}/PrideMM.zip`, outDir: out, ...quiet() });
    assert.match(
      e.message,
      /no CSV with the columns name, hate, target, stance, humour, split, text \(CSV files in the archive: notes\.csv\)/,
    );
  });
});

Deno.test("images missing from the archive are refused, or unpacked and reported on request", async () => {
  const zip = await makeZip(archiveFiles({ images: [1, 3, 4] }));
  await withServer({ "/PrideMM.zip": (req) => serveBytes(req, zip) }, async (base, hits, out) => {
    const e = await fetchError({ url: `${base}/PrideMM.zip`, outDir: out, ...quiet() });
    assert.equal(e.kind, "corrupt");
    assert.match(
      e.message,
      /the CSV names 1 of 4 images that the archive lacks: img_2\.png \(line 3\)/,
    );
    assert.match(e.message, /--allow-missing-images/);
    // an intact but incomplete archive is kept: downloading it again would not help
    assert.deepEqual(listing(out), ["PrideMM.zip"]);

    const log: string[] = [];
    const r = await fetchPrideMM({
      url: `${base}/PrideMM.zip`,
      outDir: out,
      allowMissingImages: true,
      ...quiet(log),
    });
    assert.equal(hits.length, 1); // the kept archive was reused
    assert.deepEqual([r.memes, r.images, r.missing], [4, 3, 1]);
    assert.equal(
      await Deno.readTextFile(join(out, "missing_images.csv")),
      `name,line,split,expected_path\nimg_2.png,3,train,${out}/Images/img_2.png\n`,
    );
    assert.deepEqual(listing(join(out, "Images")), ["img_1.png", "img_3.png", "img_4.png"]);
    const again = await fetchPrideMM({
      url: `${base}/PrideMM.zip`,
      outDir: out,
      allowMissingImages: true,
      ...quiet(),
    });
    assert.deepEqual([again.alreadyPresent, again.missing], [true, 1]);
    assert.equal(hits.length, 1);
  });
});

Deno.test("404 and a Drive error page are 'unavailable' at once; 500s end as 'network'", async () => {
  await withServer({
    "/quota": () =>
      new Response("<html><head><title>Quota exceeded</title></head><body>Sorry</body></html>", {
        headers: { "content-type": "text/html" },
      }),
    "/busy": () => new Response("busy", { status: 503 }),
  }, async (base, hits, out) => {
    const gone = await fetchError({ url: `${base}/gone.zip`, outDir: out, ...quiet() });
    assert.equal(gone.kind, "unavailable");
    assert.match(gone.message, /gone\.zip answered HTTP 404/);
    const quota = await fetchError({ url: `${base}/quota`, outDir: out, ...quiet() });
    assert.equal(quota.kind, "unavailable");
    assert.match(quota.message, /a web page instead of the file \("Quota exceeded"\)/);
    assert.deepEqual(hits.map((h) => h.path), ["/gone.zip", "/quota"]);
    const busy = await fetchError({ url: `${base}/busy`, outDir: out, ...quiet() });
    assert.equal(busy.kind, "network");
    assert.match(busy.message, /download failed after 3 attempts without progress: HTTP 503/);
    assert.equal(hits.filter((h) => h.path === "/busy").length, 3);
  });
});

Deno.test("a local archive is verified and unpacked, and never deleted", async () => {
  const dir = await Deno.makeTempDir({ prefix: "memesense-archive-" });
  try {
    const archive = join(dir, "download.zip");
    await Deno.writeFile(archive, ARCHIVE);
    const r = await fetchPrideMM({ archive, outDir: join(dir, "PrideMM"), ...quiet() });
    assert.equal(r.downloadedBytes, 0);
    await assertUnpacked(join(dir, "PrideMM"));
    assert.deepEqual(await Deno.readFile(archive), ARCHIVE);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the zip reader reads ZIP64 archives, stored and deflated entries alike", async () => {
  const dir = await Deno.makeTempDir({ prefix: "memesense-zip-" });
  try {
    const big = new Uint8Array(200_000).map((_, i) => (i * 7) % 256);
    for (const zip64 of [false, true]) {
      const path = join(dir, `t${zip64}.zip`);
      await Deno.writeFile(
        path,
        await makeZip([
          { name: "a/stored.bin", data: big, method: "store" },
          { name: "a/deflated.bin", data: big },
          { name: "ünïcode.txt", data: "x" },
        ], { zip64 }),
      );
      using zip = await ZipReader.open(path);
      assert.deepEqual(zip.entries.map((e) => [e.name, e.method, e.size]), [
        ["a/stored.bin", 0, 200_000],
        ["a/deflated.bin", 8, 200_000],
        ["ünïcode.txt", 8, 1],
      ]);
      assert.ok(zip.entries[1].compressedSize < 200_000);
      assert.deepEqual(await zip.read(zip.entries[0]), big);
      assert.deepEqual(await zip.read(zip.entries[1]), big);
    }
    await Deno.writeFile(join(dir, "not.zip"), new TextEncoder().encode("hello"));
    await assert.rejects(ZipReader.open(join(dir, "not.zip")), /not a zip archive/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fetch-data on the command line: --help, a bad flag, and manual steps on failure", async () => {
  const run = async (...args: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", "--frozen", "experiments/fetch_data.ts", ...args],
      cwd: REPO_ROOT,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = (b: Uint8Array) => new TextDecoder().decode(b);
    return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
  };
  const help = await run("--help");
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--url\s+download from this URL instead/);
  assert.match(help.stdout, /--archive/);
  const bad = await run("--outt", "x");
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown flag --outt/);
  await withServer({}, async (base, _, out) => {
    const r = await run("--url", `${base}/missing.zip`, "--out", out);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /fetch-data: file unavailable: .*missing\.zip answered HTTP 404/);
    assert.ok(r.stderr.includes(PRIDEMM_VIEW_URL), r.stderr);
    assert.ok(r.stderr.includes(join(out, "PrideMM.csv")), r.stderr);
    assert.ok(r.stderr.includes(`${join(out, "Images")}/img_1.png`), r.stderr);
  });
});

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  throw new Error("needle not found");
}
