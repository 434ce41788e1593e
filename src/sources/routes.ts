// HTTP surface of pulled sources, in front of the streams API (mounted before it by src/app/app.ts):
//   PATCH /api/streams/<path> with `source` (URL, or null/"" to remove) and/or `sourceOnDemand` (boolean):
//     handled here (the door's "manage": admins and the owner); other fields of the same body go on to the
//     streams API unchanged, and its answer gets `source` added.
//   GET /api/streams/<path>/source: the source (masked URL, on demand, state), 404 when it has none.
//   GET /api/streams/<path>: the streams API's answer plus `source`.
//   GET /api/streams/<path>/media: an on-demand source is started first (for a viewer the door allows
//     to watch), so the player finds it live instead of offline.
import { Hono } from "hono";
import type { Context, Next } from "hono";
import { HttpError } from "../core/errors.ts";
import { NAME_RE } from "../core/names.ts";
import { apiGuard, auditOf, jsonBody, managedStream } from "../api/common.ts";
import { hasOtherFields, mergeAnswer, rebody } from "../api/patch-extension.ts";
import type { AppDeps, Env } from "../http/context.ts";
import { getSource } from "../store/sources.ts";
import { getStream } from "../store/streams.ts";
import type { SourceManager } from "./manager.ts";

/** Body fields this feature owns. */
export const SOURCE_FIELDS = ["source", "sourceOnDemand"] as const;

export function sourceRoutes(deps: Pick<AppDeps, "access" | "store">, sources: SourceManager) {
  const app = new Hono<Env>();

  /** The door's "manage" for `path` (refusal thrown), then the stream must exist (404). */
  const manageable = async (c: Context<Env>) => (await managedStream(deps, c)).path;

  app.patch("/api/streams/:path", apiGuard, async (c: Context<Env>, next: Next) => {
    if (!(c.req.header("content-type") ?? "").startsWith("application/json")) return await next();
    const b = await jsonBody(c);
    if (!SOURCE_FIELDS.some((f) => f in b)) {
      rebody(c, b);
      return await next();
    }
    const path = await manageable(c);
    const url = b.source;
    if (url !== undefined && url !== null && typeof url !== "string") {
      throw new HttpError(400, "source must be a URL string, or null to remove it");
    }
    if (b.sourceOnDemand !== undefined && typeof b.sourceOnDemand !== "boolean") {
      throw new HttpError(400, "sourceOnDemand must be true or false");
    }
    const { actor, ip } = auditOf(c, "", path);
    const r = await sources.set(
      path,
      { url: url as string | null | undefined, onDemand: b.sourceOnDemand as boolean | undefined },
      c.get("user")!.name,
      { actor, ip },
    );
    const extra = { source: r.source, sourceApplied: r.applied };
    const rest = { ...b };
    for (const f of SOURCE_FIELDS) delete rest[f];
    if (hasOtherFields(b, SOURCE_FIELDS)) {
      rebody(c, rest);
      await next();
      await mergeAnswer(c, extra);
      return;
    }
    return c.json({ stream: await getStream(deps.store, path), ...extra });
  });

  app.get("/api/streams/:path/source", apiGuard, async (c) => {
    const path = await manageable(c);
    const view = await sources.get(path);
    if (!view) return c.json({ error: `stream '${path}' has no source` }, 404);
    return c.json({ source: view });
  });

  app.get("/api/streams/:path", apiGuard, async (c, next) => {
    await next();
    const path = c.req.param("path") ?? "";
    if (c.res.ok && NAME_RE.test(path)) await mergeAnswer(c, { source: await sources.get(path) });
  });

  app.get("/api/streams/:path/media", async (c, next) => {
    const path = c.req.param("path") ?? "";
    const rec = NAME_RE.test(path) ? await getSource(deps.store, path) : null;
    if (rec?.onDemand) {
      const d = await deps.access.authorize({ actor: c.get("actor"), action: "watch", path });
      if (d.allow) await sources.wake(path);
    }
    await next();
  });

  return app;
}
