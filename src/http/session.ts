// The one middleware that reads who a request is: the login session from its cookie (user), a share link
// from ?share= or the lg_share cookie, and from those the Actor the door (src/auth/access.ts) decides on.
// Also the session cookie itself and the page/API guards. Nothing here clears caches: they follow the
// store's announced changes (src/app/invalidation.ts), whatever the HTTP method.
import type { Context, MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import type { Actor } from "../auth/access.ts";
import { parseBearer, resolveApiToken } from "../auth/api-tokens.ts";
import { appendAudit } from "../store/audit.ts";
import { getSession } from "../store/sessions.ts";
import { getUser } from "../store/users.ts";
import type { AppDeps, Env } from "./context.ts";

export const SESSION_COOKIE = "lg_session";
export const SHARE_COOKIE = "lg_share";
export const SHARE_QUERY = "share";

/** The share token of this request: ?share=TOKEN or the lg_share cookie set by the share-link page. */
export function shareTokenOf(c: Context<Env>): string | undefined {
  return c.req.query(SHARE_QUERY) ?? getCookie(c, SHARE_COOKIE) ?? undefined;
}

/** Sets the session cookie (HttpOnly, SameSite=Lax, Secure per LIVEGATE_SECURE_COOKIES). */
export function setSessionCookie(c: Context<Env>, deps: Pick<AppDeps, "cfg">, token: string): void {
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: "Lax",
    secure: c.get("secureCookies"),
    path: "/",
    maxAge: deps.cfg.sessionTtlSeconds,
  });
}

/** Media requests (HLS playlists and parts) use a short-lived session cache: see auth/session-cache.ts. */
const isMedia = (path: string) => path.startsWith("/hls/");

/** The actor of a request with this session user and share token. */
export function actorOf(user: Env["Variables"]["user"], share: string | undefined): Actor {
  if (share) return { kind: "share", token: share, user };
  return user ? { kind: "user", user } : { kind: "anonymous" };
}

/**
 * Sets session, user, sessionToken and actor on every request. On /api/* an `Authorization: Bearer`
 * header is an API token (src/auth/api-tokens.ts) and replaces the cookies: the actor is the token
 * (its user, narrowed by its scopes), no session; a bad, revoked or expired token is answered 401 here.
 * Every request made with an admin-scope token is written to the audit log.
 */
export function readActor(deps: Pick<AppDeps, "store" | "cfg" | "caches" | "clock">): MiddlewareHandler<Env> {
  const cache = deps.caches.sessions;
  return async (c, next) => {
    if (c.req.path.startsWith("/api/")) {
      const bearer = parseBearer(c.req.header("authorization"));
      if (bearer) {
        c.set("sessionToken", undefined);
        c.set("session", null);
        c.set("user", null);
        const r = "error" in bearer
          ? bearer
          : await resolveApiToken(deps.store, bearer.token, deps.clock.now());
        if ("error" in r) {
          c.header("WWW-Authenticate", 'Bearer realm="livegate", error="invalid_token"');
          return c.json({ error: r.error }, 401);
        }
        c.set("user", r.user);
        c.set("actor", { kind: "token", user: r.user, token: r.token });
        await next();
        if (r.token.scopes.includes("admin")) {
          await appendAudit(deps.store, {
            actor: r.user.name,
            action: "token.use",
            target: r.token.id,
            detail: `${c.req.method} ${c.req.path} -> ${c.res.status}`,
            ip: c.get("clientIp"),
          }).catch(() => {}); // a full disk must not turn an answered request into a 500
        }
        return;
      }
    }
    const safe = c.req.method === "GET" || c.req.method === "HEAD";
    const token = getCookie(c, SESSION_COOKIE);
    c.set("sessionToken", token);
    c.set("session", null);
    c.set("user", null);
    const media = safe && isMedia(c.req.path);
    const now = deps.clock.now();
    const hit = token && media ? cache.get(token, now) : undefined;
    if (hit) {
      c.set("session", hit.session);
      c.set("user", hit.user);
    } else if (token) {
      const s = await getSession(deps.store, token, deps.cfg.sessionTtlSeconds, now);
      if (s) {
        const user = await getUser(deps.store, s.user);
        if (user && !user.disabled) {
          c.set("session", s);
          c.set("user", user);
          if (media) cache.set(token, s, user, now);
          // Sliding renewal: refresh the cookie when the stored expiry moved.
          if (s.expiresAt - now > deps.cfg.sessionTtlSeconds * 1000 - 5000) {
            setSessionCookie(c, deps, token);
          }
        }
      }
    }
    c.set("actor", actorOf(c.get("user"), shareTokenOf(c)));
    await next();
  };
}

/** For pages: no session -> redirect to the login page, remembering where the user was going. */
export const requirePageLogin: MiddlewareHandler<Env> = async (c, next) => {
  if (!c.get("user")) return loginRedirect(c);
  await next();
};

/** The redirect to the login page, back to this URL afterwards. */
export function loginRedirect(c: Context<Env>): Response {
  const u = new URL(c.req.url);
  return c.redirect(`/login?next=${encodeURIComponent(u.pathname + u.search)}`, 302);
}

/** For media and APIs: no session -> 401 with a JSON message. */
export const requireApiLogin: MiddlewareHandler<Env> = async (c, next) => {
  if (!c.get("user")) return c.json({ error: "login required" }, 401);
  await next();
};
