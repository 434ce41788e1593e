// The composition root's second half: the whole HTTP application, built from the services of
// src/app/services.ts. Used by the server (serve.ts) and, in-process, by the tests (app.request).
import { Hono } from "hono";
import { loginRoutes } from "../web/login-routes.ts";
import { oidcRoutes } from "../web/oidc-routes.ts";
import { readActor } from "../http/session.ts";
import { hookRoutes } from "../http/mediamtx-hook.ts";
import { hlsRoutes } from "../proxy/hls.ts";
import { adminApiRoutes } from "../api/admin.ts";
import { streamApiRoutes } from "../api/streams.ts";
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
import { tokenPageRoutes } from "../web/token-page.ts";
import { errorPage } from "../web/pages.ts";
import type { Asset } from "../web/assets.ts";
import { clientInfo } from "../http/client.ts";
import type { Env } from "../http/context.ts";
import { CSP, SECURITY_HEADERS } from "../http/security-headers.ts";
import { errorAnswer } from "./errors.ts";
import type { Services } from "./services.ts";

export function createApp(deps: Services, assets: Map<string, Asset>) {
  const app = new Hono<Env>();

  app.use("*", httpMetrics(deps.metrics));
  app.use("*", async (c, next) => {
    await next();
    for (const [k, v] of SECURITY_HEADERS) c.header(k, v);
    const type = c.res.headers.get("content-type") ?? "";
    if (type.startsWith("text/html")) {
      c.header("Content-Security-Policy", CSP);
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

  app.use("*", readActor(deps));
  app.get("/api/me", (c) => {
    const u = c.get("user");
    return u ? c.json({ user: u.name, role: u.role }) : c.json({ error: "login required" }, 401);
  });
  app.route("/", oidcRoutes(deps)); // before loginRoutes: it wraps POST /logout
  app.route("/", loginRoutes(deps));
  app.route("/", hlsRoutes(deps, deps.hls));
  app.route("/", recordingRoutes(deps));
  app.route("/", adminApiRoutes(deps));
  app.route("/", streamApiRoutes(deps));
  app.route("/", tokenApiRoutes(deps));
  app.route("/", jwtRoutes(deps));
  app.route("/", webrtcRoutes(deps));
  app.route("/", mediaRoutes(deps));
  app.route("/", goLiveRoutes(deps));
  app.route("/", tokenPageRoutes(deps));
  app.route("/", webRoutes(deps, assets));

  app.notFound((c) => {
    if (c.req.path.startsWith("/api/") || c.req.path.startsWith("/internal/")) {
      return c.json({ error: "not found" }, 404);
    }
    return c.html(errorPage(404, "Nothing here."), 404);
  });
  app.onError((err, c) => errorAnswer(err, c, deps));
  return app;
}
