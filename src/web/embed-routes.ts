// The embeddable player's routes:
//   GET /embed/<path>      the player alone (src/web/embed-page.ts), for the door's "watch" like /watch;
//                          framable by livegate and the stream's allowed origins (CSP frame-ancestors).
//                          A refusal is a page in the frame ("private", with a login link), not a redirect.
//   GET /oembed?url=...    oEmbed 1.0 (https://oembed.com, §2.2-2.3) for public streams: a CMS given a
//                          /watch/<path> or /embed/<path> link gets the iframe. JSON only (format=xml: 501);
//                          not a livegate stream URL: 404; not public: 401 (the same for every other case).
//   PATCH /api/streams/<path> with `embedOrigins` (list of origins): handled here (the door's "manage"),
//                          other fields go on to the streams API; GET /api/streams/<path> gets them added.
import { Hono } from "hono";
import type { Context, Next } from "hono";
import { setCookie } from "hono/cookie";
import { NAME_RE } from "../core/names.ts";
import { apiGuard, auditOf, jsonBody, managedStream } from "../api/common.ts";
import { hasOtherFields, mergeAnswer, rebody } from "../api/patch-extension.ts";
import { csrfToken } from "../http/csrf.ts";
import { publicBase } from "../http/client.ts";
import type { AppDeps, Env } from "../http/context.ts";
import { SHARE_COOKIE, SHARE_QUERY } from "../http/session.ts";
import { getEmbedOrigins, setEmbedOrigins, validateOrigins } from "../store/embeds.ts";
import { getStream } from "../store/streams.ts";
import { embedCsp, embedPage, embedRefusalPage, embedSnippet } from "./embed-page.ts";
import type { InlineScript } from "./early-inline.ts";

export const EMBED_FIELDS = ["embedOrigins"] as const;

/** oEmbed answers' default width (16:9) and largest frame (px). */
const DEFAULT_W = 640, MAX_W = 3840;

/** `early`: WebRTC's early start the embed page inlines (src/web/early-inline.ts). */
export function embedRoutes(deps: AppDeps, early: InlineScript) {
  const app = new Hono<Env>();

  /** Marks the answer framable by livegate and `origins` (the app's middleware keeps this CSP). */
  const framable = (c: Context<Env>, origins: string[]) => {
    c.header("Content-Security-Policy", embedCsp(origins, early));
  };

  app.get("/embed/:path", async (c) => {
    const path = c.req.param("path");
    if (!NAME_RE.test(path)) {
      framable(c, []);
      return c.html(embedRefusalPage({ path: "", status: 404, message: "No such stream." }), 404);
    }
    framable(c, await getEmbedOrigins(deps.store, path));
    const actor = c.get("actor");
    const d = await deps.access.authorize({ actor, action: "watch", path });
    if (!d.allow) {
      const message = c.req.query(SHARE_QUERY)
        ? "This share link is invalid, expired or revoked."
        : d.status === 401
        ? "This stream is private."
        : "This stream is private, or not for you.";
      return c.html(embedRefusalPage({ path, status: d.status, message }), d.status);
    }
    let share: string | undefined;
    if (d.via === "share" && d.share && actor.kind === "share" && c.req.query(SHARE_QUERY)) {
      share = actor.token;
      setCookie(c, SHARE_COOKIE, actor.token, {
        httpOnly: true,
        sameSite: "Lax",
        secure: c.get("secureCookies"),
        path: "/",
        maxAge: Math.max(1, Math.floor((d.share.expiresAt - deps.clock.now()) / 1000)),
      });
    }
    const stream = await getStream(deps.store, path);
    return c.html(
      embedPage({ path, title: stream?.title ?? "", csrf: csrfToken(c), via: d.via, share, early }),
    );
  });

  app.get("/oembed", async (c) => {
    c.header("cache-control", "no-store");
    const format = c.req.query("format") ?? "json";
    if (format !== "json") return c.json({ error: "only format=json is supported" }, 501);
    const raw = c.req.query("url") ?? "";
    const base = publicBase(c, deps);
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      return c.json({ error: "url must be a livegate /watch/<stream> or /embed/<stream> URL" }, 404);
    }
    const m = /^\/(?:watch|embed)\/([^/]+)$/.exec(u.pathname);
    if (u.origin !== new URL(base).origin || !m || !NAME_RE.test(m[1])) {
      return c.json({ error: "url must be a livegate /watch/<stream> or /embed/<stream> URL" }, 404);
    }
    const path = m[1];
    // Only what anyone may watch: asked as an anonymous viewer, whoever calls.
    const d = await deps.access.authorize({ actor: { kind: "anonymous" }, action: "watch", path });
    if (!d.allow || d.via !== "public") {
      return c.json({ error: "only public streams can be embedded through oEmbed" }, 401);
    }
    const num = (q: string | undefined, def: number) => {
      const n = Number(q);
      return q && Number.isInteger(n) && n > 0 ? Math.min(n, MAX_W) : def;
    };
    const maxW = num(c.req.query("maxwidth"), MAX_W), maxH = num(c.req.query("maxheight"), MAX_W);
    let width = Math.min(DEFAULT_W, maxW);
    let height = Math.round(width * 9 / 16);
    if (height > maxH) {
      height = maxH;
      width = Math.round(height * 16 / 9);
    }
    const stream = await getStream(deps.store, path);
    return c.json({
      version: "1.0",
      type: "video",
      provider_name: "livegate",
      provider_url: base,
      title: stream?.title || path,
      html: embedSnippet(base, path, width, height),
      width,
      height,
    });
  });

  app.patch("/api/streams/:path", apiGuard, async (c: Context<Env>, next: Next) => {
    if (!(c.req.header("content-type") ?? "").startsWith("application/json")) return await next();
    const b = await jsonBody(c);
    if (!EMBED_FIELDS.some((f) => f in b)) {
      rebody(c, b);
      return await next();
    }
    const { path } = await managedStream(deps, c);
    const origins = validateOrigins(b.embedOrigins);
    await setEmbedOrigins(
      deps.store,
      path,
      origins,
      auditOf(c, "embed.origins", path, origins.join(" ") || "(self only)"),
    );
    const extra = { embedOrigins: origins };
    if (hasOtherFields(b, EMBED_FIELDS)) {
      const rest = { ...b };
      for (const f of EMBED_FIELDS) delete rest[f];
      rebody(c, rest);
      await next();
      await mergeAnswer(c, extra);
      return;
    }
    return c.json({ stream: await getStream(deps.store, path), ...extra });
  });

  app.get("/api/streams/:path", apiGuard, async (c, next) => {
    await next();
    const path = c.req.param("path") ?? "";
    if (!c.res.ok || !NAME_RE.test(path)) return;
    const base = publicBase(c, deps);
    await mergeAnswer(c, {
      embedOrigins: await getEmbedOrigins(deps.store, path),
      embed: embedSnippet(base, path),
    });
  });

  return app;
}
