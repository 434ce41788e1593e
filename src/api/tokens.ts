// Personal API tokens, JSON API: list, create (the secret is shown once) and revoke one's own tokens.
// Sessions only (the door's "tokens" action refuses token actors: a token never mints or revokes tokens);
// writes need the CSRF header. Scopes a user may give a token follow their role: viewers read, streamers
// read and streams, admins any.
import { Hono } from "hono";
import type { Context } from "hono";
import { HttpError } from "../core/errors.ts";
import {
  createToken,
  listTokens,
  parseTokenTtl,
  revokeToken,
  type TokenScope,
  validateScopes,
} from "../store/tokens.ts";
import type { User } from "../store/users.ts";
import { apiGuard, auditOf, jsonBody } from "./common.ts";
import type { AppDeps, Env } from "../http/context.ts";
import { refuse } from "../http/refusal.ts";

/** The scopes a user of this role may put on a token. */
export function scopesForRole(u: User): TokenScope[] {
  return u.role === "admin"
    ? ["read", "streams", "admin"]
    : u.role === "streamer"
    ? ["read", "streams"]
    : ["read"];
}

export function tokenApiRoutes(deps: Pick<AppDeps, "store" | "access">) {
  const app = new Hono<Env>();
  const door = async (c: Context<Env>) => {
    const d = await deps.access.authorize({ actor: c.get("actor"), action: "tokens" });
    if (!d.allow) refuse(d);
    return c.get("user")!;
  };
  app.use("/api/tokens", apiGuard);
  app.use("/api/tokens/*", apiGuard);

  app.get("/api/tokens", async (c) => {
    const u = await door(c);
    return c.json({ tokens: await listTokens(deps.store, u.name), scopes: scopesForRole(u) });
  });

  app.post("/api/tokens", async (c) => {
    const u = await door(c);
    const b = await jsonBody(c);
    const scopes = validateScopes(b.scopes ?? ["read"]);
    const allowed = scopesForRole(u);
    const extra = scopes.filter((s) => !allowed.includes(s));
    if (extra.length) {
      throw new HttpError(403, `a ${u.role} cannot give a token the scope ${extra.join(", ")}`);
    }
    const ttlS = parseTokenTtl(b.expiresIn);
    const { token, meta } = await createToken(deps.store, u.name, {
      name: b.name ?? "api",
      scopes,
      ttlS,
      audit: auditOf(c, "token.create", String(b.name ?? "api").slice(0, 64), scopes.join(",")),
    });
    const { hash: _h, ...pub } = meta;
    return c.json({ token, meta: pub, note: "shown once: store it now" }, 201);
  });

  app.delete("/api/tokens/:id", async (c) => {
    const u = await door(c);
    const t = await revokeToken(
      deps.store,
      u.name,
      c.req.param("id") ?? "",
      auditOf(c, "token.revoke", c.req.param("id") ?? ""),
    );
    return c.json({ ok: true, id: t.id });
  });
  return app;
}
