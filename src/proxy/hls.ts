// /hls/<path>/<file> -> MediaMTX's HLS server on 127.0.0.1, as its "CDN" (hlsCDNSecret): one MediaMTX
// session per stream serves every viewer. LL-HLS blocking requests (_HLS_msn, _HLS_part) pass through;
// identical requests of many viewers share one upstream request and media files are kept for a few
// seconds (hls-shared.ts); Range requests are streamed straight through and aborted when the viewer leaves.
// The route below checks access; a viewer's further requests within 2 s take the hot path (hls-fast.ts),
// which answers through the same HlsProxy. Playlists asked for with ?share= get it added to every URI
// (playlist-uris.ts), so external players given a share link can follow it. Parts with no media (AAC over
// SRT) are marked GAP=YES in media playlists (empty-parts.ts), so players do not load them in a loop.
import { type Context, Hono } from "hono";
import { proxy } from "hono/proxy";
import { NAME_RE } from "../core/names.ts";
import { watchCheck } from "./watch-check.ts";
import { grantPass } from "./hls-pass.ts";
import { SHARE_QUERY, shareTokenOf } from "../http/session.ts";
import { withQueryParam } from "./playlist-uris.ts";
import { mediamtxUrls } from "../mediamtx/env.ts";
import { mediamtxUnavailable } from "../mediamtx/unavailable.ts";
import { type Entry, SharedFetch } from "./hls-shared.ts";
import { EmptyParts } from "./empty-parts.ts";
import { secured, SECURITY_HEADERS } from "../http/security-headers.ts";
import type { AppDeps, Env } from "../http/context.ts";

export const FILE_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const PASS_QUERY = ["_HLS_msn", "_HLS_part", "_HLS_skip"];
const PASS_HEADERS = [
  "content-type",
  "content-length",
  "content-range",
  "accept-ranges",
  "etag",
  "last-modified",
];

function contentTypeFor(file: string, upstream: string | null): string {
  if (file.endsWith(".m3u8")) return "application/vnd.apple.mpegurl";
  if (file.endsWith(".mp4") || file.endsWith(".m4s")) return "video/mp4";
  if (file.endsWith(".ts")) return "video/mp2t";
  return upstream ?? "application/octet-stream";
}

/** The viewer's headers for a MediaMTX answer (`get` reads the upstream headers). */
function clientHeaders(file: string, get: (h: string) => string | null): [string, string][] {
  const out: [string, string][] = [];
  for (const h of PASS_HEADERS) {
    const v = h === "content-type" ? contentTypeFor(file, get(h)) : get(h);
    if (v) out.push([h, v]);
  }
  // Private: content may be behind a login. Playlists change every part; segments never change.
  out.push(["cache-control", file.endsWith(".m3u8") ? "no-cache, private" : "private, max-age=60"]);
  // Every answer carries livegate's security headers (x-content-type-options among them) itself, so the
  // hot path sends it untouched.
  for (const [k, v] of SECURITY_HEADERS) out.push([k, v]);
  return out;
}

const jsonError = (status: number, error: string) => Response.json({ error }, { status });

/** The upstream query string for an HLS request (LL-HLS blocking parameters only), or an error message. */
export function upstreamQuery(get: (k: string) => string | undefined): string | { error: string } {
  const q = new URLSearchParams();
  for (const k of PASS_QUERY) {
    const v = get(k);
    if (v !== undefined) {
      if (!/^-?\d{1,12}$/.test(v) && !(k === "_HLS_skip" && /^(YES|v2)$/.test(v))) {
        return { error: `bad ${k}` };
      }
      q.set(k, v);
    }
  }
  return q.size ? `?${q}` : "";
}

/**
 * One per app: the shared upstream fetches and the mapping of MediaMTX's answers to the viewer's.
 *
 * Each upstream answer becomes one template Response (headers checked once, body copied once), and every
 * viewer gets a clone(): Deno's clone of an unread byte body shares the bytes and copies the header list
 * without checking it again. `new Response(bytes, init)` per viewer cost a copy of the body (freed only
 * when V8 collected that Response) and a header check each: at 1,000 viewers about half of livegate's
 * allocations, and what kept V8's heap and RSS near 300 MB (BENCHMARKS.md).
 */
export class HlsProxy {
  readonly shared: SharedFetch;
  readonly base: string;
  #templates = new WeakMap<Entry, Response>();
  /** Media playlists with their empty parts marked GAP=YES (empty-parts.ts), one per upstream answer. */
  #marked = new WeakMap<Entry, Promise<Entry>>();
  readonly emptyParts = new EmptyParts();

  readonly #bytes: { n: number };

  constructor(readonly deps: Pick<AppDeps, "cfg" | "secrets" | "mtxState" | "log" | "metrics">) {
    this.#bytes = deps.metrics.proxyBytesOf("hls");
    this.base = mediamtxUrls(deps.cfg).hls;
    this.shared = new SharedFetch({ authorization: `Bearer ${deps.secrets.cdn}` });
  }

  url(path: string, file: string, qs: string): string {
    return `${this.base}/${path}/${file}${qs}`;
  }

  /** The answer from memory when this media file is kept (no waiting, no upstream request). */
  kept(path: string, file: string, qs: string): Response | undefined {
    const e = this.shared.peek(this.url(path, file, qs));
    return e && this.#fromEntry(e, path, file);
  }

  /**
   * `answer` for a viewer's request: its Range header (when short enough to be one) and its abort signal.
   */
  answerRequest(path: string, file: string, qs: string, req: Request): Promise<Response> {
    const range = req.headers.get("range");
    return this.answer(path, file, qs, range && range.length < 100 ? range : undefined, req.signal);
  }

  /**
   * The viewer's answer for `file` of stream `path` (a JSON error when MediaMTX has none). `signal` ends the
   * wait when the viewer leaves (the shared upstream request goes on for the others).
   */
  async answer(
    path: string,
    file: string,
    qs: string,
    range: string | undefined,
    signal?: AbortSignal,
  ): Promise<Response> {
    try {
      if (range) {
        // Range requests go straight through; everything else is shared between viewers (hls-shared.ts).
        const res = await proxy(this.url(path, file, qs), {
          headers: { authorization: `Bearer ${this.deps.secrets.cdn}`, range },
          signal,
          redirect: "manual",
        });
        return await this.#fromResponse(res, path, file);
      }
      let e = await this.shared.get(this.url(path, file, qs), file, signal);
      if (file.endsWith(".m3u8") && e.status === 200) e = await this.#markEmptyParts(e, path);
      return this.#fromEntry(e, path, file);
    } catch (e) {
      if (signal?.aborted) return secured(new Response(null, { status: 499 }));
      return secured(mediamtxUnavailable(this.deps, `HLS upstream error: ${(e as Error).message}`));
    }
  }

  /**
   * The playlist answer `e` with its empty parts marked GAP=YES (hls.js loads an empty part in a loop:
   * empty-parts.ts). Done once per upstream answer, however many viewers share it; the parts it looks at
   * are fetched through the shared cache, where the viewers' requests for them find them.
   */
  #markEmptyParts(e: Entry, path: string): Promise<Entry> {
    let p = this.#marked.get(e);
    if (!p) {
      p = (async () => {
        const text = new TextDecoder().decode(e.body);
        const marked = await this.emptyParts.mark(text, path, async (uri) => {
          if (!FILE_RE.test(uri)) return null;
          const part = await this.shared.get(this.url(path, uri, ""), uri);
          return part.status === 200 ? part.body : null;
        });
        if (marked === text) return e;
        const body = new TextEncoder().encode(marked);
        const headers = e.headers.map(([k, v]): [string, string] =>
          k === "content-length" ? [k, String(body.byteLength)] : [k, v]
        );
        return { ...e, headers, body };
      })();
      this.#marked.set(e, p);
    }
    return p;
  }

  #error(status: number, path: string): Response | null {
    // 401 from MediaMTX here means the muxer went away (stream ended) between requests.
    if (status === 404 || status === 401 || (status >= 300 && status < 400)) {
      return secured(jsonError(404, `stream '${path}' is offline or unknown`));
    }
    if (status >= 500) return secured(jsonError(502, `MediaMTX answered ${status}`));
    // MediaMTX refuses out-of-range LL-HLS blocking requests with an empty 400.
    if (status === 400) {
      return secured(jsonError(400, "_HLS_msn/_HLS_part is out of range for this playlist"));
    }
    return null;
  }

  #fromEntry(e: Entry, path: string, file: string): Response {
    const err = this.#error(e.status, path);
    if (err) return err;
    let t = this.#templates.get(e);
    if (!t) {
      const m = new Map(e.headers);
      const headers = clientHeaders(file, (h) => m.get(h) ?? null);
      t = new Response(e.body.byteLength ? e.body : null, { status: e.status, headers });
      this.#templates.set(e, t);
    }
    this.#bytes.n += e.body.byteLength;
    return t.clone();
  }

  async #fromResponse(res: Response, path: string, file: string): Promise<Response> {
    const err = this.#error(res.status, path);
    if (err) {
      await res.body?.cancel();
      return err;
    }
    // With a known length the bytes are counted at once and the upstream body is passed on untouched, so
    // Deno streams it natively instead of pumping every chunk through JS (see BENCHMARKS.md).
    const len = Number(res.headers.get("content-length") ?? "x");
    let body: ReadableStream<Uint8Array> | null = res.body;
    if (body && Number.isSafeInteger(len) && len >= 0) this.#bytes.n += len;
    else body = this.deps.metrics.countedBody(body, "hls");
    return new Response(body, {
      status: res.status,
      headers: clientHeaders(file, (h) => res.headers.get(h)),
    });
  }
}

/**
 * The answer for `file` of `path` after the full check: the door's watch rule for `watchPath` (the stream;
 * for a quality ladder's rung path, its stream), the query MediaMTX may get, an HLS pass for the viewer's
 * next requests (hls-pass.ts), then `hls`. A refusal or a bad query is the answer instead (401/403/400).
 */
export async function checkedAnswer(
  c: Context<Env>,
  deps: Pick<AppDeps, "access" | "viewers" | "caches" | "clock">,
  hls: HlsProxy,
  watchPath: string,
  path: string,
  file: string,
): Promise<Response> {
  const checked = await watchCheck(c, deps, watchPath);
  if (checked instanceof Response) return checked;
  const qs = upstreamQuery((k) => c.req.query(k));
  if (typeof qs !== "string") return c.json(qs, 400);
  grantPass(deps, {
    token: c.get("sessionToken"),
    share: shareTokenOf(c),
    ip: c.get("clientIp") ?? "",
    path,
    viewer: checked,
    sessionExpiresAt: c.get("session")?.expiresAt ?? Infinity,
  });
  return await hls.answerRequest(path, file, qs, c.req.raw);
}

/** GET /hls/<path>/<file>: the full check, then the answer through `hls` (the app's one HlsProxy). */
export function hlsRoutes(deps: Pick<AppDeps, "access" | "viewers" | "caches" | "clock">, hls: HlsProxy) {
  const app = new Hono<Env>();

  app.get("/hls/:path/:file", async (c) => {
    const path = c.req.param("path");
    const file = c.req.param("file");
    if (!NAME_RE.test(path) || !FILE_RE.test(file)) return c.json({ error: "not found" }, 404);
    // Public streams need no login; private ones a session (401 without, 403 when not allowed); unlisted
    // ones also accept a share link (?share= or the lg_share cookie).
    const res = await checkedAnswer(c, deps, hls, path, path, file);
    // A share link given to a player in the URL (?share=): every URI of the playlist carries it too, so the
    // player's next requests (variant playlists, parts, segments) are allowed as this one was.
    const share = c.req.query(SHARE_QUERY);
    if (share !== undefined && file.endsWith(".m3u8") && res.status === 200) {
      const body = withQueryParam(await res.text(), SHARE_QUERY, share);
      const headers = new Headers(res.headers);
      headers.set("content-length", String(new TextEncoder().encode(body).byteLength));
      return new Response(body, { status: 200, headers });
    }
    return res;
  });

  app.all(
    "/hls/*",
    (c) =>
      c.json(c.get("user") ? { error: "not found" } : { error: "login required" }, c.get("user") ? 404 : 401),
  );
  return app;
}
