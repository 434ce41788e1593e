// The destinations JSON API of a stream (owner or admin: the door's "manage" action):
//   GET    /api/streams/:path/destinations        list with status (keys masked)
//   POST   /api/streams/:path/destinations        {name, url, key, enabled?} -> 201
//   PATCH  /api/streams/:path/destinations/:id    any of {name, url, key, enabled}
//   DELETE /api/streams/:path/destinations/:id
// Writes need the session and the CSRF token (apiGuard). No answer ever carries a key: only its mask.
import { Hono } from "hono";
import type { Context } from "hono";
import { NAME_RE } from "../core/names.ts";
import { HttpError } from "../core/errors.ts";
import { getStream } from "../store/streams.ts";
import { apiGuard, auditOf, jsonBody } from "../api/common.ts";
import type { AppDeps, Env } from "../http/context.ts";
import { refuse } from "../http/refusal.ts";
import type { Restreamer } from "./restreamer.ts";

const ID_RE = /^[A-Za-z0-9_-]{1,64}$/;

export function restreamRoutes(deps: Pick<AppDeps, "access" | "store">, rs: Restreamer) {
  const app = new Hono<Env>();

  /** The door first (same refusal whether or not the stream exists), then the stream record (404). */
  async function managedPath(c: Context<Env>): Promise<string> {
    const path = c.req.param("path") ?? "";
    if (!NAME_RE.test(path)) throw new HttpError(400, "invalid stream path");
    const d = await deps.access.authorize({ actor: c.get("actor"), action: "manage", path });
    if (!d.allow) refuse(d);
    if (!(await getStream(deps.store, path))) throw new HttpError(404, `no stream '${path}'`);
    return path;
  }
  const idOf = (c: Context<Env>) => {
    const id = c.req.param("id") ?? "";
    if (!ID_RE.test(id)) throw new HttpError(404, "no such destination");
    return id;
  };

  app.get("/api/streams/:path/destinations", apiGuard, async (c) => {
    const path = await managedPath(c);
    return c.json({ destinations: await rs.list(path) });
  });

  app.post("/api/streams/:path/destinations", apiGuard, async (c) => {
    const path = await managedPath(c);
    const body = await jsonBody(c);
    const d = await rs.create(path, body, c.get("user")!.name, auditOf(c, "restream.create", path));
    return c.json({ destination: d }, 201);
  });

  app.patch("/api/streams/:path/destinations/:id", apiGuard, async (c) => {
    const path = await managedPath(c);
    const id = idOf(c);
    const body = await jsonBody(c);
    const d = await rs.update(
      path,
      id,
      body,
      c.get("user")!.name,
      auditOf(c, "restream.update", `${path}/${id}`),
    );
    return c.json({ destination: d });
  });

  app.delete("/api/streams/:path/destinations/:id", apiGuard, async (c) => {
    const path = await managedPath(c);
    const id = idOf(c);
    await rs.remove(path, id, auditOf(c, "restream.delete", `${path}/${id}`));
    return c.json({ deleted: id });
  });

  return app;
}
