// The livegate player: WebRTC (WHEP through livegate, sub-second) when the stream's codecs allow it, else
// or when WebRTC fails to start, ends before the first picture or stalls, LL-HLS through livegate's /hls
// proxy with hls.js. Shows which one it is on and why, "offline" until the stream goes live, and the
// current latency. It checks what this browser can decode before playing (codecs.ts) and says so instead
// of retrying a stream it cannot play; it watches for new frames (frames.ts), not the clock, and starts a
// new session as soon as the stream is back after the publisher restarted. Retries after failures wait
// longer each time (0.5, 1, 2 … 15 s). ?mode=hls or ?mode=webrtc forces one.
import type { MediaInfo } from "../src/webrtc/media.ts"; // the answer of /api/streams/<path>/media
import Hls, { type ErrorData } from "hls.js";
import { HlsSource, loadDelivery } from "./edge.ts";
import { LL_HLS_CONFIG, RELAX_AFTER_MS, relaxLatencyAfterStalls } from "./hls-config.ts";
import { dropWarmWhep, HttpError, prewarmWhep, type RtcSession, rtcStats, startWhep } from "./whep.ts";
import { codecLabel, hlsCanDecode, playable, type PlayerMessage, webrtcCanDecode } from "./codecs.ts";
import { FrameWatch, retryDelay } from "./frames.ts";
import { startBeacon } from "./beacon.ts";
import { attachQualityMenu } from "./quality.ts";
import { RtcLadder } from "./rtc-ladder.ts";

performance.mark("livegate:player"); // time to first frame breakdown (bench/ttff.ts)
const video = document.getElementById("video") as HTMLVideoElement;
const overlay = document.getElementById("overlay")!;
// The overlay's message, and its details on demand (a <details> the viewer opens).
const overlayText = document.createElement("p");
const overlayDetail = document.createElement("p");
const overlayMore = document.createElement("details");
{
  const summary = document.createElement("summary");
  summary.textContent = "Details";
  overlayMore.append(summary, overlayDetail);
  overlayMore.classList.add("hidden");
  overlayText.textContent = overlay.textContent;
  const box = document.createElement("div");
  box.append(overlayText, overlayMore);
  overlay.replaceChildren(box);
}
const statusEl = document.getElementById("status")!;
const latencyEl = document.getElementById("latency")!;
const unmuteBtn = document.getElementById("unmute") as HTMLButtonElement;
const modeEl = document.getElementById("mode");
const noteEl = document.getElementById("note");
const path = document.body.dataset.path ?? "live";
const csrf = document.body.dataset.csrf ??
  (document.querySelector("input[name=csrf]") as HTMLInputElement | null)?.value ?? "";
/** A share link's token in an embedded player (third-party frames send no cookies): sent in the URLs. */
const shareQuery = document.body.dataset.share
  ? `?share=${encodeURIComponent(document.body.dataset.share)}`
  : "";
// (An embed with a share link plays LL-HLS: WHEP would need the token on every signalling request.)
const forced = new URLSearchParams(location.search).get("mode") ?? (shareQuery ? "hls" : null);
// WebRTC starts before the page's other work (time to first frame): its offer and ICE gathering always
// (unless forced to LL-HLS), and the offer itself when WebRTC is wanted for sure (?mode=webrtc, or this
// browser watched this stream over WebRTC last time).
const LAST_MODE = `livegate.mode.${path}`;
/** localStorage, null where the browser refuses it (storage blocked, sandboxed frames). */
const store = (() => {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
})();
if (forced !== "hls") {
  const sure = forced === "webrtc" || (!forced && store?.getItem(LAST_MODE) === "webrtc");
  prewarmWhep(sure ? { path, csrf } : undefined);
}

/** Connected WebRTC that receives no RTP packet for this long (ms) was ended by MediaMTX. */
const RTC_DEAD_MS = 2000;
/** Connected WebRTC with packets but no decoded frame this long (ms): WebRTC cannot show this stream. */
const RTC_FIRST_FRAME_MS = 8000;
/** LL-HLS without a frame this long (ms) after it started counts as a failed start. */
const HLS_FIRST_FRAME_MS = 20_000;
/** A stalled LL-HLS session that has not recovered by itself after this long (ms) is restarted. */
const HLS_STALL_RESTART_MS = 8000;
/**
 * How often (ms) the player looks at the media info while the stream is likely back within seconds (just
 * interrupted), and at most how often while the picture is stalled: a publisher restart is noticed this
 * much sooner (the info is a small JSON answer from livegate's live-state cache).
 */
const FAST_POLL_MS = 250;
const STALLED_CHECK_MS = 500;
/** A session that played this long (ms) was a success: the retry backoff starts again from zero. */
const STEADY_MS = 5000;
/** Codec-kind hls.js failures (incompatible codecs, decode errors before any frame) before giving up. */
const CODEC_TRIES = 3;
/** hls.js errors that mean the browser cannot decode what the stream carries. */
const CODEC_ERRORS = new Set<string>([
  Hls.ErrorDetails.MANIFEST_INCOMPATIBLE_CODECS_ERROR,
  Hls.ErrorDetails.BUFFER_ADD_CODEC_ERROR,
  Hls.ErrorDetails.BUFFER_INCOMPATIBLE_CODECS_ERROR,
]);

type Status = "connecting" | "offline" | "live" | "reconnecting" | "error" | "ended";
/** Exposed for tests and for curious viewers (window.livegate in the console). */
const state = {
  status: "connecting" as Status,
  mode: "hls" as "hls" | "native" | "webrtc",
  latency: NaN,
  fatalErrors: 0,
  /** Playback sessions started (each WebRTC or LL-HLS attempt after the stream was found live). */
  starts: 0,
  lastError: "",
  /** Why the player is not on WebRTC (codecs, failure), empty on WebRTC. */
  note: "",
  /** Times WebRTC failed to start, ended before the first picture or stalled, and LL-HLS took over. */
  fallbacks: 0,
  webrtcError: "",
  /** WebRTC audio received (packets, energy): what proves sound arrives on WebRTC. */
  audioPackets: 0,
  audioEnergy: 0,
  /** Consecutive sessions that failed before playing steadily; sets the wait before the next try. */
  failures: 0,
  /** Wait (ms) before the pending retry, 0 when none is pending. */
  retryInMs: 0,
  /** What the overlay says when the stream cannot play (fully) in this browser, "" otherwise. */
  message: "",
  /** Times the picture stopped while playing (new frames stopped coming). */
  stalls: 0,
  /** Video frames presented since the page loaded (requestVideoFrameCallback). */
  frames: 0,
};
(globalThis as unknown as { livegate: typeof state }).livegate = state;
startBeacon(video, path, csrf, state); // quality reports for stream analytics (static/beacon.ts)

function setStatus(s: Status, message: string, detail = "") {
  state.status = s;
  statusEl.textContent = s === "live" ? "LIVE" : s;
  statusEl.className = `badge ${s === "live" ? "live" : ""}`;
  overlayText.textContent = message;
  overlayDetail.textContent = detail;
  overlayMore.classList.toggle("hidden", !detail);
  overlay.classList.toggle("hidden", !message);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Probe =
  | { kind: "online"; info: MediaInfo }
  | { kind: "offline" | "login" | "down" }
  | { kind: "denied"; message: string };

/** How this page may watch (the server's answer when it rendered the page): "share" for a share link. */
const via = document.body.dataset.via ?? "";
// A share link's token is in a cookie now: keep it out of the address bar and the history.
if (new URLSearchParams(location.search).has("share")) {
  const u = new URL(location.href);
  u.searchParams.delete("share");
  history.replaceState(history.state, "", u.pathname + u.search + u.hash);
}

/** Asks livegate what the stream carries and whether it is live; "login" when the session expired (401). */
async function probe(): Promise<Probe> {
  try {
    const res = await fetch(`/api/streams/${encodeURIComponent(path)}/media${shareQuery}`, {
      cache: "no-store",
      credentials: "same-origin",
    });
    // Access taken away while watching: a share link revoked or expired (401 for its anonymous viewer), or
    // this account no longer allowed (403). Say so and stop; nothing will change by retrying.
    if (res.status === 401 && via === "share") {
      await res.body?.cancel();
      return { kind: "denied", message: "This share link has been revoked or has expired." };
    }
    if (res.status === 401) return { kind: "login" };
    if (res.status === 403) {
      await res.body?.cancel();
      return { kind: "denied", message: "You may no longer watch this stream." };
    }
    if (!res.ok) {
      await res.body?.cancel();
      return { kind: res.status === 404 || res.status === 403 ? "offline" : "down" };
    }
    const info = await res.json() as MediaInfo;
    // Older servers send no hlsVideo: MediaMTX's LL-HLS carries H.264, H.265, VP9 and AV1.
    info.hlsVideo ??= ["H264", "H265", "VP9", "AV1"].includes(info.video ?? "");
    return info.live ? { kind: "online", info } : { kind: "offline" };
  } catch {
    return { kind: "down" };
  }
}

let hls: Hls | null = null;
/** Where this session's LL-HLS comes from: livegate or an edge with a renewed token (edge.ts). */
let hlsSource: HlsSource | null = null;
let stopRelax: (() => void) | null = null;
let rtc: RtcSession | null = null;
/** The quality menu of a laddered stream on WebRTC (rtc-ladder.ts), null otherwise. */
let rtcLadder: RtcLadder | null = null;
let generation = 0;
/** Set when WebRTC failed on this page (network): later restarts go straight to LL-HLS. */
let webrtcBroken = false;
/** The publish (`since`) whose WebRTC ended before the first picture: LL-HLS until the stream restarts. */
let webrtcOffFor: string | null = null;
/** Why WebRTC is not used any more, for the note line. */
let webrtcNote = "";
/** hls.js failures of the codec kind in a row. */
let codecFailures = 0;
let messageTimer: ReturnType<typeof setTimeout> | undefined;
const watch = new FrameWatch(video);

/** The running playback session. */
interface Session {
  gen: number;
  info: MediaInfo;
  /** The stream has video the browser shows (frames are the proof of progress), not sound only. */
  hasVideo: boolean;
  /** performance.now() when it started (WebRTC: connected). */
  at: number;
  /** WebRTC: RTP packets received so far and when that number last grew. */
  packets: number;
  packetsAt: number;
  /** performance.now() of the last look at the stream's media info while stalled, 0 = none. */
  checkedAt: number;
  /** MediaMTX ended this WebRTC session (handled once). */
  ended: boolean;
  /** Message over the picture while playing (sound only), null for none. */
  liveMessage: PlayerMessage | null;
}
let session: Session | null = null;

function beginSession(gen: number, info: MediaInfo, hasVideo: boolean, liveMessage: PlayerMessage | null) {
  const now = performance.now();
  session = {
    gen,
    info,
    hasVideo,
    at: now,
    packets: 0,
    packetsAt: now,
    checkedAt: 0,
    ended: false,
    liveMessage,
  };
  watch.reset();
}

function setMode(mode: typeof state.mode, note: string) {
  state.mode = mode;
  state.note = note;
  if (modeEl) modeEl.textContent = mode === "webrtc" ? "WebRTC" : "LL-HLS";
  if (noteEl) {
    // Viewers get one short sentence; the technical reason is there for whoever asks (Why?).
    const short = mode === "hls" ? "Playing with a short delay (about 1 s)." : "Playing in real time.";
    if (note && note !== "offline") {
      const details = document.createElement("details");
      const summary = document.createElement("summary");
      summary.textContent = "Why?";
      details.append(summary, note);
      noteEl.replaceChildren(`${short} `, details);
    } else noteEl.textContent = "";
    noteEl.classList.toggle("hidden", !note || note === "offline");
  }
}

/**
 * Polls until the stream is live and returns its media info (null when a newer run took over). `fast`
 * after the picture stopped: the publisher is likely back within seconds, so it looks every FAST_POLL_MS
 * for 10 s before slowing down to every 1-3 s.
 */
async function waitUntilOnline(gen: number, fast: boolean): Promise<MediaInfo | null> {
  const t0 = performance.now();
  for (let i = 0;; i++) {
    const r = await probe();
    if (gen !== generation) return null;
    if (r.kind === "online") return r.info;
    if (r.kind === "denied") {
      denied(r.message);
      return null;
    }
    if (r.kind === "login") {
      toLogin();
      await sleep(60_000);
      continue;
    }
    const recent = fast && performance.now() - t0 < 10_000;
    if (r.kind === "offline") {
      if (recent) setStatus("reconnecting", "The stream was interrupted. Waiting for it to come back…");
      else setStatus("offline", "Stream is offline. It starts here by itself when it goes live.");
    } else setStatus("reconnecting", "Server not reachable, retrying…");
    await sleep(recent ? FAST_POLL_MS : Math.min(1000 + i * 250, 3000));
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
  clearTimeout(messageTimer);
  session = null;
  stopRelax?.();
  stopRelax = null;
  hls?.destroy();
  hls = null;
  hlsSource?.stop();
  hlsSource = null;
  rtcLadder?.stop();
  rtcLadder = null;
  rtc?.close();
  rtc = null;
  video.srcObject = null;
}

/**
 * Ends the session and starts again. `failure`: the session failed before playing steadily, so the next
 * try waits retryDelay(failures). `fast`: the stream was interrupted (publisher restart), look for it often.
 * `info`: the stream's media info just seen live (the new session starts with it, without asking again).
 */
function restart(reason: string, opts: { failure?: boolean; fast?: boolean; info?: MediaInfo } = {}) {
  state.lastError = reason;
  stopPlayback();
  const gen = ++generation;
  const delay = opts.failure ? retryDelay(state.failures++) : 0;
  state.retryInMs = delay;
  setStatus(
    "reconnecting",
    delay ? `Reconnecting in ${Math.round(delay / 1000)} s…` : "Reconnecting…",
    reason,
  );
  if (!delay) return void run(opts.fast, opts.info);
  setTimeout(() => {
    if (gen !== generation) return;
    state.retryInMs = 0;
    run(opts.fast);
  }, delay);
}

/**
 * Stops and shows `msg` (the stream cannot play in this browser). Looks at the media info every 15 s and
 * starts again when the stream ends, restarts or changes codecs.
 */
function showMessage(gen: number, info: MediaInfo, msg: PlayerMessage) {
  stopPlayback();
  state.message = msg.text;
  setStatus("error", msg.text, msg.detail);
  const check = async () => {
    if (gen !== generation) return;
    const r = await probe();
    if (gen !== generation) return;
    const same = r.kind === "online" && r.info.since === info.since && r.info.video === info.video &&
      r.info.audio === info.audio;
    if (!same && r.kind !== "down") {
      state.message = "";
      state.failures = 0;
      codecFailures = 0;
      return void run();
    }
    messageTimer = setTimeout(check, 15_000);
  };
  messageTimer = setTimeout(check, 15_000);
}

/** WebRTC cannot show this stream (or this network): LL-HLS takes over, with `note` saying why. */
function leaveWebrtc(s: Session, reason: string, note: string, becauseOfStream: boolean) {
  if (forced === "webrtc" || !playableHere(s.info).hls) return restart(reason, { failure: true });
  state.fallbacks++;
  state.webrtcError = reason;
  webrtcNote = note;
  if (becauseOfStream) webrtcOffFor = s.info.since ?? "";
  else webrtcBroken = true;
  restart(reason);
}

const playableHere = (info: MediaInfo) => playable(info, (c) => hlsCanDecode(c, video));

async function run(fast = false, known?: MediaInfo) {
  const gen = ++generation;
  const info = known ?? await waitUntilOnline(gen, fast);
  if (!info || gen !== generation) return;
  state.starts++;
  // The early start's session may be on screen already (static/whep-early.ts): no overlay over its picture.
  const picture = state.starts === 1 && !!video.srcObject && video.readyState >= 2 && !video.paused;
  setStatus("connecting", picture ? "" : "Starting…");
  const can = playableHere(info);
  if (can.message && !can.soundOnly) return showMessage(gen, info, can.message);
  state.message = can.message?.text ?? "";
  // A new publish may have fixed what made WebRTC end early (B-frames): try WebRTC again.
  if (webrtcOffFor !== null && webrtcOffFor !== (info.since ?? "")) webrtcOffFor = null;
  const webrtcOff = webrtcBroken || webrtcOffFor !== null;
  let note = info.note ?? "";
  const wantWebrtc = forced !== "hls" && typeof RTCPeerConnection !== "undefined" && can.webrtc &&
    (info.webrtcAudio || forced === "webrtc" || !can.hls) && (!webrtcOff || forced === "webrtc");
  if (wantWebrtc) {
    try {
      setMode(
        "webrtc",
        info.webrtcAudio
          ? ""
          : forced === "webrtc"
          ? "WebRTC forced: this stream's audio cannot play over WebRTC."
          : `This browser can play the video only over WebRTC, which cannot carry the ${
            codecLabel(info.audio ?? "")
          } audio: no sound.`,
      );
      // With read replicas the offer goes to one of them, with a token livegate issued (edge.ts).
      const replica = (await loadDelivery(path))?.whep;
      const s = await startWhep(video, path, csrf, 8000, replica);
      if (gen !== generation) return s.close();
      rtc = s;
      beginSession(gen, info, !!info.video, null);
      // A laddered stream: rungs over WebRTC (their own WHEP sessions on livegate, not on replicas).
      if (!replica && info.video) {
        rtcLadder = new RtcLadder({
          path,
          csrf,
          video,
          anchor: document.querySelector(".player .bar") ?? document.body,
          audio: !!info.audio && info.webrtcAudio,
          current: () => rtc,
          replace: (next) => {
            rtc = next;
            // The new session counts its packets from zero.
            if (session) Object.assign(session, { packets: 0, packetsAt: performance.now() });
          },
        });
      }
      const mine = session!;
      const dtls = s.pc.getReceivers()[0]?.transport;
      dtls?.addEventListener("statechange", () => {
        if (rtc === s && session === mine && (dtls.state === "closed" || dtls.state === "failed")) {
          void onRtcEnded(mine);
        }
      });
      s.pc.addEventListener("connectionstatechange", () => {
        if (rtc !== s || gen !== generation) return;
        if (s.pc.connectionState === "failed" || s.pc.connectionState === "closed") {
          restart(`WebRTC connection ${s.pc.connectionState}`, { failure: true });
        }
      });
      await tryPlay();
      return;
    } catch (e) {
      if (gen !== generation) return;
      const err = e as Error;
      if (err instanceof HttpError && err.status === 401) {
        toLogin();
        return;
      }
      if (err instanceof HttpError && err.status === 404) {
        return restart("stream went offline", { fast: true });
      }
      if (forced === "webrtc" || !can.hls) {
        return restart(`WebRTC did not start: ${err.message}`, { failure: true });
      }
      state.fallbacks++;
      state.webrtcError = err.message;
      webrtcBroken = true;
      webrtcNote = `WebRTC failed earlier (${err.message}); playing LL-HLS.`;
      note = `WebRTC did not start (${err.message}); playing LL-HLS instead.`;
    }
  } else if (webrtcOff && info.webrtc && !info.note) note = webrtcNote;
  else if (forced === "hls") note = "LL-HLS chosen with ?mode=hls.";
  else if (info.webrtc && typeof RTCPeerConnection === "undefined") note = "This browser has no WebRTC.";
  else if (info.video && info.webrtc && !webrtcCanDecode(info.video) && !note) {
    note = `This browser cannot receive ${codecLabel(info.video)} over WebRTC; playing LL-HLS.`;
  }
  dropWarmWhep(); // a WebRTC session started early (static/whep-early.ts) leaves the video to LL-HLS
  setMode("hls", note);
  const source = await HlsSource.load(path, shareQuery);
  if (gen !== generation) return source.stop();
  hlsSource = source;
  const src = source.src;
  // Wake MediaMTX's HLS muxer for the stream before hls.js asks (this request waits until it is ready).
  await fetch(src, { cache: "no-store", credentials: source.edge ? "omit" : "same-origin" })
    .then((r) => r.body?.cancel(), () => {});
  if (gen !== generation) return;
  if (Hls.isSupported()) {
    state.mode = "hls";
    hls = new Hls(
      source.edge ? { ...LL_HLS_CONFIG, loader: source.loader(Hls.DefaultConfig.loader) } : LL_HLS_CONFIG,
    );
    beginSession(gen, info, !can.soundOnly && !!info.video, can.soundOnly ? can.message : null);
    stopRelax = relaxLatencyAfterStalls(hls, video, LL_HLS_CONFIG.liveSyncDuration, RELAX_AFTER_MS);
    hls.on(Hls.Events.ERROR, (_e, data) => {
      if (gen === generation) onHlsError(gen, info, data);
    });
    hls.on(Hls.Events.MANIFEST_PARSED, () => tryPlay());
    attachQualityMenu(hls, document.querySelector(".player .bar") ?? document.body); // laddered streams
    hls.loadSource(src);
    hls.attachMedia(video);
  } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
    state.mode = "native";
    beginSession(gen, info, !can.soundOnly && !!info.video, can.soundOnly ? can.message : null);
    video.src = src;
    video.addEventListener("loadedmetadata", () => tryPlay(), { once: true });
  } else {
    setStatus("error", "This browser cannot play HLS.");
  }
}

function onHlsError(gen: number, info: MediaInfo, data: ErrorData) {
  if (!data.fatal) {
    // The playlist is gone (MediaMTX closed the stream's muxer): the publisher stopped or restarted.
    if (data.type === Hls.ErrorTypes.NETWORK_ERROR && data.response?.code === 404) void checkStream(gen);
    return;
  }
  state.fatalErrors++;
  const reason = `${data.type}: ${data.details}`;
  const codecKind = CODEC_ERRORS.has(data.details) ||
    (data.type === Hls.ErrorTypes.MEDIA_ERROR && !watch.firstProgressAt);
  if (codecKind && ++codecFailures >= CODEC_TRIES) {
    const label = codecLabel(info.video ?? info.audio ?? "");
    return showMessage(gen, info, {
      text: `This browser cannot play this stream's ${label} ${info.video ? "video" : "audio"}.`,
      detail: `LL-HLS failed ${codecFailures} times with "${data.details}". Another browser or device may ` +
        "play it. Streamer: send H.264 video without B-frames (OBS: Video Encoder x264; ffmpeg: " +
        "-c:v libx264 -bf 0) and AAC or Opus audio.",
    });
  }
  restart(reason, { failure: true });
}

/**
 * Looks at the media info once (not more often than every STALLED_CHECK_MS): restarts at once when the
 * stream went offline or restarted since this session began. Returns whether it restarted.
 */
async function checkStream(gen: number): Promise<boolean> {
  const s = session;
  const now = performance.now();
  if (!s || s.gen !== gen || now - s.checkedAt < STALLED_CHECK_MS) return false;
  s.checkedAt = now;
  const r = await probe();
  if (gen !== generation || session !== s) return false;
  if (r.kind === "denied") {
    denied(r.message);
    return true;
  }
  if (r.kind === "login") {
    toLogin();
    return true;
  }
  if (r.kind !== "online") {
    restart(r.kind === "down" ? "server not reachable" : "stream went offline", { fast: true });
    return true;
  }
  if (r.info.since !== s.info.since || r.info.video !== s.info.video || r.info.audio !== s.info.audio) {
    restart("the stream restarted", { fast: true, info: r.info });
    return true;
  }
  return false;
}

/**
 * Whether MediaMTX ended the WebRTC session: its DTLS close (Chromium then keeps connectionState
 * "connected" until ICE times out, 15 s and more) or no RTP packet for RTC_DEAD_MS.
 */
function rtcEnded(s: Session, r: RtcSession, now: number): boolean {
  const dtls = r.pc.getReceivers()[0]?.transport?.state;
  return dtls === "closed" || dtls === "failed" ||
    (now - s.at >= RTC_DEAD_MS && now - s.packetsAt >= RTC_DEAD_MS);
}

/**
 * MediaMTX ended the WebRTC session (once per session). It does so when the publisher goes (then the
 * stream is offline or restarted: start again at once), and right after the start for H.264/H.265 with
 * B-frames (internal/protocols/webrtc/from_stream.go: "WebRTC doesn't support H264 streams with
 * B-frames"): then LL-HLS, saying why.
 */
async function onRtcEnded(s: Session) {
  if (s.ended) return;
  s.ended = true;
  s.checkedAt = 0;
  if (await checkStream(s.gen) || session !== s) return;
  if (watch.firstProgressAt) return restart("the WebRTC session ended", { failure: true, fast: true });
  const label = codecLabel(s.info.video ?? "");
  leaveWebrtc(
    s,
    "WebRTC ended before the first picture",
    s.info.video === "H264" || s.info.video === "H265"
      ? `WebRTC stopped before the first picture: ${label} with B-frames cannot go over WebRTC. Playing LL-HLS.`
      : "WebRTC stopped before the first picture. Playing LL-HLS.",
    true,
  );
}

/**
 * To the login page. In an embed (a frame on another site, where livegate's pages cannot be shown) it
 * says so instead and stops.
 */
function toLogin() {
  if (document.body.dataset.embed) denied("This stream is private. Log in on livegate to watch.");
  else location.href = `/login?next=${encodeURIComponent(location.pathname)}`;
}

/** Access ended: playback stops for good, with the reason (a reload shows what is allowed now). */
function denied(message: string) {
  generation++;
  stopPlayback();
  setStatus("ended", message, "The stream's owner or an admin changed who may watch. Reload to try again.");
}

/** Shows LIVE (and the sound-only message, if any) once the session shows progress. */
function setLive() {
  if (!forced) store?.setItem(LAST_MODE, state.mode === "webrtc" ? "webrtc" : "hls");
  const m = session?.liveMessage;
  setStatus("live", m?.text ?? "", m?.detail ?? "");
}

/**
 * Whether this session's picture is on screen: a frame presented (WebRTC counts decoded frames as progress,
 * which come tens of ms before the picture); in a hidden tab, or without requestVideoFrameCallback, progress.
 */
function pictureShown(): boolean {
  if (!watch.firstProgressAt) return false;
  if (document.hidden || typeof video.requestVideoFrameCallback !== "function") return true;
  return watch.presentedInSession > 0;
}

video.addEventListener("playing", () => {
  // A WebRTC stream "plays" as soon as audio arrives; LIVE waits for the first picture.
  if (session && (!session.hasVideo || pictureShown())) setLive();
});
video.addEventListener("error", () => {
  if (state.mode === "native" && session) restart("media error", { failure: true });
});

// Every 5 s: has the stream ended or restarted? (On WebRTC nothing else reaches livegate while playing.)
setInterval(() => {
  if (session && state.status === "live") void checkStream(session.gen);
}, 5000);

/** One look at the session (every 0.5 s): progress, first picture, stalls. */
async function tick() {
  const s = session;
  if (!s || s.gen !== generation) return;
  if (rtc) {
    const st = await rtcStats(rtc.pc).catch(() => null);
    if (!st || session !== s) return;
    state.latency = isFinite(st.latency) ? st.latency : NaN;
    state.audioPackets = st.audioPackets;
    state.audioEnergy = st.audioEnergy;
    if (s.hasVideo) watch.counter("framesDecoded", st.framesDecoded);
    else watch.counter("audioPackets", st.audioPackets);
    const packets = st.audioPackets + st.videoPackets;
    if (packets > s.packets) {
      s.packets = packets;
      s.packetsAt = performance.now();
    }
  } else {
    const lat = hls?.latency;
    state.latency = typeof lat === "number" && isFinite(lat) ? lat : NaN;
    // LL-HLS: the media clock stops when data stops, so it is progress where no frames are counted
    // (sound only, or a hidden tab that presents no frames).
    if (!s.hasVideo || document.hidden) watch.counter("mediaTime", Math.floor(video.currentTime * 10));
  }
  state.frames = watch.presented;
  const now = performance.now();
  const idle = watch.idleMs(now);
  if (watch.playingMs(now) >= STEADY_MS && (state.failures || codecFailures)) {
    state.failures = 0;
    codecFailures = 0;
  }
  if (rtc && rtcEnded(s, rtc, now)) return void onRtcEnded(s);
  if (!watch.firstProgressAt) {
    // Starting: no picture yet.
    if (rtc) {
      if (s.hasVideo && now - s.at >= RTC_FIRST_FRAME_MS) {
        leaveWebrtc(
          s,
          "no picture over WebRTC",
          `WebRTC delivered no picture within ${RTC_FIRST_FRAME_MS / 1000} s. Playing LL-HLS.`,
          true,
        );
      }
    } else if (idle >= HLS_FIRST_FRAME_MS) restart("no picture from LL-HLS", { failure: true });
    return;
  }
  if (idle < watch.stallMs(now) || video.paused) {
    if (
      state.status !== "live" && state.status !== "error" && !video.paused && idle < 1000 &&
      (!s.hasVideo || pictureShown())
    ) setLive();
    return;
  }
  // The picture stopped: no LIVE badge over a frozen frame.
  if (state.status === "live") {
    state.stalls++;
    setStatus("reconnecting", "The stream was interrupted. Reconnecting…", "No new frames arrive.");
  }
  if (await checkStream(s.gen) || session !== s) return;
  if (rtc) {
    if (rtc.pc.connectionState !== "connected") {
      // The network between browser and MediaMTX broke: LL-HLS (plain HTTPS) for this page.
      leaveWebrtc(s, "WebRTC stalled", "WebRTC stalled on this network; playing LL-HLS.", false);
    } else if (idle >= 4000) {
      leaveWebrtc(s, "WebRTC stalled", "WebRTC sends no picture any more; playing LL-HLS.", false);
    }
  } else if (idle >= HLS_STALL_RESTART_MS) restart("stalled", { failure: true });
}

setInterval(() => {
  void tick();
  latencyEl.textContent = isFinite(state.latency)
    ? `latency ${state.latency.toFixed(state.mode === "webrtc" ? 2 : 1)} s`
    : "latency –";
}, 500);

run();
// The controls (media-chrome, static/controls.ts, their own bundle) load once the first frame is shown:
// their parsing stays off the first frame's path, and a stream that cannot play costs no extra requests.
{
  let loaded = false;
  const load = () => {
    if (loaded) return;
    loaded = true;
    document.head.append(
      Object.assign(document.createElement("script"), { type: "module", src: "/static/controls.js" }),
    );
  };
  // After the first frame is on screen (their parsing would otherwise delay it), else shortly after playing.
  const onPlaying = () => {
    if ("requestVideoFrameCallback" in video) video.requestVideoFrameCallback(() => setTimeout(load, 200));
    else setTimeout(load, 500);
  };
  // An early WebRTC start (static/whep-early.ts) may be playing already.
  if (!video.paused && video.readyState >= 2) onPlaying();
  else video.addEventListener("playing", onPlaying, { once: true });
}
