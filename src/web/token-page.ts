// The dashboard's API tokens page (/account/tokens): a logged-in user lists, creates and revokes their
// personal API tokens. Plain forms with the CSRF token (no script); a new token's secret is shown once in
// the answer to the create form. The rules are those of the JSON API (src/api/tokens.ts) and the door's
// "tokens" action.
import { type Context, Hono } from "hono";
import { html } from "hono/html";
import { csrfFailure, csrfToken } from "../http/csrf.ts";
import { requirePageLogin } from "../http/session.ts";
import { StoreError } from "../core/errors.ts";
import { createToken, listTokens, parseTokenTtl, revokeToken, validateScopes } from "../store/tokens.ts";
import { scopesForRole } from "../api/tokens.ts";
import { errorPage, layout } from "./pages.ts";
import { readForm } from "./login-routes.ts";
import type { AppDeps, Env } from "../http/context.ts";
import type { User } from "../store/users.ts";

const when = (ms?: number) =>
  ms ? new Date(ms).toISOString().replace("T", " ").slice(0, 19) + " UTC" : "never";

async function tokensPage(
  deps: Pick<AppDeps, "store">,
  u: User,
  csrf: string,
  msg: { created?: string; error?: string } = {},
) {
  const tokens = await listTokens(deps.store, u.name);
  const scopes = scopesForRole(u);
  return layout(
    "API tokens",
    html`<section class="card">
  <h1>API tokens</h1>
  <p>Use a token as <code>Authorization: Bearer TOKEN</code> on <code>/api/…</code>. Scopes: <b>read</b> (watch,
  lists, recordings), <b>streams</b> (also your streams' settings, keys, share links, publish JWTs),
  <b>admin</b> (also users, sessions, audit; every use is audited).</p>
  ${msg.error ? html`<p class="error" role="alert">${msg.error}</p>` : ""}
  ${
      msg.created
        ? html`<p class="notice" role="status">New token (shown once, copy it now):
    <code id="new-token">${msg.created}</code></p>`
        : ""
    }
  <table id="tokens"><thead><tr><th>Name</th><th>Scopes</th><th>Created</th><th>Expires</th><th>Last used</th><th></th></tr></thead>
  <tbody>${
      tokens.map((t) =>
        html`
          <tr data-id="${t.id}">
            <td>${t.name}</td>
            <td>${t.scopes.join(", ")}</td>
            <td>${when(t.created)}</td>
            <td>${when(t.expiresAt)}</td>
            <td class="last-used">${when(t.lastUsed)}</td>
            <td>
              <form method="post" action="/account/tokens/${t.id}/revoke" class="inline">
                <input type="hidden" name="csrf" value="${csrf}"><button>Revoke</button></form>
            </td>
          </tr>
        `
      )
    }</tbody></table>
  <h2>New token</h2>
  <form method="post" action="/account/tokens" id="new-token-form">
    <input type="hidden" name="csrf" value="${csrf}">
    <label>Name <input name="name" required maxlength="64" value="api"></label>
    <fieldset><legend>Scopes</legend>${
      scopes.map((s) =>
        html`<label><input type="checkbox" name="scope" value="${s}" ${
          s === "read" ? "checked" : ""
        }> ${s}</label>`
      )
    }</fieldset>
    <label>Expires in <select name="expires"><option value="1d">1 day</option><option value="30d" selected>30 days</option>
      <option value="90d">90 days</option><option value="365d">1 year</option></select></label>
    <button type="submit">Create token</button>
  </form>
</section>`,
    { user: u.name, csrf },
  );
}

export function tokenPageRoutes(deps: Pick<AppDeps, "store" | "access">) {
  const app = new Hono<Env>();
  app.use("/account/tokens", requirePageLogin);
  app.use("/account/tokens/*", requirePageLogin);

  const allowed = async (c: Context<Env>) =>
    (await deps.access.authorize({ actor: c.get("actor"), action: "tokens" })).allow;

  app.get("/account/tokens", async (c) => {
    if (!(await allowed(c))) return c.html(errorPage(403, "Not allowed."), 403);
    return c.html(await tokensPage(deps, c.get("user")!, csrfToken(c)));
  });

  app.post("/account/tokens", async (c) => {
    const u = c.get("user")!;
    const csrf = csrfToken(c);
    const raw = await c.req.raw.clone().text().catch(() => "");
    const form = await readForm(c.req.raw);
    // The CSRF check first: a cross-site post is refused whatever its body.
    const fail = csrfFailure(c, form?.csrf);
    if (fail) return c.html(await tokensPage(deps, u, csrf, { error: fail }), 403);
    if (!form) return c.html(await tokensPage(deps, u, csrf, { error: "Bad form." }), 400);
    if (!(await allowed(c))) return c.html(errorPage(403, "Not allowed."), 403);
    try {
      const picked = new URLSearchParams(raw).getAll("scope");
      const scopes = validateScopes(picked.length ? picked : ["read"]);
      const extra = scopes.filter((s) => !scopesForRole(u).includes(s));
      if (extra.length) {
        throw new StoreError("invalid", `a ${u.role} cannot give a token the scope ${extra.join(", ")}`);
      }
      const { token } = await createToken(deps.store, u.name, {
        name: form.name,
        scopes,
        ttlS: parseTokenTtl(form.expires),
        audit: {
          actor: u.name,
          action: "token.create",
          target: String(form.name).slice(0, 64),
          ip: c.get("clientIp"),
        },
      });
      return c.html(await tokensPage(deps, u, csrf, { created: token }), 201);
    } catch (e) {
      if (e instanceof StoreError) return c.html(await tokensPage(deps, u, csrf, { error: e.message }), 400);
      throw e;
    }
  });

  app.post("/account/tokens/:id/revoke", async (c) => {
    const u = c.get("user")!;
    const csrf = csrfToken(c);
    const form = await readForm(c.req.raw);
    const fail = csrfFailure(c, form?.csrf);
    if (fail) return c.html(await tokensPage(deps, u, csrf, { error: fail }), 403);
    try {
      await revokeToken(deps.store, u.name, c.req.param("id"), {
        actor: u.name,
        action: "token.revoke",
        target: c.req.param("id"),
        ip: c.get("clientIp"),
      });
    } catch (e) {
      if (e instanceof StoreError) return c.html(await tokensPage(deps, u, csrf, { error: e.message }), 404);
      throw e;
    }
    return c.redirect("/account/tokens", 303);
  });
  return app;
}
