// The Analytics page (/admin/analytics) and the analytics section of a stream's admin page: server-rendered
// shells that static/analytics.ts fills from the analytics API (charts with uPlot, tables, CSV links).
import { html } from "hono/html";
import { layout } from "../web/pages.ts";
import type { User } from "../store/users.ts";

/**
 * The analytics panel of one scope (a stream path, or "server"): an empty card that static/analytics.ts
 * fills (window buttons live / 24 h / 7 days / 30 days, chart, totals, broadcasts, CSV links). The stream
 * admin page (src/web/admin-pages.ts) renders the same element.
 */
export function analyticsSection(scope: string, title: string) {
  return html`<section class="card analytics" data-analytics="${scope}" data-title="${title}"></section>`;
}

/** The script and stylesheets the panels need (uPlot's CSS is bundled into analytics.css). */
export const analyticsAssets = html`
  <link rel="stylesheet" href="/static/analytics.css">
  <script type="module" src="/static/analytics.js"></script>
`;

export function analyticsPage(opts: {
  me: User;
  csrf: string;
  admin: boolean;
  streams: { path: string; title: string; live: boolean }[];
}) {
  return layout(
    "Analytics",
    html`<section class="card">
  <div class="row-between"><h1>Analytics</h1><a href="/admin">← Dashboard</a></div>
  <p class="muted">Concurrent viewers are sampled every few seconds; viewers are counted by a salted hash
  that changes every day, never by address. Times are UTC.</p>
  ${
      opts.streams.length
        ? html`<p>${
          opts.streams.map((s) =>
            html`
              <a href="#a-${s.path}">${s.path}</a>${s.live
                ? html`
                  <span class="badge live">LIVE</span>
                `
                : ""}
            `
          )
        }</p>`
        : html`<p class="muted">No streams to show.</p>`
    }
</section>
${opts.admin ? analyticsSection("server", "Whole server") : ""}
${
      opts.streams.map((s) =>
        html`<div id="a-${s.path}">${
          analyticsSection(s.path, s.title ? `${s.title} (${s.path})` : s.path)
        }</div>`
      )
    }
${analyticsAssets}`,
    { user: opts.me.name, csrf: opts.csrf, bodyData: `data-csrf="${opts.csrf}"` },
  );
}
