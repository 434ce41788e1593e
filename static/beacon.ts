// The player's quality beacon: reports to livegate (POST /api/streams/<path>/beacon, src/analytics/
// routes.ts) how watching went, as the viewer got it: time from page load to the first frame, each
// rebuffer's duration (the picture stopped while playing, until LIVE again), the live latency (median over
// the stretch), resolution/level changes (the video's size changing) and fatal playback errors. It only
// reads what the player exposes (its `state`, window.livegate, and the video element), so the player calls
// startBeacon() once and is otherwise untouched. First report right after the first frame, another 10 s
// after page load, then every 30 s while playing, and one last on leaving the page (fetch keepalive).
// A 401/403 (access gone) stops it.

/** What the player exposes of itself (static/player.ts `state`). */
export interface PlayerState {
  status: string;
  mode: string;
  /** Live latency in seconds (NaN when unknown). */
  latency: number;
  fatalErrors: number;
}

/** What tests can see (window.livegateBeacon). */
export interface BeaconStats {
  sent: number;
  accepted: number;
  lastStatus: number;
  ttffMs: number | null;
}

const EVERY_MS = 30_000;
const FIRST_MS = 10_000;

function viewId(): string {
  const b = crypto.getRandomValues(new Uint8Array(12));
  return btoa(String.fromCharCode(...b)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Starts reporting for the player on `video` watching `path` (the page's CSRF token in `csrf`). */
export function startBeacon(video: HTMLVideoElement, path: string, csrf: string, state: PlayerState): void {
  const stats: BeaconStats = { sent: 0, accepted: 0, lastStatus: 0, ttffMs: null };
  (globalThis as unknown as { livegateBeacon: BeaconStats }).livegateBeacon = stats;
  const view = viewId();
  let ttffSent = false;
  let firstFrameAt = 0;
  let stopped = false;
  // The stretch since the last report.
  let playMs = 0;
  let rebuffers: number[] = [];
  let latencies: number[] = [];
  let levelChanges = 0;
  let errorsReported = state.fatalErrors;
  let lastSize = "";
  let rebufferSince = 0;
  let wasLive = false;
  let lastTick = performance.now();

  const firstFrame = () => {
    if (firstFrameAt) return;
    // An early WebRTC start (static/whep-early.ts) may have shown frames before this script ran.
    firstFrameAt = performance.getEntriesByName("livegate:frame")[0]?.startTime ?? performance.now();
    stats.ttffMs = Math.round(firstFrameAt);
    send();
  };
  const vfc = (video as HTMLVideoElement & {
    requestVideoFrameCallback?: (cb: () => void) => number;
  }).requestVideoFrameCallback;
  if (vfc) vfc.call(video, firstFrame);
  // Sound only (no frames to present) or no requestVideoFrameCallback: the player's LIVE is the first frame.
  video.addEventListener("resize", () => {
    const size = `${video.videoWidth}x${video.videoHeight}`;
    if (lastSize && size !== lastSize && video.videoHeight > 0) levelChanges++;
    if (video.videoHeight > 0) lastSize = size;
  });

  function send(final = false) {
    if (stopped || !firstFrameAt) return;
    const sorted = latencies.filter((l) => isFinite(l) && l >= 0).sort((a, b) => a - b);
    const body: Record<string, unknown> = {
      v: 1,
      view,
      delivery: state.mode === "webrtc" ? "webrtc" : state.mode === "native" ? "native" : "hls",
      playMs: Math.min(600_000, Math.round(playMs)),
      rebuffers: rebuffers.slice(0, 50).map((r) => Math.min(600_000, Math.round(r))),
      latencyMs: sorted.length ? Math.min(120_000, Math.round(sorted[sorted.length >> 1] * 1000)) : null,
      levelChanges: Math.min(1000, levelChanges),
      fatalErrors: Math.min(1000, Math.max(0, state.fatalErrors - errorsReported)),
    };
    if (!ttffSent) body.ttffMs = Math.min(120_000, Math.round(firstFrameAt));
    ttffSent = true;
    playMs = 0;
    rebuffers = [];
    latencies = [];
    levelChanges = 0;
    errorsReported = state.fatalErrors;
    stats.sent++;
    fetch(`/api/streams/${encodeURIComponent(path)}/beacon`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-csrf-token": csrf },
      body: JSON.stringify(body),
      credentials: "same-origin",
      keepalive: final,
    }).then(async (r) => {
      stats.lastStatus = r.status;
      if (r.status === 202) stats.accepted++;
      if (r.status === 401 || r.status === 403) stopped = true;
      await r.body?.cancel();
    }, () => {});
  }

  setInterval(() => {
    const now = performance.now();
    const live = state.status === "live";
    if (live && !firstFrameAt && !vfc) firstFrame();
    if (live) {
      playMs += now - lastTick;
      if (isFinite(state.latency)) latencies.push(state.latency);
      if (rebufferSince) rebuffers.push(now - rebufferSince);
      rebufferSince = 0;
    } else if (wasLive && state.status === "reconnecting") rebufferSince = now;
    else if (state.status !== "reconnecting") rebufferSince = 0; // offline, ended, error: not a rebuffer
    if (state.status === "ended") stopped = true;
    wasLive = live;
    lastTick = now;
  }, 500);
  // A report 10 s after page load (the first, at the first frame, has no latency yet), then every 30 s.
  const periodic = () => {
    if (playMs > 0 || rebuffers.length) send();
  };
  setTimeout(() => {
    periodic();
    setInterval(periodic, EVERY_MS);
  }, FIRST_MS);
  addEventListener("pagehide", () => send(true));
}
