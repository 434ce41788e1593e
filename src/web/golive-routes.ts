// GET /go-live/<path>: the streamer page (login + the door's publish decision for that path).
import { Hono } from "hono";
import { csrfToken } from "../http/csrf.ts";
import { requirePageLogin } from "../http/session.ts";
import { NAME_RE } from "../core/names.ts";
import { errorPage } from "./pages.ts";
import { goLivePage } from "./golive-page.ts";
import { recordingBadge } from "../config/recording-policy.ts";
import { getStream } from "../store/streams.ts";
import type { AppDeps, Env } from "../http/context.ts";

export function goLiveRoutes(deps: Pick<AppDeps, "access" | "store" | "cfg">) {
  const app = new Hono<Env>();
  app.get("/go-live/:path", requirePageLogin, async (c) => {
    const path = c.req.param("path");
    if (!NAME_RE.test(path)) return c.html(errorPage(404, "No such stream."), 404);
    const d = await deps.access.authorize({ actor: c.get("actor"), action: "publish", path });
    if (!d.allow) return c.html(errorPage(403, `You may not publish to '${path}'.`), 403);
    const recording = recordingBadge(deps.cfg, path, await getStream(deps.store, path));
    return c.html(goLivePage({ path, user: c.get("user")!.name, csrf: csrfToken(c), recording }));
  });
  return app;
}
