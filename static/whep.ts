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
  sdp = pc.localDescription!.sdp,
) {
  // A ladder's rung path (<stream>/<H>p) keeps its slash: /whep/<stream>/<H>p.
  const url = `/${kind}/${path.split("/").map(encodeURIComponent).join("/")}`;
  return fetch(target ? target.url : url, {
    method: "POST",
    credentials: target ? "omit" : "same-origin",
    headers: { "content-type": "application/sdp", ...authOf(csrf, target) },
    body: sdp,
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
  // An early start (prewarmWhep with `video`) applied the answer as soon as it came.
  if (pc.signalingState === "have-local-offer") {
    await pc.setRemoteDescription({ type: "answer", sdp: await res.text() });
  } else await res.body?.cancel();
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
  // As little jitter buffer as the browser allows (W3C webrtc-extensions jitterBufferTarget, ms; Chromium
  // 114+): the first frame is shown as soon as it is decoded; the buffer still grows with the network's jitter.
  for (const r of pc.getReceivers()) {
    if ("jitterBufferTarget" in r) {
      (r as RTCRtpReceiver & { jitterBufferTarget: number }).jitterBufferTarget = 0;
    }
  }
  return pc;
}

/** Unused prewarmed connections are closed (and a session they started ended) after this long (ms). */
const WARM_MS = 8000;
interface Warm {
  pc: RTCPeerConnection;
  ready: Promise<unknown>;
  /** The answer to the offer posted ahead (`send`), for that path. */
  sent?: { path: string; res: Promise<Response> };
  /** The video element an early start shows the session in, and the stream it set as its srcObject. */
  shown?: { video: HTMLVideoElement; stream: MediaStream };
  /** Settles once an early start has applied the answer (or given up): takeWarm waits for it. */
  applied?: Promise<void>;
  /** The CSRF token the offer was sent with: the DELETE of an unused session carries it. */
  csrf: string;
  timer: ReturnType<typeof setTimeout>;
}
// The prewarmed connection lives on globalThis: the early-start bundle (static/whep-early.ts) makes it and
// the player bundle (static/player.ts) takes it, each with its own copy of this module.
const WARM = Symbol.for("livegate.whep.warm");
const slot = globalThis as unknown as { [WARM]?: Warm | null };

/**
 * Starts the next WHEP session's work now, before the page's other work (the media info request): the
 * peer connection, its offer and ICE gathering, and with `send` also the offer's POST for that path (when
 * WebRTC is wanted for sure: forced, or what this viewer got last time). With `send.video` (the early
 * start, static/whep-early.ts, before the player bundle has loaded) the answer is applied as soon as it
 * comes and the session shown in that element (its autoplay plays it), so ICE, DTLS and the wait for the
 * next keyframe run while the player loads. The next startWhep takes it; unused, it is closed (its session
 * ended) after 8 s, or at once by dropWarmWhep. No-op without WebRTC or when one is warm already.
 * Resolves once the offer's POST has left (at once when nothing is sent); never rejects.
 */
export function prewarmWhep(
  send?: {
    path: string;
    csrf: string;
    video?: HTMLVideoElement | Promise<HTMLVideoElement | null>;
    /** Called once the session is in `video` (e.g. to start it muted where autoplay with sound is blocked). */
    onShown?: (video: HTMLVideoElement) => void;
  },
): Promise<void> {
  if (slot[WARM] || typeof RTCPeerConnection === "undefined") return Promise.resolve();
  const pc = whepPc();
  // The offer goes without waiting for ICE candidates: the browser connects to MediaMTX's candidates (in the
  // answer), and MediaMTX learns the browser's address from those checks (peer-reflexive, RFC 8445
  // §7.3.1.3); the browser's own host candidates would not get through a NAT anyway.
  // The POST does not wait for setLocalDescription either (it runs meanwhile; the answer waits for it).
  const offer = pc.createOffer();
  const ready = offer.then((o) => pc.setLocalDescription(o));
  ready.catch(() => {});
  const w: Warm = {
    pc,
    ready,
    csrf: send?.csrf ?? "",
    timer: setTimeout(() => {
      if (slot[WARM] === w) dropWarmWhep();
    }, WARM_MS),
  };
  let left = Promise.resolve();
  if (send) {
    let res!: Promise<Response>;
    left = offer.then((o) => void (res = postOffer(pc, "whep", send.path, send.csrf, undefined, o.sdp)));
    w.sent = { path: send.path, res: left.then(() => res) };
    w.sent.res.catch(() => {});
    const video = send.video;
    if (video) {
      w.applied = w.sent.res.then(async (r) => {
        await ready;
        if (r.status !== 201 || pc.signalingState !== "have-local-offer") return;
        await pc.setRemoteDescription({ type: "answer", sdp: await r.clone().text() });
        const v = await video;
        // No video, closed meanwhile (dropWarmWhep), or the video shows something else already.
        if (!v || (pc.signalingState as string) === "closed" || v.srcObject) return;
        const stream = new MediaStream(pc.getReceivers().map((x) => x.track));
        v.srcObject = stream;
        w.shown = { video: v, stream };
        send.onShown?.(v);
      }).catch(() => {});
    }
  }
  slot[WARM] = w;
  return left.catch(() => {});
}

/**
 * Closes the prewarmed connection, if any, ends the session it started and takes its stream off the video
 * element (LL-HLS is going to play there instead).
 */
export function dropWarmWhep(): void {
  const w = slot[WARM];
  if (!w) return;
  slot[WARM] = null;
  clearTimeout(w.timer);
  w.pc.close();
  if (w.shown && w.shown.video.srcObject === w.shown.stream) w.shown.video.srcObject = null;
  w.sent?.res.then((r) => {
    const loc = r.status === 201 ? r.headers.get("location") : null;
    if (loc) {
      fetch(loc, { method: "DELETE", keepalive: true, headers: { "x-csrf-token": w.csrf } })
        .catch(() => {});
    }
  }, () => {});
}

/** The prewarmed connection once its offer is set, with the answer when it was sent for `path`. */
async function takeWarm(
  path: string,
): Promise<{ pc: RTCPeerConnection; sent?: Response; stream?: MediaStream } | null> {
  const w = slot[WARM];
  if (!w) return null;
  slot[WARM] = null;
  clearTimeout(w.timer);
  try {
    await w.ready;
    if (w.sent?.path === path) {
      const sent = await w.sent.res;
      await w.applied; // never two setRemoteDescription calls for one answer
      return { pc: w.pc, sent, stream: w.shown?.stream };
    }
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
  // An early start shows the session already (its stream is the video's srcObject).
  const stream = w?.stream && video.srcObject === w.stream ? w.stream : new MediaStream();
  const show = (t: MediaStreamTrack) => {
    if (!stream.getTracks().includes(t)) stream.addTrack(t);
    if (video.srcObject !== stream) video.srcObject = stream;
  };
  pc.addEventListener("track", (e) => show(e.track));
  // The answer was applied before this listener: its tracks are the receivers'.
  if (pc.remoteDescription) { for (const r of pc.getReceivers()) show(r.track); }
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
