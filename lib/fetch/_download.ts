/**
 * A resumable HTTP download: bytes go to `<dest>.part` as they arrive, a broken connection is
 * resumed with an HTTP `Range` request, and the file is renamed to `dest` only when complete.
 * Google Drive's "can't scan this file for viruses" page is recognised and its download form
 * followed.
 *
 * @module
 */
import { Progress } from "../util/mod.ts";

/** Why a download failed: the network (retried, then given up) or the file itself. */
export type DownloadFailure = "network" | "unavailable";

/** A download that did not complete. */
export class DownloadError extends Error {
  /** Creates the error. */
  constructor(readonly kind: DownloadFailure, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "DownloadError";
  }
}

/** Options for {@linkcode downloadResumable}. */
export interface DownloadOptions {
  /** Consecutive failed requests (none gaining any bytes) before giving up (default 5). */
  readonly attempts?: number;
  /** Wait before the first retry, doubled for each further one (default 1000 ms). */
  readonly retryDelayMs?: number;
  /** Abort a request after this long without data, then resume (default 60 s). */
  readonly idleTimeoutMs?: number;
  /** Status messages (default: stderr). */
  readonly log?: (line: string) => void;
  /** Progress output; `null` for silence (default: stderr). */
  readonly progressWrite?: ((line: string) => void) | null;
}

/** What {@linkcode downloadResumable} did. */
export interface DownloadResult {
  /** Size of the finished file. */
  readonly bytes: number;
  /** Bytes already in `<dest>.part` when the first request went out. */
  readonly resumedFrom: number;
  /** Requests made, failed ones included (Drive's confirmation hop not counted). */
  readonly requests: number;
}

const MB = 1_000_000;

/**
 * Downloads `url` to `dest`, resuming a `<dest>.part` left by an earlier run. HTTP 404/403/410 and
 * pages that are not the file throw {@linkcode DownloadError} `unavailable` at once; connection
 * failures, 5xx answers and stalls are retried with back-off and end as `network`.
 */
export async function downloadResumable(
  url: string,
  dest: string,
  opts: DownloadOptions = {},
): Promise<DownloadResult> {
  const attempts = opts.attempts ?? 5;
  const log = opts.log ?? ((line: string) => console.error(line));
  const part = `${dest}.part`;
  const resumedFrom = await fileSize(part);
  // Only failures that gained no bytes count against `attempts`: a long download over a flaky
  // link may break many times and still finish.
  let failures = 0;
  let requests = 0;
  let lastError: unknown;
  while (true) {
    const before = await fileSize(part);
    requests++;
    try {
      await requestOnce(url, part, opts);
      await Deno.rename(part, dest);
      return { bytes: await fileSize(dest), resumedFrom, requests };
    } catch (e) {
      if (e instanceof DownloadError && e.kind === "unavailable") throw e;
      lastError = e;
    }
    const now = await fileSize(part);
    failures = now > before ? 1 : failures + 1;
    if (failures >= attempts) break;
    const wait = (opts.retryDelayMs ?? 1000) * 2 ** (failures - 1);
    log(
      `request failed (${errorText(lastError)}); ${now > 0 ? "resuming" : "retrying"} in ${
        wait / 1000
      }s (${failures}/${attempts})`,
    );
    await new Promise((r) => setTimeout(r, wait));
  }
  const kept = await fileSize(part);
  throw new DownloadError(
    "network",
    `download failed after ${attempts} attempts without progress: ${errorText(lastError)}${
      kept > 0 ? ` (${kept} bytes kept in ${part}; the next run resumes from there)` : ""
    }`,
    { cause: lastError },
  );
}

/** One request: continues `part` from its current size until the body ends. */
async function requestOnce(url: string, part: string, opts: DownloadOptions): Promise<void> {
  const idleMs = opts.idleTimeoutMs ?? 60_000;
  let offset = await fileSize(part);
  const abort = new AbortController();
  let idle = setTimeout(() => abort.abort(new Error(`no data for ${idleMs / 1000}s`)), idleMs);
  const touch = () => {
    clearTimeout(idle);
    idle = setTimeout(() => abort.abort(new Error(`no data for ${idleMs / 1000}s`)), idleMs);
  };
  try {
    const res = await openDownload(url, offset, abort.signal);
    if (res.status === 416) {
      await res.body?.cancel();
      // Nothing left past our offset: the part file already holds the whole file. (If it were
      // wrong, verification of the archive catches it.)
      if (offset > 0) return;
      throw new DownloadError("unavailable", `${url} answered HTTP 416 to a plain request`);
    }
    let total: number | undefined;
    if (res.status === 206) {
      const range = /^bytes (\d+)-\d+\/(\d+|\*)/.exec(res.headers.get("content-range") ?? "");
      if (!range || Number(range[1]) !== offset) {
        await res.body?.cancel();
        await Deno.truncate(part, 0).catch(() => {});
        throw new Error(
          `server resumed at an unexpected range: ${res.headers.get("content-range")}`,
        );
      }
      total = range[2] === "*" ? undefined : Number(range[2]);
    } else {
      // A plain 200 is the whole file: the server ignored (or we sent no) Range.
      offset = 0;
      const length = res.headers.get("content-length");
      total = length === null ? undefined : Number(length);
    }
    const file = await Deno.open(part, {
      write: true,
      create: true,
      append: offset > 0,
      truncate: offset === 0,
    });
    const progress = new Progress({
      label: "downloading PrideMM",
      total: total === undefined ? undefined : Math.ceil(total / MB),
      unit: "MB",
      initial: Math.floor(offset / MB),
      write: opts.progressWrite,
    });
    let written = offset;
    try {
      for await (const chunk of res.body ?? []) {
        touch();
        await writeAll(file, chunk);
        const before = Math.floor(written / MB);
        written += chunk.length;
        const mbDone = Math.floor(written / MB) - before;
        if (mbDone > 0) progress.tick(mbDone);
      }
    } finally {
      file.close();
    }
    if (total !== undefined && written !== total) {
      throw new Error(`connection closed after ${written} of ${total} bytes`);
    }
    progress.finish();
  } finally {
    clearTimeout(idle);
  }
}

/**
 * Sends the request (with `Range` when resuming) and, when Google Drive answers with its HTML
 * confirmation page instead of the file, submits the page's download form once.
 */
async function openDownload(url: string, offset: number, signal: AbortSignal): Promise<Response> {
  let target = url;
  for (let hop = 0; hop < 2; hop++) {
    const headers: HeadersInit = offset > 0 ? { range: `bytes=${offset}-` } : {};
    let res: Response;
    try {
      res = await fetch(target, { headers, signal, redirect: "follow" });
    } catch (e) {
      throw new Error(`cannot reach ${new URL(target).host}: ${errorText(e)}`, { cause: e });
    }
    if ([401, 403, 404, 410].includes(res.status)) {
      await res.body?.cancel();
      throw new DownloadError(
        "unavailable",
        `${target} answered HTTP ${res.status} ${res.statusText}`,
      );
    }
    if (res.status >= 500 || res.status === 429) {
      await res.body?.cancel();
      throw new Error(`HTTP ${res.status} ${res.statusText}`);
    }
    if (res.status !== 200 && res.status !== 206 && res.status !== 416) {
      await res.body?.cancel();
      throw new DownloadError(
        "unavailable",
        `${target} answered HTTP ${res.status} ${res.statusText}`,
      );
    }
    if (!(res.headers.get("content-type") ?? "").includes("text/html")) return res;
    const page = await res.text();
    const next = driveConfirmUrl(page, target);
    if (next === null) {
      const title = /<title>([^<]*)<\/title>/i.exec(page)?.[1]?.trim();
      throw new DownloadError(
        "unavailable",
        `${target} returned a web page instead of the file${
          title ? ` ("${title}")` : ""
        }; the file may be private, removed or over its download quota`,
      );
    }
    target = next;
  }
  throw new DownloadError("unavailable", `${url} keeps returning a confirmation page`);
}

/**
 * The URL behind Google Drive's download-confirmation page (its `<form>` with hidden `id`,
 * `export`, `confirm` and `uuid` inputs), or `null` when the page has no such form.
 */
export function driveConfirmUrl(html: string, pageUrl: string): string | null {
  const form = /<form[^>]*\baction="([^"]+)"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) return null;
  const action = new URL(decodeEntities(form[1]), pageUrl);
  for (const input of form[2].matchAll(/<input[^>]*>/gi)) {
    const tag = input[0];
    if (!/type="hidden"/i.test(tag)) continue;
    const name = /\bname="([^"]*)"/i.exec(tag)?.[1];
    const value = /\bvalue="([^"]*)"/i.exec(tag)?.[1] ?? "";
    if (name) action.searchParams.set(decodeEntities(name), decodeEntities(value));
  }
  return action.href;
}

function decodeEntities(s: string): string {
  return s.replaceAll("&amp;", "&").replaceAll("&quot;", '"').replaceAll("&#39;", "'");
}

async function writeAll(file: Deno.FsFile, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await file.write(data.subarray(off));
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await Deno.stat(path)).size;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return 0;
    throw e;
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
