// Player controls for the watch and embed pages, built from media-chrome's web components (npm
// media-chrome): play/pause, mute and volume, picture-in-picture, fullscreen, plus livegate's own latency
// indicator (the page's #latency, kept current by player.ts), a "back to live" button (LL-HLS: jumps to
// the live edge; WebRTC is always live) and the viewer count (GET /api/live, every 10 s). Keyboard: Space
// or K play/pause, M mute, F fullscreen, P picture-in-picture, L back to live, ↑/↓ volume. player.ts
// loads it (its own bundle) once the first frame is shown, so it stays off the first frame's path; it wraps the
// page's <video id="video"> in a <media-controller> (moved within one task: playback goes on, HTML
// "media element removed from a document" pauses only what is still out of the document at a stable state).
import "media-chrome";

/** Behind the live edge by more than this (s), "back to live" is offered (LL-HLS). */
const BEHIND_S = 3;
/** How far from the end of the seekable range (s) "live" is (hls.js keeps about 1.5 s of parts). */
const EDGE_S = 1.5;

function el<K extends keyof HTMLElementTagNameMap>(tag: K | string, cls = "", text = ""): HTMLElement {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text) e.textContent = text;
  return e;
}

/** The distance (s) of the picture from the end of what can be played, NaN when not seekable (WebRTC). */
function behind(video: HTMLVideoElement): number {
  const r = video.seekable;
  return r.length ? r.end(r.length - 1) - video.currentTime : NaN;
}

/** Jumps to the live edge and plays. */
export function backToLive(video: HTMLVideoElement): void {
  const r = video.seekable;
  if (r.length) video.currentTime = Math.max(r.start(r.length - 1), r.end(r.length - 1) - EDGE_S);
  video.play().catch(() => {});
}

async function togglePip(video: HTMLVideoElement) {
  if (document.pictureInPictureElement) await document.exitPictureInPicture();
  else if (document.pictureInPictureEnabled) await video.requestPictureInPicture();
}

async function toggleFullscreen(box: HTMLElement) {
  if (document.fullscreenElement) await document.exitFullscreen();
  else await box.requestFullscreen();
}

/** Wraps `video` in media-chrome controls; returns the controller element. */
export function mountControls(video: HTMLVideoElement, path: string): HTMLElement {
  const css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = "/static/controls.css";
  document.head.append(css);
  video.removeAttribute("controls");
  const controller = el("media-controller", "lg-controls");
  // Hotkeys are handled below for the whole page (media-chrome's own need the controller focused).
  controller.setAttribute("nohotkeys", "");
  video.replaceWith(controller);
  video.slot = "media";
  controller.append(video);
  const bar = el("media-control-bar", "lg-bar");
  const latency = document.getElementById("latency") ?? el("span", "latency", "latency –");
  const live = el("button", "lg-live", "● LIVE") as HTMLButtonElement;
  live.type = "button";
  live.title = "Back to live (L)";
  live.id = "back-to-live";
  const viewers = el("span", "lg-viewers", "");
  viewers.id = "viewer-count";
  viewers.title = "Viewers";
  bar.append(
    el("media-play-button"),
    el("media-mute-button"),
    el("media-volume-range"),
    live,
    latency,
    viewers,
    el("span", "lg-spacer"),
    el("media-pip-button"),
    el("media-fullscreen-button"),
  );
  controller.append(bar);

  live.addEventListener("click", () => backToLive(video));
  const syncLive = () => {
    const b = behind(video);
    live.classList.toggle("behind", isFinite(b) && b > BEHIND_S);
    live.disabled = !isFinite(b) || b <= BEHIND_S;
  };
  video.addEventListener("timeupdate", syncLive);
  setInterval(syncLive, 1000);

  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target as HTMLElement | null;
    if (t && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName))) return;
    switch (e.key) {
      case " ":
      case "k":
      case "K":
        if (video.paused) video.play().catch(() => {});
        else video.pause();
        break;
      case "m":
      case "M":
        video.muted = !video.muted;
        break;
      case "f":
      case "F":
        toggleFullscreen(controller).catch(() => {});
        break;
      case "p":
      case "P":
        togglePip(video).catch(() => {});
        break;
      case "l":
      case "L":
        backToLive(video);
        break;
      case "ArrowUp":
        video.volume = Math.min(1, video.volume + 0.1);
        video.muted = false;
        break;
      case "ArrowDown":
        video.volume = Math.max(0, video.volume - 0.1);
        break;
      default:
        return;
    }
    e.preventDefault();
  });

  const count = async () => {
    try {
      const res = await fetch("/api/live", { credentials: "same-origin", cache: "no-store" });
      if (!res.ok) return void await res.body?.cancel();
      const row = ((await res.json()).streams as { path: string; viewers: number }[] | undefined)
        ?.find((s) => s.path === path);
      viewers.textContent = row ? `${row.viewers} watching` : "";
    } catch { /* next time */ }
  };
  count();
  setInterval(count, 10_000);
  return controller;
}

const video = document.getElementById("video") as HTMLVideoElement | null;
if (video && typeof customElements !== "undefined") mountControls(video, document.body.dataset.path ?? "");
