// Pages: home (stream list), player, the old /test page (now a redirect), and static assets.
import { Hono } from "hono";
import { csrfToken } from "../auth/csrf.ts";
import { requirePageLogin } from "../auth/session-mw.ts";
import { listKeys } from "../store/keys.ts";
import { NAME_RE } from "../store/kv.ts";
import { listPaths } from "../mediamtx/api.ts";
import { errorPage, homePage, playerPage, type StreamRow } from "./pages.ts";
import type { Asset } from "./assets.ts";
import type { AppDeps, Env } from "../http/context.ts";

export const DEFAULT_PATH = "live";

export function webRoutes(deps: AppDeps, assets: Map<string, Asset>) {
  const app = new Hono<Env>();

  app.get("/static/:file", (c) => {
    const a = assets.get(c.req.param("file"));
    if (!a) return c.text("not found", 404);
    if (c.req.header("if-none-match") === a.etag) return c.body(null, 304);
    return c.body(a.body as Uint8Array<ArrayBuffer>, 200, {
      "content-type": a.type,
      etag: a.etag,
      "cache-control": "no-cache",
    });
  });

  // The server livegate replaces served its player at /test.
  app.get("/test", (c) => c.redirect(`/watch/${DEFAULT_PATH}`, 301));

  app.get("/", requirePageLogin, async (c) => {
    const rows = new Map<string, StreamRow>();
    for (const k of await listKeys(deps.kv)) rows.set(k.path, { path: k.path, live: false, readers: 0 });
    let mtxDown = false;
    try {
      for (const p of await listPaths(deps)) {
        rows.set(p.name, { path: p.name, live: p.ready, readers: p.readers });
      }
    } catch {
      mtxDown = true;
    }
    const streams = [...rows.values()].sort((a, b) =>
      Number(b.live) - Number(a.live) || a.path.localeCompare(b.path)
    );
    return c.html(homePage({ user: c.get("user")!.name, csrf: csrfToken(c), streams, mtxDown }));
  });

  app.get("/watch/:path", requirePageLogin, (c) => {
    const path = c.req.param("path");
    if (!NAME_RE.test(path)) return c.html(errorPage(404, "No such stream."), 404);
    return c.html(playerPage({ path, user: c.get("user")!.name, csrf: csrfToken(c) }));
  });

  return app;
}
