// The composition root's second half: the whole HTTP application, built from the services of
// src/app/services.ts. Used by the server (serve.ts) and, in-process, by the tests (app.request).
import { Hono } from "hono";
import { loginRoutes } from "../web/login-routes.ts";
import { oidcRoutes } from "../web/oidc-routes.ts";
import { readActor } from "../http/session.ts";
import { hookRoutes } from "../http/mediamtx-hook.ts";
import { hlsRoutes } from "../proxy/hls.ts";
import { adminApiRoutes } from "../api/admin.ts";
import { accountApiRoutes } from "../api/account.ts";
import { accountRoutes } from "../web/account-routes.ts";
import { streamApiRoutes } from "../api/streams.ts";
import { sourceRoutes } from "../sources/routes.ts";
import { embedRoutes } from "../web/embed-routes.ts";
import { tokenApiRoutes } from "../api/tokens.ts";
import { jwtRoutes } from "../api/jwt.ts";
import { httpMetrics } from "../metrics/http-mw.ts";
import { metricsRoutes } from "../api/metrics-route.ts";
import { recordingRoutes } from "../recordings/routes.ts";
import { readyRoutes } from "./ready.ts";
import { webrtcRoutes } from "../webrtc/routes.ts";
import { mediaRoutes } from "../webrtc/media.ts";
import { goLiveRoutes } from "../web/golive-routes.ts";
import { webRoutes } from "../web/routes.ts";
import { clipRoutes } from "../clips/routes.ts";
import { restreamRoutes } from "../restream/routes.ts";
import { analyticsRoutes } from "../analytics/routes.ts";
import { tokenPageRoutes } from "../web/token-page.ts";
import { errorPage, NAV_SLOT, userNav } from "../web/pages.ts";
import { csrfToken } from "../http/csrf.ts";
import type { Asset } from "../web/assets.ts";
import { clientInfo } from "../http/client.ts";
import type { Env } from "../http/context.ts";
import { CSP, SECURITY_HEADERS } from "../http/security-headers.ts";
import { errorAnswer } from "./errors.ts";
import { ladderApiRoutes, ladderHlsRoutes } from "../ladder/routes.ts";
import { chatRoutes, type ChatUpgrade } from "../chat/routes.ts";
import type { Services } from "./services.ts";
import { edgeApiRoutes, edgeOriginRoutes } from "../edge/routes.ts";
import { edgeCsp } from "../edge/csp.ts";
import { replicaHookRoutes } from "../edge/replica.ts";
import { earlyInline } from "../web/early-inline.ts";

/**
 * The HTTP application of `deps`. `chatUpgrade` replaces the chat's WebSocket upgrade (the main isolate's
 * tunnel to the workers' sockets with LIVEGATE_WORKERS > 1, src/cluster/ws-tunnel.ts).
 */
export function createApp(deps: Services, assets: Map<string, Asset>, chatUpgrade?: ChatUpgrade) {
  const app = new Hono<Env>();
  const csp = edgeCsp(CSP, deps.cfg.edge);
  const early = earlyInline(assets); // WebRTC's early start, inlined in the watch and embed pages

  app.use("*", httpMetrics(deps.metrics));
  app.use("*", async (c, next) => {
    await next();
    // A page that set its own CSP keeps it (the player pages: src/web/embed-page.ts playerCsp); one that
    // may be framed (the embed: frame-ancestors of its allowed origins) gets no X-Frame-Options, which
    // would forbid what its frame-ancestors allow.
    const ownCsp = c.res.headers.get("content-security-policy");
    const framable = !!ownCsp && !/frame-ancestors 'none'/.test(ownCsp);
    for (const [k, v] of SECURITY_HEADERS) if (!(framable && k === "X-Frame-Options")) c.header(k, v);
    const type = c.res.headers.get("content-type") ?? "";
    if (type.startsWith("text/html") && c.res.status >= 400 && c.get("user")) {
      // An error page is written without knowing who asks: give a logged-in user their top bar back.
      const text = await c.res.text();
      if (text.includes(NAV_SLOT)) {
        const nav = String(await userNav(c.get("user")!.name, csrfToken(c)));
        c.res = new Response(text.replace(NAV_SLOT, nav), c.res);
      } else c.res = new Response(text, c.res);
    }
    if (type.startsWith("text/html")) {
      // Every page, also one with its own policy (the player pages), may reach the configured edges.
      c.header("Content-Security-Policy", ownCsp ? edgeCsp(ownCsp, deps.cfg.edge) : csp);
      c.header("Cache-Control", "no-store");
    } else if (type.startsWith("application/json") && !c.res.headers.has("cache-control")) {
      // JSON answers are per user and some carry a secret shown once (a new stream key, share link or
      // generated password): never kept by a browser or proxy cache.
      c.header("Cache-Control", "no-store");
    }
  });
  app.use("*", clientInfo(deps));

  // Liveness and the compatibility API of the server livegate replaces.
  app.get("/health", (c) => c.text("OK"));
  app.route("/", readyRoutes(deps));
  app.route("/", metricsRoutes(deps));
  app.get("/api/stream/validate", async (c) => {
    const path = await deps.access.keyPath(c.req.query("token") ?? "");
    return path ? c.json({ valid: true, path }) : c.json({ valid: false }, 401);
  });
  app.route("/", hookRoutes(deps));

  // Edges fetch /e/<token>/… with a signed token and no cookies: answered before the session middleware.
  app.route("/", edgeOriginRoutes(deps.hls, deps.edge));
  app.route("/", replicaHookRoutes(deps.edge));

  app.use("*", readActor(deps));
  app.get("/api/me", (c) => {
    const u = c.get("user");
    return u ? c.json({ user: u.name, role: u.role }) : c.json({ error: "login required" }, 401);
  });
  app.route("/", oidcRoutes(deps)); // before loginRoutes: it wraps POST /logout
  app.route("/", loginRoutes(deps));
  app.route("/", ladderHlsRoutes(deps, deps.hls, deps.ladder));
  app.route("/", hlsRoutes(deps, deps.hls));
  app.route("/", recordingRoutes(deps));
  app.route("/", adminApiRoutes(deps));
  app.route("/", sourceRoutes(deps, deps.sources)); // before the streams API: source fields of its PATCH
  app.route("/", embedRoutes(deps, early)); // /embed, /oembed; before the streams API: embedOrigins of its PATCH
  app.route("/", accountApiRoutes(deps));
  app.route("/", accountRoutes(deps));
  app.route("/", ladderApiRoutes(deps, deps.ladder));
  app.route("/", streamApiRoutes(deps));
  app.route("/", restreamRoutes(deps, deps.restream));
  app.route("/", tokenApiRoutes(deps));
  app.route("/", jwtRoutes(deps));
  app.route("/", webrtcRoutes(deps));
  app.route("/", mediaRoutes(deps)); // (an on-demand source is woken first: sourceRoutes)
  app.route("/", edgeApiRoutes(deps, deps.edge));
  app.route("/", goLiveRoutes(deps));
  app.route("/", clipRoutes(deps, deps.clips));
  app.route("/", analyticsRoutes(deps, deps.analytics, deps.qoe));
  app.route("/", chatRoutes(deps, deps.chat, chatUpgrade));
  app.route("/", tokenPageRoutes(deps));
  app.route("/", webRoutes(deps, assets, early));

  app.notFound((c) => {
    if (c.req.path.startsWith("/api/") || c.req.path.startsWith("/internal/")) {
      return c.json({ error: "not found" }, 404);
    }
    return c.html(errorPage(404, "Nothing here."), 404);
  });
  app.onError((err, c) => errorAnswer(err, c, deps));
  return app;
}
