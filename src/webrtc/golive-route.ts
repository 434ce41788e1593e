// GET /go-live/<path>: the streamer page (login + permission to publish to that path).
import { Hono } from "hono";
import { csrfToken } from "../auth/csrf.ts";
import { requirePageLogin } from "../auth/session-mw.ts";
import { NAME_RE } from "../store/kv.ts";
import { errorPage } from "../web/pages.ts";
import { goLivePage } from "../web/golive-page.ts";
import type { AppDeps, Env } from "../http/context.ts";
import { publishAccess } from "./access.ts";

export function goLiveRoutes(deps: AppDeps) {
  const app = new Hono<Env>();
  app.get("/go-live/:path", requirePageLogin, async (c) => {
    const path = c.req.param("path");
    if (!NAME_RE.test(path)) return c.html(errorPage(404, "No such stream."), 404);
    const a = await publishAccess(deps, c, path);
    if (!a.allow) return c.html(errorPage(403, `You may not publish to '${path}'.`), 403);
    return c.html(goLivePage({ path, user: c.get("user")!.name, csrf: csrfToken(c) }));
  });
  return app;
}
