// Builds the whole HTTP application. Used by the server and, in-process, by the tests (app.request).
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { authRoutes } from "../auth/routes.ts";
import { loadSession } from "../auth/session-mw.ts";
import { hookRoutes } from "../mediamtx/hook-route.ts";
import { hlsRoutes } from "../proxy/hls.ts";
import { adminApiRoutes } from "../api/admin.ts";
import { streamApiRoutes } from "../api/streams.ts";
import { httpMetrics } from "../metrics/http-mw.ts";
import { metricsRoutes } from "../metrics/route.ts";
import { recordingRoutes } from "../recordings/routes.ts";
import { readyRoutes } from "./ready.ts";
import { webrtcRoutes } from "../webrtc/routes.ts";
import { mediaRoutes } from "../webrtc/media.ts";
import { goLiveRoutes } from "../webrtc/golive-route.ts";
import { validKeyPath } from "../auth/permissions.ts";
import { webRoutes } from "../web/routes.ts";
import { errorPage } from "../web/pages.ts";
import type { Asset } from "../web/assets.ts";
import { clientInfo } from "./client.ts";
import type { AppDeps, Env } from "./context.ts";
import { storageProblem } from "../store/errors.ts";
import { CSP, SECURITY_HEADERS } from "./security-headers.ts";

export function createApp(deps: AppDeps, assets: Map<string, Asset>) {
  const app = new Hono<Env>();

  app.use("*", httpMetrics());
  app.use("*", async (c, next) => {
    await next();
    for (const [k, v] of SECURITY_HEADERS) c.header(k, v);
    if ((c.res.headers.get("content-type") ?? "").startsWith("text/html")) {
      c.header("Content-Security-Policy", CSP);
      c.header("Cache-Control", "no-store");
    }
  });
  app.use("*", clientInfo(deps));

  // Liveness and the compatibility API of the server livegate replaces.
  app.get("/health", (c) => c.text("OK"));
  app.route("/", readyRoutes(deps));
  app.route("/", metricsRoutes(deps));
  app.get("/api/stream/validate", async (c) => {
    const token = c.req.query("token") ?? "";
    const path = await validKeyPath(deps.kv, token);
    return path ? c.json({ valid: true, path }) : c.json({ valid: false }, 401);
  });
  app.route("/", hookRoutes(deps));

  app.use("*", loadSession(deps));
  app.get("/api/me", (c) => {
    const u = c.get("user");
    return u ? c.json({ user: u.name, role: u.role }) : c.json({ error: "login required" }, 401);
  });
  app.route("/", authRoutes(deps));
  app.route("/", hlsRoutes(deps));
  app.route("/", recordingRoutes(deps));
  app.route("/", adminApiRoutes(deps));
  app.route("/", streamApiRoutes(deps));
  app.route("/", webrtcRoutes(deps));
  app.route("/", mediaRoutes(deps));
  app.route("/", goLiveRoutes(deps));
  app.route("/", webRoutes(deps, assets));

  app.notFound((c) => {
    if (c.req.path.startsWith("/api/") || c.req.path.startsWith("/internal/")) {
      return c.json({ error: "not found" }, 404);
    }
    return c.html(errorPage(404, "Nothing here."), 404);
  });
  app.onError((err, c) => {
    if (err instanceof HTTPException) return c.json({ error: err.message }, err.status);
    const storage = storageProblem(err);
    if (storage) {
      console.error(`[livegate] ${c.req.method} ${c.req.path}: storage: ${err.message}`);
      c.header("Retry-After", "30");
      return c.json({ error: `${storage}; changes cannot be saved right now (${err.message})` }, 503);
    }
    console.error(`[livegate] ${c.req.method} ${c.req.path}: ${err.stack ?? err}`);
    return c.json({ error: "internal error" }, 500);
  });
  return app;
}
