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

/** Sends the offer (with the gathered candidates) and applies the answer. */
export async function negotiate(
  pc: RTCPeerConnection,
  kind: "whep" | "whip",
  path: string,
  csrf: string,
  target?: WhepTarget,
): Promise<RtcSession> {
  await pc.setLocalDescription(await pc.createOffer());
  await waitGathering(pc, 2000);
  const auth: Record<string, string> = target
    ? { authorization: `Bearer ${target.token}` }
    : { "x-csrf-token": csrf };
  const res = await fetch(target ? target.url : `/${kind}/${encodeURIComponent(path)}`, {
    method: "POST",
    credentials: target ? "omit" : "same-origin",
    headers: { "content-type": "application/sdp", ...auth },
    body: pc.localDescription!.sdp,
  });
  if (res.status !== 201) {
    let msg = `HTTP ${res.status}`;
    try {
      msg = (await res.json()).error ?? msg;
    } catch { /* not JSON */ }
    throw new HttpError(res.status, msg);
  }
  const loc = res.headers.get("location") ?? "";
  const location = loc && target ? new URL(loc, target.url).href : loc;
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
        fetch(location, { method: "DELETE", keepalive: true, headers: auth })
          .catch(() => {});
      }
    },
  };
}

/** Starts WHEP playback of `path` into `video`; resolves once the peer connection is up. */
export async function startWhep(
  video: HTMLVideoElement,
  path: string,
  csrf: string,
  timeoutMs = 8000,
  target?: WhepTarget,
): Promise<RtcSession> {
  const pc = new RTCPeerConnection();
  pc.addTransceiver("video", { direction: "recvonly" });
  pc.addTransceiver("audio", { direction: "recvonly" });
  const stream = new MediaStream();
  pc.addEventListener("track", (e) => {
    stream.addTrack(e.track);
    if (video.srcObject !== stream) video.srcObject = stream;
  });
  let s: RtcSession | undefined;
  try {
    s = await negotiate(pc, "whep", path, csrf, target);
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
