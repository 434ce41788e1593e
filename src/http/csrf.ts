// CSRF protection for forms and JSON writes: a random token in an HttpOnly SameSite=Strict cookie must
// be echoed in the form field "csrf" (or the X-CSRF-Token header), and a cross-site Origin is refused.
import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { randomToken, safeEqualString } from "../core/crypto.ts";
import type { Env } from "./context.ts";

export const CSRF_COOKIE = "lg_csrf";

/** Returns the CSRF token for this browser, setting the cookie when it has none. */
export function csrfToken(c: Context<Env>): string {
  const cur = getCookie(c, CSRF_COOKIE);
  if (cur && /^[A-Za-z0-9_-]{43}$/.test(cur)) return cur;
  return rotateCsrf(c);
}

/**
 * Issues a fresh CSRF token (cookie) and returns it. Called at login, so a token planted in the browser
 * before (a cookie set by a neighbouring site) is never the one of a logged-in session.
 */
export function rotateCsrf(c: Context<Env>): string {
  const t = randomToken(32);
  setCookie(c, CSRF_COOKIE, t, {
    httpOnly: true,
    sameSite: "Strict",
    secure: c.get("secureCookies"), // LIVEGATE_SECURE_COOKIES, like the session cookie
    path: "/",
  });
  return t;
}

/** null when the request passes; otherwise why it fails. */
export function csrfFailure(c: Context<Env>, submitted: string | undefined): string | null {
  const origin = c.req.header("origin");
  if (origin && origin !== "null") {
    const host = c.req.header("x-forwarded-host") ?? c.req.header("host") ?? new URL(c.req.url).host;
    let originHost = "";
    try {
      originHost = new URL(origin).host;
    } catch { /* invalid */ }
    if (originHost !== host) return "cross-site request refused";
  }
  if (c.req.header("sec-fetch-site") === "cross-site") return "cross-site request refused";
  const cookie = getCookie(c, CSRF_COOKIE);
  if (!cookie || !submitted || !safeEqualString(cookie, submitted)) {
    return "missing or invalid CSRF token; reload the page and try again";
  }
  return null;
}
