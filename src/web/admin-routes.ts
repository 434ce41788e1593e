// /admin pages: the dashboard (admins: users, streams, audit; streamers: their streams), one page per stream
// (settings, keys, share links, live sessions, kick) and per user (role, disable, password, sessions).
import { Hono } from "hono";
import type { Context } from "hono";
import { csrfToken } from "../http/csrf.ts";
import { publicBase, publishHostOf, reachedOnLoopback } from "../http/client.ts";
import { recordingBadge } from "../config/recording-policy.ts";
import { requirePageLogin } from "../http/session.ts";
import { getUserEntry, listUsers } from "../store/users.ts";
import { getStreamEntry } from "../store/streams.ts";
import { listKeys } from "../store/keys.ts";
import { listShares } from "../store/shares.ts";
import { listSessions } from "../store/sessions.ts";
import { listAudit } from "../store/audit.ts";
import { NAME_RE } from "../core/names.ts";
import { liveList } from "../api/live-list.ts";
import { managedStreams } from "../api/managed-streams.ts";
import { errorPage } from "./pages.ts";
import { dashboardPage, streamAdminPage, type StreamRowAdmin, userAdminPage } from "./admin-pages.ts";
import type { AppDeps, Env } from "../http/context.ts";

export function adminPageRoutes(deps: AppDeps) {
  const app = new Hono<Env>();
  const kv = deps.store;
  const access = deps.access;
  const may = async (c: Context<Env>, action: "administer" | "manage", path?: string) =>
    (await access.authorize({ actor: c.get("actor"), action, path })).allow;
  app.use("/admin", requirePageLogin);
  app.use("/admin/*", requirePageLogin);

  app.get("/admin", async (c) => {
    const me = c.get("user")!;
    if (!(await access.authorize({ actor: c.get("actor"), action: "dashboard" })).allow) {
      return c.html(errorPage(403, "Streamers and admins only."), 403);
    }
    const admin = await may(c, "administer");
    const live = new Map((await liveList(deps, c.get("actor"))).streams.map((r) => [r.path, r]));
    const rows: StreamRowAdmin[] = (await managedStreams(deps, c.get("actor"), admin)).map((r) => ({
      ...r,
      registered: r.stream !== null,
      live: live.get(r.path) ?? null,
    }));
    let users = null;
    if (admin) {
      const sessions = await listSessions(kv);
      users = (await listUsers(kv)).map((u) => ({
        ...u,
        sessions: sessions.filter((s) => s.user === u.name).length,
      }));
    }
    // Setup problems a newcomer would not notice from the page itself (README: Install on a server).
    const warnings: string[] = [];
    if (admin && !reachedOnLoopback(c, deps)) {
      if (!deps.cfg.publicUrlSet) {
        warnings.push(
          `LIVEGATE_PUBLIC_URL is not set: links on these pages use the address you reached livegate on ` +
            `(${publicBase(c, deps)}), but webhooks and the command line still say ${deps.cfg.publicUrl}. ` +
            "Set LIVEGATE_PUBLIC_URL (e.g. https://stream.example.org) in livegate's environment.",
        );
      }
      if (!c.get("https")) {
        warnings.push(
          "This page came over plain HTTP from the network: passwords, stream keys and share links cross it " +
            "unencrypted. Put livegate behind HTTPS (the Caddyfile in the repository does it) and keep port " +
            `${deps.cfg.port} closed to the internet.`,
        );
      }
    }
    return c.html(dashboardPage({
      warnings,
      me,
      csrf: csrfToken(c),
      users,
      streams: rows,
      audit: admin ? await listAudit(kv, 50) : null,
    }));
  });

  app.get("/admin/streams/:path", async (c) => {
    const me = c.get("user")!;
    const path = c.req.param("path");
    if (!NAME_RE.test(path)) return c.html(errorPage(404, "No such stream."), 404);
    // The door first: who may not manage the stream gets one answer whether or not it exists.
    if (!(await may(c, "manage", path))) {
      return c.html(errorPage(403, "Only admins and the stream's owner."), 403);
    }
    const e = await getStreamEntry(kv, path);
    if (!e.value) {
      return c.html(
        errorPage(
          404,
          `'${path}' is not registered as a stream yet: create it on the dashboard (same path) to manage it.`,
        ),
        404,
      );
    }
    return c.html(streamAdminPage({
      me,
      csrf: csrfToken(c),
      stream: e.value,
      version: e.versionstamp,
      keys: await listKeys(kv, path),
      shares: await listShares(kv, path),
      links: {
        watchUrl: `${publicBase(c, deps)}/watch/${path}`,
        rtmpServer: `rtmp://${publishHostOf(c, deps)}:${deps.cfg.mediamtx.ports.rtmp}`,
        whipUrl: `${publicBase(c, deps)}/whip/${path}`,
        recording: recordingBadge(deps.cfg, path, e.value),
      },
    }));
  });

  app.get("/admin/users/:name", async (c) => {
    const me = c.get("user")!;
    if (!(await may(c, "administer"))) return c.html(errorPage(403, "Admins only."), 403);
    const e = await getUserEntry(kv, c.req.param("name"));
    if (!e.value) return c.html(errorPage(404, "No such user."), 404);
    return c.html(userAdminPage({
      me,
      csrf: csrfToken(c),
      user: e.value,
      version: e.versionstamp,
      sessions: await listSessions(kv, e.value.name),
    }));
  });

  return app;
}
