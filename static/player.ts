// The livegate player: WebRTC (WHEP through livegate, sub-second) when the stream's codecs allow it, else
// or when WebRTC fails to start or stalls, LL-HLS through livegate's /hls proxy with hls.js. Shows which
// one it is on and why, "offline" until the stream goes live, reconnects after errors and stalls, and shows
// the current latency. ?mode=hls or ?mode=webrtc forces one.
import Hls from "hls.js";
import { LL_HLS_CONFIG, RELAX_AFTER_MS, relaxLatencyAfterStalls } from "./hls-config.ts";
import { HttpError, type RtcSession, rtcStats, startWhep } from "./whep.ts";

const video = document.getElementById("video") as HTMLVideoElement;
const overlay = document.getElementById("overlay")!;
const statusEl = document.getElementById("status")!;
const latencyEl = document.getElementById("latency")!;
const unmuteBtn = document.getElementById("unmute") as HTMLButtonElement;
const modeEl = document.getElementById("mode");
const noteEl = document.getElementById("note");
const path = document.body.dataset.path ?? "live";
const csrf = document.body.dataset.csrf ??
  (document.querySelector("input[name=csrf]") as HTMLInputElement | null)?.value ?? "";
const forced = new URLSearchParams(location.search).get("mode");
const src = `/hls/${encodeURIComponent(path)}/index.m3u8`;

type Status = "connecting" | "offline" | "live" | "reconnecting" | "error";
/** Exposed for tests and for curious viewers (window.livegate in the console). */
const state = {
  status: "connecting" as Status,
  mode: "hls" as "hls" | "native" | "webrtc",
  latency: NaN,
  fatalErrors: 0,
  starts: 0,
  lastError: "",
  /** Why the player is not on WebRTC (codecs, failure), empty on WebRTC. */
  note: "",
  /** Times WebRTC failed to start or stalled and the player fell back to LL-HLS. */
  fallbacks: 0,
  webrtcError: "",
  /** WebRTC audio received (packets, energy): what proves sound arrives on WebRTC. */
  audioPackets: 0,
  audioEnergy: 0,
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

/** Asks livegate whether the stream is live, offline, or the login expired (401). */
async function probe(): Promise<"online" | "offline" | "login" | "down"> {
  try {
    const res = await fetch(`/api/streams/${encodeURIComponent(path)}/media`, {
      cache: "no-store",
      credentials: "same-origin",
    });
    if (res.status === 401) return "login";
    if (!res.ok) {
      await res.body?.cancel();
      return res.status === 404 || res.status === 403 ? "offline" : "down";
    }
    return (await res.json()).live ? "online" : "offline";
  } catch {
    return "down";
  }
}

let hls: Hls | null = null;
let stopRelax: (() => void) | null = null;
let rtc: RtcSession | null = null;
let generation = 0;
/** Set when WebRTC failed on this page: later restarts go straight to LL-HLS. */
let webrtcBroken = false;

function setMode(mode: typeof state.mode, note: string) {
  state.mode = mode;
  state.note = note;
  if (modeEl) modeEl.textContent = mode === "webrtc" ? "WebRTC" : "LL-HLS";
  if (noteEl) {
    noteEl.textContent = note;
    noteEl.classList.toggle("hidden", !note);
  }
}

interface MediaInfo {
  live: boolean;
  webrtc: boolean;
  webrtcAudio: boolean;
  note: string;
}

/** What the stream carries and whether WebRTC can play it (null when unknown). */
async function mediaInfo(): Promise<MediaInfo | null> {
  try {
    const res = await fetch(`/api/streams/${encodeURIComponent(path)}/media`, {
      cache: "no-store",
      credentials: "same-origin",
    });
    if (!res.ok) {
      await res.body?.cancel();
      return null;
    }
    return await res.json();
  } catch {
    return null;
  }
}

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

function stopPlayback() {
  stopRelax?.();
  stopRelax = null;
  hls?.destroy();
  hls = null;
  rtc?.close();
  rtc = null;
  video.srcObject = null;
}

function restart(reason: string) {
  state.lastError = reason;
  stopPlayback();
  setStatus("reconnecting", `Reconnecting… (${reason})`);
  run();
}

async function run() {
  const gen = ++generation;
  await waitUntilOnline();
  if (gen !== generation) return;
  state.starts++;
  setStatus("connecting", "Starting…");
  const info = await mediaInfo();
  if (gen !== generation) return;
  let note = info?.note ?? "";
  const wantWebrtc = forced !== "hls" && typeof RTCPeerConnection !== "undefined" && !!info?.webrtc &&
    (info.webrtcAudio || forced === "webrtc") && (!webrtcBroken || forced === "webrtc");
  if (wantWebrtc) {
    try {
      setMode(
        "webrtc",
        info!.webrtcAudio ? "" : "WebRTC forced: this stream's audio cannot play over WebRTC.",
      );
      const s = await startWhep(video, path, csrf);
      if (gen !== generation) return s.close();
      rtc = s;
      s.pc.addEventListener("connectionstatechange", () => {
        if (rtc !== s || gen !== generation) return;
        if (s.pc.connectionState === "failed" || s.pc.connectionState === "closed") {
          restart(`WebRTC connection ${s.pc.connectionState}`);
        }
      });
      await tryPlay();
      return;
    } catch (e) {
      if (gen !== generation) return;
      const err = e as Error;
      if (err instanceof HttpError && err.status === 401) {
        location.href = `/login?next=${encodeURIComponent(location.pathname)}`;
        return;
      }
      if (err instanceof HttpError && err.status === 404) return restart("stream went offline");
      state.fallbacks++;
      state.webrtcError = err.message;
      webrtcBroken = true;
      note = `WebRTC did not start (${err.message}); playing LL-HLS instead.`;
    }
  } else if (webrtcBroken && info?.webrtc && !note) {
    note = `WebRTC failed earlier (${state.webrtcError}); playing LL-HLS.`;
  } else if (forced === "hls") note = "LL-HLS chosen with ?mode=hls.";
  else if (info?.webrtc && typeof RTCPeerConnection === "undefined") note = "This browser has no WebRTC.";
  setMode("hls", note);
  // Wake MediaMTX's HLS muxer for the stream before hls.js asks (this request waits until it is ready).
  await fetch(src, { cache: "no-store", credentials: "same-origin" }).then((r) => r.body?.cancel(), () => {});
  if (gen !== generation) return;
  if (Hls.isSupported()) {
    state.mode = "hls";
    hls = new Hls(LL_HLS_CONFIG);
    stopRelax = relaxLatencyAfterStalls(hls, video, LL_HLS_CONFIG.liveSyncDuration, RELAX_AFTER_MS);
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

// On WebRTC nothing else reaches livegate while playing: poll the media info and restart when the stream
// has ended.
setInterval(async () => {
  if (!rtc || state.mode !== "webrtc") return;
  const info = await mediaInfo();
  if (rtc && info && !info.live) restart("stream ended");
}, 5000);

// Latency display and stall watchdog.
let lastTime = -1;
let stalledFor = 0;
setInterval(() => {
  if (rtc) {
    rtcStats(rtc.pc).then((st) => {
      state.latency = isFinite(st.latency) ? st.latency : NaN;
      state.audioPackets = st.audioPackets;
      state.audioEnergy = st.audioEnergy;
    }, () => {});
  } else {
    const lat = hls?.latency;
    state.latency = typeof lat === "number" && isFinite(lat) ? lat : NaN;
  }
  latencyEl.textContent = isFinite(state.latency)
    ? `latency ${state.latency.toFixed(state.mode === "webrtc" ? 2 : 1)} s`
    : "latency –";
  if (state.status === "live" && !video.paused) {
    stalledFor = video.currentTime === lastTime ? stalledFor + 0.5 : 0;
    if (rtc && stalledFor >= 4) {
      // WebRTC stalled: fall back to LL-HLS for this page.
      stalledFor = 0;
      state.fallbacks++;
      state.webrtcError = "stalled";
      webrtcBroken = true;
      restart("WebRTC stalled");
    } else if (stalledFor >= 8) {
      stalledFor = 0;
      restart("stalled");
    }
  }
  lastTime = video.currentTime;
}, 500);

run();
