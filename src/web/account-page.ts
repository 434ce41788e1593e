// The account page (/account): change the own password, see the own login sessions (device, when made,
// last use; times in the viewer's local time), end one or all others. static/admin.ts sends the forms to
// /api/account (src/api/account.ts). Also the set-password page a link from an admin opens.
import { html } from "hono/html";
import { layout } from "./pages.ts";
import type { AccountView } from "../api/account.ts";

/** A time the browser shows in local time (static/admin.ts); the ISO value works without script. */
export const localTime = (t: number) =>
  html`<time datetime="${new Date(t).toISOString()}">${
    new Date(t).toISOString().replace("T", " ").slice(0, 16)
  } UTC</time>`;

export function accountPage(v: AccountView, csrf: string) {
  const others = v.total - (v.sessions.some((s) => s.current) ? 1 : 0);
  return layout(
    "Your account",
    html`
      <section class="card narrow">
        <h1>Your account</h1>
        <p>Logged in as <strong>${v.user}</strong> (${v.role}). <a href="/account/tokens">API tokens</a></p>
        <h2>Change password</h2>
        <form data-api="/api/account/password" data-method="POST" class="grid-form" id="password-form">
          <label>Current password <input name="current" type="password" required maxlength="1024" autocomplete="current-password"></label>
          <label>New password (at least 12 characters) <input name="password" type="password" required minlength="12" maxlength="1024" autocomplete="new-password"></label>
          <button type="submit">Change password</button>
          <p class="msg" role="status" aria-live="polite"></p>
        </form>
      </section>
      <section class="card">
        <h1>Where you are logged in</h1>
        <p>${v.total} session${v.total === 1 ? "" : "s"}.${others > 0
          ? html`
            <button class="danger" data-api="/api/account/sessions/end-others" data-method="POST"
              data-confirm="Log out everywhere except here?">Log out everywhere else</button>
          `
          : ""}</p>
        <div class="scroll">
          <table class="grid" id="account-sessions">
            <thead><tr><th>Device</th><th>Last used</th><th>Logged in</th><th><span class="sr-only">Action</span></th></tr></thead>
            <tbody>${v.sessions.map((s) =>
              html`
                <tr>
                  <td>${s.device}${s.current
                    ? html`
                      <span class="badge">this device</span>
                    `
                    : ""}</td>
                  <td>${localTime(s.lastUsed)}</td>
                  <td>${localTime(s.created)}</td>
                  <td>${s.current
                    ? html`
                      <form method="post" action="/logout"
                        class="inline"><input type="hidden" name="csrf" value="${csrf}"><button class="link">Log out</button></form>
                    `
                    : html`
                      <button class="link" data-api="/api/account/sessions/${s.id}" data-method="DELETE"
                        aria-label="End the session of ${s.device}, last used ${new Date(s.lastUsed)
                          .toISOString()}">End</button>
                    `}</td>
                </tr>
              `
            )}</tbody>
          </table>
        </div>
        ${v.pages > 1
          ? html`<nav class="pager" aria-label="Sessions pages">
            ${v.page > 1 ? html`<a href="/account?page=${v.page - 1}">Newer</a>` : ""}
            <span>Page ${v.page} of ${v.pages}</span>
            ${v.page < v.pages ? html`<a href="/account?page=${v.page + 1}">Older</a>` : ""}
          </nav>`
          : ""}
      </section>
      <script type="module" src="/static/admin.js"></script>
    `,
    { user: v.user, csrf, bodyData: `data-csrf="${csrf}"` },
  );
}

/** The page a set-password link opens: the new password twice, or why the link does not work. */
export function setPasswordPage(
  opts: { csrf: string; token: string; user?: string; error?: string; gone?: boolean },
) {
  return layout(
    "Set your password",
    html`<section class="card narrow">
      <h1>Set your password</h1>
      ${
      opts.gone
        ? html`
          <p class="msg error" role="alert">This link has expired or was already used. Ask your admin for a new one.</p>
          <p><a href="/login">Go to the login page</a></p>
        `
        : html`
          <p>For the account <strong>${opts.user}</strong>. Choose a password of at least 12 characters.</p>
                    ${opts.error ? html`<p class="msg error" role="alert">${opts.error}</p>` : ""}
                    <form method="post" action="/set-password" class="grid-form">
            <input type="hidden" name="csrf" value="${opts.csrf}">
            <input type="hidden" name="token" value="${opts.token}">
            <input type="text" name="user" value="${opts
              .user}" autocomplete="username" aria-label="User name" hidden>
            <label>New password <input name="password" type="password" required minlength="12" maxlength="1024" autocomplete="new-password"></label>
            <label>Repeat it <input name="again" type="password" required minlength="12" maxlength="1024" autocomplete="new-password"></label>
            <button type="submit">Set password and log in</button>
          </form>
        `
    }
    </section>`,
  );
}
