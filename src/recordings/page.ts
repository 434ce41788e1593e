// Recordings pages: the recorded time spans of a stream with play and MP4-download links, a form to
// download any time range, and the disk usage. No inline scripts (CSP): plain links and a GET form.
import { html } from "hono/html";
import { layout } from "../web/pages.ts";
import { type DiskUsage, formatBytes } from "./disk.ts";
import type { Span } from "./playback.ts";

function fmtDuration(s: number): string {
  const t = Math.round(s);
  const h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), sec = t % 60;
  return h ? `${h} h ${m} min` : m ? `${m} min ${sec} s` : `${sec} s`;
}

function mediaUrl(path: string, span: Span, format: "fmp4" | "mp4") {
  const q = new URLSearchParams({ start: span.start, duration: String(span.duration), format });
  return `/recordings/${path}/media?${q}`;
}

function diskLine(disk: DiskUsage, path?: string) {
  const used = path === undefined ? disk.totalBytes : disk.paths[path] ?? 0;
  return html`<p class="disk">Recordings ${path === undefined ? "" : "of this stream "}use ${
    formatBytes(used)
  }${
    disk.fs
      ? html`; ${formatBytes(disk.fs.freeBytes)} free of ${formatBytes(disk.fs.sizeBytes)} on the disk`
      : ""
  }.</p>
  ${
    disk.low
      ? html`<p class="error" role="alert">The recordings disk is almost full: new recordings may fail. Free
  space or shorten LIVEGATE_RECORD_RETENTION.</p>`
      : ""
  }`;
}

export function recordingsIndexPage(
  opts: { user: string; csrf: string; paths: string[]; disk: DiskUsage; retention: string },
) {
  return layout(
    "Recordings",
    html`<section class="card">
  <h1>Recordings</h1>
  <p>Kept for ${opts.retention}.</p>
  ${diskLine(opts.disk)}
  ${
      opts.paths.length
        ? html`<ul class="streams">${
          opts.paths.map((p) =>
            html`<li><a href="/recordings/${p}">${p}</a> <span>${
              formatBytes(opts.disk.paths[p] ?? 0)
            }</span></li>`
          )
        }</ul>`
        : html`<p>Nothing recorded yet.</p>`
    }
</section>`,
    { user: opts.user, csrf: opts.csrf },
  );
}

export function recordingsPage(
  opts: {
    user: string;
    csrf: string;
    path: string;
    spans: Span[];
    disk: DiskUsage;
    recording: boolean;
    retention: string;
    error?: string;
  },
) {
  const first = opts.spans[0];
  return layout(
    `Recordings of ${opts.path}`,
    html`<section class="card">
  <h1>Recordings of ${opts.path}</h1>
  <p>${
      opts.recording ? html`This stream is recorded` : html`Recording is off for this stream`
    }; recordings are
    kept for ${opts.retention}. <a href="/watch/${opts.path}">Watch live</a></p>
  ${diskLine(opts.disk, opts.path)}
  ${opts.error ? html`<p class="error" role="alert">${opts.error}</p>` : ""}
  ${
      opts.spans.length
        ? html`
          <table class="spans">
            <thead>
              <tr>
                <th>Start (UTC)</th>
                <th>Length</th>
                <th></th>
              </tr>
            </thead>
            <tbody>${opts.spans.map((s) =>
              html`
                <tr class="span" data-start="${s.start}" data-duration="${s.duration}">
                  <td>${new Date(s.start).toISOString().replace("T", " ").slice(0, 19)}</td>
                  <td>${fmtDuration(s.duration)}</td>
                  <td><a href="/recordings/${opts.path}/play?${new URLSearchParams({
                    start: s.start,
                    duration: String(s.duration),
                  })}">Play</a> · <a href="${mediaUrl(
                    opts.path,
                    s,
                    "mp4",
                  )}&amp;download=1">Download MP4</a></td>
                </tr>
              `
            )}</tbody>
          </table>
          <h2>Download a time range</h2>
          <form method="get" action="/recordings/${opts.path}/media" class="range">
            <input type="hidden" name="format" value="mp4">
            <input type="hidden" name="download" value="1">
            <label>Start (RFC 3339) <input name="start" required maxlength="40" value="${first
              .start}"></label>
            <label>Length in seconds <input name="duration" required maxlength="12" inputmode="decimal" value="${Math
              .min(60, Math.ceil(first.duration))}"></label>
            <button type="submit">Download MP4</button>
          </form>
        `
        : html`<p>No recordings${opts.error ? "" : " yet"}.</p>`
    }
</section>`,
    { user: opts.user, csrf: opts.csrf },
  );
}

export function playRecordingPage(
  opts: { user: string; csrf: string; path: string; span: Span },
) {
  return layout(
    `Recording of ${opts.path}`,
    html`<section class="player">
  <div class="stage">
    <video id="recording" controls autoplay muted playsinline src="${
      mediaUrl(opts.path, opts.span, "fmp4")
    }"></video>
  </div>
  <div class="bar">
    <h1>${opts.path}</h1>
    <span class="badge">recorded ${
      new Date(opts.span.start).toISOString().replace("T", " ").slice(0, 19)
    } UTC</span>
    <a href="${mediaUrl(opts.path, opts.span, "mp4")}&amp;download=1">Download MP4</a>
    <a href="/recordings/${opts.path}">All recordings</a>
  </div>
</section>`,
    { user: opts.user, csrf: opts.csrf },
  );
}
