// The embeddable player page (/embed/<path>): the player alone for an <iframe> on another site: no header,
// muted autoplay with an Unmute button, the offline slate of the player's overlay, the same WebRTC/LL-HLS
// player (static/player.js, started by static/whep-early.ts, inlined) and static/embed.js for what differs. Its
// Content-Security-Policy is the app's with frame-ancestors set to the stream's allowed origins
// (src/store/embeds.ts); X-Frame-Options is left out there (it has no allow-list, and CSP frame-ancestors
// supersedes it: CSP3 §6.4.2).
import { html, raw } from "hono/html";
import { CSP } from "../http/security-headers.ts";
import type { InlineScript } from "./early-inline.ts";
import { earlyScript } from "./pages.ts";

/**
 * The CSP of a page with the player (watch, embed): the app's, with inline styles allowed (media-chrome's
 * controls style their shadow DOM with <style> elements; scripts stay 'self' plus the inline early start
 * `early` by its hash) and, for an embed
 * (`origins` given), livegate itself and `origins` as frame-ancestors (CSP3); null: no framing at all.
 */
export function playerCsp(origins: string[] | null, early: InlineScript): string {
  const csp = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
    .replace("script-src 'self'", `script-src 'self' ${early.csp}`);
  if (origins === null) return csp;
  return csp.replace("frame-ancestors 'none'", `frame-ancestors ${["'self'", ...origins].join(" ")}`);
}

/** The CSP of an embed page: livegate itself and `origins` may frame it. */
export function embedCsp(origins: string[], early: InlineScript): string {
  return playerCsp(origins, early);
}

/** The oEmbed endpoint's URL for the watch page of `path` on livegate at `base`. */
export function oembedUrl(base: string, path: string): string {
  return `${base}/oembed?url=${encodeURIComponent(`${base}/watch/${path}`)}&format=json`;
}

/** The iframe snippet for `path` on livegate at `base` (https://host). */
export function embedSnippet(base: string, path: string, width = 640, height = 360): string {
  return `<iframe src="${base}/embed/${path}" width="${width}" height="${height}" frameborder="0" ` +
    `allow="autoplay; fullscreen; picture-in-picture" allowfullscreen title="${path} (livegate)"></iframe>`;
}

function shell(title: string, body: ReturnType<typeof html>, bodyData = "", early: unknown = "") {
  return html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>${title} · livegate</title>
    ${early}
    <link rel="stylesheet" href="/static/app.css">
    <link rel="stylesheet" href="/static/embed.css">
    <link rel="icon" href="data:,">
  </head>
  <body class="embed" ${raw(bodyData)}>${body}</body>
</html>`;
}

/** The player alone. `share`: a share link's token the player sends along (no cookies in third-party frames). */
export function embedPage(
  opts: { path: string; title: string; csrf: string; via: string; share?: string; early: InlineScript },
) {
  const data = html`data-path="${opts.path}" data-csrf="${opts.csrf}" data-via="${opts.via}" data-embed="1"${
    opts.share
      ? html`
        data-share="${opts.share}"
      `
      : ""
  }`;
  return shell(
    opts.title || opts.path,
    html`<div class="stage embed-stage">
  <video id="video" playsinline autoplay muted></video>
  <div id="overlay" class="overlay">Connecting…</div>
  <div class="embed-bar">
    <span id="status" class="badge">connecting</span>
    <span id="mode" class="badge mode" title="How the video reaches you">–</span>
    <span id="latency" class="latency" title="Distance from the live edge">latency –</span>
    <button id="unmute" type="button">Unmute</button>
    <a class="embed-title" href="/watch/${opts.path}" target="_blank" rel="noopener">${
      opts.title || opts.path
    } ↗</a>
  </div>
</div>
<script type="module" src="/static/embed.js"></script>`,
    String(data),
    earlyScript(opts.path, opts.csrf, opts.early, opts.share),
  );
}

/** What an embed shows instead of the player: a private stream (with a login link) or no such stream. */
export function embedRefusalPage(opts: { path: string; status: number; message: string }) {
  return shell(
    opts.path,
    html`<div class="stage embed-stage embed-refused">
  <div class="overlay">
    <div>
      <p>${opts.message}</p>
      ${
      opts.status === 401
        ? html`<p><a href="/watch/${opts.path}" target="_blank" rel="noopener">Log in on livegate to watch</a></p>`
        : ""
    }
    </div>
  </div>
</div>`,
  );
}
