// livegate's WHIP client (RFC 9725) for restream destinations, on werift (a WebRTC stack in TypeScript),
// used with every ffmpeg (Debian 12's ffmpeg 5.1 has no whip muxer; FFmpeg 8's is not used): it opens two
// loopback UDP sockets that ffmpeg's RTP muxer writes to (one per track, whipFfmpegArgs in args.ts), offers
// a send-only H.264 + Opus peer connection, POSTs the offer with the bearer token (201 + Location + the SDP
// answer), forwards every RTP packet it receives on the sockets to the peer connection (werift rewrites
// SSRC, payload type and sequence numbers to the negotiated ones) and DELETEs the session at the end. Its
// state is the peer connection's own (connecting, connected, disconnected, failed, closed).
// No STUN/TURN server is asked (werift's default would be Google's STUN): host candidates only, so a
// destination must be reachable directly, as a WHIP ingest server is. The Link ICE servers of RFC 9725 §4.6
// are optional and not used.
import { createSocket, type Socket } from "node:dgram";
import { MediaStreamTrack, RTCPeerConnection, RTCRtpCodecParameters } from "werift";

/** Why a WHIP session could not be set up: words for the dashboard and whether trying again can help. */
export class WhipError extends Error {
  constructor(message: string, readonly retry: boolean) {
    super(message);
    this.name = "WhipError";
  }
}

/** The peer connection states (W3C webrtc-pc §4.3.3). */
export type PeerState = "new" | "connecting" | "connected" | "disconnected" | "failed" | "closed";

export interface WhipOptions {
  /** The WHIP endpoint (http:// or https://). */
  url: string;
  /** The bearer token (RFC 9725 §4.5); never logged or put in an error. */
  token: string;
  /** Whether to send a video (H.264) and an audio (Opus) track. */
  video: boolean;
  audio: boolean;
  /** Called on every peer connection state change. */
  onState: (s: PeerState) => void;
  /** Timeout of each HTTP request (ms; default 10 s). */
  httpTimeoutMs?: number;
  /** Aborts the setup (the POST) when the destination is stopped meanwhile. */
  signal?: AbortSignal;
}

/** RTP payload types ffmpeg writes (any value works: the sender rewrites them to the negotiated ones). */
export const VIDEO_PT = 96;
export const AUDIO_PT = 111;

/** Most bytes of the answer read (an SDP answer is a few KiB; a web page behind a wrong URL is cut off). */
const MAX_ANSWER = 64 * 1024;

/**
 * Words for a fetch that failed before any answer (Deno's messages, e.g. "... Connection refused (os error
 * 111)", in the error or its cause), with whether trying again can help.
 */
export function describeFetchError(e: unknown): WhipError {
  const m = e instanceof Error ? `${e.message} ${(e.cause as Error | undefined)?.message ?? ""}` : String(e);
  if (e instanceof DOMException && (e.name === "TimeoutError" || e.name === "AbortError")) {
    return new WhipError("no answer from the destination (timed out)", true);
  }
  if (/connection refused/i.test(m)) return new WhipError("connection refused", true);
  // The Fetch standard's "bad ports" (1, 22, 25, 6000...): Deno's fetch never connects to them.
  const port = /Requests to port (\d+) are blocked/i.exec(m)?.[1];
  if (port) {
    return new WhipError(
      `port ${port} cannot be used for HTTP (a blocked port of the Fetch standard)`,
      false,
    );
  }
  if (/dns error|failed to lookup|name or service not known|no address associated/i.test(m)) {
    return new WhipError("host not found", true);
  }
  if (/certificate|UnknownIssuer|invalid peer certificate|NotValidForName/i.test(m)) {
    return new WhipError("certificate not trusted", false);
  }
  if (/unreachable|no route/i.test(m)) return new WhipError("host unreachable", true);
  if (/timed? ?out/i.test(m)) return new WhipError("no answer from the destination (timed out)", true);
  return new WhipError("connection lost", true);
}

/**
 * One WHIP session: open() sets it up (sockets, offer, POST, answer), close() ends it (DELETE, peer
 * connection and sockets closed). Throws WhipError from open(): "authentication failed" (401/403, no retry),
 * "not a WHIP endpoint: ..." (another status or not an SDP answer, no retry; 5xx, 429 and 408 retry),
 * "connection refused", "host not found", "certificate not trusted", "no answer ... (timed out)".
 */
export class WhipSession {
  #o: WhipOptions;
  #pc: RTCPeerConnection;
  #sockets: Socket[] = [];
  #location: string | undefined;
  #closed = false;
  /** Loopback UDP port ffmpeg writes the video RTP to (null: no video). */
  videoPort: number | null = null;
  /** Loopback UDP port ffmpeg writes the audio RTP to (null: no audio). */
  audioPort: number | null = null;
  /** RTP bytes forwarded so far. */
  bytes = 0;
  /** When the destination last sent RTCP (receiver reports; ms since the epoch, 0: never yet). */
  lastRtcp = 0;

  private constructor(o: WhipOptions) {
    this.#o = o;
    this.#pc = new RTCPeerConnection({
      iceServers: [],
      codecs: {
        video: [
          new RTCRtpCodecParameters({
            mimeType: "video/H264",
            clockRate: 90000,
            rtcpFeedback: [{ type: "nack" }, { type: "nack", parameter: "pli" }],
            parameters: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
          }),
        ],
        audio: [new RTCRtpCodecParameters({ mimeType: "audio/opus", clockRate: 48000, channels: 2 })],
      },
    });
    this.#pc.connectionStateChange.subscribe((s) => {
      if (!this.#closed) this.#o.onState(s);
    });
  }

  /** The peer connection's state now. */
  get state(): PeerState {
    return this.#pc.connectionState;
  }

  /** Sets the session up; see the class for what it throws. Closes everything it opened when it throws. */
  static async open(o: WhipOptions): Promise<WhipSession> {
    const s = new WhipSession(o);
    try {
      await s.#setUp();
      return s;
    } catch (e) {
      await s.close();
      throw e instanceof WhipError ? e : new WhipError(`WHIP failed: ${(e as Error).message}`, true);
    }
  }

  async #track(kind: "video" | "audio"): Promise<number> {
    const track = new MediaStreamTrack({ kind });
    const tr = this.#pc.addTransceiver(track, { direction: "sendonly" });
    tr.sender.onRtcp.subscribe(() => {
      this.lastRtcp = Date.now();
    });
    const sock = createSocket("udp4");
    this.#sockets.push(sock);
    sock.on("message", (msg: Uint8Array) => {
      this.bytes += msg.length;
      try {
        track.writeRtp(msg as Parameters<typeof track.writeRtp>[0]);
      } catch { /* a malformed packet: dropped */ }
    });
    sock.on("error", () => {/* closed under load: the attempt ends through the peer connection */});
    await new Promise<void>((res, rej) => {
      sock.once("error", rej);
      sock.bind(0, "127.0.0.1", () => res());
    });
    return sock.address().port;
  }

  async #setUp() {
    if (this.#o.video) this.videoPort = await this.#track("video");
    if (this.#o.audio) this.audioPort = await this.#track("audio");
    await this.#pc.setLocalDescription(await this.#pc.createOffer());
    // Non-trickle: wait for the host candidates (no STUN server, so this is quick).
    if (this.#pc.iceGatheringState !== "complete") {
      await new Promise<void>((res) => {
        const t = setTimeout(res, 3000);
        this.#pc.iceGatheringStateChange.subscribe((st) => {
          if (st === "complete") {
            clearTimeout(t);
            res();
          }
        });
      });
    }
    const offer = this.#pc.localDescription?.sdp ?? "";
    let res: Response;
    try {
      res = await fetch(this.#o.url, {
        method: "POST",
        headers: { "content-type": "application/sdp", authorization: `Bearer ${this.#o.token}` },
        body: offer,
        signal: AbortSignal.any([
          AbortSignal.timeout(this.#o.httpTimeoutMs ?? 10_000),
          ...(this.#o.signal ? [this.#o.signal] : []),
        ]),
      });
    } catch (e) {
      if (this.#o.signal?.aborted) throw new WhipError("stopped", false);
      throw describeFetchError(e);
    }
    const answer = await readCapped(res, MAX_ANSWER);
    if (res.status === 401 || res.status === 403) throw new WhipError("authentication failed", false);
    if (res.status !== 201) {
      const transient = res.status >= 500 || res.status === 429 || res.status === 408;
      throw new WhipError(
        `${
          transient ? "the destination answered" : "not a WHIP endpoint: the destination answered"
        } ${res.status}${res.statusText ? ` ${res.statusText}` : ""}`,
        transient,
      );
    }
    if (!/^application\/sdp\b/i.test(res.headers.get("content-type") ?? "") || !answer.startsWith("v=0")) {
      throw new WhipError("not a WHIP endpoint: its 201 answer is not an SDP answer", false);
    }
    const loc = res.headers.get("location");
    if (loc) this.#location = new URL(loc, res.url || this.#o.url).href;
    try {
      await this.#pc.setRemoteDescription({ type: "answer", sdp: answer });
    } catch (e) {
      throw new WhipError(`the destination's SDP answer was refused: ${(e as Error).message}`, false);
    }
  }

  /** Ends the session: DELETE of its resource (RFC 9725 §4.3, 3 s at most), peer connection and sockets. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of this.#sockets) {
      try {
        s.close();
      } catch { /* closed */ }
    }
    const loc = this.#location;
    await Promise.allSettled([
      loc
        ? fetch(loc, {
          method: "DELETE",
          headers: { authorization: `Bearer ${this.#o.token}` },
          signal: AbortSignal.timeout(3000),
        }).then((r) => r.body?.cancel())
        : Promise.resolve(),
      Promise.race([this.#pc.close(), new Promise((r) => setTimeout(r, 2000))]),
    ]);
  }
}

/** The body as text, at most `max` bytes (the rest is not read). */
async function readCapped(res: Response, max: number): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let n = 0;
  try {
    while (n < max) {
      const { value, done } = await reader.read();
      if (done) break;
      parts.push(value);
      n += value.length;
    }
  } catch {
    /* cut off: what arrived is enough to judge */
  } finally {
    await reader.cancel().catch(() => {});
  }
  const all = new Uint8Array(Math.min(n, max));
  let o = 0;
  for (const p of parts) {
    const take = p.subarray(0, all.length - o);
    all.set(take, o);
    o += take.length;
    if (o >= all.length) break;
  }
  return new TextDecoder().decode(all);
}
