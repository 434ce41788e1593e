// The clip page /clips/<id> (issue #22): a player for the clip's MP4, its title, length, stream and a share
// link; OpenGraph/Twitter card tags when the stream is public. No inline scripts (CSP): static/clips.ts
// runs the copy and delete buttons.
import { html } from "hono/html";
import { layout, previewTags } from "../web/pages.ts";
import type { Clip } from "../store/clips.ts";

/** Seconds as "1 min 05 s" / "30 s". */
export function clipLength(sec: number): string {
  const t = Math.round(sec);
  const m = Math.floor(t / 60), s = t % 60;
  return m ? `${m} min ${String(s).padStart(2, "0")} s` : `${s} s`;
}

export function clipPage(opts: {
  clip: Clip;
  user: string;
  csrf: string;
  /** Absolute address of this page (the share link). */
  url: string;
  /** Absolute address of the clip's still, when there is one. */
  image?: string;
  /** Whether the stream is public (then the page carries preview tags). */
  isPublic: boolean;
  canDelete: boolean;
}) {
  const c = opts.clip;
  const title = c.title || `${c.path} clip`;
  return layout(
    title,
    html`
      <section class="player clip" id="clip" data-id="${c.id}" data-path="${c.path}">
        <div class="stage">
          <video id="clip-video" playsinline controls preload="metadata" src="/clips/${c.id}/media"
            ${opts.image ? html`poster="/clips/${c.id}/thumb.jpg"` : ""}></video>
        </div>
        <div class="bar">
          <h1>${title}</h1>
          <span class="badge" id="clip-length" data-seconds="${c.duration}">${clipLength(c.duration)}</span>
          <a href="/watch/${c.path}">${c.path}</a>
          <span class="muted">cut by ${c.createdBy}, ${new Date(c.created).toISOString().slice(0, 16).replace(
            "T",
            " ",
          )} UTC</span>
        </div>
        <p class="row">
          <label>Share link <input id="clip-share" readonly value="${opts.url}" size="48"></label>
          <button id="clip-copy" type="button">Copy</button>
          <a href="/clips/${c.id}/media?download=1">Download MP4</a>
          ${opts.canDelete ? html`<button id="clip-delete" type="button" class="danger">Delete</button>` : ""}
        </p>
        <p class="muted">${opts.isPublic
          ? "Anyone with the link may watch this clip."
          : "Only people who may watch the stream can open this link."}</p>
        <p id="clip-note" class="note hidden" role="status"></p>
      </section>
      <script type="module" src="/static/clips.js"></script>
    `,
    {
      user: opts.user,
      csrf: opts.csrf,
      bodyData: `data-csrf="${opts.csrf}"`,
      head: opts.isPublic ? previewTags({ title, url: opts.url, image: opts.image }) : undefined,
    },
  );
}
