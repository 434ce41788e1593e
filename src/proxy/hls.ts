// /hls/<path>/<file> -> MediaMTX's HLS server on 127.0.0.1, as its "CDN" (hlsCDNSecret): one MediaMTX
// session per stream serves every viewer. LL-HLS blocking requests (_HLS_msn, _HLS_part) pass through;
// identical requests of many viewers share one upstream request and media files are kept for a few
// seconds (hls-shared.ts); Range requests are streamed straight through and aborted when the viewer leaves.
import { Hono } from "hono";
import { proxy } from "hono/proxy";
import { NAME_RE } from "../store/kv.ts";
import { watchGuard } from "./watch-access.ts";
import { mediamtxUrls } from "../mediamtx/env.ts";
import { mediamtxUnavailable } from "../mediamtx/unavailable.ts";
import { countedBody, proxyBytes } from "../metrics/registry.ts";
import { SharedFetch } from "./hls-shared.ts";
import type { AppDeps, Env } from "../http/context.ts";

const FILE_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
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

export function hlsRoutes(deps: AppDeps) {
  const app = new Hono<Env>();
  const base = mediamtxUrls(deps.cfg).hls;
  const shared = new SharedFetch({ authorization: `Bearer ${deps.secrets.cdn}` });

  app.get("/hls/:path/:file", async (c) => {
    const path = c.req.param("path");
    const file = c.req.param("file");
    if (!NAME_RE.test(path) || !FILE_RE.test(file)) return c.json({ error: "not found" }, 404);
    // Public streams need no login; private ones a session (401 without, 403 when not allowed); unlisted
    // ones also accept a share link (?share= or the lg_share cookie).
    const denied = await watchGuard(c, deps, path);
    if (denied) return denied;
    const q = new URLSearchParams();
    for (const k of PASS_QUERY) {
      const v = c.req.query(k);
      if (v !== undefined) {
        if (!/^-?\d{1,12}$/.test(v) && !(k === "_HLS_skip" && /^(YES|v2)$/.test(v))) {
          return c.json({ error: `bad ${k}` }, 400);
        }
        q.set(k, v);
      }
    }
    const qs = q.size ? `?${q}` : "";
    const headers: Record<string, string> = { authorization: `Bearer ${deps.secrets.cdn}` };
    const range = c.req.header("range");
    if (range && range.length < 100) headers.range = range;
    let res: Response;
    try {
      // Range requests go straight through; everything else is shared between viewers (hls-shared.ts).
      res = headers.range
        ? await proxy(`${base}/${path}/${file}${qs}`, {
          headers,
          signal: c.req.raw.signal,
          redirect: "manual",
        })
        : await shared.fetch(`${base}/${path}/${file}${qs}`, file, c.req.raw.signal);
    } catch (e) {
      if (c.req.raw.signal.aborted) return new Response(null, { status: 499 });
      return mediamtxUnavailable(c, deps, `HLS upstream error: ${(e as Error).message}`);
    }
    if (res.status === 404 || res.status === 401 || (res.status >= 300 && res.status < 400)) {
      // 401 from MediaMTX here means the muxer went away (stream ended) between requests.
      await res.body?.cancel();
      return c.json({ error: `stream '${path}' is offline or unknown` }, 404);
    }
    if (res.status >= 500) {
      await res.body?.cancel();
      return c.json({ error: `MediaMTX answered ${res.status}` }, 502);
    }
    if (res.status === 400) {
      // MediaMTX refuses out-of-range LL-HLS blocking requests with an empty 400.
      await res.body?.cancel();
      return c.json({ error: "_HLS_msn/_HLS_part is out of range for this playlist" }, 400);
    }
    const out = new Headers();
    for (const h of PASS_HEADERS) {
      const v = res.headers.get(h);
      if (v) out.set(h, v);
    }
    out.set("content-type", contentTypeFor(file, res.headers.get("content-type")));
    // Private: content may be behind a login. Playlists change every part; segments never change.
    out.set("cache-control", file.endsWith(".m3u8") ? "no-cache, private" : "private, max-age=60");
    out.set("x-content-type-options", "nosniff");
    // With a known length the bytes are counted at once and the upstream body is passed on untouched, so
    // Deno streams it natively instead of pumping every chunk through JS (see BENCHMARKS.md).
    const len = Number(res.headers.get("content-length") ?? "x");
    let body: ReadableStream<Uint8Array> | null = res.body;
    if (body && Number.isSafeInteger(len) && len >= 0) proxyBytes.labels({ proxy: "hls" }).inc(len);
    else body = countedBody(body, "hls");
    return new Response(body, { status: res.status, headers: out });
  });

  app.all(
    "/hls/*",
    (c) =>
      c.json(c.get("user") ? { error: "not found" } : { error: "login required" }, c.get("user") ? 404 : 401),
  );
  return app;
}
