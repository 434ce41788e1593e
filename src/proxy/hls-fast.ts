// The HLS hot path, in front of the app (src/app/front.ts): a viewer fetches ~10 HLS files a second per track,
// and after one of its requests passed the full check (hls.ts: session, watch rule, share link) the same
// viewer's next requests for that stream hold a pass (hls-pass.ts) for 2 s. Those are answered here without
// the app's middleware chain: from memory when the file is kept (synchronously), else through the same
// HlsProxy as the route. Anything unusual (no pass, HEAD, Range, odd names, percent-encoding, a bad
// query) goes to the app, which answers it in full; a pass lapsing every 2 s sends the viewer through the
// app again, which also renews the session. Responses carry the same headers and metrics as the app's
// (HlsProxy adds the security headers to everything it answers).
import { parse as parseCookies } from "hono/utils/cookie";
import { NAME_RE } from "../core/names.ts";
import { rungParent } from "../core/rungs.ts";
import { FILE_RE, type HlsProxy, upstreamQuery } from "./hls.ts";
import { findPass } from "./hls-pass.ts";
import { SESSION_COOKIE, SHARE_COOKIE, SHARE_QUERY } from "../http/session.ts";
import { clientIpOf } from "../http/client.ts";
import type { AppDeps, ServeHandler } from "../http/context.ts";

/** A cookie's value as the app reads it (hono's parse: the first one of that name), or undefined. */
function cookieOf(header: string, name: string): string | undefined {
  return header ? parseCookies(header, name)[name] : undefined;
}

const NO_PARAMS = new Map<string, string>();

/**
 * The query's parameters, the first of each name, as hono's getQueryParam reads them, or null when the
 * query is percent- or plus-encoded (the app answers those; players do not send them).
 */
export function queryParams(query: string): Map<string, string> | null {
  if (query.includes("%") || query.includes("+")) return null;
  const out = new Map<string, string>();
  let i = 1; // after "?"
  while (i <= query.length) {
    let end = query.indexOf("&", i);
    if (end < 0) end = query.length;
    const eq = query.indexOf("=", i);
    const name = query.slice(i, eq >= 0 && eq < end ? eq : end);
    if (name && !out.has(name)) out.set(name, eq >= 0 && eq < end ? query.slice(eq + 1, end) : "");
    i = end + 1;
  }
  return out;
}

// The path may be a quality ladder's rung (<stream>/<H>p, core/rungs.ts).
const URL_RE = /^https?:\/\/[^/?#]+\/hls\/([^/?#]+(?:\/[0-9]{2,4}p)?)\/([^/?#]+)(\?[^#]*)?$/;
const ROUTE = "/hls/:path/:file";

/** `next` behind the HLS hot path. */
export function withHlsFastPath(
  deps: Pick<AppDeps, "cfg" | "caches" | "clock" | "viewers" | "metrics">,
  hls: HlsProxy,
  next: ServeHandler,
): ServeHandler {
  const tracker = deps.viewers;

  // HlsProxy's answers carry the security headers already: they are sent as they are.
  const finish = (res: Response, t0: number) => {
    deps.metrics.recordRequest("GET", ROUTE, res.status, t0);
    return res;
  };

  return (req, info) => {
    if (req.method !== "GET") return next(req, info);
    const t0 = performance.now();
    const url = req.url;
    const m = URL_RE.exec(url);
    if (!m || !FILE_RE.test(m[2]) || req.headers.has("range")) return next(req, info);
    const [, path, file, query] = m;
    // A stream's multivariant playlist (asked for once per player) may be a quality ladder's (src/ladder/).
    const parent = NAME_RE.test(path) ? (file === "index.m3u8" ? null : path) : rungParent(path);
    if (parent === null) return next(req, info);
    const cookie = req.headers.get("cookie") ?? "";
    if (cookie.includes("%") || cookie.includes('"')) return next(req, info);
    const params = query ? queryParams(query) : NO_PARAMS;
    if (!params) return next(req, info);
    // Playlists for a ?share= URL get the share added to their URIs by the route (hls.ts).
    if (file.endsWith(".m3u8") && params.has(SHARE_QUERY)) return next(req, info);
    const remote = (info.remoteAddr as Deno.NetAddr).hostname ?? "unknown";
    const pass = findPass(deps, {
      token: cookieOf(cookie, SESSION_COOKIE),
      share: params.get(SHARE_QUERY) ?? cookieOf(cookie, SHARE_COOKIE),
      ip: clientIpOf(remote, req.headers.get("x-forwarded-for"), deps.cfg.trustProxy),
      path,
    });
    if (!pass) return next(req, info);
    const qs = upstreamQuery((k) => params.get(k));
    if (typeof qs !== "string") return next(req, info);
    tracker.seen(parent, pass.viewer);
    const kept = hls.kept(path, file, qs);
    if (kept) return finish(kept, t0);
    // No abort signal: a viewer leaving only drops its answer (the shared request goes on for the others),
    // and creating one per request costs more than the wait.
    return hls.answer(path, file, qs, undefined).then((res) => finish(res, t0));
  };
}
