// Pages: home (stream list), player, the old /test page (now a redirect), and static assets.
import { Hono } from "hono";
import { csrfToken } from "../http/csrf.ts";
import { setCookie } from "hono/cookie";
import { NAME_RE } from "../core/names.ts";
import { liveList } from "../api/live-list.ts";
import { getThumb } from "../store/clips.ts";
import { getStream } from "../store/streams.ts";
import { publicBase } from "../http/client.ts";
import { loginRedirect, SHARE_COOKIE, SHARE_QUERY } from "../http/session.ts";
import { errorPage, playerPage } from "./pages.ts";
import { oembedUrl, playerCsp } from "./embed-page.ts";
import { homePage } from "./home-page.ts";
import { adminPageRoutes } from "./admin-routes.ts";
import type { Asset } from "./assets.ts";
import type { InlineScript } from "./early-inline.ts";
import type { AppDeps, Env } from "../http/context.ts";

export const DEFAULT_PATH = "live";

/** `early`: WebRTC's early start the player page inlines (src/web/early-inline.ts, from `assets`). */
export function webRoutes(deps: AppDeps, assets: Map<string, Asset>, early: InlineScript) {
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

  // Anyone may open the home page: without a login it lists the public streams.
  app.get("/", async (c) => {
    const user = c.get("user");
    const { streams, mtxDown } = await liveList(deps, c.get("actor"));
    return c.html(
      homePage({ user: user?.name ?? "", role: user?.role ?? "", csrf: csrfToken(c), streams, mtxDown }),
    );
  });

  // The player. Public streams need no login; unlisted ones accept a share link (?share=TOKEN), which is
  // then kept in an HttpOnly cookie so the player's media requests carry it.
  app.get("/watch/:path", async (c) => {
    const path = c.req.param("path");
    if (!NAME_RE.test(path)) return c.html(errorPage(404, "No such stream."), 404);
    const actor = c.get("actor");
    const d = await deps.access.authorize({ actor, action: "watch", path });
    if (!d.allow) {
      if (d.status === 401 && !c.req.query(SHARE_QUERY)) return loginRedirect(c);
      const msg = c.req.query(SHARE_QUERY) ? "This share link is invalid, expired or revoked." : d.reason;
      return c.html(errorPage(d.status === 401 ? 401 : 403, msg), d.status === 401 ? 401 : 403);
    }
    if (d.via === "share" && d.share && actor.kind === "share" && c.req.query(SHARE_QUERY)) {
      setCookie(c, SHARE_COOKIE, actor.token, {
        httpOnly: true,
        sameSite: "Lax",
        secure: c.get("secureCookies"),
        path: "/",
        maxAge: Math.max(1, Math.floor((d.share.expiresAt - deps.clock.now()) / 1000)),
      });
    }
    const user = c.get("user");
    c.header("Content-Security-Policy", playerCsp(null, early)); // media-chrome's controls need inline styles
    // Issue #22: the still as poster (and as preview image of a public stream), rewind for who may see
    // the recordings, clip buttons for who may clip.
    const thumb = await getThumb(deps.store, path);
    const poster = thumb ? `/thumbs/${path}.jpg?t=${thumb.at}` : undefined;
    const stream = await getStream(deps.store, path);
    const base = publicBase(c, deps);
    return c.html(
      playerPage({
        path,
        user: user?.name ?? "",
        csrf: csrfToken(c),
        canPublish: (await deps.access.authorize({ actor, action: "publish", path })).allow,
        via: d.via,
        poster,
        preview: stream?.visibility === "public"
          ? { title: stream.title || path, url: `${base}/watch/${path}`, image: poster && base + poster }
          : undefined,
        rewind: (await deps.access.authorize({ actor, action: "recordings", path })).allow,
        canClip: (await deps.access.authorize({ actor, action: "clip", path })).allow,
        oembed: d.via === "public" ? oembedUrl(base, path) : undefined,
        early,
      }),
    );
  });

  app.route("/", adminPageRoutes(deps));

  return app;
}
