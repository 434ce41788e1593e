// Recording player (/recordings/<path>/play): the recorded range comes as fragmented MP4 made on the fly by
// MediaMTX, with no known length and no byte ranges (Accept-Ranges: none), so the browser cannot seek in it
// by itself (Chromium jumps back to the start; Safari needs ranges). These controls show the whole range and
// seek by loading a new range that starts at the seek point: position = data-offset + video.currentTime.
const root = document.getElementById("recplayer") as HTMLElement;
const video = document.getElementById("recording") as HTMLVideoElement;
const playBtn = document.getElementById("rec-play") as HTMLButtonElement;
const seek = document.getElementById("rec-seek") as HTMLInputElement;
const time = document.getElementById("rec-time") as HTMLElement;
const muteBtn = document.getElementById("rec-mute") as HTMLButtonElement;
const fullBtn = document.getElementById("rec-full") as HTMLButtonElement;
const note = document.getElementById("rec-note") as HTMLElement;

const path = root.dataset.path!;
const start = root.dataset.start!;
/** Length of the range in seconds. */
const total = Number(root.dataset.duration);
/** Milliseconds since the epoch of the range start (its sub-millisecond digits are only kept at offset 0). */
const startMs = Date.parse(start.replace(/\.(\d{3})\d*/, ".$1"));
let offset = 0;
let dragging = false;

function clock(sec: number): string {
  const t = Math.max(0, Math.floor(sec));
  const h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), s = t % 60;
  const ss = String(s).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** Seconds with at most 3 decimals, as livegate prints them. */
function secs(n: number): string {
  return String(Math.round(n * 1000) / 1000);
}

function position(): number {
  return Math.min(total, offset + (video.currentTime || 0));
}

function show(pos = position()) {
  time.textContent = `${clock(pos)} / ${clock(total)}`;
  if (!dragging) seek.value = String(Math.floor(pos));
}

/** Plays from `to` seconds into the range: a new fMP4 range from there to the end. */
function seekTo(to: number) {
  const t = Math.max(0, Math.min(total - 1, to));
  offset = t;
  const from = t === 0 ? start : new Date(startMs + Math.round(t * 1000)).toISOString();
  const q = new URLSearchParams({ start: from, duration: secs(total - t), format: "fmp4" });
  video.dataset.offset = secs(t);
  video.src = `/recordings/${encodeURIComponent(path)}/media?${q}`;
  video.play().catch(() => {});
  note.classList.add("hidden");
  show(t);
}

playBtn.addEventListener("click", () => {
  if (video.paused) video.play().catch(() => {});
  else video.pause();
});
video.addEventListener("play", () => (playBtn.textContent = "Pause"));
video.addEventListener("pause", () => (playBtn.textContent = "Play"));
video.addEventListener("timeupdate", () => show());
video.addEventListener("error", () => {
  note.textContent = "This part of the recording could not be loaded (deleted by the retention, or " +
    "MediaMTX is not reachable). Reload the recordings page for the current list.";
  note.classList.remove("hidden");
});
seek.addEventListener("input", () => {
  dragging = true;
  show(Number(seek.value));
});
seek.addEventListener("change", () => {
  dragging = false;
  seekTo(Number(seek.value));
});
// (No native controls: Chromium clamps a seek of the element itself to what it has buffered of the current
// range, so the target never reaches a `seeking` handler.) Arrow keys jump 10 s, space pauses.
document.addEventListener("keydown", (e) => {
  if (e.target instanceof HTMLInputElement || e.target instanceof HTMLButtonElement) return;
  if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
    e.preventDefault();
    seekTo(position() + (e.key === "ArrowRight" ? 10 : -10));
  } else if (e.key === " ") {
    e.preventDefault();
    playBtn.click();
  }
});
muteBtn.addEventListener("click", () => {
  video.muted = !video.muted;
  muteBtn.textContent = video.muted ? "Unmute" : "Mute";
});
fullBtn.addEventListener("click", () => {
  const stage = video.parentElement!;
  if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
  else stage.requestFullscreen().catch(() => {});
});
show(0);
