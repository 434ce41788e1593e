// Rewind and clip buttons on /watch/<path> (issue #22), for viewers who may see the stream's recordings
// (the page renders #rewind only for them; everyone else keeps the live-only player of static/player.ts).
// The timeline spans the recording window of the current broadcast (its last recorded span, from
// /api/recordings/<path>); dragging it back plays the recording from that point in a second <video> laid
// over the live one: fragmented MP4 made on the fly by MediaMTX's playback server
// (/recordings/<path>/media?format=fmp4), which ends where the recording ends (about a second behind live),
// so at its end the next range is loaded from there. "Live" removes it and the live player, which kept
// running muted underneath, is heard and seen again. The label says how far behind live the picture is.
// Clip buttons (when the viewer may clip): the last 30 s / 60 s, or a range marked on the timeline.
import { api, clock, cutClip } from "./clip-api.ts";

const root = document.getElementById("rewind");
const live = document.getElementById("video") as HTMLVideoElement | null;
const path = document.body.dataset.path ?? "";

/** How often the recording window is read again (ms). */
const WINDOW_MS = 5000;
/** Closer to live than this (s), "back" means back to live. */
const NEAR_LIVE_S = 3;
/** How far the recording lags behind live (ms): a mark set at live means this much earlier. */
const RECORD_LAG_MS = 2000;
/** Range asked for past the seek point (s); MediaMTX ends it where the recording ends. */
const AHEAD_S = 3600;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text = "", cls = ""): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function start(root: HTMLElement, live: HTMLVideoElement) {
  const canClip = root.dataset.clip === "1";
  const bar = el("div", "", "rewind");
  const seek = el("input");
  seek.type = "range";
  seek.id = "rewind-seek";
  seek.min = "-60";
  seek.max = "0";
  seek.step = "1";
  seek.value = "0";
  seek.setAttribute("aria-label", "Position (seconds behind live)");
  const back = el("button", "−10 s");
  back.type = "button";
  back.id = "rewind-back";
  const behind = el("span", "LIVE", "behind");
  behind.id = "rewind-behind";
  const liveBtn = el("button", "Live");
  liveBtn.type = "button";
  liveBtn.id = "rewind-live";
  liveBtn.disabled = true;
  bar.append(back, seek, behind, liveBtn);
  root.append(bar);

  /** Start of the recording window (ms since the epoch), or null when nothing is recorded. */
  let windowStart: number | null = null;
  /** The overlaid recording player while rewound. */
  let rv: HTMLVideoElement | null = null;
  /** Wall-clock time (ms) of the rewound video's currentTime 0. */
  let rvStart = 0;
  let liveMuted = live.muted;
  let dragging = false;

  const position = (): number => rv ? rvStart + rv.currentTime * 1000 : Date.now();
  const behindS = () => Math.max(0, (Date.now() - position()) / 1000);
  /** The recorded instant shown now (at live: what the recording has reached). */
  const recorded = (): number => rv ? position() : Date.now() - RECORD_LAG_MS;

  function show() {
    const b = behindS();
    behind.textContent = rv ? `${clock(b)} behind live` : "LIVE";
    behind.dataset.seconds = String(Math.round(b));
    if (!dragging) seek.value = String(-Math.round(rv ? b : 0));
    liveBtn.disabled = !rv;
  }

  async function readWindow() {
    const since = new Date(Date.now() - 24 * 3600_000).toISOString();
    try {
      const r = await api<{ spans: { start: string; duration: number }[] }>(
        `/api/recordings/${encodeURIComponent(path)}?start=${encodeURIComponent(since)}`,
      );
      const last = r.spans.at(-1);
      windowStart = last ? Date.parse(last.start) : null;
    } catch {
      windowStart = null;
    }
    const span = windowStart === null ? 0 : Math.floor((Date.now() - windowStart) / 1000) - 1;
    seek.min = String(-Math.max(0, span));
    seek.disabled = span < NEAR_LIVE_S;
    back.disabled = span < NEAR_LIVE_S;
    bar.dataset.window = String(Math.max(0, span));
  }

  /** Plays the recording from `at` (ms since the epoch). */
  function playFrom(at: number) {
    if (windowStart !== null) at = Math.max(windowStart + 500, at);
    if (Date.now() - at < NEAR_LIVE_S * 1000) return goLive();
    if (!rv) {
      liveMuted = live!.muted;
      rv = el("video", "", "rewind-video");
      rv.id = "rewind-video";
      rv.playsInline = true;
      rv.autoplay = true;
      rv.addEventListener("timeupdate", show);
      rv.addEventListener("ended", () => playFrom(position()));
      rv.addEventListener("error", () => {
        behind.textContent = "this part of the recording cannot be played";
      });
      live!.parentElement!.append(rv);
      live!.muted = true;
    }
    rv.muted = liveMuted;
    rvStart = at;
    const q = new URLSearchParams({
      start: new Date(at).toISOString(),
      duration: String(AHEAD_S),
      format: "fmp4",
    });
    rv.src = `/recordings/${encodeURIComponent(path)}/media?${q}`;
    rv.play().catch(() => {
      // Autoplay with sound refused: play muted (the live player shows its Unmute button the same way).
      rv!.muted = true;
      rv!.play().catch(() => {});
    });
    show();
  }

  function goLive() {
    if (rv) {
      rv.removeAttribute("src");
      rv.load();
      rv.remove();
      rv = null;
      live!.muted = liveMuted;
      live!.play().catch(() => {});
    }
    show();
  }

  seek.addEventListener("input", () => {
    dragging = true;
    behind.textContent = Number(seek.value) < 0 ? `${clock(-Number(seek.value))} behind live` : "LIVE";
  });
  seek.addEventListener("change", () => {
    dragging = false;
    playFrom(Date.now() + Number(seek.value) * 1000);
  });
  back.addEventListener("click", () => playFrom(position() - 10_000));
  liveBtn.addEventListener("click", goLive);

  if (canClip) {
    const clips = el("div", "", "rewind");
    clips.id = "clip-buttons";
    const note = el("span", "", "muted");
    note.id = "clip-result";
    const cut = async (range: { last: number } | { start: string; duration: number }) => {
      note.textContent = "Cutting…";
      try {
        const c = await cutClip(path, range);
        note.textContent = "";
        const a = el("a", `Clip ready (${clock(c.duration)}): ${location.origin}${c.url}`);
        a.href = c.url;
        note.append(a);
      } catch (e) {
        note.textContent = (e as Error).message;
      }
    };
    let markIn: number | null = null;
    const btn = (text: string, id: string, fn: () => void) => {
      const b = el("button", text);
      b.type = "button";
      b.id = id;
      b.addEventListener("click", fn);
      clips.append(b);
      return b;
    };
    btn("Clip last 30 s", "clip-30", () => cut({ last: 30 }));
    btn("Clip last 60 s", "clip-60", () => cut({ last: 60 }));
    const inBtn = btn("Mark in", "clip-in", () => {
      markIn = recorded();
      inBtn.textContent = `In: −${clock(behindS())}`;
    });
    btn("Clip from mark to here", "clip-range", () => {
      if (markIn === null) return void (note.textContent = "Mark the start first (Mark in).");
      const out = recorded();
      const [a, b] = markIn < out ? [markIn, out] : [out, markIn];
      cut({ start: new Date(a).toISOString(), duration: Math.round(b - a) / 1000 });
    });
    clips.append(note);
    root.append(clips);
  }

  readWindow().then(show);
  setInterval(() => readWindow().then(show), WINDOW_MS);
  setInterval(() => {
    if (!dragging) show();
  }, 1000);
}

if (root && live && path) start(root, live);
