// Single sign-on over HTTP: the "Sign in with …" redirects, the providers' callback, linking a logged-in
// account (/account/sso), and logout at the provider. The flow itself is src/auth/oidc.ts.
//   GET  /login/oidc/:id[?next=]     starts a sign-in: state bound to this browser by the lg_oidc cookie
//                                    (HttpOnly, SameSite=Lax so the provider's redirect back carries it)
//   GET  /login/oidc/:id/callback    finishes it: a new session (new id, fresh CSRF token) or a clear page
//                                    (400/401/403/502) and never a session
//   GET  /account/sso, POST /account/sso/:id/link   a logged-in user links their account at a provider
//   POST /logout (wrapped)           after livegate's logout, to the provider's end_session_endpoint
import { type Context, Hono } from "hono";
import { html } from "hono/html";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { HttpError } from "../core/errors.ts";
import { csrfFailure, csrfToken, rotateCsrf } from "../http/csrf.ts";
import { publicBase } from "../http/client.ts";
import { requirePageLogin, setSessionCookie } from "../http/session.ts";
import { createSession, deleteSession, sessionId } from "../store/sessions.ts";
import { saveOidcSession, takeOidcSession, userIdentities } from "../store/identities.ts";
import { errorPage, layout } from "./pages.ts";
import { readForm, safeNext } from "./login-routes.ts";
import type { AppDeps, Env } from "../http/context.ts";
import { getUser } from "../store/users.ts";

export const OIDC_COOKIE = "lg_oidc";

/** A page that sends the browser on to `url` (Refresh header, plus a link to click). */
async function leavePage(c: Context<Env>, url: string, text: string): Promise<Response> {
  const res = await c.html(layout(
    "Continue",
    html`
      <section class="card narrow">
        <p>${text}</p>
        <p><a id="continue" href="${url}">Continue</a></p>
      </section>
    `,
  ));
  res.headers.set("refresh", `0;url=${url}`);
  return res;
}

export function oidcRoutes(deps: Pick<AppDeps, "store" | "cfg" | "log" | "oidc">) {
  const app = new Hono<Env>();
  const oidc = deps.oidc;
  const callbackOf = (c: Parameters<typeof publicBase>[0], id: string) =>
    `${publicBase(c, deps)}/login/oidc/${id}/callback`;

  /** Any HttpError of the flow becomes a page with its status; nothing else is set. */
  const failPage = (c: Parameters<typeof publicBase>[0], e: unknown) => {
    deleteCookie(c, OIDC_COOKIE, { path: "/login/oidc", secure: c.get("secureCookies") });
    if (e instanceof HttpError) {
      return c.html(errorPage(e.status, `Sign-in failed: ${e.message}`), e.status as 400);
    }
    throw e;
  };

  const start = async (c: Parameters<typeof publicBase>[0], id: string, next: string, linkUser?: string) => {
    try {
      const { url, state } = await oidc.begin(id, callbackOf(c, id), next, linkUser);
      setCookie(c, OIDC_COOKIE, state, {
        httpOnly: true,
        sameSite: "Lax",
        secure: c.get("secureCookies"),
        path: "/login/oidc",
        maxAge: 600,
      });
      return c.redirect(url, 303);
    } catch (e) {
      return failPage(c, e);
    }
  };

  app.get("/login/oidc/:id", (c) => start(c, c.req.param("id"), safeNext(c.req.query("next"))));

  app.get("/login/oidc/:id/callback", async (c) => {
    const id = c.req.param("id");
    const here = new URL(c.req.url);
    const url = new URL(callbackOf(c, id));
    url.search = here.search;
    try {
      const r = await oidc.finish(id, url, getCookie(c, OIDC_COOKIE));
      deleteCookie(c, OIDC_COOKIE, { path: "/login/oidc", secure: c.get("secureCookies") });
      if (r.linked) return c.redirect("/account/sso", 303);
      await deleteSession(deps.store, c.get("sessionToken")); // never reuse a pre-login session id
      const token = await createSession(deps.store, r.user.name, deps.cfg.sessionTtlSeconds);
      setSessionCookie(c, deps, token);
      rotateCsrf(c);
      await saveOidcSession(
        deps.store,
        (await sessionId(token))!,
        { provider: r.provider.id, idToken: r.idToken },
        deps.cfg.sessionTtlSeconds * 1000,
      );
      return c.redirect(safeNext(r.next), 303);
    } catch (e) {
      return failPage(c, e);
    }
  });

  app.use("/account/sso", requirePageLogin);
  app.use("/account/sso/*", requirePageLogin);
  app.get("/account/sso", async (c) => {
    const u = c.get("user")!;
    const csrf = csrfToken(c);
    const linked = await userIdentities(deps.store, u.name);
    return c.html(layout(
      "Sign-in providers",
      html`
        <section class="card">
          <h1>Sign-in providers</h1>
          <table id="sso">
            <tbody>${oidc.providers.map((p) => {
              const l = linked.find((i) => i.provider === p.id);
              return html`
                <tr data-provider="${p.id}">
                  <td>${p.name}</td>
                  <td>${l ? html`linked ${new Date(l.linked).toISOString().slice(0, 10)}` : html`
                    <form method="post"
                      action="/account/sso/${p
                        .id}/link" class="inline"><input type="hidden" name="csrf" value="${csrf}">
                                <button>Link my ${p.name} account</button></form>
                  `}</td>
                </tr>
              `;
            })}</tbody>
          </table>
        </section>
      `,
      { user: u.name, csrf },
    ));
  });
  app.post("/account/sso/:id/link", async (c) => {
    const form = await readForm(c.req.raw);
    const fail = csrfFailure(c, form?.csrf);
    if (fail) return c.html(errorPage(403, fail), 403);
    const u = await getUser(deps.store, c.get("user")!.name);
    if (!u) return c.html(errorPage(403, "Not allowed."), 403);
    const r = await start(c, c.req.param("id"), "/account/sso", u.name);
    const to = r.headers.get("location");
    if (r.status !== 303 || !to) return r;
    // Not a 303 after a form POST (CSP form-action 'self'): a page that goes on to the provider.
    const cookies = r.headers.getSetCookie();
    const page = await leavePage(c, to, "Going to the provider to link your account…");
    for (const k of cookies) page.headers.append("set-cookie", k);
    return page;
  });

  // Logout: livegate's own logout runs first (login-routes.ts); when it succeeded and the session came from
  // a provider with an end_session_endpoint, the browser goes there and comes back to /login.
  app.post("/logout", async (c, next) => {
    const sid = await sessionId(c.get("sessionToken"));
    await next();
    if (!sid || c.res.status !== 303) return;
    const rec = await takeOidcSession(deps.store, sid);
    if (!rec) return;
    const end = await oidc.endSessionUrl(rec.provider, rec.idToken, `${publicBase(c, deps)}/login`);
    if (!end) return;
    // A page that goes on to the provider (Refresh header, and a link): the CSP's form-action 'self' stops
    // a form's POST from being redirected to another site, so no 303 to the provider here.
    const cookies = c.res.headers.getSetCookie();
    c.res = undefined as unknown as Response; // Hono's res setter would copy the old headers (Location)
    c.res = await leavePage(
      c,
      end,
      `You are logged out of livegate. Logging you out of ${rec.provider} too…`,
    );
    for (const k of cookies) c.res.headers.append("set-cookie", k);
  });
  return app;
}
