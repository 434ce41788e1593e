// JWTs for MediaMTX over HTTP: GET /.well-known/jwks.json (livegate's public signing keys, for MediaMTX's
// authJWTJWKS; no login), POST /api/mediamtx/jwt (a short-lived read or publish token for one path, after
// the door allowed "watch" or "publish" on it for the caller: a session with CSRF, or an API token) and
// POST /api/jwt/rotate (admins: rotate the signing key now). Issuing itself is src/auth/jwt-keys.ts.
import { Hono } from "hono";
import { HttpError } from "../core/errors.ts";
import { adminOnly, apiGuard, auditOf, jsonBody } from "./common.ts";
import type { AppDeps, Env } from "../http/context.ts";
import { refuse } from "../http/refusal.ts";

export function jwtRoutes(deps: Pick<AppDeps, "access" | "jwt" | "cfg">) {
  const app = new Hono<Env>();

  app.get("/.well-known/jwks.json", async (c) => {
    c.header("Cache-Control", "public, max-age=60");
    return c.json(await deps.jwt.jwks());
  });

  app.post("/api/mediamtx/jwt", apiGuard, async (c) => {
    const b = await jsonBody(c);
    const action = b.action ?? "read";
    if (action !== "read" && action !== "publish") throw new HttpError(400, "action must be read or publish");
    if (typeof b.path !== "string") throw new HttpError(400, "path must be a string");
    const ttl = b.ttl ?? Math.min(300, deps.cfg.jwt.maxTtlSeconds);
    if (typeof ttl !== "number") throw new HttpError(400, "ttl must be a number of seconds");
    const d = await deps.access.authorize({
      actor: c.get("actor"),
      action: action === "read" ? "watch" : "publish",
      path: b.path,
    });
    if (!d.allow) refuse(d);
    const t = await deps.jwt.issue({ user: c.get("user")!.name, action, path: b.path, ttlS: ttl });
    return c.json({
      jwt: t.jwt,
      expiresAt: new Date(t.expiresAt).toISOString(),
      kid: t.kid,
      action,
      path: b.path,
      use: "HLS/WebRTC: Authorization: Bearer JWT; RTMP/RTSP: ?jwt=JWT",
    });
  });

  app.post("/api/jwt/rotate", apiGuard, adminOnly(deps), async (c) => {
    const r = await deps.jwt.rotate(auditOf(c, "jwt.rotate", "jwt"));
    return c.json({ current: r.current.kid, next: r.next.kid, previous: r.previous.map((p) => p.kid) });
  });
  return app;
}
