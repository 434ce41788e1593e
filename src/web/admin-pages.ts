// Dashboard pages (server-rendered; static/admin.ts sends the forms to the JSON API with the CSRF header and
// keeps the live panel current). Admins see users, all streams and the audit log; streamers their streams.
import { html } from "hono/html";
import { layout } from "./pages.ts";
import type { User } from "../store/users.ts";
import { ROLES } from "../store/users.ts";
import { type Stream, VISIBILITIES } from "../store/streams.ts";
import type { StreamKey } from "../store/keys.ts";
import type { Share } from "../store/shares.ts";
import type { SessionInfo } from "../store/sessions.ts";
import type { AuditEntry } from "../store/audit.ts";
import type { LiveRow } from "../api/live-list.ts";
import { localTime } from "./account-page.ts";

/** A time shown in the viewer's local time (localTime), or "never". */
const when = (t: number | undefined | null) => t ? localTime(t) : "never";

function page(title: string, me: User, csrf: string, body: ReturnType<typeof html>) {
  return layout(
    title,
    html`${body}<script type="module" src="/static/admin.js"></script>
<script type="module" src="/static/thumbs.js"></script>
<script type="module" src="/static/ladder-admin.js"></script>`,
    { user: me.name, csrf, bodyData: `data-csrf="${csrf}"` },
  );
}

export interface StreamRowAdmin {
  path: string;
  registered: boolean;
  stream: Stream | null;
  keys: number;
  live: LiveRow | null;
}

export function dashboardPage(opts: {
  me: User;
  csrf: string;
  users: (User & { sessions: number })[] | null;
  streams: StreamRowAdmin[];
  audit: AuditEntry[] | null;
  /** Setup warnings for admins (public URL unset, plain HTTP from the network), shown as a banner. */
  warnings?: string[];
}) {
  const admin = opts.me.role === "admin";
  return page(
    "Dashboard",
    opts.me,
    opts.csrf,
    html`${
      (opts.warnings ?? []).map((w) => html`<p class="error banner" role="alert">${w}</p>`)
    }<section class="card">
  <div class="row-between"><h1>Streams</h1><span><a href="/admin/analytics">Analytics</a> · <a href="/">Home</a></span></div>
  <table class="grid" id="streams-table">
    <thead><tr><th>Path</th><th>State</th><th>Title</th><th>Visibility</th><th>Owner</th><th>Keys</th></tr></thead>
    <tbody>${
      opts.streams.map((r) =>
        html`
          <tr data-path="${r.path}">
            <td><a href="/admin/streams/${r.path}">${r.path}</a></td>
            <td>${r.live?.live
              ? html`<span class="badge live">LIVE</span> ${r.live.viewers} watching`
              : html`<span class="badge">offline</span>`}</td>
            <td>${r.stream?.title ?? ""}</td>
            <td>${r.registered
              ? r.stream!.visibility
              : html`<span class="muted">admins only (not registered)</span>`}</td>
            <td>${r.stream?.owner ?? html`<span class="muted">–</span>`}</td>
            <td>${r.keys}</td>
          </tr>
        `
      )
    }</tbody>
  </table>
  ${
      admin
        ? html`
          <h2>New stream</h2>
          <form data-api="/api/streams" data-method="POST" class="grid-form">
            <label>Path <input name="path" required maxlength="64" pattern="[A-Za-z0-9_][A-Za-z0-9_.\\-]*" placeholder="studio-a"></label>
            <label>Title <input name="title" maxlength="200"></label>
            <label>Visibility <select name="visibility">${VISIBILITIES.map((v) =>
              html`<option>${v}</option>`
            )}</select></label>
            <label>Owner (streamer) <input name="owner" maxlength="64" placeholder="none: admins only" list="user-names" autocomplete="off"></label>
            ${opts.users
              ? html`<datalist id="user-names">${
                opts.users.map((u) => html`<option value="${u.name}"></option>`)
              }</datalist>`
              : ""}
            <button type="submit">Create stream</button>
            <p class="msg" role="status"></p>
          </form>
        `
        : ""
    }
</section>
${
      opts.users
        ? html`
          <section class="card">
            <h1>Users</h1>
            <table class="grid" id="users-table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Role</th>
                  <th>Status</th>
                  <th>Sessions</th>
                  <th>Created</th>
                </tr>
              </thead>
              <tbody>${opts.users.map((u) =>
                html`
                  <tr data-user="${u.name}">
                    <td><a href="/admin/users/${u.name}">${u.name}</a></td>
                    <td>${u.role}</td>
                    <td>${u.disabled ? html`<span class="badge">disabled</span>` : "active"}</td>
                    <td>${u.sessions}</td>
                    <td>${when(u.created)}</td>
                  </tr>
                `
              )}</tbody>
            </table>
            <h2>New user</h2>
            <form data-api="/api/users" data-method="POST" data-show="password setPasswordUrl expiresAt"
              class="grid-form">
              <label>Name <input name="name" required maxlength="64"></label>
              <label
                class="check"><input type="checkbox" name="invite" checked> Give them a link to set their own password (works once, 7 days)</label>
              <label>Role <select name="role">${ROLES.map((r) =>
                html`<option ${r === "viewer" ? "selected" : ""}>${r}</option>`
              )}</select></label>
              <label>Password <input name="password" type="password" maxlength="1024" placeholder="empty: generate one" autocomplete="new-password"></label>
              <button type="submit">Create user</button>
              <p class="msg" role="status"></p>
            </form>
          </section>
        `
        : ""
    }
${
      opts.audit
        ? html`
          <section class="card">
            <h1>Audit log</h1>
            <table class="grid" id="audit-table">
              <thead>
                <tr>
                  <th>Time</th>
                  <th>Who</th>
                  <th>Action</th>
                  <th>Target</th>
                  <th>Detail</th>
                </tr>
              </thead>
              <tbody>${opts.audit.map((a) =>
                html`
                  <tr>
                    <td>${when(a.time)}</td>
                    <td>${a.actor}</td>
                    <td>${a.action}</td>
                    <td>${a.target}</td>
                    <td>${a.detail ?? ""}</td>
                  </tr>
                `
              )}</tbody>
            </table>
          </section>
        `
        : ""
    }`,
  );
}

/** What each visibility means, in one line (the stream page's choices). */
export const VISIBILITY_HELP: Record<string, string> = {
  public: "Anyone, without an account. Listed on the home page.",
  private: "Only people with an account here (or only those on the allow-list below).",
  unlisted: "Not listed. Only people you give a share link, plus you and the admins.",
};

/** The ready-made values a stream page shows (computed by the route from the request and settings). */
export interface StreamPageLinks {
  /** The watch page's URL at the address the browser reached livegate on. */
  watchUrl: string;
  /** OBS "Server" (rtmp://host:port) and the WHIP URL. */
  rtmpServer: string;
  whipUrl: string;
  /** "recording, kept 24 h" or "not recorded", and whether that is the server's default. */
  recording: string;
}

export function streamAdminPage(opts: {
  me: User;
  csrf: string;
  stream: Stream;
  version: string;
  keys: StreamKey[];
  shares: Share[];
  links: StreamPageLinks;
}) {
  const s = opts.stream;
  const admin = opts.me.role === "admin";
  const api = `/api/streams/${s.path}`;
  const obsKey = opts.keys.find((k) => k.name === "obs");
  const record = typeof s.record === "boolean" ? String(s.record) : "";
  return page(
    s.path,
    opts.me,
    opts.csrf,
    html`
      <section class="card">
        <div class="row-between"><h1>${s.title || s.path}</h1><a href="/admin">← Dashboard</a></div>
        <p><a href="/watch/${s.path}">Watch</a> · <a href="/go-live/${s
          .path}">Go live from the browser</a> · <a href="/recordings/${s.path}">Recordings</a> · <code>${s
          .path}</code>
          <a class="badge" id="live-badge" href="#live-card" title="Live state (details below)">…</a>
          <span class="badge" id="recording-badge">${opts.links.recording}</span></p>
        <form data-api="${api}" data-method="PATCH" class="grid-form" data-saved="Saved.">
          <input type="hidden" name="version" value="${opts.version}">
          <label>Title <input name="title" maxlength="200" value="${s.title}"></label>
          <fieldset class="choices">
            <legend>Who may watch (changing it ends all share links)</legend>
            ${VISIBILITIES.map((v) =>
              html`
                <label
                  class="check"><input type="radio" name="visibility" value="${v}" ${v === s.visibility
                    ? "checked"
                    : ""}> <span><strong>${v}</strong> · ${VISIBILITY_HELP[v]}</span></label>
              `
            )}
          </fieldset>
          ${admin
            ? html`<label>Owner <input name="owner" maxlength="64" value="${
              s.owner ?? ""
            }" placeholder="none: admins only" autocomplete="off"></label>`
            : ""}
          <label>Viewer allow-list (user names, comma separated; empty: every logged-in user) <input name="allow" data-type="list" value="${s
            .allow.join(
              ", ",
            )}" title="deleted:NAME is a deleted user: it matches nobody"></label>
          <label>Recording <select name="record" data-type="choice">
            <option value="" ${record === "" ? "selected" : ""}>server setting</option>
            <option value="true" ${record === "true" ? "selected" : ""}>record</option>
            <option value="false" ${record === "false" ? "selected" : ""}>do not record</option>
          </select></label>
          <button type="submit">Save</button>
          <p class="msg" role="status"></p>
        </form>
        ${admin
          ? html`<p><button class="danger" data-api="${api}" data-method="DELETE" data-confirm="Delete stream ${s.path} with all its keys and share links?" data-redirect="/admin">Delete stream</button></p>`
          : ""}
      </section>
      <section class="card" id="share">
        <h1>Share</h1>
        ${s.visibility === "unlisted"
          ? html`
            <p>Unlisted: make a link for the people who may watch. Anyone with the link can watch until it expires or you revoke it.</p>
            <form data-api="${api}/shares" data-method="POST" data-show="url" data-copy="url"
              data-add-row="shares-table" class="grid-form">
              <label>Valid for <select name="hours" data-type="number">
                            <option value="1">1 hour</option>
                            <option value="24" selected>1 day</option>
                            <option value="168">1 week</option>
                            <option value="720">30 days</option>
                          </select></label>
              <label>Label (who it is for) <input name="label" maxlength="100"></label>
              <button type="submit">Make a share link</button>
              <p class="msg" role="status"></p>
            </form>
          `
          : html`
            <p>${s.visibility === "public"
              ? "Public: anyone can watch at this address."
              : "Private: people log in with their account to watch at this address."}</p>
            <div
              class="copy-line"><code>${opts.links
                .watchUrl}</code> <button type="button" class="link" data-copy-text="${opts.links
                .watchUrl}" aria-label="Copy link to the watch page">Copy link</button></div>
          `}
        <table class="grid${s.visibility !== "unlisted" && !opts.shares.length
          ? " hidden"
          : ""}" id="shares-table" aria-label="Share links">
          <thead><tr><th>Label</th><th>By</th><th>Expires</th><th><span class="sr-only">Action</span></th></tr></thead>
          <tbody>${opts.shares.map((sh) =>
            html`
              <tr>
                <td title="id ${sh.id}">${sh.label || html`<span class="muted">(no label)</span>`}</td>
                <td>${sh.createdBy}</td>
                <td>${localTime(sh.expiresAt)}</td>
                <td><button class="link" data-api="${api}/shares/${sh
                  .id}" data-method="DELETE" data-confirm="Revoke this share link?" data-remove-row aria-label="Revoke the share link ${sh
                  .label || sh.id}">Revoke</button></td>
              </tr>
            `
          )}</tbody>
        </table>
      </section>
      <section class="card" id="connect">
        <h1>Connect OBS</h1>
        <p class="note">In OBS: Settings → Stream → Service “Custom…”, then paste the Server and the Stream Key.
          For sub-second latency choose Service “WHIP” instead and use the WHIP Server and Bearer Token.</p>
        <div
          class="copy-line">Server: <code>${opts.links
            .rtmpServer}</code> <button type="button" class="link" data-copy-text="${opts.links
            .rtmpServer}" aria-label="Copy Server">Copy</button></div>
        <div
          class="copy-line">WHIP Server: <code>${opts.links
            .whipUrl}</code> <button type="button" class="link" data-copy-text="${opts.links
            .whipUrl}" aria-label="Copy WHIP Server">Copy</button></div>
        <form data-api="${api}/keys" data-method="POST" data-show="" data-add-row="keys-table"
          class="grid-form"
          ${obsKey
            ? html`data-confirm="Make a new OBS key? The current one stops working at once (OBS must get the new one)."`
            : ""}>
          <input type="hidden" name="name" value="obs">
          <input type="hidden" name="replace" data-type="bool" value="true">
          <button type="submit">${obsKey
            ? "Regenerate the OBS stream key"
            : "Make a stream key for OBS"}</button>
          <p class="msg" role="status">${obsKey
            ? html`The OBS key was made ${localTime(obsKey.created)}${
              obsKey.lastUsed ? html`, last used ${localTime(obsKey.lastUsed)}` : ""
            }. Keys are shown only once: regenerate to see a new one.`
            : ""}</p>
        </form>
      </section>
      <section class="card" id="source" data-path="${s.path}">
        <h1>Source</h1>
        <p class="muted">Pull this stream from an IP camera or a remote stream instead of waiting for a publish
          (rtsp, rtsps, rtmp, rtmps, http(s) HLS, srt). A stream with a source cannot be published to. Credentials in
          the URL are stored encrypted and shown masked.</p>
        <p>State: <span id="source-state" class="badge">–</span> <span id="source-reason" class="muted"></span></p>
        <form id="source-form" class="grid-form">
          <label>Source URL <input name="source" maxlength="2048" autocomplete="off" placeholder="rtsp://user:pass@192.168.1.20:554/stream1"></label>
          <label><input type="checkbox" name="sourceOnDemand"> On demand (pulled only while someone watches)</label>
          <button type="submit">Save source</button>
          <button type="button" id="source-remove" class="link hidden">Remove source</button>
          <p class="msg" role="status"></p>
        </form>
        <script type="module" src="/static/sources.js"></script>
      </section>
      <section class="card">
        <h1>Embed</h1>
        <p
          class="muted">The player alone for an &lt;iframe&gt; on another site (<a href="/embed/${s
            .path}">/embed/${s.path}</a>). Copy:</p>
        <pre><code id="embed-snippet">…</code></pre>
        <form id="embed-form" class="grid-form">
          <label>Sites that may embed it <input name="embedOrigins" data-type="list" id="embed-origins" placeholder="https://blog.example.com (empty: livegate only)"></label>
          <button type="submit">Save</button>
          <p class="msg" role="status"></p>
        </form>
      </section>
      <section class="card" id="live-card">
        <h1>Live</h1>
        <div id="live" data-path="${s.path}" data-admin="${admin ? "1" : ""}">
          <p class="muted">Loading…</p>
        </div>
        <p><button class="danger" id="kick" data-api="${api}/kick" data-method="POST" data-confirm="Kick the publisher of ${s
          .path}?" disabled>Kick publisher</button></p>
      </section>
      <section class="card analytics" data-analytics="${s.path}" data-title="Analytics"></section>
      <link rel="stylesheet" href="/static/analytics.css">
      <script type="module" src="/static/analytics.js"></script>
      <section class="card">
        <h1>Restream</h1>
        <div id="restream" data-path="${s.path}">
          <p class="muted">Loading…</p>
        </div>
        <script type="module" src="/static/restream.js"></script>
      </section>
      <section class="card">
        <h1>All stream keys</h1>
        <table class="grid" id="keys-table" aria-label="Stream keys">
          <thead>
            <tr>
              <th>Name</th>
              <th>Created by</th>
              <th>Created</th>
              <th>Last used</th>
              <th><span class="sr-only">Action</span></th>
            </tr>
          </thead>
          <tbody>${opts.keys.map((k) =>
            html`
              <tr data-key="${k.id}">
                <td title="id ${k.id}">${k.name}</td>
                <td>${k.owner ?? "operator (CLI)"}</td>
                <td>${localTime(k.created)}</td>
                <td>${k.lastUsed ? localTime(k.lastUsed) : "never"}</td>
                <td><button class="link" data-api="${api}/keys/${k
                  .id}" data-method="DELETE" data-confirm="Revoke key ${k
                  .name}?" data-remove-row aria-label="Revoke key ${k.name}">Revoke</button></td>
              </tr>
            `
          )}</tbody>
        </table>
        <form data-api="${api}/keys" data-method="POST" data-show="" data-add-row="keys-table"
          class="grid-form">
          <label>Another key, named <input name="name" required maxlength="64" placeholder="e.g. camera-2"></label>
          <button type="submit">Create key</button>
          <p class="msg" role="status"></p>
        </form>
      </section>
      <section class="card" id="clips-panel" data-path="${s.path}">
        <h1>Clips</h1>
        <p class="muted">Loading…</p>
      </section>
      <script type="module" src="/static/clips.js"></script>
    `,
  );
}

export function userAdminPage(opts: {
  me: User;
  csrf: string;
  user: User;
  version: string;
  sessions: SessionInfo[];
}) {
  const u = opts.user;
  const api = `/api/users/${u.name}`;
  return page(
    u.name,
    opts.me,
    opts.csrf,
    html`
      <section class="card">
        <div class="row-between"><h1>${u.name}</h1><a href="/admin">← Dashboard</a></div>
        <form data-api="${api}" data-method="PATCH" class="grid-form">
          <input type="hidden" name="version" value="${opts.version}">
          <label>Role <select name="role">${ROLES.map((r) =>
            html`<option ${r === u.role ? "selected" : ""}>${r}</option>`
          )}</select></label>
          <label
            class="check"><input type="checkbox" name="disabled" ${u.disabled
              ? "checked"
              : ""}> Disabled (ends all sessions)</label>
          <button type="submit">Save</button>
          <p class="msg" role="status"></p>
        </form>
        <form data-api="${api}/password" data-method="POST" data-show="password" class="grid-form">
          <label>New password <input name="password" type="password" maxlength="1024" placeholder="empty: generate one" autocomplete="new-password"></label>
          <button type="submit">Reset password</button>
          <p class="msg" role="status"></p>
        </form>
        <form data-api="${api}/password-link" data-method="POST" data-show="setPasswordUrl expiresAt"
          class="grid-form">
          <button type="submit">Make a set-password link</button>
          <p class="msg" role="status"></p>
        </form>
        <p><button class="danger" data-api="${api}" data-method="DELETE" data-confirm="Delete ${u
          .name}? Their sessions and keys end at once." data-redirect="/admin">Delete user</button></p>
      </section>
      <section class="card">
        <h1>Sessions</h1>
        <table class="grid" id="sessions-table">
          <thead>
            <tr>
              <th>Id</th>
              <th>Logged in</th>
              <th>Expires</th>
              <th></th>
            </tr>
          </thead>
          <tbody>${opts.sessions.map((s) =>
            html`
              <tr>
                <td><code>${s.id.slice(0, 12)}</code></td>
                <td>${when(s.created)}</td>
                <td>${when(s.expiresAt)}</td>
                <td><button class="link" data-api="/api/sessions/${s
                  .id}" data-method="DELETE" data-confirm="End this session?">Revoke</button></td>
              </tr>
            `
          )}</tbody>
        </table>
      </section>
    `,
  );
}
