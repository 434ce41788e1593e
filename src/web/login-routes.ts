// Login and logout. New session id on every login (no fixation), rate limits per IP and per user name,
// the same answer and similar timing for an unknown user and a wrong password. Logout ends the session and
// clears the session and share-link cookies.
import { Hono } from "hono";
import { csrfFailure, csrfToken, rotateCsrf } from "../http/csrf.ts";
import { beginLoginAttempt, loginSucceeded } from "../auth/ratelimit.ts";
import { dummyHash, verifyPassword } from "../core/password.ts";
import { SESSION_COOKIE, setSessionCookie, SHARE_COOKIE } from "../http/session.ts";
import { createSession, deleteSession } from "../store/sessions.ts";
import { getUser } from "../store/users.ts";
import { loginPage as basePage } from "./pages.ts";
import type { AppDeps, Env } from "../http/context.ts";
import { deleteCookie } from "hono/cookie";
import { readBodyCapped } from "../core/body.ts";
import { isKnownDevice, rememberDevice } from "../http/known-device.ts";
import { deviceOf } from "../http/device.ts";

const MAX_FORM = 16 * 1024;

/** Only same-site absolute paths; anything else (//evil, /\evil, http:) goes to "/". */
export function safeNext(next: unknown): string {
  if (typeof next !== "string" || next.length > 2048) return "/";
  if (!next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/";
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\\]/.test(next)) return "/";
  return next;
}

/** A small login-style form body (urlencoded or multipart, ≤ 16 KiB); null when it is anything else. */
export async function readForm(req: Request): Promise<Record<string, string> | null> {
  const len = Number(req.headers.get("content-length") ?? "0");
  if (len > MAX_FORM) return null;
  const type = req.headers.get("content-type") ?? "";
  if (!type.startsWith("application/x-www-form-urlencoded") && !type.startsWith("multipart/form-data")) {
    return null;
  }
  const text = await readBodyCapped(req, MAX_FORM).catch(() => null);
  if (text === null) return null;
  if (type.startsWith("multipart/")) {
    const fd = await new Response(text, { headers: { "content-type": type } }).formData().catch(() => null);
    if (!fd) return null;
    const out: Record<string, string> = {};
    for (const [k, v] of fd) if (typeof v === "string") out[k] = v;
    return out;
  }
  return Object.fromEntries(new URLSearchParams(text));
}

export function loginRoutes(deps: Pick<AppDeps, "store" | "cfg" | "metrics">) {
  const loginFailures = deps.metrics.loginFailures;
  const app = new Hono<Env>();
  // The sign-in providers' buttons, and the form only while local passwords are on (src/web/oidc-routes.ts).
  const sso = { providers: deps.cfg.oidc.providers, local: deps.cfg.localLogin };
  const loginPage = (o: Parameters<typeof basePage>[0]) => basePage({ ...o, sso });

  app.get("/login", (c) => {
    const next = safeNext(c.req.query("next"));
    if (c.get("user")) return c.redirect(next, 302);
    return c.html(loginPage({ csrf: csrfToken(c), next }));
  });

  app.post("/login", async (c) => {
    if (!sso.local) {
      await c.req.raw.body?.cancel();
      return c.html(
        loginPage({
          csrf: csrfToken(c),
          next: "/",
          error: "Local passwords are turned off: sign in with a provider.",
        }),
        403,
      );
    }
    const form = await readForm(c.req.raw);
    if (!form) return c.html(loginPage({ csrf: csrfToken(c), next: "/", error: "Bad login form." }), 400);
    const next = safeNext(form.next);
    const user = (form.user ?? "").trim();
    const password = form.password ?? "";
    const fail = csrfFailure(c, form.csrf);
    if (fail) return c.html(loginPage({ csrf: csrfToken(c), next, error: fail, user }), 403);
    if (!user || !password || user.length > 64 || password.length > 1024) {
      return c.html(
        loginPage({ csrf: csrfToken(c), next, error: "Enter a user name and password.", user }),
        400,
      );
    }
    const ip = c.get("clientIp");
    const known = await isKnownDevice(c, deps, user);
    // Counted before the (slow) password check: parallel guesses cannot overrun the limit.
    const wait = await beginLoginAttempt(deps.store.kv, deps.cfg.loginLimits, ip, user, known);
    if (wait > 0) {
      loginFailures.inc({ reason: "rate_limited" });
      c.header("Retry-After", String(wait));
      return c.html(
        loginPage({
          csrf: csrfToken(c),
          next,
          user,
          error: `Too many failed logins. Try again in ${wait} s.`,
        }),
        429,
      );
    }
    const u = await getUser(deps.store, user);
    const ok = await verifyPassword(password, u?.passwordHash ?? await dummyHash());
    if (!u || !ok || u.disabled) {
      loginFailures.inc({ reason: "bad_credentials" });
      return c.html(
        loginPage({ csrf: csrfToken(c), next, user, error: "Wrong user name or password." }),
        401,
      );
    }
    await loginSucceeded(deps.store.kv, ip, user);
    await deleteSession(deps.store, c.get("sessionToken")); // never reuse a pre-login session id
    const token = await createSession(deps.store, u.name, deps.cfg.sessionTtlSeconds, {
      device: deviceOf(c.req.header("user-agent")),
    });
    setSessionCookie(c, deps, token);
    rotateCsrf(c); // a CSRF token the browser had before the login (maybe planted) ends with it
    await rememberDevice(c, deps, u.name);
    return c.redirect(next, 303);
  });

  app.post("/logout", async (c) => {
    const form = await readForm(c.req.raw);
    const fail = csrfFailure(c, form?.csrf ?? c.req.header("x-csrf-token"));
    if (fail) return c.text(fail, 403);
    await deleteSession(deps.store, c.get("sessionToken"));
    deleteCookie(c, SESSION_COOKIE, { path: "/", secure: c.get("secureCookies") });
    // A share link kept by the player page is dropped too: logging out leaves nothing to watch with.
    deleteCookie(c, SHARE_COOKIE, { path: "/", secure: c.get("secureCookies") });
    return c.redirect("/login", 303);
  });

  return app;
}
