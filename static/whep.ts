// WebRTC playback (WHEP) and publishing (WHIP) through livegate: the SDP offer goes to /whep|/whip/<path>
// with the CSRF token, the answer comes back with a Location on livegate for ending the session. Media
// flows straight to MediaMTX's ICE port.

export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export interface RtcSession {
  pc: RTCPeerConnection;
  location: string;
  close(): void;
}

function waitGathering(pc: RTCPeerConnection, ms: number): Promise<void> {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      pc.removeEventListener("icegatheringstatechange", check);
      resolve();
    }
    function check() {
      if (pc.iceGatheringState === "complete") done();
    }
    pc.addEventListener("icegatheringstatechange", check);
  });
}

export function waitConnected(pc: RTCPeerConnection, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => finish(new Error(`no WebRTC connection within ${ms / 1000} s`)), ms);
    function finish(err?: Error) {
      clearTimeout(t);
      pc.removeEventListener("connectionstatechange", check);
      if (err) reject(err);
      else resolve();
    }
    function check() {
      if (pc.connectionState === "connected") finish();
      else if (pc.connectionState === "failed" || pc.connectionState === "closed") {
        finish(new Error(`WebRTC connection ${pc.connectionState}`));
      }
    }
    pc.addEventListener("connectionstatechange", check);
    check();
  });
}

/**
 * Where a WHEP offer goes instead of livegate: a MediaMTX read replica's endpoint and the edge token it
 * accepts as bearer (GET /api/streams/<path>/delivery, src/edge/replica.ts).
 */
export interface WhepTarget {
  url: string;
  token: string;
}

/** The headers that authorize signalling: the bearer token of a replica, else livegate's CSRF token. */
const authOf = (csrf: string, target?: WhepTarget): Record<string, string> =>
  target ? { authorization: `Bearer ${target.token}` } : { "x-csrf-token": csrf };

/** POSTs the offer to livegate or a replica (the request, whatever its answer). */
function postOffer(
  pc: RTCPeerConnection,
  kind: "whep" | "whip",
  path: string,
  csrf: string,
  target?: WhepTarget,
) {
  // A ladder's rung path (<stream>/<H>p) keeps its slash: /whep/<stream>/<H>p.
  const url = `/${kind}/${path.split("/").map(encodeURIComponent).join("/")}`;
  return fetch(target ? target.url : url, {
    method: "POST",
    credentials: target ? "omit" : "same-origin",
    headers: { "content-type": "application/sdp", ...authOf(csrf, target) },
    body: pc.localDescription!.sdp,
  });
}

/**
 * Sends the offer (with the gathered candidates) to livegate, or to `target` (a read replica), and applies
 * the answer. `sent`: the answer to an offer already posted to livegate (prewarmWhep).
 */
export async function negotiate(
  pc: RTCPeerConnection,
  kind: "whep" | "whip",
  path: string,
  csrf: string,
  sent?: Response,
  target?: WhepTarget,
): Promise<RtcSession> {
  let res = sent;
  if (!res) {
    // A prewarmed connection (prewarmWhep) has its offer set already.
    if (!pc.localDescription) await pc.setLocalDescription(await pc.createOffer());
    await waitGathering(pc, 2000);
    res = await postOffer(pc, kind, path, csrf, target);
  }
  if (res.status !== 201) {
    let msg = `HTTP ${res.status}`;
    try {
      msg = (await res.json()).error ?? msg;
    } catch { /* not JSON */ }
    throw new HttpError(res.status, msg);
  }
  const loc = res.headers.get("location") ?? "";
  const location = loc && target ? new URL(loc, target.url).href : loc;
  const auth = authOf(csrf, target);
  await pc.setRemoteDescription({ type: "answer", sdp: await res.text() });
  let closed = false;
  return {
    pc,
    location,
    close() {
      if (closed) return;
      closed = true;
      pc.close();
      if (location) {
        fetch(location, { method: "DELETE", keepalive: true, headers: auth }).catch(() => {});
      }
    },
  };
}

/** A receive-only peer connection for WHEP (one video, one audio transceiver). */
function whepPc(): RTCPeerConnection {
  const pc = new RTCPeerConnection();
  pc.addTransceiver("video", { direction: "recvonly" });
  pc.addTransceiver("audio", { direction: "recvonly" });
  return pc;
}

/** Unused prewarmed connections are closed (and a session they started ended) after this long (ms). */
const WARM_MS = 8000;
interface Warm {
  pc: RTCPeerConnection;
  ready: Promise<unknown>;
  /** The answer to the offer posted ahead (`send`), for that path. */
  sent?: { path: string; res: Promise<Response> };
  timer: ReturnType<typeof setTimeout>;
}
let warm: Warm | null = null;

/**
 * Starts the next WHEP session's work now, before the page's other work (the media info request): the
 * peer connection, its offer and ICE gathering, and with `send` also the offer's POST for that path (when
 * WebRTC is wanted for sure: forced, or what this viewer got last time). The next startWhep takes it;
 * unused, it is closed (its session ended) after 8 s. No-op without WebRTC.
 */
export function prewarmWhep(send?: { path: string; csrf: string }): void {
  if (warm || typeof RTCPeerConnection === "undefined") return;
  const pc = whepPc();
  // The offer goes without waiting for ICE candidates: the browser connects to MediaMTX's candidates (in the
  // answer), and MediaMTX learns the browser's address from those checks (peer-reflexive, RFC 8445
  // §7.3.1.3); the browser's own host candidates would not get through a NAT anyway.
  const ready = pc.createOffer().then((o) => pc.setLocalDescription(o));
  ready.catch(() => {});
  const w: Warm = {
    pc,
    ready,
    timer: setTimeout(() => {
      if (warm !== w) return;
      warm = null;
      pc.close();
      w.sent?.res.then((r) => {
        const loc = r.status === 201 ? r.headers.get("location") : null;
        if (loc) fetch(loc, { method: "DELETE", keepalive: true, headers: { "x-csrf-token": send!.csrf } });
      }, () => {});
    }, WARM_MS),
  };
  if (send) {
    w.sent = { path: send.path, res: ready.then(() => postOffer(pc, "whep", send.path, send.csrf)) };
    w.sent.res.catch(() => {});
  }
  warm = w;
}

/** The prewarmed connection once its offer is set, with the answer when it was sent for `path`. */
async function takeWarm(path: string): Promise<{ pc: RTCPeerConnection; sent?: Response } | null> {
  const w = warm;
  if (!w) return null;
  warm = null;
  clearTimeout(w.timer);
  try {
    await w.ready;
    if (w.sent?.path === path) return { pc: w.pc, sent: await w.sent.res };
    if (w.sent) throw new Error("sent for another path");
    return w.pc.signalingState === "have-local-offer" ? { pc: w.pc } : (w.pc.close(), null);
  } catch {
    w.pc.close();
    return null;
  }
}

/** Starts WHEP playback of `path` into `video`; resolves once the peer connection is up. */
export async function startWhep(
  video: HTMLVideoElement,
  path: string,
  csrf: string,
  timeoutMs = 8000,
  target?: WhepTarget,
): Promise<RtcSession> {
  let w = await takeWarm(path);
  if (w?.sent && target) {
    // The prewarmed offer went to livegate, but this session goes to a replica: end that one.
    const loc = w.sent.status === 201 ? w.sent.headers.get("location") : null;
    if (loc) {
      fetch(loc, { method: "DELETE", keepalive: true, headers: { "x-csrf-token": csrf } }).catch(() => {});
    }
    w.pc.close();
    w = null;
  }
  const pc = w?.pc ?? whepPc();
  const stream = new MediaStream();
  pc.addEventListener("track", (e) => {
    stream.addTrack(e.track);
    if (video.srcObject !== stream) video.srcObject = stream;
  });
  let s: RtcSession | undefined;
  try {
    s = await negotiate(pc, "whep", path, csrf, w?.sent, target);
    await waitConnected(pc, timeoutMs);
    return s;
  } catch (e) {
    if (s) s.close();
    else pc.close();
    throw e;
  }
}

export interface RtcStats {
  /**
   * Receive-side estimate (seconds): time from a frame's first packet to decoded (jitter buffer + decode)
   * + half the round trip. Capture/encode on the publisher are not visible here.
   */
  latency: number;
  audioPackets: number;
  /** Sum of squared audio levels received (0 for silence). */
  audioEnergy: number;
  videoPackets: number;
  /** Video frames decoded so far: what proves pictures arrive (the video clock advances without them). */
  framesDecoded: number;
}

export async function rtcStats(pc: RTCPeerConnection): Promise<RtcStats> {
  const stats = await pc.getStats();
  let jitter = NaN;
  let rtt = 0;
  let audioPackets = 0;
  let audioEnergy = 0;
  let videoPackets = 0;
  let framesDecoded = 0;
  stats.forEach((r) => {
    if (r.type === "inbound-rtp" && r.kind === "video") {
      videoPackets += r.packetsReceived ?? 0;
      framesDecoded += r.framesDecoded ?? 0;
      if (r.framesDecoded > 0 && typeof r.totalProcessingDelay === "number") {
        jitter = r.totalProcessingDelay / r.framesDecoded;
      } else if (r.jitterBufferEmittedCount > 0) jitter = r.jitterBufferDelay / r.jitterBufferEmittedCount;
    }
    if (r.type === "inbound-rtp" && r.kind === "audio") {
      audioPackets += r.packetsReceived ?? 0;
      audioEnergy += r.totalAudioEnergy ?? 0;
    }
    if (r.type === "candidate-pair" && r.nominated && typeof r.currentRoundTripTime === "number") {
      rtt = r.currentRoundTripTime;
    }
  });
  return { latency: jitter + rtt / 2, audioPackets, audioEnergy, videoPackets, framesDecoded };
}
