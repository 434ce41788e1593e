// Recordings pages: the recorded time spans of a stream with play and MP4-download links (spans longer than
// 24 h in equal parts, each link one range livegate accepts: range.ts), a form to download any time range,
// the disk usage, and the recording player page. No inline scripts (CSP): plain links, a GET form, and
// static/recording.ts for the player's controls.
import { html } from "hono/html";
import { layout } from "../web/pages.ts";
import { type DiskUsage, formatBytes } from "./disk.ts";
import type { Span } from "./playback.ts";
import {
  downloadFormat,
  downloadLink,
  formatMs,
  MAX_MP4_SECONDS,
  MAX_RANGE_SECONDS,
  mediaLink,
  playLink,
  secondsToMs,
  splitSpan,
} from "./range.ts";

function fmtDuration(s: number): string {
  const t = Math.round(s);
  const h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), sec = t % 60;
  return h ? `${h} h ${m} min` : m ? `${m} min ${sec} s` : `${sec} s`;
}

function utc(start: string): string {
  return new Date(start.replace(/\.\d+/, "")).toISOString().replace("T", " ").slice(0, 19);
}

function spanLinks(path: string, s: Span) {
  const fmp4 = downloadFormat(s) === "fmp4";
  return html`<a href="${playLink(path, s)}">Play</a> · <a href="${downloadLink(path, s)}" title="${
    fmp4 ? "Fragmented MP4: starts at once; plays in browsers, VLC, mpv and ffmpeg" : "MP4 file"
  }">Download MP4${fmp4 ? " (fragmented)" : ""}</a>`;
}

function spanRows(path: string, s: Span) {
  const parts = splitSpan(s);
  if (parts.length === 1) {
    return html`
      <tr class="span" data-start="${s.start}" data-duration="${s.duration}">
        <td>${utc(s.start)}</td>
        <td>${fmtDuration(s.duration)}</td>
        <td>${spanLinks(path, s)}</td>
      </tr>
    `;
  }
  return html`
    <tr class="span" data-start="${s.start}" data-duration="${s.duration}">
      <td>${utc(s.start)}</td>
      <td>${fmtDuration(s.duration)}</td>
      <td>in ${parts.length} parts (one link plays or downloads at most ${MAX_RANGE_SECONDS / 3600} h):</td>
    </tr>
    ${parts.map((p, i) =>
      html`
        <tr class="part" data-start="${p.start}" data-duration="${p.duration}">
          <td>part ${i + 1}: ${utc(p.start)}</td>
          <td>${fmtDuration(p.duration)}</td>
          <td>${spanLinks(path, p)}</td>
        </tr>
      `
    )}
  `;
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
    /** Rungs of the stream's quality ladder with recordings ("180p", ...), when it records them. */
    rungs?: string[];
  },
) {
  const first = opts.spans[0];
  // A rung's page (<stream>/<H>p) links back to its stream's.
  const stream = opts.path.split("/")[0];
  return layout(
    `Recordings of ${opts.path}`,
    html`<section class="card">
  <h1>Recordings of ${opts.path}</h1>
  <p>${
      opts.recording ? html`This stream is recorded` : html`Recording is off for this stream`
    }; recordings are
    kept for ${opts.retention}. <a href="/watch/${stream}">Watch live</a>${
      stream !== opts.path
        ? html`
          · <a href="/recordings/${stream}">Recordings of ${stream}</a>
        `
        : ""
    }</p>
  ${
      opts.rungs?.length
        ? html`<p class="rung-recordings">Quality ladder rungs recorded too: ${
          opts.rungs.map((r, i) => html`${i ? ", " : ""}<a href="/recordings/${opts.path}/${r}">${r}</a>`)
        }</p>`
        : ""
    }
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
            <tbody>${opts.spans.map((s) => spanRows(opts.path, s))}</tbody>
          </table>
          <h2>Download a time range</h2>
          <form method="get" action="/recordings/${opts.path}/media" class="range">
            <input type="hidden" name="download" value="1">
            <label>Start (RFC 3339) <input name="start" required maxlength="40" value="${splitSpan(first)[0]
              .start}"></label>
            <label>Length in seconds <input name="duration" required maxlength="16" inputmode="decimal" value="${formatMs(
              Math.min(60_000, secondsToMs(first.duration)),
            )}"></label>
            <label>Format <select name="format">
              <option value="mp4">MP4 (up to ${MAX_MP4_SECONDS / 3600} h)</option>
              <option value="fmp4">fragmented MP4 (up to ${MAX_RANGE_SECONDS /
                3600} h, starts at once)</option>
            </select></label>
            <button type="submit">Download MP4</button>
          </form>
        `
        : html`<p>No recordings${opts.error ? "" : " yet"}.</p>`
    }
</section>`,
    { user: opts.user, csrf: opts.csrf },
  );
}

/**
 * The recording player: a video element fed with fMP4 ranges, and controls (static/recording.ts) that seek by
 * loading a new range from the seek point, since the media has no known length and no byte ranges.
 */
export function playRecordingPage(
  opts: { user: string; csrf: string; path: string; span: Span },
) {
  const durMs = secondsToMs(opts.span.duration);
  return layout(
    `Recording of ${opts.path}`,
    html`
      <section class="player recording" id="recplayer" data-path="${opts.path}" data-start="${opts.span
        .start}"
        data-duration="${formatMs(durMs)}">
        <div class="stage">
          <video id="recording" autoplay muted playsinline src="${mediaLink(
            opts.path,
            opts.span,
            "fmp4",
          )}" data-offset="0"></video>
        </div>
        <div class="bar controls">
          <button id="rec-play" type="button">Pause</button>
          <input id="rec-seek" type="range" min="0" max="${Math.floor(
            durMs / 1000,
          )}" step="1" value="0" aria-label="Position">
          <span id="rec-time" class="latency">0:00 / ${clock(durMs / 1000)}</span>
          <button id="rec-mute" type="button">Unmute</button>
          <button id="rec-full" type="button">Full screen</button>
        </div>
        <div class="bar">
          <h1>${opts.path}</h1>
          <span class="badge">recorded ${utc(opts.span.start)} UTC</span>
          <a href="${downloadLink(opts.path, opts.span)}">Download MP4${downloadFormat(opts.span) === "fmp4"
            ? " (fragmented)"
            : ""}</a>
          <a href="/recordings/${opts.path}">All recordings</a>
        </div>
        <p id="rec-note" class="note hidden" role="status"></p>
      </section>
      <script type="module" src="/static/recording.js"></script>
    `,
    { user: opts.user, csrf: opts.csrf },
  );
}

/** Seconds as h:mm:ss or m:ss (the player's time display; static/recording.ts prints the same). */
export function clock(sec: number): string {
  const t = Math.floor(sec);
  const h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), s = t % 60;
  const ss = String(s).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}
