// The home page: streams this visitor may see (public ones without login), live first, with viewer counts.
// static/home.ts keeps the list current by polling /api/live.
import { html } from "hono/html";
import { layout } from "./pages.ts";
import type { LiveRow } from "../api/live-list.ts";

export function streamItem(s: LiveRow) {
  return html`<li data-path="${s.path}"><a href="/watch/${s.path}">${s.title || s.path}</a>
      ${s.title ? html`<span class="muted">${s.path}</span>` : ""}
      <span class="badge ${s.live ? "live" : ""}">${s.live ? "LIVE" : "offline"}</span>
      ${s.live ? html`<span class="viewers">${s.viewers} watching</span>` : ""}
      ${s.visibility !== "private" ? html`<span class="badge vis">${s.visibility}</span>` : ""}</li>`;
}

export function homePage(
  opts: { user: string; role: string; csrf: string; streams: LiveRow[]; mtxDown: boolean },
) {
  const manage = opts.role === "admin" || opts.role === "streamer";
  return layout(
    "Streams",
    html`<section class="card">
  <div class="row-between">
    <h1>Streams</h1>
    ${opts.user ? manage ? html`<a href="/admin">Dashboard →</a>` : "" : html`<a href="/login">Log in</a>`}
  </div>
  <p id="mtxdown" class="error ${
      opts.mtxDown ? "" : "hidden"
    }">MediaMTX is not reachable right now; live status is unknown.</p>
  <ul class="streams" id="streams">${opts.streams.map(streamItem)}</ul>
  <p id="empty" class="${opts.streams.length ? "hidden" : ""}">${
      opts.user
        ? html`No streams yet. Create a stream key with <code>livegate key create live</code> and publish to
    <code>rtmp://HOST:1935/live?token=KEY</code>.`
        : "No public streams right now. Log in to see more."
    }</p>
</section>
<script type="module" src="/static/home.js"></script>
<script type="module" src="/static/thumbs.js"></script>`,
    { user: opts.user, csrf: opts.csrf },
  );
}
