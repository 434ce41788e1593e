// /account (the own account page, logged in) and /set-password (the page a set-password link opens: an
// invitation or a reset; the token is in the query, where the access logs redact it). Setting the password
// through a link uses the link up, ends the user's other sessions and logs this browser in.
import { Hono } from "hono";
import { csrfFailure, csrfToken, rotateCsrf } from "../http/csrf.ts";
import { requirePageLogin, setSessionCookie } from "../http/session.ts";
import { deviceOf } from "../http/device.ts";
import { createSession, deleteSession } from "../store/sessions.ts";
import { peekPasswordLink, redeemPasswordLink } from "../store/password-links.ts";
import { StoreError } from "../core/errors.ts";
import { accountView, pageParam } from "../api/account.ts";
import { accountPage, setPasswordPage } from "./account-page.ts";
import { readForm } from "./login-routes.ts";
import type { AppDeps, Env } from "../http/context.ts";

export function accountRoutes(deps: AppDeps) {
  const app = new Hono<Env>();

  app.get("/account", requirePageLogin, async (c) => {
    const view = await accountView(
      deps,
      c.get("user")!,
      c.get("sessionToken"),
      pageParam(c.req.query("page")),
    );
    return c.html(accountPage(view, csrfToken(c)));
  });

  app.get("/set-password", async (c) => {
    const token = c.req.query("token") ?? "";
    const link = await peekPasswordLink(deps.store, token, deps.clock.now());
    if (!link) return c.html(setPasswordPage({ csrf: csrfToken(c), token: "", gone: true }), 410);
    return c.html(setPasswordPage({ csrf: csrfToken(c), token, user: link.user }));
  });

  app.post("/set-password", async (c) => {
    const form = await readForm(c.req.raw);
    const token = form?.token ?? "";
    const now = deps.clock.now();
    const link = await peekPasswordLink(deps.store, token, now);
    // The CSRF check comes first: a cross-site post learns nothing, not even whether the link works.
    const fail = csrfFailure(c, form?.csrf);
    if (fail) {
      return c.html(
        setPasswordPage({
          csrf: csrfToken(c),
          token: link ? token : "",
          user: link?.user,
          error: fail,
          gone: !link,
        }),
        403,
      );
    }
    if (!form || !link) return c.html(setPasswordPage({ csrf: csrfToken(c), token: "", gone: true }), 410);
    const again = (error: string, status: 400 | 403) =>
      c.html(setPasswordPage({ csrf: csrfToken(c), token, user: link.user, error }), status);
    const password = form.password ?? "";
    if (password !== (form.again ?? "")) return again("The two passwords differ.", 400);
    let user: string;
    try {
      user = await redeemPasswordLink(deps.store, token, password, now, {
        actor: link.user,
        action: "user.password_set_by_link",
        target: link.user,
        ip: c.get("clientIp"),
      });
    } catch (e) {
      if (e instanceof StoreError && e.kind === "invalid") return again(e.message, 400);
      if (e instanceof StoreError && e.kind === "not_found") {
        return c.html(setPasswordPage({ csrf: csrfToken(c), token: "", gone: true }), 410);
      }
      throw e;
    }
    await deleteSession(deps.store, c.get("sessionToken"));
    const session = await createSession(deps.store, user, deps.cfg.sessionTtlSeconds, {
      device: deviceOf(c.req.header("user-agent")),
    });
    setSessionCookie(c, deps, session);
    rotateCsrf(c);
    return c.redirect("/", 303);
  });

  return app;
}
