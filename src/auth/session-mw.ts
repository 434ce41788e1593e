// Loads the login session from the cookie and offers guards for pages (redirect to /login) and APIs (401).
import type { Context, MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { getSession } from "../store/sessions.ts";
import { getUser } from "../store/users.ts";
import { clearMediaCaches, mediaCaches } from "./session-cache.ts";
import { nudgePublishRecheck } from "../mediamtx/publish-recheck.ts";
import { clearPublishCache } from "./publish-cache.ts";
import type { AppDeps, Env } from "../http/context.ts";

export const SESSION_COOKIE = "lg_session";

/** Whether cookies get the Secure flag: LIVEGATE_SECURE_COOKIES, "auto" meaning when over HTTPS. */
export function secureCookie(c: Context<Env>, deps: Pick<AppDeps, "cfg">): boolean {
  return deps.cfg.secureCookies === "always" || (deps.cfg.secureCookies === "auto" && c.get("https"));
}

export function setSessionCookie(c: Context<Env>, deps: AppDeps, token: string): void {
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: "Lax",
    secure: secureCookie(c, deps),
    path: "/",
    maxAge: deps.cfg.sessionTtlSeconds,
  });
}

/** Media requests (HLS playlists and parts) use a short-lived session cache: see session-cache.ts. */
const isMedia = (path: string) => path.startsWith("/hls/");

export function loadSession(deps: AppDeps): MiddlewareHandler<Env> {
  const cache = mediaCaches(deps.kv).sessions;
  // The media caches and the hook's publish decisions (publish-cache.ts) go with any state change.
  const clearCaches = () => {
    clearMediaCaches(deps.kv);
    clearPublishCache(deps.kv);
  };
  return async (c, next) => {
    const safe = c.req.method === "GET" || c.req.method === "HEAD";
    if (!safe) clearCaches();
    const token = getCookie(c, SESSION_COOKIE);
    c.set("sessionToken", token);
    c.set("session", null);
    c.set("user", null);
    const media = safe && isMedia(c.req.path);
    const hit = token && media ? cache.get(token) : undefined;
    if (hit) {
      c.set("session", hit.session);
      c.set("user", hit.user);
    } else if (token) {
      const before = Date.now();
      const s = await getSession(deps.kv, token, deps.cfg.sessionTtlSeconds);
      if (s) {
        const user = await getUser(deps.kv, s.user);
        if (user && !user.disabled) {
          c.set("session", s);
          c.set("user", user);
          if (media) cache.set(token, s, user);
          // Sliding renewal: refresh the cookie when the stored expiry moved.
          if (s.expiresAt - before > deps.cfg.sessionTtlSeconds * 1000 - 5000) {
            setSessionCookie(c, deps, token);
          }
        }
      }
    }
    if (safe) return await next();
    try {
      await next();
    } finally {
      clearCaches(); // after the change too: a lookup racing with it may have cached the old state
      nudgePublishRecheck(deps.kv); // a running publish may have lost what allowed it
    }
  };
}

/** For pages: no session -> redirect to the login page, remembering where the user was going. */
export const requirePageLogin: MiddlewareHandler<Env> = async (c, next) => {
  if (!c.get("user")) {
    const u = new URL(c.req.url);
    return c.redirect(`/login?next=${encodeURIComponent(u.pathname + u.search)}`, 302);
  }
  await next();
};

/** For media and APIs: no session -> 401 with a JSON message. */
export const requireApiLogin: MiddlewareHandler<Env> = async (c, next) => {
  if (!c.get("user")) return c.json({ error: "login required" }, 401);
  await next();
};
