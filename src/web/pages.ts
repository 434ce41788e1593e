// Server-rendered pages. `html` escapes every interpolated value; scripts and styles come from /static
// so the Content-Security-Policy can forbid inline code (one exception, allowed by its hash: WebRTC's
// early start on the watch and embed pages, src/web/early-inline.ts).
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { InlineScript } from "./early-inline.ts";

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** Where a page without its own user (an error page) gets the top bar's user part (app.ts fills it in). */
export const NAV_SLOT = "<!--lg:nav-->";

/** The top bar's part for a logged-in user: their links, their account, log out. */
export function userNav(user: string, csrf: string) {
  return html`<nav><a href="/recordings">Recordings</a> <a href="/account/tokens">API tokens</a> <a class="who" href="/account" title="Your account">${user}</a>
    <form method="post" action="/logout" class="inline"><input type="hidden" name="csrf" value="${csrf}"><button class="link">Log out</button></form></nav>`;
}

export function layout(
  title: string,
  body: Html,
  opts: { user?: string; csrf?: string; bodyData?: string; head?: Html; early?: Html; navSlot?: boolean } =
    {},
) {
  return html`
    <!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>${title} · livegate</title>
        ${opts.early ?? ""}
        <link rel="stylesheet" href="/static/app.css">
        <link rel="icon" href="data:,">
        ${opts.head ?? ""}
      </head>
      <body ${raw(opts.bodyData ?? "")}>
        <header class="top">
      <a class="brand" href="/">livegate</a>
      ${opts.user ? userNav(opts.user, opts.csrf ?? "") : opts.navSlot ? raw(NAV_SLOT) : ""}
        </header>
        <main>${body}</main>
      </body>
    </html>
  `;
}

export function loginPage(
  opts: {
    csrf: string;
    next: string;
    error?: string;
    user?: string;
    /** Sign-in providers (a "Sign in with …" button each) and whether local passwords are on. */
    sso?: { providers: { id: string; name: string }[]; local: boolean };
  },
) {
  const sso = opts.sso ?? { providers: [], local: true };
  return layout(
    "Log in",
    html`<section class="card narrow">
  <h1>Log in</h1>
  ${opts.error ? html`<p class="error" role="alert">${opts.error}</p>` : ""}
  ${
      sso.providers.map((p) =>
        html`<p><a class="button sso" href="/login/oidc/${p.id}?next=${
          encodeURIComponent(opts.next)
        }">Sign in with ${p.name}</a></p>`
      )
    }
  ${sso.local ? loginForm(opts) : ""}
</section>`,
  );
}

/**
 * OpenGraph and Twitter card tags for a shared link (public streams and clips, issue #22): `url` the page's
 * absolute address, `image` the absolute address of a still, when there is one.
 */
export function previewTags(p: { title: string; url: string; image?: string; type?: string }) {
  return html`<meta property="og:type" content="${p.type ?? "video.other"}">
    <meta property="og:title" content="${p.title}">
    <meta property="og:url" content="${p.url}">
    <meta property="og:site_name" content="livegate">
    ${p.image ? html`<meta property="og:image" content="${p.image}">` : ""}
    <meta name="twitter:card" content="${p.image ? "summary_large_image" : "summary"}">
    <meta name="twitter:title" content="${p.title}">
    ${p.image ? html`<meta name="twitter:image" content="${p.image}">` : ""}`;
}

/**
 * The player page; `via` says how this viewer may watch (the door's answer: "share" for a share link).
 * Issue #22: `poster` (the stream's still), `preview` (OpenGraph/Twitter tags of a public stream), `rewind`
 * (the viewer may see the recordings: the rewind bar and clip buttons, static/rewind.ts and clips.ts).
 */
function loginForm(opts: { csrf: string; next: string; user?: string }) {
  return html`
    <form method="post" action="/login" id="login">
      <input type="hidden" name="csrf" value="${opts.csrf}">
      <input type="hidden" name="next" value="${opts.next}">
      <label>User name <input name="user" autocomplete="username" required maxlength="64" value="${opts
        .user ?? ""}" autofocus></label>
      <label>Password <input name="password" type="password" autocomplete="current-password" required maxlength="1024"></label>
      <button type="submit">Log in</button>
    </form>
  `;
}

/**
 * WebRTC's early start (static/whep-early.ts), inline (src/web/early-inline.ts): a classic script that runs
 * as the parser reaches it, before the stylesheet is loaded; it reads the stream and CSRF token from its own
 * tag, and starts the player (static/player.js, preloaded here) once its offer has left. `later`: the
 * page's other scripts (chat, rewind), which it loads once the first frame is on screen (or 1.5 s after
 * the page is parsed), so they do not hold up the picture. The page's CSP must allow `early.csp` (playerCsp).
 */
export function earlyScript(
  path: string,
  csrf: string,
  early: InlineScript,
  share?: string,
  later: string[] = [],
) {
  return html`
    <script data-lg-early data-path="${path}" data-csrf="${csrf}" ${share
      ? html`
        data-share="${share}"
      `
      : ""}
      ${later.length ? html`data-later="${later.join(" ")}"` : ""}>${raw(early.text)}</script>
    <link rel="modulepreload" href="/static/player.js">
  `;
}

/** The player page; `via` says how this viewer may watch (the door's answer: "share" for a share link). */
export function playerPage(
  opts: {
    path: string;
    user: string;
    csrf: string;
    canPublish?: boolean;
    via?: string;
    poster?: string;
    preview?: { title: string; url: string; image?: string };
    rewind?: boolean;
    canClip?: boolean;
    oembed?: string;
    /** WebRTC's early start, inlined (src/web/early-inline.ts). */
    early: InlineScript;
  },
) {
  return layout(
    opts.path,
    html`<section class="player">
  <div class="stage">
    <video id="video" playsinline autoplay controls ${
      opts.poster ? html`poster="${opts.poster}"` : ""
    }></video>
    <div id="overlay" class="overlay">Connecting…</div>
  </div>
  <div class="bar">
    <h1>${opts.path}</h1>
    <span id="status" class="badge">connecting</span>
    <span id="mode" class="badge mode" title="How the video reaches you">–</span>
    <span id="latency" class="latency" title="Distance from the live edge">latency –</span>
    <button id="unmute" class="hidden">Unmute</button>
    ${opts.canPublish ? html`<a href="/go-live/${opts.path}">Go live from the browser</a>` : ""}
  </div>
  <p id="note" class="note hidden" role="status"></p>
  ${opts.rewind ? html`<div id="rewind" data-clip="${opts.canClip ? "1" : ""}"></div>` : ""}
</section>
<aside id="chat" class="chat" aria-label="Chat"></aside>`,
    {
      user: opts.user,
      csrf: opts.csrf,
      bodyData: `data-path="${opts.path}" data-csrf="${opts.csrf}" data-via="${opts.via ?? ""}"`,
      // oEmbed discovery (oembed.com §4) for public streams: a CMS given this page's URL finds the iframe.
      // Chat and rewind are started by the early script after the first frame (time to first frame, #23).
      early: earlyScript(opts.path, opts.csrf, opts.early, undefined, [
        "/static/chat.js",
        ...(opts.rewind ? ["/static/rewind.js"] : []),
      ]),
      head: html`${opts.preview ? previewTags(opts.preview) : ""}${
        opts.oembed
          ? html`<link rel="alternate" type="application/json+oembed" href="${opts.oembed}" title="${opts.path}">`
          : ""
      }`,
    },
  );
}

export function errorPage(status: number, message: string) {
  return layout(
    String(status),
    html`
      <section class="card narrow">
        <h1>${status}</h1>
        <p>${message}</p>
        <p><a href="/">Back to the start page</a></p>
      </section>
    `,
    // A logged-in visitor keeps seeing their name and links on an error page (src/app/app.ts).
    { navSlot: true },
  );
}
