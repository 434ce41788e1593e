// HTTP routes of edge delivery:
//   GET /e/<token>/<path>/<file>          the origin the edges (nginx, a CDN) fetch from: the token is
//                                         checked by HMAC alone (no session, no database), then the file
//                                         comes through the app's one HlsProxy (shared upstream requests,
//                                         kept parts), answered cacheable: media immutable, blocking
//                                         playlist requests (_HLS_msn/_HLS_part) for 2 s per full query,
//                                         other playlists for 1 s. Mounted before the session middleware.
//   GET /api/streams/<path>/delivery      the player's question "where do I load from": the door must allow
//                                         "watch" (fresh decision, no cache) before a token is issued.
//   PUT /api/streams/<path>/delivery      {mode: "direct"|"edge"|"default"}: the stream's own setting
//                                         (the door's "manage"; CSRF like every API write).
import { Hono } from "hono";
import { NAME_RE } from "../core/names.ts";
import { HttpError } from "../core/errors.ts";
import { FILE_RE, type HlsProxy, upstreamQuery } from "../proxy/hls.ts";
import { refusal, refuse } from "../http/refusal.ts";
import { apiGuard, jsonBody } from "../api/common.ts";
import { sessionIdOf } from "../store/sessions.ts";
import { setDelivery } from "../store/edge.ts";
import type { AppDeps, Env } from "../http/context.ts";
import type { EdgeDelivery } from "./delivery.ts";

export const EDGE_PREFIX = "/e/";

/** Cache-Control of an /e/ answer (RFC 9111; `immutable`: RFC 8246). Errors are never stored. */
export function edgeCacheControl(file: string, status: number, blocking: boolean): string {
  if (status !== 200 && status !== 206) return "no-store";
  if (!file.endsWith(".m3u8")) return "public, max-age=60, immutable";
  return blocking ? "public, max-age=2" : "public, max-age=1";
}

const EDGE_HEADERS: [string, string][] = [["access-control-allow-origin", "*"]];

const forbidden = (reason: string) =>
  Response.json({ error: `edge token refused: ${reason}` }, {
    status: 403,
    headers: { "cache-control": "no-store", ...Object.fromEntries(EDGE_HEADERS) },
  });

/** The origin route for edges (mount before readActor: it never reads cookies). */
export function edgeOriginRoutes(hls: HlsProxy, edge: EdgeDelivery) {
  const app = new Hono<Env>();
  app.get(`${EDGE_PREFIX}:token/:path/:file`, async (c) => {
    const { token, path, file } = c.req.param();
    if (!NAME_RE.test(path) || !FILE_RE.test(file)) return forbidden("malformed");
    const v = await edge.verify(path, token);
    if (!v.ok) return forbidden(v.reason);
    const qs = upstreamQuery((k) => c.req.query(k));
    if (typeof qs !== "string") return c.json(qs, 400, { "cache-control": "no-store" });
    const res = await hls.answerRequest(path, file, qs, c.req.raw);
    const headers = new Headers(res.headers);
    headers.set("cache-control", edgeCacheControl(file, res.status, qs.includes("_HLS_msn")));
    for (const [k, val] of EDGE_HEADERS) headers.set(k, val);
    return new Response(res.body, { status: res.status, headers });
  });
  app.all(`${EDGE_PREFIX}*`, () => forbidden("malformed"));
  return app;
}

/** The viewer id carried in a token: a prefix of the session id, the share link id, or "" (anonymous). */
async function viewerIdOf(token: string | undefined, shareToken: string | undefined): Promise<string> {
  if (token) return (await sessionIdOf(token)).replace(/[^A-Za-z0-9_-]/g, "").slice(0, 16);
  const id = shareToken?.split(".")[0] ?? "";
  return /^[A-Za-z0-9_-]{1,22}$/.test(id) ? `s-${id}` : "";
}

/** The player's delivery API (mount after readActor). */
export function edgeApiRoutes(deps: Pick<AppDeps, "access">, edge: EdgeDelivery) {
  const app = new Hono<Env>();
  app.get("/api/streams/:path/delivery", async (c) => {
    const path = c.req.param("path");
    if (!NAME_RE.test(path)) return c.json({ error: "unknown stream path" }, 404);
    const actor = c.get("actor");
    // Fresh decision: a viewer whose access was taken away gets no new token from this moment on.
    const d = await deps.access.authorize({ actor, action: "watch", path });
    if (!d.allow) return refusal(c, d);
    const share = actor.kind === "share" ? actor.token : undefined;
    const urls = await edge.playUrls(path, await viewerIdOf(c.get("sessionToken"), share));
    return c.json(urls, 200, { "cache-control": "no-store" });
  });
  app.put("/api/streams/:path/delivery", apiGuard, async (c) => {
    const path = c.req.param("path");
    if (!NAME_RE.test(path)) return c.json({ error: "unknown stream path" }, 404);
    const d = await deps.access.authorize({ actor: c.get("actor"), action: "manage", path });
    if (!d.allow) refuse(d);
    const body = await jsonBody(c);
    const mode = body.mode;
    if (mode !== "direct" && mode !== "edge" && mode !== "default") {
      throw new HttpError(400, "mode must be direct, edge or default");
    }
    if (mode === "edge" && edge.cfg.urls.length === 0) {
      throw new HttpError(400, "no edges configured (LIVEGATE_EDGE_URLS)");
    }
    await setDelivery(edge.store, path, mode === "default" ? null : mode);
    return c.json({ path, mode, effective: await edge.modeOf(path) });
  });
  return app;
}
