// The livegate player: LL-HLS through livegate's /hls proxy with hls.js, tuned for low latency.
// Shows "offline" and starts by itself when the stream comes online, reconnects after errors and
// stalls, and shows the current distance from the live edge.
import Hls from "hls.js";

const video = document.getElementById("video") as HTMLVideoElement;
const overlay = document.getElementById("overlay")!;
const statusEl = document.getElementById("status")!;
const latencyEl = document.getElementById("latency")!;
const unmuteBtn = document.getElementById("unmute") as HTMLButtonElement;
const path = document.body.dataset.path ?? "live";
const src = `/hls/${encodeURIComponent(path)}/index.m3u8`;

type Status = "connecting" | "offline" | "live" | "reconnecting" | "error";
/** Exposed for tests and for curious viewers (window.livegate in the console). */
const state = {
  status: "connecting" as Status,
  mode: "hls" as "hls" | "native",
  latency: NaN,
  fatalErrors: 0,
  starts: 0,
  lastError: "",
};
(globalThis as unknown as { livegate: typeof state }).livegate = state;

function setStatus(s: Status, message: string) {
  state.status = s;
  statusEl.textContent = s === "live" ? "LIVE" : s;
  statusEl.className = `badge ${s === "live" ? "live" : ""}`;
  overlay.textContent = message;
  overlay.classList.toggle("hidden", s === "live");
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Asks livegate whether the stream is live (200), offline (404), or the login expired (401). */
async function probe(): Promise<"online" | "offline" | "login" | "down"> {
  try {
    const res = await fetch(src, { cache: "no-store", credentials: "same-origin" });
    await res.body?.cancel();
    if (res.ok) return "online";
    if (res.status === 401) return "login";
    if (res.status === 404) return "offline";
    return "down";
  } catch {
    return "down";
  }
}

let hls: Hls | null = null;
let generation = 0;

async function waitUntilOnline(): Promise<void> {
  for (let i = 0;; i++) {
    const r = await probe();
    if (r === "online") return;
    if (r === "login") {
      location.href = `/login?next=${encodeURIComponent(location.pathname)}`;
      await sleep(60_000);
    }
    if (r === "offline") {
      setStatus("offline", "Stream is offline. It starts here by itself when it goes live.");
    } else if (r === "down") setStatus("reconnecting", "Server not reachable, retrying…");
    await sleep(Math.min(1000 + i * 250, 3000));
  }
}

async function tryPlay() {
  try {
    await video.play();
  } catch {
    // Autoplay with sound was blocked: play muted and offer to unmute.
    video.muted = true;
    unmuteBtn.classList.remove("hidden");
    await video.play().catch(() => {});
  }
}

unmuteBtn.addEventListener("click", () => {
  video.muted = false;
  unmuteBtn.classList.add("hidden");
  video.play().catch(() => {});
});

function restart(reason: string) {
  state.lastError = reason;
  hls?.destroy();
  hls = null;
  setStatus("reconnecting", `Reconnecting… (${reason})`);
  run();
}

async function run() {
  const gen = ++generation;
  await waitUntilOnline();
  if (gen !== generation) return;
  state.starts++;
  setStatus("connecting", "Starting…");
  if (Hls.isSupported()) {
    state.mode = "hls";
    hls = new Hls({
      lowLatencyMode: true,
      backBufferLength: 30,
      // Stay 0.5 s behind the live edge (MediaMTX's PART-HOLD-BACK). A count-based liveSync would mean
      // N x the 1 s segment and overrides PART-HOLD-BACK: with 2 it measured 2.07 s glass-to-glass (see
      // BENCHMARKS.md). hls.js widens the target by itself after a stall.
      liveSyncDuration: 0.5,
      liveMaxLatencyDuration: 5,
      maxLiveSyncPlaybackRate: 1.5,
      manifestLoadingMaxRetry: 2,
      levelLoadingMaxRetry: 4,
      fragLoadingMaxRetry: 4,
    });
    hls.on(Hls.Events.ERROR, (_e, data) => {
      if (!data.fatal) return;
      state.fatalErrors++;
      if (gen === generation) restart(`${data.type}: ${data.details}`);
    });
    hls.on(Hls.Events.MANIFEST_PARSED, () => tryPlay());
    hls.loadSource(src);
    hls.attachMedia(video);
  } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
    state.mode = "native";
    video.src = src;
    video.addEventListener("loadedmetadata", () => tryPlay(), { once: true });
  } else {
    setStatus("error", "This browser cannot play HLS.");
  }
}

video.addEventListener("playing", () => setStatus("live", ""));
video.addEventListener("error", () => {
  if (state.mode === "native") restart("media error");
});

// Latency display and stall watchdog.
let lastTime = -1;
let stalledFor = 0;
setInterval(() => {
  const lat = hls?.latency;
  state.latency = typeof lat === "number" && isFinite(lat) ? lat : NaN;
  latencyEl.textContent = isFinite(state.latency) ? `latency ${state.latency.toFixed(1)} s` : "latency –";
  if (state.status === "live" && !video.paused) {
    stalledFor = video.currentTime === lastTime ? stalledFor + 0.5 : 0;
    if (stalledFor >= 8) {
      stalledFor = 0;
      restart("stalled");
    }
  }
  lastTime = video.currentTime;
}, 500);

run();
